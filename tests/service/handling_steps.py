"""Steps of the handling loop, taken through the API as each role would, for the handling tests.

The appeal used throughout: household garbage (生活垃圾清运) in 梅林镇 itself, which the default
list gives to 区城管局 (demo user "cgj") as lead with 梅林镇人民政府 ("meilin") as co-unit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from dispatch.routing import Router
from service.appeals.models import Appeal, AppealEvent
from service.auth.models import User
from service.auth.operations import create_user
from tests.service.factories import stored, township, unit_code
from tests.service.helpers import appeal_payload, default_list

LEAD, CO = "cgj", "meilin"
CITIZEN_TEXT = "经核查，光明路12号小区门口垃圾已于今日清运完毕，并已安排每日定时清运。"
INTERNAL_NOTE = "环卫所所长已约谈承包公司负责人，内部通报批评。"


def garbage_in_meilin() -> dict[str, str]:
    category = next(c.code for c in default_list().categories if c.name == "生活垃圾清运")
    area = township("梅林镇")
    decision = Router(default_list()).route(category, area, "一般", "投诉")
    assert decision.lead == unit_code("区城管局"), decision  # type: ignore[union-attr]
    assert unit_code("梅林镇人民政府") in decision.co  # type: ignore[union-attr]
    return {"category": category, "area": area}


def new_appeal(as_user: Any, **overrides: Any) -> str:
    """An appeal dispatched on intake to 区城管局 (lead) and 梅林镇 (co); returns its number."""
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(**garbage_in_meilin(), **overrides))
    assert r.status_code == 201, r.json
    assert r.json["status"] == "dispatched", r.json
    return r.json["number"]


def act(api: Any, number: str, action: str, **body: Any) -> Any:
    return api.post(f"/api/v1/appeals/{number}/{action}", json=body)


def ok(api: Any, number: str, action: str, **body: Any) -> dict[str, Any]:
    r = act(api, number, action, **body)
    assert r.status_code == 200, (action, r.json)
    return r.json


def signed_appeal(as_user: Any) -> str:
    """An appeal the lead unit has signed for: in handling."""
    number = new_appeal(as_user)
    assert ok(as_user(LEAD), number, "sign")["status"] == "handling"
    return number


def reply_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "result": "resolved",
        "citizen_text": CITIZEN_TEXT,
        "internal_note": INTERNAL_NOTE,
        "contacted_citizen": True,
    }
    body.update(overrides)
    return body


def replied_appeal(as_user: Any) -> str:
    """An appeal whose reply waits for the centre's review."""
    number = signed_appeal(as_user)
    assert ok(as_user(LEAD), number, "reply", **reply_body())["status"] == "reply_review"
    return number


def events(
    as_user: Any, number: str, username: str = "dispatcher", language: str | None = None
) -> list[dict[str, Any]]:
    """The staff timeline; the service's notes as stored (Chinese), or in `language` (an
    Accept-Language)."""
    headers = {"Accept-Language": language} if language else {}
    r = as_user(username).get(f"/api/v1/appeals/{number}/events", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def actions(as_user: Any, number: str) -> list[str]:
    return [e["action"] for e in events(as_user, number)]


def citizen(client: Any, app: Flask, number: str) -> dict[str, Any]:
    """What the citizen sees with the number and the query code."""
    with stored(app) as s:
        code = s.scalar(sa.select(Appeal.query_code).where(Appeal.number == number))
    r = client.get(f"/api/v1/public/appeals/{number}", query_string={"code": code})
    assert r.status_code == 200, r.json
    return r.json


def add_unit_user(app: Flask, username: str, unit: str) -> str:
    """Another member of staff of `unit` (kept until the test's transaction rolls back)."""
    with stored(app) as s:
        create_user(s, username, "unit_staff", unit_code=unit, display_name=f"{unit} 测试员")
        s.commit()
    return username


def stored_appeal(s: Any, number: str) -> Appeal:
    appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
    assert appeal is not None
    return appeal


def staff_names(s: Any) -> list[str]:
    return [n for n in s.scalars(sa.select(User.display_name)) if n] + list(
        s.scalars(sa.select(User.username))
    )


def last_event(s: Any, number: str) -> AppealEvent:
    appeal = stored_appeal(s, number)
    return s.scalars(
        sa.select(AppealEvent).where(AppealEvent.appeal_id == appeal.id).order_by(AppealEvent.id.desc())
    ).first()
