"""Every notice about an urgent appeal (紧急, 特急) goes out at once, at any hour: 督办 and 催办, the
reminders of every alarm, what the citizen and the co-units are told. A routine (一般) appeal's
notices wait for working hours, as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch import escalation as esc
from service.escalation.sweeps import sweep
from service.notices import jobs
from service.notices.models import NoticeDelivery
from tests.service.closing_arrange import UNSATISFIED, rate
from tests.service.escalation.steps import alarms, appeal_row, outbox
from tests.service.factories import outbox_ids, stored
from tests.service.handling_steps import CO, LEAD, garbage_in_meilin, new_appeal, ok, reply_body
from tests.service.helpers import appeal_payload

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Monday 7 December 2026, 22:21 in Ganxian: when the testers pressed a gas leak's unit.
NIGHT = datetime(2026, 12, 7, 22, 21, tzinfo=SHANGHAI).astimezone(UTC)
NEXT_MORNING = datetime(2026, 12, 8, 8, 30, tzinfo=SHANGHAI).astimezone(UTC)
SUPERVISION = ("supervision_raised", "supervision_pressed")


def _supervise(as_user, number: str) -> None:
    """The centre raises the appeal three levels (督办), then presses it (催办)."""
    dispatcher = as_user("dispatcher")
    for _ in range(3):
        ok(dispatcher, number, "supervise", kind="raise", note="燃气泄漏，请立即处置")
    ok(dispatcher, number, "supervise", kind="press", note="群众再次来电")


def _process_at(app, monkeypatch, ids: list[int], now: datetime) -> list[NoticeDelivery]:
    """The worker relays and sends the outbox rows `ids` at `now`; their deliveries."""
    monkeypatch.setattr(jobs, "utcnow", lambda: now)
    with app.app_context():
        jobs.process_outbox(ids)
    with stored(app) as s:
        made = list(s.scalars(sa.select(NoticeDelivery).where(NoticeDelivery.outbox_id.in_(ids))))
        s.expunge_all()
    return made


@pytest.mark.parametrize("urgency", ["特急", "紧急"])
def test_supervising_an_urgent_appeal_at_night_texts_the_whole_chain_at_once(
    sms_app, gateway, as_user, monkeypatch, urgency
):
    number = new_appeal(as_user, urgency=urgency)
    _supervise(as_user, number)
    ids = [i for template in SUPERVISION for i in outbox_ids(sms_app, number, template)]
    assert {o["priority"] for o in outbox(sms_app, number) if o["template"] in SUPERVISION} == {"urgent"}

    made = _process_at(sms_app, monkeypatch, ids, NIGHT)

    assert made and {(d.status, d.sent_at) for d in made} == {("sent", NIGHT)}
    texted = {str(message["body"]) for message in gateway.messages}
    assert len(gateway.messages) == len(made)
    # The unit's duty mobile, its head (the ladder's first level), and the centre (level 2).
    for mobile in ("13907975011", "13907971200"):
        assert any(mobile in text for text in texted), mobile
    recipients = {d.recipient for d in made}
    assert {"unit:GXQ-CGJ", "ladder:GXQ-CGJ:1", "ladder:GXQ-CGJ:2", "ladder:GXQ-CGJ:3"} <= recipients


def test_supervising_a_routine_appeal_at_night_waits_for_the_morning(sms_app, gateway, as_user, monkeypatch):
    number = new_appeal(as_user)  # 一般
    _supervise(as_user, number)
    ids = [i for template in SUPERVISION for i in outbox_ids(sms_app, number, template)]

    made = _process_at(sms_app, monkeypatch, ids, NIGHT)

    assert made and {(d.status, d.not_before) for d in made} == {("pending", NEXT_MORNING)}
    assert gateway.messages == []


def _sweep(app, kind: str, at: datetime) -> None:
    with stored(app) as s:
        sweep(s, kind, now=at)
        s.commit()


def _due(app, number: str, kind: str) -> datetime:
    return next(due for k, _, due in alarms(app, number) if k == kind)


def _swept_rows(app, number: str, kind: str, at: datetime) -> list[int]:
    before = set(outbox_ids(app, number))
    _sweep(app, kind, at)
    return [i for i in outbox_ids(app, number) if i not in before]


@pytest.mark.parametrize(
    ("urgency", "at_once"), [("特急", True), ("紧急", True), ("一般", False)], ids=["特急", "紧急", "一般"]
)
def test_every_reminder_of_an_urgent_appeal_goes_at_once_and_a_routine_one_waits(
    sms_app, as_user, monkeypatch, urgency, at_once
):
    """Each alarm kind, fired by its sweep, and what the worker makes of it at 22:21."""
    app = sms_app
    number = new_appeal(as_user, urgency=urgency)
    rows: dict[str, list[int]] = {}
    # Neither unit signs: the lead's and the co-unit's sign-for reminders, and the ladder if urgent.
    late = appeal_row(app, number)["sign_due_at"] + timedelta(minutes=1)
    rows[esc.SIGN_OVERDUE] = _swept_rows(app, number, esc.SIGN_OVERDUE, late)
    if urgency != "一般":
        rows[esc.ESCALATE] = _swept_rows(app, number, esc.ESCALATE, _due(app, number, esc.ESCALATE))
    ok(as_user(LEAD), number, "sign")
    ok(as_user(CO), number, "sign")
    for kind in (esc.REPLY_DUE_SOON, esc.REPLY_OVERDUE):
        rows[kind] = _swept_rows(app, number, kind, _due(app, number, kind) + timedelta(seconds=1))
    ok(as_user(LEAD), number, "reply", **reply_body())
    rows[esc.REVIEW_WAITING] = _swept_rows(
        app, number, esc.REVIEW_WAITING, _due(app, number, esc.REVIEW_WAITING) + timedelta(seconds=1)
    )
    ok(as_user("reviewer"), number, "review", decision="approve")
    rows[esc.RATING_CALLBACK] = _swept_rows(
        app, number, esc.RATING_CALLBACK, _due(app, number, esc.RATING_CALLBACK) + timedelta(seconds=1)
    )

    templates = {o["template"] for o in outbox(app, number)}
    assert {"sign_overdue", "units_sign_overdue", "reply_due_soon", "reply_overdue"} <= templates
    assert {"review_waiting", "rating_callback"} <= templates
    for kind, ids in rows.items():
        assert ids, kind
        made = _process_at(app, monkeypatch, ids, NIGHT)
        assert made, kind
        if at_once:
            assert {(d.status, d.sent_at) for d in made} == {("sent", NIGHT)}, kind
        else:
            assert {(d.status, d.not_before) for d in made} == {("pending", NEXT_MORNING)}, kind
        assert {d.priority for d in made} == {"urgent" if at_once else "default"}, kind


@pytest.mark.parametrize(("urgency", "priority"), [("特急", "urgent"), ("一般", "default")])
def test_every_notice_of_an_urgent_appeal_s_life_is_urgent(app, client, as_user, urgency, priority):
    """Extension, reply, unsatisfied rating, reopening, a duplicate merged into it: each notice
    queued about the appeal (to the citizen, the units, the centre) has the appeal's priority."""
    r = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(**garbage_in_meilin(), urgency=urgency)
    )
    body = r.json
    number = body["number"]
    duplicate = new_appeal(as_user)  # 一般: merged into the appeal, its citizen hears of the master
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "extension", days=2, reason="需协调燃气公司抢修")
    ok(as_user("reviewer"), number, "extension-review", decision="approve")
    ok(as_user("dispatcher"), duplicate, "merge", master=number, reason="同一地点同一问题")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    assert rate(client, body, UNSATISFIED).status_code == 200
    ok(as_user("dispatcher"), number, "reopen", reason="复查发现仍未处置", attributable=True)

    sent = [o for o in outbox(app, number) if o["template"] != "appeal_registered"]
    templates = {o["template"] for o in sent}
    assert {"extension_approved", "reply_released", "rating_unsatisfied", "appeal_reopened"} <= templates
    assert {(o["template"], o["priority"]) for o in sent} == {(o["template"], priority) for o in sent}
    told = [o for o in outbox(app, duplicate) if o["recipient"] == "citizen"]
    merged = [o for o in told if o["template"] in ("appeal_merged", "reply_released")]
    assert {o["template"] for o in merged} == {"appeal_merged", "reply_released"}
    assert {o["priority"] for o in merged} == {priority}  # about the master: urgent if it is
    # Its units hear that their work on the duplicate (一般) ended: routine.
    units = [o for o in outbox(app, duplicate) if o["recipient"].startswith("unit:")]
    assert units and {o["priority"] for o in units} == {"default"}
