"""诉求量与热点 over the API (`volumes` in `GET /api/v1/figures`, the sheet 诉求量 of the export):
appeals taken in through the intake API over two months (late ones logged with their own
`received_at`), one closed at first contact, one merged into another."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from service.figures.volumes import day_starts
from tests.service.closing_arrange import ok
from tests.service.factories import assert_envelope, villages
from tests.service.test_queries import counting_queries
from tests.service.volumes_arrange import (
    GARBAGE,
    MEILIN,
    NOISE,
    SHADI,
    WANGMUDU,
    last_day,
    past_months,
    take_in,
    two_months,
)


@pytest.fixture
def months(app: Any) -> tuple[str, str]:
    return past_months(app)


@pytest.fixture
def taken_in(as_user: Any, months: tuple[str, str]) -> dict[str, dict[str, Any]]:
    return two_months(as_user, months)


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


def test_days_begin_at_local_midnight_across_a_clock_change() -> None:
    starts = day_starts("2026-03", ZoneInfo("Europe/Berlin"))
    assert len(starts) == 32  # each day's start, then April's
    assert starts[0] == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert starts[29] - starts[28] == timedelta(hours=23)  # 29 March: the clocks go forward
    assert starts[31] == datetime(2026, 3, 31, 22, tzinfo=UTC)


@pytest.mark.parametrize("month", ["2001-01", "2000-01"])  # 2000-01 compares with 1999-12
def test_a_month_with_nothing_before_it_has_null_changes(as_user, taken_in, month) -> None:
    v = volumes_of(as_user, month)
    assert v["previous_month"] == ("1999-12" if month == "2000-01" else "2000-12")
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
