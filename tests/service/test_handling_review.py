"""What the centre decides: returns (reject keeps the clock; approve re-dispatches or requeues),
extensions (working days across holidays and 调休; the citizen is told), replies (released to
the citizen, or sent back)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import extend, local_midnight
from responsibility_lists.model import Calendar
from service.handling.models import ExtensionRequest, Reply, ReturnRequest
from service.lists.operations import activate_version, store_version
from service.notices.models import OutboxMessage
from tests.service.factories import SHANGHAI, stored
from tests.service.handling_steps import (
    CITIZEN_TEXT,
    CO,
    INTERNAL_NOTE,
    LEAD,
    act,
    actions,
    citizen,
    events,
    new_appeal,
    ok,
    replied_appeal,
    reply_body,
    signed_appeal,
    staff_names,
    stored_appeal,
)
from tests.service.helpers import default_list

RETURN = {"reason": "该处属社保缴费争议，不属市容环卫", "basis": "职责清单 社会保险类"}


def _notices(s, number: str) -> list[OutboxMessage]:
    """The notices queued about the appeal since it was registered (not the citizen's receipt)."""
    appeal = stored_appeal(s, number)
    return list(
        s.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.appeal_id == appeal.id, OutboxMessage.template != "appeal_registered"
            )
        )
    )


# ---- return-review (退单审核) ---------------------------------------------------------------------


def test_a_rejected_return_goes_back_to_the_same_unit_with_the_clock_running(as_user, app):
    number = signed_appeal(as_user)
    before = as_user("dispatcher").get(f"/api/v1/appeals/{number}").json
    ok(as_user(LEAD), number, "return", **RETURN)
    body = ok(
        as_user("dispatcher"), number, "return-review", decision="reject", note="属市容环卫，请按清单办理"
    )
    assert body["status"] == "handling" and body["lead_unit"]["code"] == "GXQ-CGJ"
    # Deadlines not reset: the clock keeps running from the original dispatch.
    for key in ("sign_due_at", "reply_due_at", "dispatched_at"):
        assert body[key] == before[key], key
    assert body["assignments"] == before["assignments"]
    rejected = events(as_user, number)[-1]
    assert rejected["action"] == "return_rejected" and rejected["note"] == "属市容环卫，请按清单办理"
    assert (rejected["from_status"], rejected["to_status"]) == ("return_requested", "handling")
    # The unit may return it again: allowed, and counted for arbitration.
    ok(as_user(LEAD), number, "return", **RETURN)
    again = events(as_user, number)[-1]
    assert again["payload"]["count"] == 2 and again["payload"]["repeated"] is True
    with stored(app) as s:
        decisions = s.scalars(
            sa.select(ReturnRequest.decision)
            .where(ReturnRequest.appeal_id == stored_appeal(s, number).id)
            .order_by(ReturnRequest.id)
        ).all()
        assert decisions == ["rejected", "pending"]


def test_a_return_rejected_before_signing_goes_back_to_dispatched(as_user):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    body = ok(as_user("admin"), number, "return-review", decision="reject", note="请签收办理")
    assert body["status"] == "dispatched"
    assert ok(as_user(LEAD), number, "sign")["status"] == "handling"


def test_an_approved_return_redispatches_to_another_unit_at_once(as_user, app):
    number = signed_appeal(as_user)
    before = as_user("dispatcher").get(f"/api/v1/appeals/{number}").json
    ok(as_user(LEAD), number, "return", **RETURN)
    body = ok(
        as_user("dispatcher"),
        number,
        "return-review",
        decision="approve",
        unit="GXQ-RSJ",
        note="属社保问题，改派区人社局",
        version=before["version"] + 1,
    )
    assert body["status"] == "dispatched" and body["lead_unit"]["code"] == "GXQ-RSJ"
    active = [a for a in body["assignments"] if a["active"]]
    assert [(a["unit"]["code"], a["role"]) for a in active] == [("GXQ-RSJ", "lead")]
    ended = [a for a in body["assignments"] if not a["active"]]
    assert {a["unit"]["code"] for a in ended} == {"GXQ-CGJ", "GXZ-MLZ"}
    assert all("属社保问题" in a["ended_reason"] for a in ended)
    assert active[0]["assigned_at"] > before["dispatched_at"]  # a new clock for the new unit
    assert body["dispatched_at"] > before["dispatched_at"]
    log = events(as_user, number)
    assert [e["action"] for e in log][-3:] == ["return_requested", "return_approved", "redispatched"]
    assert (log[-1]["from_status"], log[-1]["to_status"]) == ("return_requested", "dispatched")
    assert log[-2]["payload"]["redispatch_to"] == "GXQ-RSJ"
    # The new unit sees it and must sign for it; the old ones no longer see it.
    assert as_user("rsj").get(f"/api/v1/appeals/{number}").status_code == 200
    assert as_user(LEAD).get(f"/api/v1/appeals/{number}").status_code == 404
    assert act(as_user(LEAD), number, "sign").status_code == 404
    assert act(as_user(CO), number, "contribute", text="x").status_code == 404
    with stored(app) as s:
        assert stored_appeal(s, number).signed_at is None
    assert ok(as_user("rsj"), number, "sign")["status"] == "handling"


def test_an_approved_return_without_a_unit_goes_back_to_the_dispatch_queue(as_user, app):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    body = ok(as_user("dispatcher"), number, "return-review", decision="approve")
    assert body["status"] == "pending_dispatch"
    assert body["lead_unit"] is None and body["reply_due_at"] is None and body["sign_due_at"] is None
    assert not any(a["active"] for a in body["assignments"])
    assert all(a["ended_reason"].startswith("退单：") for a in body["assignments"])
    assert RETURN["reason"] in body["dispatch_note"]
    approved = events(as_user, number)[-1]
    assert (approved["action"], approved["to_status"]) == ("return_approved", "pending_dispatch")
    assert as_user(LEAD).get(f"/api/v1/appeals/{number}").status_code == 404
    # From the queue a dispatcher sends it on.
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"reason": "社保问题", "unit": "GXQ-RSJ"}
    )
    assert r.status_code == 200 and r.json["status"] == "dispatched"
    with stored(app) as s:
        request = s.scalar(
            sa.select(ReturnRequest).where(ReturnRequest.appeal_id == stored_appeal(s, number).id)
        )
        assert request.decision == "approved" and request.decided_at is not None


def test_return_review_refusals(as_user):
    number = new_appeal(as_user)
    r = act(as_user("dispatcher"), number, "return-review", decision="reject", note="x")
    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"  # nothing to review
    seen = ok(as_user(LEAD), number, "return", **RETURN)["version"]
    # A unit is refused the centre's review whether the appeal is its own or not (rsj).
    for username in ("reviewer", "operator", "leader", LEAD, CO, "rsj"):
        r = act(as_user(username), number, "return-review", decision="reject", note="x")
        assert r.status_code == 403, username
    disp = as_user("dispatcher")
    r = act(disp, number, "return-review", decision="reject")
    assert r.status_code == 422 and "note" in r.json["errors"]
    r = act(disp, number, "return-review", decision="maybe", note="x")
    assert r.status_code == 422 and "decision" in r.json["errors"]
    r = act(disp, number, "return-review", decision="approve", unit="GXQ-CGJ")
    assert r.status_code == 422 and "unit" in r.json["errors"]  # the unit that returned it
    r = act(disp, number, "return-review", decision="approve", unit="NO-SUCH")
    assert r.status_code == 422 and "unit" in r.json["errors"]
    r = act(disp, number, "return-review", decision="approve", co_units=["GXQ-RSJ"])
    assert r.status_code == 422 and "co_units" in r.json["errors"]
    for co_units, message in (
        (["GXQ-RSJ"], "The lead unit cannot also be a co-unit."),
        (["GXQ-SJJ", "GXQ-SJJ"], "Co-unit 'GXQ-SJJ' is named twice."),
        (["NOPE"], "Unknown unit 'NOPE'."),  # under the field that named it, as in a dispatch
    ):
        r = act(disp, number, "return-review", decision="approve", unit="GXQ-RSJ", co_units=co_units)
        assert r.status_code == 422 and r.json["errors"] == {"co_units": [message]}
    r = act(disp, number, "return-review", decision="reject", note="x", version=seen - 1)
    assert r.status_code == 409 and r.json["current"] == {
        "status": "return_requested",
        "status_label": "退单审核中",
        "version": seen,
    }
    assert actions(as_user, number)[-1] == "return_requested"


# ---- extension-review (延期审核) ------------------------------------------------------------------


def _plain_fortnight(today: date) -> date:
    """A Friday at least two weeks ahead whose next fortnight has no national holiday or 调休."""
    national = WorkCalendar()
    day = today + timedelta(days=14)
    while True:
        if day.weekday() == 4 and all(
            national.is_workday(d) == (d.weekday() < 5) for d in (day + timedelta(n) for n in range(16))
        ):
            return day
        day += timedelta(days=1)


def test_an_approved_extension_counts_working_days_across_a_holiday_and_tells_the_citizen(
    as_user, app, client
):
    friday = _plain_fortnight(datetime.now(SHANGHAI).date())
    holidays = frozenset(friday + timedelta(days=n) for n in (3, 4, 5))  # Monday to Wednesday off
    worked_sunday = friday + timedelta(days=9)  # 调休: the Sunday after is a working day
    lst = dataclasses.replace(
        default_list(),
        version="2026.11-调休",
        calendar=Calendar(holidays=holidays, workdays=frozenset({worked_sunday})),
    )
    with stored(app) as s:
        version, _ = store_version(s, lst, loaded_by="test")
        activate_version(s, version, by="test")
        s.commit()
    number = signed_appeal(as_user)
    old_due = local_midnight(friday + timedelta(days=1), SHANGHAI)  # the end of that Friday
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.list_version_id == version.id
        appeal.reply_due_at = old_due
        for a in appeal.assignments:
            a.reply_due_at = old_due
        s.commit()
    ok(as_user(LEAD), number, "extension", days=5, reason="需等待节后现场勘查")
    body = ok(as_user("reviewer"), number, "extension-review", decision="approve", note="同意")

    calendar = WorkCalendar(lst.calendar)
    expected = extend(old_due, 5, calendar, SHANGHAI)
    last_day = (expected.astimezone(SHANGHAI) - timedelta(seconds=1)).date()
    # Thu, Fri, the worked Sunday, Mon, Tue: never a holiday, and later than counting weekdays.
    assert last_day == friday + timedelta(days=11)
    assert calendar.is_workday(last_day) and last_day not in holidays
    assert expected > old_due and last_day > friday + timedelta(days=7)
    assert datetime.fromisoformat(body["reply_due_at"]) == expected
    lead = next(a for a in body["assignments"] if a["role"] == "lead")
    co = next(a for a in body["assignments"] if a["role"] == "co")
    assert datetime.fromisoformat(lead["reply_due_at"]) == expected
    assert datetime.fromisoformat(co["reply_due_at"]) == old_due

    label = f"办理时限延长至{last_day.year}年{last_day.month}月{last_day.day}日"
    approved = events(as_user, number)[-1]
    assert approved["action"] == "extension_approved" and approved["public_message"] == label
    assert approved["payload"]["new_due_at"] == expected.isoformat()
    timeline = citizen(client, app, number)["timeline"]
    assert (timeline[-1]["label"], timeline[-1]["message"]) == (
        "办理时限已延长",
        label,  # no language asked for: as stored
    )
    with stored(app) as s:
        [notice] = _notices(s, number)
        assert (notice.recipient, notice.template) == ("citizen", "extension_approved")
        assert notice.data == {"new_due": expected.isoformat()}
        request = s.scalar(
            sa.select(ExtensionRequest).where(ExtensionRequest.appeal_id == stored_appeal(s, number).id)
        )
        assert request.decision == "approved" and request.new_due_at == expected
    # Decided: nothing waits any more.
    r = act(as_user("reviewer"), number, "extension-review", decision="approve")
    assert r.status_code == 409 and "No extension request" in r.json["message"]


def test_a_refused_extension_changes_nothing(as_user, app, client):
    number = signed_appeal(as_user)
    before = as_user("dispatcher").get(f"/api/v1/appeals/{number}").json
    ok(as_user(LEAD), number, "extension", days=10, reason="人手不足")
    r = act(as_user("dispatcher"), number, "extension-review", decision="refuse")
    assert r.status_code == 422 and "note" in r.json["errors"]
    body = ok(as_user("dispatcher"), number, "extension-review", decision="refuse", note="理由不充分")
    assert body["reply_due_at"] == before["reply_due_at"] and body["status"] == "handling"
    refused = events(as_user, number)[-1]
    assert refused["action"] == "extension_refused" and refused["note"] == "理由不充分"
    assert "extension_refused" not in [t["action"] for t in citizen(client, app, number)["timeline"]]
    with stored(app) as s:
        assert _notices(s, number) == []
    # Refused, the unit may ask again (still before the deadline).
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")


def test_extension_review_refusals(as_user):
    number = signed_appeal(as_user)
    r = act(as_user("dispatcher"), number, "extension-review", decision="approve")
    assert r.status_code == 409 and r.json["current"]["status"] == "handling"  # nothing asked
    seen = ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")["version"]
    for username in ("operator", "leader", LEAD, CO, "rsj"):  # rsj: not its appeal, still 403
        assert act(as_user(username), number, "extension-review", decision="approve").status_code == 403
    r = act(as_user("dispatcher"), number, "extension-review", decision="approve", version=seen - 1)
    assert r.status_code == 409 and r.json["current"]["status"] == "handling"


# ---- review (答复审核) -------------------------------------------------------------------------


def test_an_approved_reply_is_released_to_the_citizen(as_user, app, client):
    number = replied_appeal(as_user)
    body = ok(as_user("reviewer"), number, "review", decision="approve", note="答复规范")
    assert body["status"] == "replied"
    released = events(as_user, number)[-1]
    assert released["action"] == "reply_released" and released["public_message"] == CITIZEN_TEXT
    view = citizen(client, app, number)
    assert view["status"] == "replied"
    assert view["reply"]["result"] == "已解决" and view["reply"]["text"] == CITIZEN_TEXT
    assert view["reply"]["released_at"]
    assert (view["timeline"][-1]["label"], view["timeline"][-1]["message"]) == ("已答复", CITIZEN_TEXT)
    shown = json.dumps(view, ensure_ascii=False)
    assert INTERNAL_NOTE not in shown and "答复规范" not in shown
    with stored(app) as s:
        assert not [name for name in staff_names(s) if name in shown]
        appeal = stored_appeal(s, number)
        assert appeal.replied_at is not None
        assert appeal.rating_due_at == appeal.replied_at + timedelta(days=3)
        reply = s.scalar(sa.select(Reply).where(Reply.appeal_id == appeal.id))
        assert reply.review == "approved" and reply.reviewed_at == appeal.replied_at
        [notice] = _notices(s, number)
        assert (notice.recipient, notice.template, notice.data) == (
            "citizen",
            "reply_released",
            {"reply_id": reply.id},
        )


def test_a_released_reply_reaches_the_citizens_of_merged_appeals_too(as_user, app, client):
    master = replied_appeal(as_user)
    merged = new_appeal(as_user, contact={"name": "李四", "phone": "13900005678"})
    with stored(app) as s:  # 并案, arranged as the merge leaves it
        appeal = stored_appeal(s, merged)
        appeal.status, appeal.master_id = "merged", stored_appeal(s, master).id
        for a in appeal.assignments:
            a.active = False
        s.commit()
    ok(as_user("reviewer"), master, "review", decision="approve")
    with stored(app) as s:
        [notice] = _notices(s, merged)
        assert (notice.recipient, notice.template) == ("citizen", "reply_released")
        assert "李四" not in json.dumps(notice.data, ensure_ascii=False)
    assert citizen(client, app, merged)["reply"]["text"] == CITIZEN_TEXT


def test_the_rating_window_is_configurable(as_user, app):
    app.config["RATING_WINDOW_DAYS"] = 7
    number = replied_appeal(as_user)
    ok(as_user("admin"), number, "review", decision="approve")
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.rating_due_at - appeal.replied_at == timedelta(days=7)


def test_a_reply_sent_back_is_handled_and_replied_again(as_user, app, client):
    number = replied_appeal(as_user)
    rev = as_user("reviewer")
    r = act(rev, number, "review", decision="send_back")
    assert r.status_code == 422 and "reasons" in r.json["errors"]
    body = ok(rev, number, "review", decision="send_back", reasons=["未说明清运频次", "未联系诉求人核实"])
    assert body["status"] == "handling"
    sent_back = events(as_user, number)[-1]
    assert sent_back["action"] == "reply_sent_back"
    assert sent_back["payload"]["reasons"] == ["未说明清运频次", "未联系诉求人核实"]
    assert citizen(client, app, number)["reply"] is None
    # The lead unit reads why, and replies again.
    assert events(as_user, number, LEAD)[-1]["payload"]["reasons"][0] == "未说明清运频次"
    second = "已与您电话联系核实，垃圾每日早晚各清运一次。"
    ok(as_user(LEAD), number, "reply", **reply_body(citizen_text=second))
    ok(rev, number, "review", decision="approve")
    view = citizen(client, app, number)
    assert view["reply"]["text"] == second and CITIZEN_TEXT not in json.dumps(view, ensure_ascii=False)
    with stored(app) as s:
        reviews = s.scalars(
            sa.select(Reply.review).where(Reply.appeal_id == stored_appeal(s, number).id).order_by(Reply.id)
        ).all()
        assert reviews == ["sent_back", "approved"]


def test_the_reviewer_s_internal_note_is_kept_for_the_centre_and_kept_from_the_unit(as_user, app):
    number = replied_appeal(as_user)
    ok(
        as_user("reviewer"),
        number,
        "review",
        decision="send_back",
        reasons=["内容不完整"],
        note="请补充处理时间",
    )
    sent_back = events(as_user, number)[-1]
    assert sent_back["payload"]["centre_note"] == "请补充处理时间"
    assert events(as_user, number, "reviewer")[-1]["payload"]["centre_note"] == "请补充处理时间"
    # The unit reads the reasons, which say what to correct; the centre's own note stays inside.
    for username in (LEAD, CO, "leader"):
        r = as_user(username).get(f"/api/v1/appeals/{number}/events")
        if r.status_code == 404:
            continue
        assert "请补充处理时间" not in json.dumps(r.json, ensure_ascii=False), username
    assert events(as_user, number, LEAD)[-1]["payload"]["reasons"] == ["内容不完整"]
    assert events(as_user, number, LEAD)[-1]["note"] == "内容不完整"
    # The same on approval: the note is the centre's.
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve", note="答复规范，可发布")
    assert events(as_user, number)[-1]["payload"]["centre_note"] == "答复规范，可发布"
    unit_view = json.dumps(as_user(LEAD).get(f"/api/v1/appeals/{number}/events").json, ensure_ascii=False)
    assert "答复规范，可发布" not in unit_view


def test_the_unit_reads_the_reply_sent_back_to_correct_it(as_user):
    number = signed_appeal(as_user)
    written = CITIZEN_TEXT + "已电话13800001234告知。"
    ok(as_user(LEAD), number, "reply", **reply_body(citizen_text=written))
    url = f"/api/v1/appeals/{number}/reply-to-correct"
    assert as_user(LEAD).get(url).status_code == 404  # waiting for review: nothing to correct
    ok(as_user("reviewer"), number, "review", decision="send_back", reasons=["未写明清运时间", "未联系群众"])

    r = as_user(LEAD).get(url)

    assert r.status_code == 200, r.json
    assert r.json["citizen_text"] == CITIZEN_TEXT + "已电话138****1234告知。"  # masked, as the content is
    assert r.json["result"] == "resolved"
    assert r.json["contacted_citizen"] is True and r.json["internal_note"] == INTERNAL_NOTE
    assert r.json["reasons"] == ["未写明清运时间", "未联系群众"] and r.json["sent_back_at"]
    assert as_user("reviewer").get(url).json["citizen_text"] == written
    for username in (CO, "leader", "rsj"):  # a co-unit and a leader see the appeal, not this; rsj neither
        r = as_user(username).get(url)
        assert r.status_code == 404 and "13800001234" not in r.get_data(as_text=True), username
    ok(as_user(LEAD), number, "reply", **reply_body(citizen_text="已于今日上午清运完毕。"))
    assert as_user(LEAD).get(url).status_code == 404  # corrected and submitted again


def test_review_refusals(as_user):
    number = signed_appeal(as_user)
    r = act(as_user("reviewer"), number, "review", decision="approve")
    assert r.status_code == 409 and r.json["current"]["status"] == "handling"
    seen = ok(as_user(LEAD), number, "reply", **reply_body())["version"]
    for username in ("dispatcher", "operator", "leader", LEAD, CO, "rsj"):  # rsj: not its appeal, still 403
        assert act(as_user(username), number, "review", decision="approve").status_code == 403, username
    r = act(as_user("reviewer"), number, "review", decision="approve", version=seen - 1)
    assert r.status_code == 409 and r.json["current"]["version"] == seen
    ok(as_user("reviewer"), number, "review", decision="approve", version=seen)
    r = act(as_user("reviewer"), number, "review", decision="approve")
    assert r.status_code == 409 and r.json["current"]["status"] == "replied"
    assert actions(as_user, number).count("reply_released") == 1


def test_the_whole_loop_as_each_role(as_user, app, client):
    """Dispatch, co-unit input, extension, return refused, reply sent back, reply released."""
    number = new_appeal(as_user)
    ok(as_user(CO), number, "sign")
    ok(as_user(LEAD), number, "sign")
    ok(as_user(CO), number, "contribute", text="镇环卫站可配合清运")
    ok(as_user(LEAD), number, "return", **RETURN)
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="属市容环卫")
    ok(as_user(LEAD), number, "extension", days=2, reason="需协调清运车辆")
    ok(as_user("dispatcher"), number, "extension-review", decision="approve")
    ok(as_user(LEAD), number, "reply", **reply_body(result="in_progress", contacted_citizen=False))
    ok(as_user("reviewer"), number, "review", decision="send_back", reasons=["请先联系诉求人"])
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    assert actions(as_user, number) == [
        "registered",
        "dispatched",
        "co_signed",
        "signed",
        "contributed",
        "return_requested",
        "return_rejected",
        "extension_requested",
        "extension_approved",
        "replied",
        "reply_sent_back",
        "replied",
        "reply_released",
    ]
    log = events(as_user, number)
    statuses = [(e["from_status"], e["to_status"]) for e in log[1:]]
    # Each event starts where the one before it ended: the log is one consistent path.
    assert all(prev[1] == cur[0] for prev, cur in zip(statuses, statuses[1:], strict=False))
    assert [t["label"] for t in citizen(client, app, number)["timeline"]] == [
        "诉求已受理",
        "已转交承办单位",
        "承办单位已签收",
        "办理时限已延长",
        "已答复",
    ]
