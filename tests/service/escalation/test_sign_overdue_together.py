"""Units of one appeal past their sign-for deadlines at the same sweep — the lead and its co-units,
dispatched together with one time limit — are each reminded of their own, and the centre's duty
phones get one text for the appeal naming them all, not one per unit. Deadlines passing at different
sweeps are told apart, each once; a sweep run again sends nothing more."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.escalation import CO_SIGN_OVERDUE, ESCALATE, SIGN_OVERDUE
from service.escalation.sweeps import sweep
from service.notices.models import OutboxMessage
from service.notices.operations import expand, local_time_text
from tests.service.escalation.steps import alarms, appeal_row, event_actions
from tests.service.escalation.test_co_sign_overdue import set_co_due
from tests.service.factories import outbox_ids, stored, unit_code
from tests.service.handling_steps import LEAD, garbage_in_meilin, new_appeal, ok
from tests.service.helpers import appeal_payload

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)
#: A Tuesday morning: every text may go at once.
WORKING = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
RSJ = "GXQ-RSJ"
BOTH_KINDS = pytest.mark.parametrize("kind", [SIGN_OVERDUE, CO_SIGN_OVERDUE])


def run(app, kind, at, **kwargs):
    with stored(app) as s:
        result = sweep(s, kind, now=at, **kwargs)
        s.commit()
    return result


def three_units(as_user) -> str:
    """An appeal dispatched at once to 区城管局 (lead), 梅林镇 and 区人社局 (co): one sign-for deadline.

    (A co-unit added later, by a re-dispatch to the same lead, gets its own clock from then.)
    """
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload())
    assert r.status_code == 201 and r.json["status"] == "pending_dispatch", r.json
    number = r.json["number"]
    body = {"reason": "按清单派单，加派区人社局协办", "co_units": [RSJ], **garbage_in_meilin()}
    ok(as_user("dispatcher"), number, "dispatch", **body)
    return number


def sign_due(app, number: str) -> datetime:
    return appeal_row(app, number)["sign_due_at"]


def texts(app, ids: list[int], *, at: datetime = WORKING) -> dict[tuple[str, str], list[str]]:
    """What the outbox rows `ids` send by SMS, by recipient group and phone: the texts each phone gets."""
    received: dict[tuple[str, str], list[str]] = defaultdict(list)
    with stored(app) as s:
        rows = s.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
        for row in rows:
            for d in expand(s, row, now=at, calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"}):
                received[(d.recipient, d.destination)].append(d.body)
        s.rollback()
    return received


def sweep_texts(app, number: str, kind: str, at: datetime, **kwargs) -> dict[tuple[str, str], list[str]]:
    """The sweep of `kind` at `at`, and what it sends about the appeal."""
    before = set(outbox_ids(app, number))
    run(app, kind, at, **kwargs)
    return texts(app, [i for i in outbox_ids(app, number) if i not in before])


def groups(received: dict[tuple[str, str], list[str]]) -> set[str]:
    return {group for group, _ in received}


def centre_texts(received: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    return [bodies for (group, _), bodies in received.items() if group == "centre"]


@BOTH_KINDS  # the worker's sign-for sweep, or the co-units' by hand: the same sweep
def test_a_lead_and_two_co_units_late_together_the_centre_gets_one_text_naming_the_three(app, as_user, kind):
    number = three_units(as_user)
    due = sign_due(app, number)
    meilin = unit_code("梅林镇人民政府")
    assert {at for k, _, at in alarms(app, number) if k in (SIGN_OVERDUE, CO_SIGN_OVERDUE)} == {due}

    received = sweep_texts(app, number, kind, due + MINUTE)

    assert groups(received) == {"unit:GXQ-CGJ", f"unit:{meilin}", f"unit:{RSJ}", "centre"}
    assert all(len(bodies) == 1 for bodies in received.values()), received  # one text per phone
    deadline = local_time_text(due, SHANGHAI)
    for (group, _), (body,) in received.items():
        if group == "unit:GXQ-CGJ":
            assert f"签收时限{deadline}已过，请立即签收" in body and "协办" not in body
        elif group != "centre":  # each co-unit its own part's reminder
            assert f"协办签收时限{deadline}已过，请立即签收" in body
    (first, *others) = centre_texts(received)
    assert all(bodies == first for bodies in others)  # every duty phone of the centre: the same text
    assert first == [
        f"【赣县12345】工单{number}：区城管局（主办）、梅林镇人民政府（协办）、区人社局（协办）签收已超时，请督促。"
    ]
    # The timeline keeps one entry per unit.
    assert event_actions(app, number).count(SIGN_OVERDUE) == 1
    assert event_actions(app, number).count(CO_SIGN_OVERDUE) == 2

    # Run again, by either kind: nothing more.
    for again in (SIGN_OVERDUE, CO_SIGN_OVERDUE):
        assert sweep_texts(app, number, again, due + timedelta(hours=1)) == {}
        assert run(app, again, due + timedelta(hours=2)).fired == []


def test_co_units_late_after_the_lead_signed_the_centre_gets_one_text_naming_them(app, as_user):
    number = three_units(as_user)
    ok(as_user(LEAD), number, "sign")
    received = sweep_texts(app, number, SIGN_OVERDUE, sign_due(app, number) + MINUTE)
    assert "unit:GXQ-CGJ" not in groups(received)
    assert {body for bodies in centre_texts(received) for body in bodies} == {
        f"【赣县12345】工单{number}：梅林镇人民政府（协办）、区人社局（协办）签收已超时，请督促。"
    }
    assert all(len(bodies) == 1 for bodies in received.values())


def test_one_co_unit_late_alone_the_centre_gets_one_text_naming_it(app, as_user):
    number = three_units(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user("rsj"), number, "sign")
    due = sign_due(app, number)
    received = sweep_texts(app, number, SIGN_OVERDUE, due + MINUTE)
    assert groups(received) == {f"unit:{unit_code('梅林镇人民政府')}", "centre"}
    assert all(len(bodies) == 1 for bodies in received.values())
    (body,) = {body for bodies in centre_texts(received) for body in bodies}
    assert f"协办单位梅林镇人民政府逾{local_time_text(due, SHANGHAI)}未签收" in body


def test_deadlines_passing_at_different_sweeps_are_told_apart_each_once(app, as_user):
    number = new_appeal(as_user)  # 区城管局 (lead), 梅林镇 (co)
    due = sign_due(app, number)
    co_due = due + timedelta(hours=2)
    set_co_due(app, number, co_due)

    first = sweep_texts(app, number, SIGN_OVERDUE, due + MINUTE)
    assert groups(first) == {"unit:GXQ-CGJ", "centre"}
    (body,) = {b for bodies in centre_texts(first) for b in bodies}
    assert f"区城管局未在{local_time_text(due, SHANGHAI)}前签收，请督促" in body
    assert sweep_texts(app, number, SIGN_OVERDUE, due + timedelta(hours=1)) == {}

    second = sweep_texts(app, number, SIGN_OVERDUE, co_due + MINUTE)
    assert groups(second) == {f"unit:{unit_code('梅林镇人民政府')}", "centre"}
    (body,) = {b for bodies in centre_texts(second) for b in bodies}
    assert "协办单位梅林镇人民政府逾" in body
    assert all(len(bodies) == 1 for bodies in (*first.values(), *second.values()))

    for kind in (SIGN_OVERDUE, CO_SIGN_OVERDUE):
        assert sweep_texts(app, number, kind, co_due + timedelta(hours=1)) == {}
    assert event_actions(app, number).count(SIGN_OVERDUE) == 1
    assert event_actions(app, number).count(CO_SIGN_OVERDUE) == 1


def test_a_sweep_whose_batch_is_full_still_tells_the_centre_once(app, as_user):
    number = three_units(as_user)
    received = sweep_texts(app, number, SIGN_OVERDUE, sign_due(app, number) + MINUTE, limit=1)
    # The batch takes the other due reminders of its appeals with it: all three units, one centre text.
    assert groups(received) == {
        "unit:GXQ-CGJ",
        f"unit:{unit_code('梅林镇人民政府')}",
        f"unit:{RSJ}",
        "centre",
    }
    assert all(len(bodies) == 1 for bodies in received.values()), received


def _centre_row(app, ids: list[int]) -> OutboxMessage:
    """Of the outbox rows `ids`, the one to the centre alone."""
    with stored(app) as s:
        rows = s.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.recipient == "centre")
        ).all()
        s.expunge_all()
    (row,) = rows
    return row


def test_the_centre_s_text_waits_for_working_hours_unless_the_appeal_is_urgent(app, as_user):
    routine = three_units(as_user)
    urgent = new_appeal(as_user, urgency="紧急")
    ladder = [at for kind, _, at in alarms(app, urgent) if kind == ESCALATE]
    late = max(sign_due(app, routine), sign_due(app, urgent)) + MINUTE
    before = {number: set(outbox_ids(app, number)) for number in (routine, urgent)}
    run(app, SIGN_OVERDUE, late)
    swept = {number: [i for i in outbox_ids(app, number) if i not in before[number]] for number in before}

    night = datetime(2026, 11, 24, 3, 0, tzinfo=SHANGHAI)
    for number, priority, not_before in (
        (routine, "default", datetime(2026, 11, 24, 8, 30, tzinfo=SHANGHAI)),
        (urgent, "urgent", night),  # at any hour, as the units' own reminders
    ):
        row = _centre_row(app, swept[number])
        assert row.priority == priority
        with stored(app) as s:
            made = expand(
                s,
                s.get(OutboxMessage, row.id),
                now=night,
                calendar=WorkCalendar(),
                tz=SHANGHAI,
                channels={"sms"},
            )
            assert made and {d.not_before for d in made} == {not_before}
            s.rollback()
    with stored(app) as s:
        units = s.scalars(
            sa.select(OutboxMessage.priority).where(
                OutboxMessage.id.in_(swept[urgent]), OutboxMessage.recipient != "centre"
            )
        ).all()
    assert units == ["urgent", "urgent"]

    # The ladder is the lead unit's, as before: its first level goes to it, the unit and the centre.
    assert [at for kind, _, at in alarms(app, urgent) if kind == ESCALATE] == ladder
    before = set(outbox_ids(app, urgent))
    assert len(run(app, ESCALATE, ladder[0] + MINUTE).fired) == 1
    with stored(app) as s:
        (escalation,) = s.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.id.in_(set(outbox_ids(app, urgent)) - before))
        ).all()
        assert (escalation.template, escalation.priority) == ("escalation", "urgent")
        assert escalation.recipient == "ladder:GXQ-CGJ:1|unit:GXQ-CGJ|centre"
