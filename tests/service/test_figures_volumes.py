"""诉求量与热点 over the API (`volumes` in `GET /api/v1/figures`, the sheet 诉求量 of the export):
appeals taken in through the intake API over two months (late ones logged with their own
`received_at`), one closed at first contact, one merged into another."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

import pytest
from openpyxl import load_workbook

from service.db import utcnow
from service.figures.queries import month_of
from service.figures.volumes import previous_month
from tests.service.closing_arrange import ok
from tests.service.factories import SHANGHAI, assert_envelope, register, township, villages
from tests.service.test_queries import counting_queries

GARBAGE, NOISE = "020101", "010401"  # 生活垃圾清运 (城市管理), 施工噪音扰民 (城乡建设与住房)
MEILIN, WANGMUDU, SHADI = township("梅林镇"), township("王母渡镇"), township("沙地镇")


def at(month: str, day: int, hour: int = 10, minute: int = 0) -> str:
    """A local time of `month` (Asia/Shanghai, the service's zone) as the intake API takes it."""
    local = datetime.combine(date(int(month[:4]), int(month[5:]), day), time(hour, minute), SHANGHAI)
    return local.isoformat()


def last_day(month: str) -> int:
    following = previous_month_after(month)
    return (date(int(following[:4]), int(following[5:]), 1) - date(int(month[:4]), int(month[5:]), 1)).days


def previous_month_after(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"


def take_in(as_user: Any, month: str, day: int, **fields: Any) -> dict[str, Any]:
    fields.setdefault("received_at", at(month, day))
    if fields.get("channel", "hotline") != "hotline":
        fields.setdefault("channel_meta", {})
    return register(as_user("operator"), **fields)


@pytest.fixture
def months(app: Any) -> tuple[str, str]:
    """Last month (a whole month, all in the past) and the one before it."""
    last = previous_month(month_of(utcnow(), app.config["TZ"]))
    return last, previous_month(last)


@pytest.fixture
def taken_in(as_user: Any, months: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """Last month: 生活垃圾清运 four times (three in 梅林镇's villages, one in 王母渡镇, one 紧急),
    施工噪音扰民 twice in 王母渡镇, one consultation closed at first contact, and a repeat of the
    first merged into it. The month before: 生活垃圾清运 twice in 梅林镇, 施工噪音扰民 once in 沙地镇
    on its last evening. This month: one more, counted in no figure of last month."""
    last, before = months
    meilin, wangmudu = villages("梅林镇"), villages("王母渡镇")
    first = take_in(as_user, last, 3, category=GARBAGE, area=meilin[0])
    take_in(as_user, last, 3, category=GARBAGE, area=meilin[1], urgency="紧急")
    # Just after local midnight on the 1st: the day before in UTC, yet last month's first day.
    take_in(
        as_user,
        last,
        1,
        received_at=at(last, 1, 0, 30),
        category=GARBAGE,
        area=meilin[0],
        channel="wechat",
        appeal_type="求助",
    )
    take_in(as_user, last, 9, category=GARBAGE, area=wangmudu[0])
    for _ in range(2):
        take_in(as_user, last, 9, category=NOISE, area=wangmudu[1], channel="web")
    consultation = take_in(
        as_user,
        last,
        12,
        appeal_type="咨询",
        channel="app",
        title="燃气开户怎么办理",
        content="想问新房燃气开户要带什么材料。",
    )
    ok(
        as_user("operator").post(
            f"/api/v1/appeals/{consultation['number']}/close-directly",
            json={"answer": "请携带身份证和房产证到燃气营业厅办理。"},
        )
    )
    repeat = take_in(as_user, last, 3, category=GARBAGE, area=meilin[0])
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{repeat['number']}/merge",
            json={"master": first["number"], "reason": "同一问题"},
        )
    )
    for village in meilin[:2]:
        take_in(as_user, before, 20, category=GARBAGE, area=village)
    take_in(
        as_user,
        before,
        last_day(before),
        received_at=at(before, last_day(before), 23, 30),
        category=NOISE,
        area=villages("沙地镇")[0],
    )
    take_in(as_user, last, 1, received_at=None, category=GARBAGE, area=meilin[0])  # now: this month
    return {"first": first, "repeat": repeat, "consultation": consultation}


def volumes_of(as_user: Any, month: str, username: str = "leader") -> dict[str, Any]:
    return ok(as_user(username).get("/api/v1/figures", query_string={"month": month}))["volumes"]


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in rows}


def test_the_months_volumes_with_their_splits_against_the_month_before(as_user, taken_in, months) -> None:
    last, before = months
    v = volumes_of(as_user, last)
    assert (v["month"], v["previous_month"]) == (last, before)
    # 4 + 2 + 1 appeals; the repeat merged into the first is counted once, in the first.
    assert v["received"] == {"count": 7, "previous": 3, "change": 4, "change_rate": 1.3333}
    assert v["merged"] == {"count": 1, "previous": 0, "change": 1, "change_rate": None}
    channels = by_code(v["channels"])
    assert list(channels)[:4] == ["hotline", "web", "app", "wechat"]  # every channel, in the usual order
    assert channels["hotline"] == {
        "code": "hotline",
        "label": "12345热线",
        "count": 3,
        "share": 0.4286,
        "previous": 3,
        "change": 0,
        "change_rate": 0.0,
    }
    assert (channels["web"]["count"], channels["web"]["previous"], channels["web"]["change_rate"]) == (
        2,
        0,
        None,
    )
    assert (channels["wechat"]["label"], channels["wechat"]["count"]) == ("微信", 1)
    assert channels["letter"]["count"] == 0 and channels["letter"]["share"] == 0.0
    types = {r["code"]: r["count"] for r in v["appeal_types"]}
    assert types == {"咨询": 1, "求助": 1, "投诉": 5, "举报": 0, "建议": 0, "表扬": 0, "其他": 0}
    assert {r["code"]: r["count"] for r in v["urgencies"]} == {"一般": 6, "紧急": 1, "特急": 0}
    dispositions = by_code(v["dispositions"])
    assert (dispositions["direct"]["label"], dispositions["direct"]["count"]) == ("直接办结", 1)
    assert dispositions["dispatched"]["count"] == 6 and dispositions["pending"]["count"] == 0
    assert dispositions["dispatched"]["previous"] == 3


def test_hot_categories_and_townships_with_the_most_frequent_township(as_user, taken_in, months) -> None:
    v = volumes_of(as_user, months[0])
    garbage, noise = v["hot_categories"]
    assert garbage == {
        "code": GARBAGE,
        "name": "生活垃圾清运",
        "top_level": {"code": "02", "name": "城市管理"},
        "count": 4,
        "share": 0.5714,
        "previous": 2,
        "change": 2,
        "change_rate": 1.0,
        "township": {"code": MEILIN, "name": "梅林镇", "count": 3},  # three villages' worth, rolled up
    }
    assert (noise["code"], noise["count"], noise["previous"], noise["change_rate"]) == (NOISE, 2, 1, 1.0)
    assert noise["township"] == {"code": WANGMUDU, "name": "王母渡镇", "count": 2}
    assert [(c["code"], c["name"], c["count"]) for c in v["hot_top_categories"]] == [
        ("02", "城市管理", 4),
        ("01", "城乡建设与住房", 2),
    ]
    assert "top_level" not in v["hot_top_categories"][0]
    assert v["uncategorised"]["count"] == 1 and v["unplaced"]["count"] == 1  # the consultation
    townships = [(t["code"], t["name"], t["count"], t["previous"], t["change_rate"]) for t in v["townships"]]
    assert townships == [
        (MEILIN, "梅林镇", 3, 2, 0.5),
        (WANGMUDU, "王母渡镇", 3, 0, None),  # equal counts: by division code
        (SHADI, "沙地镇", 0, 1, -1.0),  # last evening of the month before, in local time
    ]
    assert v["hot_townships"] == v["townships"][:2]


def test_the_days_are_local_days(as_user, taken_in, months) -> None:
    last, before = months
    days = volumes_of(as_user, last)["days"]
    assert len(days) == last_day(last)
    assert (days[0], days[2], days[8], days[11], sum(days)) == (1, 2, 3, 1, 7)
    assert volumes_of(as_user, before)["days"][-1] == 1


def test_a_month_with_nothing_before_it_has_null_changes(as_user, taken_in) -> None:
    v = volumes_of(as_user, "2001-01")
    assert v["received"] == {"count": 0, "previous": 0, "change": 0, "change_rate": None}
    assert v["hot_categories"] == [] and v["townships"] == [] and v["days"] == [0] * 31
    assert all(r["share"] is None for r in v["channels"])


def test_the_volumes_cost_the_same_queries_whatever_the_volume(app, as_user, months) -> None:
    last = months[0]
    leader = as_user("leader")
    take_in(as_user, last, 2, category=GARBAGE, area=villages("梅林镇")[0])
    leader.get("/api/v1/figures", query_string={"month": last})  # warm caches
    with counting_queries(app) as small:
        ok(leader.get("/api/v1/figures", query_string={"month": last}))
    for n, (category, town) in enumerate([(GARBAGE, "王母渡镇"), (NOISE, "沙地镇"), (NOISE, "梅林镇")] * 3):
        take_in(as_user, last, 4 + n, category=category, area=villages(town)[n % 2], channel="web")
    with counting_queries(app) as large:
        body = ok(leader.get("/api/v1/figures", query_string={"month": last}))
    assert body["volumes"]["received"]["count"] == 10
    assert len(large) == len(small), "\n".join(large)
    volume_queries = [q for q in large if "appeals.received_at" in q and "GROUP BY" in q]
    assert len(volume_queries) == 3, "\n".join(volume_queries)  # splits, places, days


@pytest.mark.parametrize("username", ["operator", "cgj"])
def test_operators_and_units_get_no_volumes(as_user, client, username) -> None:
    assert_envelope(as_user(username).get("/api/v1/figures"), 403, "forbidden")


def test_the_export_has_a_sheet_of_the_volumes(as_user, taken_in, months) -> None:
    last, before = months
    r = as_user("leader").get("/api/v1/figures/export", query_string={"month": last})
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames[:2] == ["汇总", "诉求量"]
    rows = [row for row in wb["诉求量"].iter_rows(values_only=True)]
    first = {row[0]: row[1:] for row in rows if row and row[0]}
    assert (first["统计月份"][0], first["环比月份"][0]) == (last, before)
    assert first["受理量"][:4] == (7, 3, 4, 133.33)
    assert first["并案（不计入受理量）"][:4] == (1, 0, 1, None)
    assert first["12345热线"][:5] == (3, 42.86, 3, 0, 0.0)
    assert first["直接办结"][0] == 1
    hot = rows.index(("热点问题（前十）",) + (None,) * (len(rows[0]) - 1))
    assert rows[hot + 2][:4] == (1, "生活垃圾清运", "城市管理", 4)
    assert rows[hot + 2][rows[hot + 1].index("最多的乡镇（街道）")] == "梅林镇（3 件）"
    assert first["梅林镇"][:2] == (3, 42.86)
    day_row = next(row for row in rows if row[0] == "日期")
    assert day_row[1:4] == (f"{last}-01", f"{last}-02", f"{last}-03")
    assert next(row for row in rows if row[0] == "诉求量")[1:4] == (1, 0, 2)


def test_the_openapi_document_describes_the_volumes(client) -> None:
    spec = ok(client.get("/api/openapi.json"))
    figures = spec["paths"]["/api/v1/figures"]["get"]["responses"]["200"]["content"]["application/json"]
    assert figures["schema"]["$ref"].endswith("/FiguresOut")
    volumes = spec["components"]["schemas"]["VolumesOut"]["properties"]
    assert "并案" in volumes["received"]["description"]
    change = spec["components"]["schemas"]["ChangeOut"]["properties"]["change_rate"]
    assert "null when the month before had none" in change["description"]
