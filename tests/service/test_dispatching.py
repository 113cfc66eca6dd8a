"""Automatic dispatch on intake, manual (re-)dispatch with history, list versions kept by appeals."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import compute_deadlines
from dispatch.routing import NoRoute, Router
from responsibility_lists.model import Limit
from service.appeals.models import Appeal, AppealAssignment
from service.lists.operations import activate_version, store_version
from tests.service.factories import assert_envelope
from tests.service.handling_steps import reply_body
from tests.service.helpers import a_village, appeal_payload, default_list, rule_for

GARBAGE = "生活垃圾清运"


def _unit(code: str) -> str:
    return next(u.name for u in default_list().units if u.code == code)


def _township_unit(township_name: str) -> str:
    area = next(a.code for a in default_list().areas if a.name == township_name)
    return next(u.code for u in default_list().units if u.area == area)


def test_territorial_appeal_goes_to_the_township_of_the_place(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    village = a_village("王母渡镇")
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(category=rule.category, area=village))
    assert r.status_code == 201, r.json
    appeal = r.json["appeal"]
    assert r.json["status"] == "dispatched"
    assert appeal["lead_unit"]["code"] == _township_unit("王母渡镇")
    lead = [a for a in appeal["assignments"] if a["role"] == "lead"]
    co = [a["unit"]["code"] for a in appeal["assignments"] if a["role"] == "co"]
    assert len(lead) == 1 and lead[0]["rule_id"] == rule.id
    assert lead[0]["list_version"] == default_list().version
    assert co == list(rule.co)
    assert "王母渡镇" in lead[0]["explanation"]["summary"]
    assert appeal["sign_due_at"] and appeal["reply_due_at"]


def test_deadlines_come_from_the_rule_limits(as_user, db_session):
    rule = (
        rule_for("社会保险") if any(c.name == "社会保险" for c in default_list().categories) else rule_for()
    )
    area = default_list().jurisdiction.code
    r = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(category=rule.category, area=area, urgency="紧急")
    )
    assert r.status_code == 201, r.json
    appeal = db_session.scalar(sa.select(Appeal).where(Appeal.number == r.json["number"]))
    expected = compute_deadlines(
        appeal.dispatched_at, rule.limits["紧急"], "紧急", WorkCalendar(default_list().calendar)
    )
    assert appeal.sign_due_at == expected.sign_due_at
    assert appeal.reply_due_at == expected.reply_due_at
    assert appeal.lead_unit_code == rule.lead


def test_appeal_without_category_or_area_waits_for_a_dispatcher(as_user):
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload())
    assert r.status_code == 201
    assert r.json["status"] == "pending_dispatch"
    assert "分类" in r.json["appeal"]["dispatch_note"]
    assert r.json["appeal"]["assignments"] == []


def test_no_rule_leaves_the_reason_in_the_queue(as_user):
    # A category whose rules are all territorial cannot be routed for "somewhere in the county".
    county = default_list().jurisdiction.code
    router = Router(default_list())
    category = next(
        c.code for c in default_list().categories if isinstance(router.route(c.code, county), NoRoute)
    )
    op = as_user("operator")
    r = op.post("/api/v1/appeals", json=appeal_payload(category=category, area=county))
    assert r.status_code == 201
    assert r.json["status"] == "pending_dispatch"
    assert r.json["appeal"]["dispatch_note"]
    events = as_user("dispatcher").get(f"/api/v1/appeals/{r.json['number']}/events").json
    assert [e["action"] for e in events] == ["registered", "auto_dispatch_failed"]
    assert events[1]["payload"]["reason"] == "territorial_needs_township"


def test_dispatcher_dispatches_a_waiting_appeal_by_the_list(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    disp = as_user("dispatcher")
    r = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "补充分类和区划", "category": rule.category, "area": a_village("沙地镇")},
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "dispatched"
    assert r.json["lead_unit"]["code"] == _township_unit("沙地镇")
    lead = next(a for a in r.json["assignments"] if a["role"] == "lead")
    assert lead["manual"] is True and lead["rule_id"] == rule.id
    events = disp.get(f"/api/v1/appeals/{number}/events").json
    assert events[-1]["action"] == "dispatched"
    assert events[-1]["payload"]["changes"]["category_code"] == [None, rule.category]


def test_co_units_the_dispatcher_names_are_added_once_by_the_list_or_by_hand(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    units = {u.name: u.code for u in default_list().units}
    rsj, cgj = units["区人社局"], units["区城管局"]
    disp = as_user("dispatcher")

    def active(r):
        assert r.status_code == 200, r.json
        return sorted((a["role"], a["unit"]["code"]) for a in r.json["assignments"] if a["active"])

    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    by_list = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={
            "reason": "补充分类和区划",
            "category": rule.category,
            "area": a_village("沙地镇"),
            "co_units": [rsj, *rule.co],  # a co-unit the list names already is assigned once
        },
    )
    listed = {("co", c) for c in rule.co} | {("lead", _township_unit("沙地镇"))}
    assert active(by_list) == sorted(listed | {("co", rsj)})
    assert len([a for a in by_list.json["assignments"] if a["active"]]) == len(listed) + 1
    by_hand = disp.post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "改派", "unit": rsj, "co_units": [cgj]}
    )
    assert active(by_hand) == [("co", cgj), ("lead", rsj)]
    page = disp.get(f"/api/v1/appeals/{number}").json
    lead = next(a for a in page["assignments"] if a["active"] and a["role"] == "lead")
    assert lead["explanation"]["summary"] == "分拨员手工派至区人社局"  # the unit's name, not its code


def _dispatched_to(as_user, unit: str) -> tuple[str, dict]:
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    disp = as_user("dispatcher")
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "派单", "unit": unit})
    assert r.status_code == 200, r.json
    return number, r.json


def _unchanged(as_user, number: str, before: dict) -> None:
    disp = as_user("dispatcher")
    after = disp.get(f"/api/v1/appeals/{number}").json
    assert (after["version"], after["assignments"]) == (before["version"], before["assignments"])


@pytest.mark.parametrize(
    ("co_units", "message"),
    [
        (["GXQ-RSJ"], "The lead unit cannot also be a co-unit."),
        (["GXQ-CGJ", "GXQ-RSJ"], "The lead unit cannot also be a co-unit."),
        (["GXQ-CGJ", "GXQ-CGJ"], "Co-unit 'GXQ-CGJ' is named twice."),
    ],
)
def test_a_co_unit_that_is_the_lead_or_named_twice_is_refused_under_co_units(as_user, co_units, message):
    number, before = _dispatched_to(as_user, "GXQ-CGJ")
    for unit in ("GXQ-RSJ",) if "GXQ-RSJ" in co_units else ("GXQ-RSJ", None):
        body = {"reason": "改派", "unit": unit, "co_units": co_units}
        r = as_user("dispatcher").post(f"/api/v1/appeals/{number}/dispatch", json=body)
        assert_envelope(r, 422, "validation_error")
        assert r.json["errors"] == {"co_units": [message]}
    _unchanged(as_user, number, before)


def test_the_lead_as_co_unit_is_said_in_chinese_too(as_user):
    number, _ = _dispatched_to(as_user, "GXQ-CGJ")
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "改派", "unit": "GXQ-RSJ", "co_units": ["GXQ-RSJ", "GXQ-SJJ", "GXQ-SJJ"]},
        headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert r.status_code == 422
    assert r.json["errors"] == {
        "co_units": ["主办单位不能同时作为协办单位。", "协办单位 GXQ-SJJ 选择了两次。"]
    }


def test_the_unit_the_list_makes_lead_named_as_a_co_unit_is_refused(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    lead = _township_unit("沙地镇")
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    disp = as_user("dispatcher")
    before = disp.get(f"/api/v1/appeals/{number}").json
    body = {
        "reason": "补充分类和区划",
        "category": rule.category,
        "area": a_village("沙地镇"),
        "co_units": [lead],
    }
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json=body)
    assert_envelope(r, 422, "validation_error")
    assert r.json["errors"] == {
        "co_units": [f"The list makes {_unit(lead)} ({lead}) the lead unit; it cannot also be a co-unit."]
    }
    zh = disp.post(f"/api/v1/appeals/{number}/dispatch", json=body, headers={"Accept-Language": "zh-CN"})
    assert zh.json["errors"] == {"co_units": [f"按职责清单，{_unit(lead)}为主办单位，不能同时作为协办单位。"]}
    after = disp.get(f"/api/v1/appeals/{number}").json
    assert after["status"] == "pending_dispatch" and after["assignments"] == []
    assert (after["category"], after["version"]) == (before["category"], before["version"])


def test_a_redispatch_to_the_lead_it_is_with_changing_nothing_is_a_conflict(as_user):
    number, before = _dispatched_to(as_user, "GXQ-CGJ")
    disp = as_user("dispatcher")
    for body in (
        {"reason": "再派", "unit": "GXQ-CGJ"},
        {"reason": "再派", "unit": "GXQ-CGJ", "co_units": [], "urgency": before["urgency"]},
    ):
        r = disp.post(f"/api/v1/appeals/{number}/dispatch", json=body)
        assert_envelope(r, 409, "conflict")
        assert r.json["current"]["status"] == "dispatched"
        assert "already with 区城管局 (GXQ-CGJ)" in r.json["message"]
    zh = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "再派", "unit": "GXQ-CGJ"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert zh.json["message"] == f"诉求 {number} 已由区城管局主办，协办单位也相同，无需改派。"
    _unchanged(as_user, number, before)
    assert [e["action"] for e in disp.get(f"/api/v1/appeals/{number}/events").json] == [
        "registered",
        "dispatched",
    ]


def test_a_redispatch_to_the_same_lead_changing_co_units_keeps_the_leads_part(as_user):
    number, before = _dispatched_to(as_user, "GXQ-CGJ")
    assert as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={}).status_code == 200
    disp = as_user("dispatcher")
    signed = disp.get(f"/api/v1/appeals/{number}").json
    r = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "加派协办", "unit": "GXQ-CGJ", "co_units": ["GXQ-RSJ"]},
    )
    assert r.status_code == 200, r.json
    lead_before = next(a for a in before["assignments"] if a["role"] == "lead")
    lead_after = [a for a in r.json["assignments"] if a["role"] == "lead"]
    assert lead_after == [lead_before]  # the same part, still active: no new lead dispatch
    assert r.json["status"] == signed["status"] == "handling"
    for clock in ("dispatched_at", "sign_due_at", "reply_due_at", "signed_at"):
        assert r.json[clock] == signed[clock], clock
    co = next(a for a in r.json["assignments"] if a["role"] == "co")
    assert co["unit"]["code"] == "GXQ-RSJ" and co["active"] and co["reply_due_at"] == signed["reply_due_at"]
    events = disp.get(f"/api/v1/appeals/{number}/events").json
    assert [e["action"] for e in events] == ["registered", "dispatched", "signed", "co_units_changed"]
    assert events[-1]["payload"]["added"] == ["GXQ-RSJ"] and events[-1]["payload"]["ended"] == []
    # Dropping it again ends its part; the same request a second time changes nothing.
    body = {"reason": "撤回协办", "unit": "GXQ-CGJ", "co_units": []}
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json=body)
    assert r.status_code == 200, r.json
    assert [a["unit"]["code"] for a in r.json["assignments"] if a["active"]] == ["GXQ-CGJ"]
    assert disp.post(f"/api/v1/appeals/{number}/dispatch", json=body).status_code == 409


def test_the_lead_unit_s_page_from_before_a_co_unit_change_still_signs_and_replies(as_user):
    """A co-unit added or dropped leaves the lead's part as it was: the lead unit acting on the page
    it opened before is not told the appeal changed meanwhile."""
    number, before = _dispatched_to(as_user, "GXQ-CGJ")
    cgj, disp = as_user("cgj"), as_user("dispatcher")
    seen = cgj.get(f"/api/v1/appeals/{number}").json["version"]
    body = {"reason": "加派协办", "unit": "GXQ-CGJ", "co_units": ["GXQ-RSJ"]}
    assert disp.post(f"/api/v1/appeals/{number}/dispatch", json=body).status_code == 200

    r = cgj.post(f"/api/v1/appeals/{number}/sign", json={"version": seen})
    assert r.status_code == 200, r.json
    seen = r.json["version"]
    body = {"reason": "撤回协办", "unit": "GXQ-CGJ", "co_units": []}
    assert disp.post(f"/api/v1/appeals/{number}/dispatch", json=body).status_code == 200
    r = cgj.post(f"/api/v1/appeals/{number}/reply", json={**reply_body(), "version": seen})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "reply_review"


def test_an_unknown_co_unit_is_named_under_co_units(as_user):
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "x", "unit": "GXQ-RSJ", "co_units": ["NOPE"]}
    )
    assert r.status_code == 422 and set(r.json["errors"]) == {"co_units"}
    assert "NOPE" in r.json["errors"]["co_units"][0]
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "x", "unit": "GONE", "co_units": ["NOPE"]}
    )
    assert r.status_code == 422 and set(r.json["errors"]) == {"unit", "co_units"}  # both said at once


def test_redispatch_keeps_history_and_moves_visibility(as_user, db_session):
    rule = rule_for(GARBAGE, territorial=True)
    meilin_village = a_village("梅林镇")
    payload = appeal_payload(category=rule.category, area=a_village("王母渡镇"))
    number = as_user("operator").post("/api/v1/appeals", json=payload).json["number"]
    disp = as_user("dispatcher")
    first = disp.get(f"/api/v1/appeals/{number}").json
    cgj = next(u.code for u in default_list().units if u.name == "区城管局")
    r = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "属城区主干道，归区城管局", "unit": cgj, "version": first["version"]},
    )
    assert r.status_code == 200, r.json
    assert r.json["lead_unit"]["code"] == cgj
    old = [a for a in r.json["assignments"] if not a["active"]]
    assert {a["unit"]["code"] for a in old} == {a["unit"]["code"] for a in first["assignments"]}
    assert all("属城区主干道" in a["ended_reason"] and a["ended_at"] for a in old)
    assert [a["unit"]["code"] for a in r.json["assignments"] if a["active"]] == [cgj]
    events = disp.get(f"/api/v1/appeals/{number}/events").json
    assert [e["action"] for e in events] == ["registered", "dispatched", "redispatched"]
    assert events[-1]["note"] == "属城区主干道，归区城管局"
    # The new unit sees it; the old unit's staff no longer do.
    assert as_user("cgj").get(f"/api/v1/appeals/{number}").status_code == 200
    assert meilin_village  # (梅林镇 staff never saw it)
    rows = db_session.scalars(
        sa.select(AppealAssignment).join(Appeal).where(Appeal.number == number).order_by(AppealAssignment.id)
    ).all()
    assert len(rows) == len(first["assignments"]) + 1


def test_redispatch_with_a_stale_version_is_a_conflict(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    payload = appeal_payload(category=rule.category, area=a_village("王母渡镇"))
    number = as_user("operator").post("/api/v1/appeals", json=payload).json["number"]
    disp = as_user("dispatcher")
    version = disp.get(f"/api/v1/appeals/{number}").json["version"]
    cgj = next(u.code for u in default_list().units if u.name == "区城管局")
    assert (
        disp.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "改派", "unit": cgj}).status_code
        == 200
    )
    r = disp.post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "再改", "unit": cgj, "version": version}
    )
    assert r.status_code == 409
    assert r.json["error"] == "conflict" and r.json["current"]["status"] == "dispatched"


def test_dispatch_input_errors(as_user, db_session):
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    disp = as_user("dispatcher")
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "x", "unit": "NO-SUCH"})
    assert r.status_code == 422 and "unit" in r.json["errors"]
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json={"unit": "GXQ-CGJ"})
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "按清单"})
    assert r.status_code == 422 and "unit" in r.json["errors"]  # no category/area: the list can't decide
    assert (
        as_user("operator").post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "x"}).status_code
        == 403
    )
    appeal = db_session.scalar(sa.select(Appeal).where(Appeal.number == number))
    appeal.status = "closed"
    db_session.commit()
    r = disp.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "x", "unit": "GXQ-CGJ"})
    assert r.status_code == 409
    assert disp.get(f"/api/v1/appeals/{number}/events").json[-1]["action"] == "registered"


def test_appeals_keep_the_list_version_that_routed_them(as_user, db_session):
    rule = rule_for(GARBAGE, territorial=True)
    payload = appeal_payload(category=rule.category, area=a_village("王母渡镇"))
    op = as_user("operator")
    before = op.post("/api/v1/appeals", json=payload).json
    # A new version in which that category goes to 区城管局 everywhere.
    lst = default_list()
    cgj = next(u.code for u in lst.units if u.name == "区城管局")
    changed = tuple(
        dataclasses.replace(r, scope="county", lead=cgj, co=()) if r.id == rule.id else r for r in lst.rules
    )
    new = dataclasses.replace(lst, version="2027.01", rules=changed)
    version, created = store_version(db_session, new, loaded_by="test")
    assert created
    db_session.commit()
    assert (
        as_user("admin")
        .get(
            "/api/v1/routing/preview", query_string={"category": rule.category, "area": a_village("王母渡镇")}
        )
        .json["list_version"]
        == lst.version
    )
    activate_version(db_session, version, by="test")
    db_session.commit()
    after = op.post("/api/v1/appeals", json=payload).json
    assert after["appeal"]["lead_unit"]["code"] == cgj
    assert after["appeal"]["assignments"][0]["list_version"] == "2027.01"
    again = as_user("dispatcher").get(f"/api/v1/appeals/{before['number']}").json
    assert again["assignments"][0]["list_version"] == lst.version
    assert again["lead_unit"]["code"] == before["appeal"]["lead_unit"]["code"] != cgj
    listed = as_user("leader").get("/api/v1/responsibility-lists").json
    assert {(v["label"], v["active"]) for v in listed} == {(lst.version, False), ("2027.01", True)}


def test_routing_preview_explains(as_user):
    rule = rule_for(GARBAGE, territorial=True)
    r = as_user("operator").get(
        "/api/v1/routing/preview", query_string={"category": rule.category, "area": a_village("沙地镇")}
    )
    assert r.status_code == 200, r.json
    assert r.json["routed"] is True and r.json["rule_id"] == rule.id
    assert r.json["lead"]["name"].startswith("沙地镇")
    assert r.json["explanation"]["rule"] == rule.id
    assert r.json["sign_due_at"] < r.json["reply_due_at"]
    county = default_list().jurisdiction.code
    router = Router(default_list())
    unroutable = next(
        c.code for c in default_list().categories if isinstance(router.route(c.code, county), NoRoute)
    )
    r = as_user("operator").get(
        "/api/v1/routing/preview", query_string={"category": unroutable, "area": county}
    )
    assert r.json["routed"] is False and r.json["reason"] == "territorial_needs_township"
    r = as_user("operator").get("/api/v1/routing/preview", query_string={"category": rule.category})
    assert r.status_code == 422 and "area" in r.json["errors"]
    assert (
        as_user("operator")
        .get("/api/v1/routing/preview", query_string={"category": "nope", "area": "360704"})
        .json["reason"]
        == "unknown_category"
    )


def test_list_version_detail(as_user):
    label = default_list().version
    r = as_user("dispatcher").get(f"/api/v1/responsibility-lists/{label}")
    assert r.status_code == 200
    assert r.json["rule_count"] == len(default_list().rules) and r.json["active"] is True
    assert len(r.json["content"]["rules"]) == len(default_list().rules)
    assert as_user("dispatcher").get("/api/v1/responsibility-lists/none").status_code == 404


def test_redispatch_settles_the_old_units_requests_and_sign_time(as_user, db_session):
    from service.handling.models import ReturnRequest

    lst = default_list()
    rule = next(r for r in lst.rules if r.lead == "GXQ-CGJ" and r.scope == "county")
    payload = appeal_payload(category=rule.category, area=lst.jurisdiction.code)
    number = as_user("operator").post("/api/v1/appeals", json=payload).json["number"]
    cgj = as_user("cgj")
    assert cgj.post(f"/api/v1/appeals/{number}/sign", json={}).status_code == 200
    r = cgj.post(f"/api/v1/appeals/{number}/return", json={"reason": "不属本单位职责", "basis": "三定方案"})
    assert r.status_code == 200, r.json
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "直接改派", "unit": "GXQ-RSJ"}
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "dispatched" and r.json["lead_unit"]["code"] == "GXQ-RSJ"
    appeal = db_session.scalar(sa.select(Appeal).where(Appeal.number == number))
    assert appeal.signed_at is None  # the new unit has not signed
    request = db_session.scalar(sa.select(ReturnRequest).where(ReturnRequest.appeal_id == appeal.id))
    assert request.decision == "superseded" and "直接改派" in request.decision_note


def test_a_unit_chosen_where_no_rule_applies_gets_the_lists_default_limits(as_user, db_session):
    limits = {**default_list().default_limits, "一般": Limit(12, reply_working_days=7)}
    lst = dataclasses.replace(default_list(), version="2027.03", default_limits=limits)
    version, _created = store_version(db_session, lst, loaded_by="test")
    activate_version(db_session, version, by="test")
    db_session.commit()
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]  # no category

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "来电人所述属人社", "unit": "GXQ-RSJ"}
    )

    assert r.status_code == 200, r.json
    lead = next(a for a in r.json["assignments"] if a["active"] and a["role"] == "lead")
    assigned = datetime.fromisoformat(lead["assigned_at"])
    expected = compute_deadlines(assigned, limits["一般"], "一般", WorkCalendar(lst.calendar))
    assert datetime.fromisoformat(r.json["reply_due_at"]) == expected.reply_due_at
    assert datetime.fromisoformat(r.json["sign_due_at"]) == expected.sign_due_at


def test_without_default_limits_a_unit_chosen_where_no_rule_applies_is_refused(as_user, db_session):
    lst = dataclasses.replace(default_list(), version="2027.02", default_limits={})
    version, _created = store_version(db_session, lst, loaded_by="test")
    activate_version(db_session, version, by="test")
    db_session.commit()
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "x", "unit": "GXQ-RSJ"}
    )

    assert r.status_code == 422 and set(r.json["errors"]) == {"unit"}
    assert "default_limits" in r.json["errors"]["unit"][0]
    assert as_user("dispatcher").get(f"/api/v1/appeals/{number}").json["status"] == "pending_dispatch"


def test_the_operations_refuse_the_lead_as_co_unit_for_any_caller(app, as_user):
    """The schemas say it at the edge; the domain operations say it again to a caller without them."""
    from service.appeals.dispatching import dispatch_by_hand
    from service.auth.models import User
    from service.errors import ValidationFailed
    from service.handling.centre_review import review_return
    from tests.service.factories import stored

    number, _ = _dispatched_to(as_user, "GXQ-CGJ")
    assert (
        as_user("cgj")
        .post(f"/api/v1/appeals/{number}/return", json={"reason": "不属本单位", "basis": "职责清单 0301"})
        .status_code
        == 200
    )
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        user = s.scalar(sa.select(User).where(User.username == "dispatcher"))
        tz = app.config["TZ"]
        with pytest.raises(ValidationFailed) as refused:
            dispatch_by_hand(s, appeal, actor=user, reason="x", tz=tz, unit="GXQ-RSJ", co_units=["GXQ-RSJ"])
        assert refused.value.errors == {"co_units": ["The lead unit cannot also be a co-unit."]}
        s.rollback()
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        with pytest.raises(ValidationFailed) as refused:
            review_return(
                s,
                appeal,
                user,
                decision="approve",
                note="",
                tz=tz,
                unit="GXQ-RSJ",
                co_units=["GXQ-SJJ", "GXQ-SJJ"],
            )
        assert refused.value.errors == {"co_units": ["Co-unit 'GXQ-SJJ' is named twice."]}
        s.rollback()
