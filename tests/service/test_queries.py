"""Searching appeals: filters, ordering, pagination, bad filter values, and a bounded number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.service.factories import (
    assert_envelope,
    register,
    rule_with_co,
    township,
    unit_code,
    villages,
)
from tests.service.handling_steps import LEAD, act, new_appeal, ok
from tests.service.helpers import default_list


def category_named(name: str) -> str:
    return next(c.code for c in default_list().categories if c.name == name)


def rule_of(category: str):
    return next(r for r in default_list().rules if r.category == category)


@pytest.fixture
def appeals(as_user) -> dict[str, str]:
    """Five appeals that differ in every filtered field; name → number."""
    op = as_user("operator")
    made = {
        "wage": dict(
            channel="hotline",
            channel_meta={"call_id": "C1"},
            appeal_type="投诉",
            category=category_named("拖欠工资"),
            area=villages("王母渡镇")[0],
            urgency="紧急",
            received_at="2024-10-05T09:00:00+08:00",
            title="工地拖欠工资三个月",
            content="在工地干了三个月没拿到工资。",
            address="王母渡镇建设工地",
        ),
        "contract": dict(
            channel="wechat",
            channel_meta={"openid": "o1"},
            appeal_type="咨询",
            category=category_named("劳动合同纠纷"),
            area=villages("梅林镇")[1],
            received_at="2024-10-10T09:00:00+08:00",
            title="劳动合同到期不续签",
            content="公司合同到期不续签，有没有补偿？",
            address="梅林镇工业园",
        ),
        "lamp": dict(
            channel="app",
            channel_meta={"platform": "赣服通"},
            appeal_type="求助",
            category=category_named("路灯照明"),
            area=township("梅林镇"),
            received_at="2024-10-15T09:00:00+08:00",
            title="路灯 100% 坏了",
            content="光明路的LED路灯全部不亮。",
            address="梅林镇光明路",
        ),
        "pending": dict(
            channel="email",
            channel_meta={"subject": "公交"},
            appeal_type="建议",
            received_at="2024-10-20T09:00:00+08:00",
            title="建议增加公交班次",
            content="每月交通费要1000元，建议增加班次。",
            address="",
        ),
        "noise": dict(
            channel="hotline",
            channel_meta={"call_id": "C2"},
            appeal_type="投诉",
            category=category_named("社会生活噪声"),
            area=villages("沙地镇")[0],
            urgency="特急",
            received_at="2024-10-25T23:30:00+08:00",
            title="广场舞噪音扰民",
            content="每晚十点后还在放音乐。",
            address="沙地镇文化广场",
        ),
    }
    return {name: register(op, **fields)["number"] for name, fields in made.items()}


def search(api, **params) -> dict:
    r = api.get("/api/v1/appeals", query_string={"per_page": 100, **params})
    assert r.status_code == 200, r.json
    return r.json


FILTERS = [
    ({"status": "dispatched"}, {"wage", "contract", "lamp", "noise"}),
    ({"status": "pending_dispatch"}, {"pending"}),
    ({"channel": "hotline"}, {"wage", "noise"}),
    ({"type": "投诉"}, {"wage", "noise"}),
    ({"type": "表扬"}, set()),
    ({"urgency": "紧急"}, {"wage"}),
    ({"urgency": "特急"}, {"noise"}),
    ({"category": "06"}, {"wage", "contract"}),  # a top-level category takes in its descendants
    ({"category": "0601"}, {"wage", "contract"}),
    ({"category": "060101"}, {"wage"}),
    ({"area": "360704100"}, {"contract", "lamp"}),  # 梅林镇 itself and a village inside it
    ({"area": "360704"}, {"wage", "contract", "lamp", "noise"}),
    ({"received_from": "2024-10-10T09:00:00+08:00"}, {"contract", "lamp", "pending", "noise"}),
    (
        {"received_from": "2024-10-09T00:00:00+08:00", "received_to": "2024-10-16T00:00:00+08:00"},
        {"contract", "lamp"},
    ),
    ({"received_from": "2024-10-25T15:30:00Z"}, {"noise"}),  # the same instant written in UTC
    # A plain date is the whole day in the service's time zone, at either end.
    ({"received_from": "2024-10-10"}, {"contract", "lamp", "pending", "noise"}),
    ({"received_to": "2024-10-10"}, {"wage", "contract"}),
    ({"received_from": "2024-10-10", "received_to": "2024-10-15"}, {"contract", "lamp"}),
    ({"received_from": "2024-10-25", "received_to": "2024-10-25"}, {"noise"}),  # at 23:30 that day
    ({"received_from": "2024-10-10", "received_to": "2024-10-15T09:00:00+08:00"}, {"contract"}),
    ({"q": "工资"}, {"wage"}),  # title
    ({"q": "补偿"}, {"contract"}),  # content
    ({"q": "文化广场"}, {"noise"}),  # address
    ({"q": "led"}, {"lamp"}),  # case-insensitive
    ({"channel": "hotline", "urgency": "特急"}, {"noise"}),
    ({"area": "360704100", "type": "咨询"}, {"contract"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS, ids=[str(p) for p, _ in FILTERS])
def test_filters(as_user, appeals, params, expected):
    page = search(as_user("dispatcher"), **params)

    assert {a["number"] for a in page["items"]} == {appeals[name] for name in expected}
    assert page["total"] == len(expected)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("区人社局", {"wage", "contract"}), ("区城管局", {"lamp", "noise"}), ("区住建局", {"wage"})],
)
def test_the_unit_filter_takes_lead_and_co_units(as_user, appeals, unit, expected):
    rule = rule_of(category_named("拖欠工资"))
    assert unit_code("区住建局") in rule.co  # the list makes 区住建局 co-handle unpaid wages

    page = search(as_user("leader"), unit=unit_code(unit))

    assert {a["number"] for a in page["items"]} == {appeals[n] for n in expected}


def test_search_by_number(as_user, appeals):
    page = search(as_user("operator"), q=appeals["lamp"])

    assert [a["number"] for a in page["items"]] == [appeals["lamp"]]


def test_an_appeal_number_in_a_url_is_found_whatever_its_case(as_user):
    """A number typed or copied into a URL in lower case finds the appeal, as the search box does;
    another unit's appeal stays not found, and a refused change names the appeal as stored."""
    number = new_appeal(as_user)  # dispatched to the lead unit
    typed = number.lower()
    op = as_user("operator")

    assert op.get(f"/api/v1/appeals/{typed}").json["number"] == number
    assert op.get(f"/api/v1/appeals/{typed}/events").json[0]["action"] == "registered"
    assert ok(as_user(LEAD), typed, "sign")["status"] == "handling"
    again = act(as_user(LEAD), typed, "sign")
    assert assert_envelope(again, 409, "conflict")["current"]["status"] == "handling"
    assert number in again.json["message"]
    assert_envelope(as_user("rsj").get(f"/api/v1/appeals/{typed}"), 404, "not_found")
    assert_envelope(op.get(f"/api/v1/appeals/{typed[:-1]}9/events"), 404, "not_found")


def test_search_text_is_taken_literally(as_user, appeals):
    page = search(as_user("operator"), q="100%")

    assert [a["number"] for a in page["items"]] == [appeals["lamp"]]


def test_unit_staff_search_within_their_unit(as_user, appeals):
    page = search(as_user("rsj"), type="咨询")

    assert [a["number"] for a in page["items"]] == [appeals["contract"]]
    assert search(as_user("rsj"))["total"] == 2


def test_newest_first_by_default(as_user, appeals):
    numbers = [a["number"] for a in search(as_user("operator"))["items"]]

    assert numbers == [appeals[n] for n in ("noise", "pending", "lamp", "contract", "wage")]


def test_order_by_received_at_ascending(as_user, appeals):
    numbers = [a["number"] for a in search(as_user("operator"), order="received_at")["items"]]

    assert numbers == [appeals[n] for n in ("wage", "contract", "lamp", "pending", "noise")]


@pytest.mark.parametrize("order", ["reply_due_at", "-reply_due_at"])
def test_order_by_reply_deadline_puts_appeals_without_one_last(as_user, appeals, order):
    items = search(as_user("operator"), order=order)["items"]

    due = [datetime.fromisoformat(a["reply_due_at"]) for a in items[:-1]]
    assert due == sorted(due, reverse=order.startswith("-"))
    assert len(set(due)) > 1
    assert items[-1]["number"] == appeals["pending"] and items[-1]["reply_due_at"] is None


def test_order_by_number(as_user, appeals):
    numbers = [a["number"] for a in search(as_user("operator"), order="-number")["items"]]

    assert numbers == sorted(appeals.values(), reverse=True)


def test_pages_cover_everything_once_and_report_the_total(as_user, appeals):
    op = as_user("operator")
    pages = [search(op, per_page=2, page=p) for p in (1, 2, 3, 4)]

    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {5}
    assert [(p["page"], p["per_page"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    seen = [a["number"] for p in pages for a in p["items"]]
    assert sorted(seen) == sorted(appeals.values())


def test_twenty_per_page_by_default(as_user):
    assert search(as_user("operator"), per_page=None)["per_page"] == 20


def test_a_date_is_the_day_in_the_services_time_zone_not_in_utc(as_user):
    """00:30 in Shanghai on 2 November is still 1 November in UTC."""
    op = as_user("operator")
    number = register(op, received_at="2024-11-02T00:30:00+08:00")["number"]

    def found(**bounds: str) -> bool:
        return number in {a["number"] for a in search(op, **bounds)["items"]}

    assert found(received_from="2024-11-02", received_to="2024-11-02")
    assert not found(received_to="2024-11-01")
    assert not found(received_from="2024-11-03")


BAD_FILTERS = [
    ("status", "lost"),
    ("channel", "fax"),
    ("type", "吐槽"),
    ("urgency", "急"),
    ("category", "a b"),
    ("area", "3607"),
    ("unit", "X" * 33),
    ("received_from", "yesterday"),
    ("received_to", "2024-10-01T00:00:00"),  # no time zone: which day would that be?
    ("received_from", "2024-02-30"),
    ("received_to", "2024-10-1"),
    ("received_to", "9999-12-31"),  # no day after it
    ("received_from", "0001-01-01"),  # before it in UTC, no day
    ("received_from", "0001-01-01T00:00:00+14:00"),
    ("q", "字" * 101),
    ("order", "title"),
    ("page", "0"),
    ("page", "one"),
    ("per_page", "0"),
    ("per_page", "101"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FILTERS, ids=[f"{f}={v[:12]}" for f, v in BAD_FILTERS])
def test_bad_filter_values_are_refused(as_user, field, value):
    r = as_user("operator").get("/api/v1/appeals", query_string={field: value})

    assert field in assert_envelope(r, 422, "validation_error")["errors"]


def test_a_misspelt_filter_is_refused_not_ignored(as_user, appeals):
    """`?staus=closed` listed every appeal, as if the filter had matched: each unknown parameter is
    named, the known ones too when wrong, and nothing is listed."""
    r = as_user("operator").get(
        "/api/v1/appeals", query_string={"staus": "closed", "urgncy": "紧急", "page": "0"}
    )

    errors = assert_envelope(r, 422, "validation_error")["errors"]
    assert errors == {"staus": ["Unknown field."], "urgncy": ["Unknown field."], "page": errors["page"]}
    export = as_user("operator").get("/api/v1/appeals/export", query_string={"staus": "closed"})
    assert assert_envelope(export, 422, "validation_error")["errors"] == {"staus": ["Unknown field."]}


# ---- a page costs a fixed number of queries ------------------------------------------------------


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["minyi.engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_queries_for_a_page_do_not_grow_with_its_size(app, as_user):
    op = as_user("operator")
    rule = rule_with_co(unit_code("区城管局"))
    for n in range(21):
        register(op, category=rule.category, area=villages("梅林镇")[n % 3], title=f"第{n}件")
    op.get("/api/v1/appeals", query_string={"per_page": 1})  # warm caches (the compiled list)

    with counting_queries(app) as small:
        one = op.get("/api/v1/appeals", query_string={"per_page": 1})
    with counting_queries(app) as large:
        twenty = op.get("/api/v1/appeals", query_string={"per_page": 20})

    assert (len(one.json["items"]), len(twenty.json["items"])) == (1, 20)
    assert all(len(a["assignments"]) == 1 + len(rule.co) and a["contact"] for a in twenty.json["items"])
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= 10, "\n".join(large)
