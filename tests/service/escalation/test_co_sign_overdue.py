"""A co-unit (协办单位) that has not signed for its part by its own deadline is reminded once, and the
centre told, as a lead unit that misses its sign-for deadline; not if it signed in time, if its
assignment ended, or if the appeal left the units."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.escalation import CO_SIGN_OVERDUE, ESCALATE, SIGN_OVERDUE
from service.appeals.models import AppealAssignment, AppealEvent
from service.escalation.sweeps import sweep
from service.notices.models import OutboxMessage
from service.notices.operations import expand, local_time_text
from tests.service.escalation.steps import alarms, appeal_row, event_actions, outbox
from tests.service.factories import outbox_ids, stored, unit_code
from tests.service.handling_steps import CO, LEAD, last_event, new_appeal, ok, reply_body, stored_appeal

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)
TEMPLATE = "co_sign_overdue"


def run(app, kind, at):
    with stored(app) as s:
        result = sweep(s, kind, now=at)
        s.commit()
    return result


def co_part(s, number: str) -> AppealAssignment:
    appeal = stored_appeal(s, number)
    return next(a for a in appeal.assignments if a.active and a.role == "co")


def set_co_due(app, number: str, due: datetime) -> None:
    """The co-unit's own deadline, two hours after the lead's (a new deadline is planned anew)."""
    with stored(app) as s:
        co_part(s, number).sign_due_at = due
        s.commit()


def co_alarms(app, number: str) -> list[datetime]:
    return [due for kind, _, due in alarms(app, number) if kind == CO_SIGN_OVERDUE]


def overdue_appeal(app, as_user) -> tuple[str, datetime]:
    """The lead unit has signed; the co-unit's part, due two hours after the lead's, has not."""
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    due = appeal_row(app, number)["sign_due_at"] + timedelta(hours=2)
    set_co_due(app, number, due)
    return number, due


def test_a_co_unit_that_misses_its_deadline_is_reminded_once_and_the_centre_told(app, as_user):
    number, due = overdue_appeal(app, as_user)
    assert co_alarms(app, number) == [due]  # moved with the part's deadline
    assert run(app, CO_SIGN_OVERDUE, due - MINUTE).fired == []

    first = run(app, CO_SIGN_OVERDUE, due + MINUTE)
    assert len(first.fired) == 1 and first.notices == 2
    meilin = unit_code("梅林镇人民政府")
    (message,) = [o for o in outbox(app, number) if o["template"] == TEMPLATE]
    assert (message["recipient"], message["priority"]) == (f"unit:{meilin}|centre", "default")
    with stored(app) as s:
        event = last_event(s, number)
        assert (event.action, event.note) == (
            CO_SIGN_OVERDUE,
            "协办单位梅林镇人民政府签收超时，已提醒该单位和中心。",
        )
        assert event.payload["assignment_id"] == co_part(s, number).id
        assert event.payload["unit"] == meilin

        # What each reads, sent in working hours: at 03:00 it waits for 08:30.
        night = datetime(2026, 11, 24, 3, 0, tzinfo=SHANGHAI)
        row = s.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.id == outbox_ids(app, number, TEMPLATE)[0])
        )
        made = expand(s, row, now=night, calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"})
        bodies = {d.recipient: d.body for d in made}
        assert {d.not_before for d in made} == {datetime(2026, 11, 24, 8, 30, tzinfo=SHANGHAI)}
        s.rollback()
    deadline = local_time_text(due, SHANGHAI)
    assert set(bodies) == {f"unit:{meilin}", "centre"}
    assert f"协办签收时限{deadline}已过，请立即签收" in bodies[f"unit:{meilin}"]
    assert f"协办单位梅林镇人民政府逾{deadline}未签收" in bodies["centre"]

    second = run(app, CO_SIGN_OVERDUE, due + timedelta(hours=1))
    assert (second.fired, second.skipped, second.notices) == ([], 0, 0)
    assert [o["template"] for o in outbox(app, number)].count(TEMPLATE) == 1
    assert event_actions(app, number).count(CO_SIGN_OVERDUE) == 1
    assert run(app, SIGN_OVERDUE, due + timedelta(hours=1)).fired == []  # the lead signed in time


def test_a_co_unit_is_reminded_once_though_the_appeal_comes_back_to_the_units(app, as_user):
    number, due = overdue_appeal(app, as_user)
    assert len(run(app, CO_SIGN_OVERDUE, due + MINUTE).fired) == 1
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="send_back", reasons=["未联系诉求人核实"])
    assert appeal_row(app, number)["status"] == "handling"
    assert co_alarms(app, number) == []  # its reminder went: none planned again
    assert run(app, CO_SIGN_OVERDUE, due + timedelta(days=1)).fired == []
    assert [o["template"] for o in outbox(app, number)].count(TEMPLATE) == 1


def test_a_co_unit_that_signed_for_its_part_in_time_is_not_reminded(app, as_user):
    number, due = overdue_appeal(app, as_user)
    ok(as_user(CO), number, "sign")
    assert co_alarms(app, number) == []
    assert run(app, CO_SIGN_OVERDUE, due + MINUTE).seen == 0
    assert TEMPLATE not in [o["template"] for o in outbox(app, number)]
    assert CO_SIGN_OVERDUE not in event_actions(app, number)


def test_a_co_unit_that_contributes_without_signing_has_signed_and_is_not_reminded(app, as_user):
    number, due = overdue_appeal(app, as_user)
    ok(as_user(CO), number, "contribute", text="本镇已派人到现场核实")
    assert event_actions(app, number)[-2:] == ["co_signed", "contributed"]
    with stored(app) as s:
        signing = s.scalars(
            sa.select(AppealEvent).where(
                AppealEvent.appeal_id == stored_appeal(s, number).id, AppealEvent.action == "co_signed"
            )
        ).one()
        assert signing.payload["assignment_id"] == co_part(s, number).id
        assert signing.payload["by"] == "contribution" and signing.payload["on_time"] is True
    assert co_alarms(app, number) == []
    assert run(app, CO_SIGN_OVERDUE, due + MINUTE).fired == []
    assert TEMPLATE not in [o["template"] for o in outbox(app, number)]
    # Signed once: signing again is refused, contributing again signs nothing more.
    r = as_user(CO).post(f"/api/v1/appeals/{number}/sign", json={})
    assert r.status_code == 409
    ok(as_user(CO), number, "contribute", text="现场已清理")
    assert event_actions(app, number).count("co_signed") == 1


def _redispatched(as_user, number):
    ok(as_user("dispatcher"), number, "dispatch", unit="GXQ-RSJ", reason="改派人社局")


def _merged(as_user, number):
    master = new_appeal(as_user)
    ok(as_user("dispatcher"), number, "merge", master=master, reason="同一地点同一事项")


def _in_review(as_user, number):
    ok(as_user(LEAD), number, "reply", **reply_body())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_redispatched, id="assignment ended: re-dispatched"),
        pytest.param(_merged, id="assignment ended: merged"),
        pytest.param(_in_review, id="left the units: the reply is under review"),
    ],
)
def test_no_reminder_once_the_part_ended_or_the_appeal_left_the_units(app, as_user, change):
    number, due = overdue_appeal(app, as_user)
    change(as_user, number)
    assert co_alarms(app, number) == []
    run(app, CO_SIGN_OVERDUE, due + timedelta(days=1))  # (a re-dispatched lead unit is reminded)
    assert CO_SIGN_OVERDUE not in event_actions(app, number)
    assert TEMPLATE not in [o["template"] for o in outbox(app, number)]


def test_an_urgent_appeal_s_co_unit_is_reminded_at_once_and_climbs_no_ladder(app, as_user):
    number = new_appeal(as_user, urgency="紧急")
    ladder = [kind for kind, _, _ in alarms(app, number) if kind == ESCALATE]
    due = co_alarms(app, number)[0]
    assert len(run(app, CO_SIGN_OVERDUE, due + MINUTE).fired) == 2  # with the lead's, due together
    (message,) = [o for o in outbox(app, number) if o["template"] == TEMPLATE]
    assert message["priority"] == "urgent"  # at any hour, as the lead's sign-for reminder
    assert [kind for kind, _, _ in alarms(app, number) if kind == ESCALATE] == ladder  # the lead's only


def test_a_co_unit_sweep_reads_the_same_for_one_due_part_or_many(app, as_user, engine):
    numbers = [new_appeal(as_user) for _ in range(4)]
    due = max(co_alarms(app, n)[0] for n in numbers)

    def reads(at):
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            result = run(app, CO_SIGN_OVERDUE, at)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return result, [q for q in statements if q.lstrip().upper().startswith("SELECT")]

    with stored(app) as s:  # one of the four becomes due first
        early = co_part(s, numbers[0])
        early.sign_due_at = due - timedelta(hours=1)
        s.commit()
    one, one_reads = reads(due - timedelta(minutes=30))
    many, many_reads = reads(due + MINUTE)
    # The co-units' alarms, and with them the leads' (swept together), all due by then.
    assert (len(one.fired), len(many.fired)) == (1, 3 + 4)
    # The due alarms, their appeals, their lead units, their assignments, their co-signings.
    assert len(one_reads) == len(many_reads) == 5, many_reads
