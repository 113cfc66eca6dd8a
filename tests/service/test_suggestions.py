"""Suggestions for operators: categories from the text, the area from the address, a trained model."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from service.appeals.dispatching import dispatch_on_intake
from service.appeals.operations import register_appeal
from service.suggestions.operations import train_from_history
from tests.service.helpers import a_village, default_list
from tests.service.processes import ROOT, child_env

TZ = ZoneInfo("Asia/Shanghai")


def test_suggests_categories_and_the_area(as_user):
    r = as_user("operator").get(
        "/api/v1/suggest",
        query_string={
            "text": "小区门口垃圾堆了好几天没人清运，臭气熏天",
            "address": "梅林镇城东社区光明路12号",
        },
    )
    assert r.status_code == 200, r.json
    top = r.json["categories"]
    assert 1 <= len(top) <= 3
    assert "垃圾" in top[0]["name"]
    assert top[0]["score"] >= top[-1]["score"]
    assert r.json["area"]["township_name"] == "梅林镇"
    assert r.json["area"]["village_name"] == "城东居委会"
    assert r.json["model"] is None


def test_a_long_call_is_posted_and_suggested_the_same(as_user):
    text = "小区门口垃圾堆了好几天没人清运，臭气熏天" + "，天气越来越热" * 600  # ~4200 characters
    query = {"text": text[:300], "address": "梅林镇城东社区光明路12号"}
    short = as_user("operator").get("/api/v1/suggest", query_string=query).json
    r = as_user("operator").post("/api/v1/suggest", json={**query, "text": text})
    assert r.status_code == 200, r.json
    assert r.json["categories"][0]["code"] == short["categories"][0]["code"]
    assert r.json["area"]["village_name"] == "城东居委会"
    assert as_user("operator").post("/api/v1/suggest", json={}).json["errors"].keys() == {"text"}


def test_suggest_needs_text_and_a_centre_role(as_user):
    assert as_user("operator").get("/api/v1/suggest").json["errors"].keys() == {"text"}
    assert as_user("cgj").get("/api/v1/suggest", query_string={"text": "垃圾"}).status_code == 403


def _history(db_session, per_category: int = 15) -> None:
    """Dispatched appeals in four categories, worded the way callers put it."""
    lst = default_list()
    phrases = {
        "垃圾": ["垃圾堆在路边没人清运", "垃圾桶满了好几天", "小区垃圾臭气熏天没人管"],
        "社保": ["单位不给交社保", "社保断缴了怎么补", "公司拖欠社会保险费"],
        "噪音": ["晚上工地施工噪音太大", "广场舞音响扰民", "夜里装修噪声吵得睡不着"],
        "路灯": ["路灯坏了晚上很黑", "村口路灯不亮", "小区路灯一直没修"],
    }
    codes = {}
    for key in phrases:
        category = next(
            c
            for c in lst.categories
            if key in "".join(c.keywords) + c.name and not any(d.parent == c.code for d in lst.categories)
        )
        codes[key] = category.code
    rng = random.Random(7)
    village = a_village("沙地镇")
    for key, texts in phrases.items():
        for i in range(per_category):
            text = rng.choice(texts) + rng.choice(["，请尽快处理", "，希望有人管一管", "", "！"]) + f"（{i}）"
            appeal = register_appeal(
                db_session,
                {
                    "channel": "hotline",
                    "appeal_type": "投诉",
                    "title": text[:20],
                    "content": text,
                    "category": codes[key],
                    "area": village,
                },
                actor=None,
                prefix="GX",
                tz=TZ,
            )
            dispatch_on_intake(db_session, appeal, actor=None, tz=TZ)
    db_session.commit()


def test_training_on_dispatched_history_feeds_the_suggestions(as_user, db_session):
    with pytest.raises(ValueError, match="need at least"):
        train_from_history(db_session, by="test")
    _history(db_session)
    result = train_from_history(db_session, by="test")
    db_session.commit()
    assert result.n_classes == 4 and result.n_test > 0
    assert result.accuracy >= 0.8
    r = as_user("operator").get("/api/v1/suggest", query_string={"text": "夜里工地噪音吵得没法睡觉"})
    assert r.status_code == 200
    assert r.json["model"]["accuracy"] == pytest.approx(result.accuracy)
    top = r.json["categories"][0]
    assert top["model_score"] is not None and top["model_score"] > 0.3
    assert "噪" in top["name"] or "噪" in top["path"] or "施工" in top["path"]


#: Slow to import: scikit-learn and scipy (a model), openpyxl and the numpy it imports (the XLSX
#: exports and a list uploaded as a workbook).
HEAVY = ("sklearn", "scipy", "openpyxl", "numpy")


def test_the_web_and_rq_workers_start_without_scikit_learn_or_openpyxl(database_url, redis_url, tmp_path):
    """What a gunicorn worker (service.wsgi, which creates the app) and `minyi worker` load, in a
    fresh interpreter (other tests import these into this one): no scikit-learn or scipy until a
    model is used, no openpyxl or numpy until a workbook is written or read."""
    code = (
        "import json, sys\n"
        "from service.wsgi import app\n"
        "from service.runner import cron_jobs\n"
        "import service.jobs\n"
        "cron_jobs(app.config)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    env = child_env(tmp_path / "var", DATABASE_URL=database_url, REDIS_URL=redis_url)

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
