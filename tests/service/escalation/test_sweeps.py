"""Sweeps fire what is due, once; notify-only mode changes nothing but the notices; the urgent
ladder climbs until the appeal is signed; a sweep reads only the alarms that are due."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.escalation import ESCALATE, REPLY_DUE_SOON, REPLY_OVERDUE, SIGN_OVERDUE
from service.appeals.models import Appeal
from service.escalation.models import AppealAlarm
from service.escalation.sweeps import sweep
from tests.service.escalation.steps import RECEIPT, alarms, appeal_row, event_actions, outbox
from tests.service.factories import stored
from tests.service.handling_steps import CO, LEAD, new_appeal, ok


def run(app, kind, at, **kwargs):
    with stored(app) as s:
        result = sweep(s, kind, now=at, **kwargs)
        s.commit()
    return result


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_nothing_fires_before_its_time_and_a_sweep_run_twice_does_nothing_the_second_time(app, as_user):
    number = new_appeal(as_user)
    ok(as_user(CO), number, "sign")  # the lead unit alone is late (both: test_sign_overdue_together)
    row = appeal_row(app, number)
    assert run(app, SIGN_OVERDUE, row["sign_due_at"] - timedelta(seconds=1)).fired == []
    after = row["sign_due_at"] + timedelta(minutes=1)
    first = run(app, SIGN_OVERDUE, after)
    assert len(first.fired) == 1 and first.notices == 2
    # One outbox row for the occasion, naming both recipient groups: the unit and the centre.
    assert [(o["recipient"], o["template"]) for o in outbox(app, number)] == [
        ("citizen", "appeal_registered"),  # the receipt, queued at intake
        ("unit:GXQ-CGJ|centre", "sign_overdue"),
    ]
    assert event_actions(app, number)[-1] == SIGN_OVERDUE
    second = run(app, SIGN_OVERDUE, after + timedelta(minutes=5))
    assert (second.fired, second.skipped, second.notices) == ([], 0, 0)
    assert len(outbox(app, number)) == 2  # the receipt, the one sign-for alarm


def test_notify_only_mode_sends_the_notices_and_changes_nothing_else(app, as_user):
    number = new_appeal(as_user, urgency="紧急")
    before = appeal_row(app, number)
    events_before = event_actions(app, number)
    ladder = [due for kind, _, due in alarms(app, number) if kind == ESCALATE]
    late = ladder[-1] + timedelta(minutes=1)
    for kind in (SIGN_OVERDUE, ESCALATE, REPLY_DUE_SOON, REPLY_OVERDUE):
        run(app, kind, late, notify_only=True)
    templates = [o["template"] for o in outbox(app, number)]
    assert templates.count("escalation") == 3  # three levels (each to the ladder, the unit, the centre)
    assert "sign_overdue" in templates
    assert appeal_row(app, number) == before  # status, version, supervision level, updated_at
    assert event_actions(app, number) == events_before


def test_the_ladder_climbs_one_level_at_a_time_and_stops_once_the_appeal_is_signed(app, as_user):
    number = new_appeal(as_user, urgency="特急")
    ladder = [due for kind, _, due in alarms(app, number) if kind == ESCALATE]
    first = run(app, ESCALATE, ladder[0] + timedelta(seconds=1))
    assert len(first.fired) == 1
    row = appeal_row(app, number)
    assert row["supervision_level"] == 1
    escalations = [o for o in outbox(app, number) if o["template"] == "escalation"]
    assert [o["recipient"] for o in escalations] == ["ladder:GXQ-CGJ:1|unit:GXQ-CGJ|centre"]
    assert escalations[0]["priority"] == "urgent"
    assert escalations[0]["data"]["level"] == 1 and escalations[0]["data"]["level_title"]
    assert event_actions(app, number)[-1] == "escalated"

    ok(as_user(LEAD), number, "sign")
    later = run(app, ESCALATE, ladder[-1] + timedelta(hours=1))
    assert later.fired == []  # the signed appeal's remaining steps were dropped from its plan
    assert appeal_row(app, number)["supervision_level"] == 1
    assert [o["template"] for o in outbox(app, number)].count("escalation") == 1


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_an_alarm_the_plan_dropped_before_the_sweep_saw_it_is_skipped_not_fired(app, as_user, db_session):
    number = new_appeal(as_user)
    row = appeal_row(app, number)
    with stored(app) as s:
        # An alarm left pending by an earlier plan (e.g. stored before a deadline moved).
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        s.add(
            AppealAlarm(
                appeal_id=appeal.id,
                kind=SIGN_OVERDUE,
                level=0,
                due_at=row["sign_due_at"] - timedelta(hours=1),
            )
        )
        s.commit()
    result = run(app, SIGN_OVERDUE, row["sign_due_at"] - timedelta(minutes=1))
    assert (result.fired, result.skipped) == ([], 1)
    assert outbox(app, number) == [RECEIPT]


def test_a_sweep_over_thousands_of_appeals_reads_only_the_few_that_are_due(app, as_user, engine):
    numbers = [new_appeal(as_user) for _ in range(3)]
    for number in numbers:  # the lead units alone are late (co-units: test_co_sign_overdue)
        ok(as_user(CO), number, "sign")
    due_at = appeal_row(app, numbers[0])["sign_due_at"]
    with stored(app) as s:
        template = s.execute(sa.select(Appeal.__table__).where(Appeal.number == numbers[0])).mappings().one()
        columns = {k: v for k, v in template.items() if k not in ("id", "number")}
        s.execute(
            Appeal.__table__.insert(),
            [{**columns, "number": f"BULK-{i:05d}"} for i in range(3000)],
        )
        ids = s.scalars(sa.select(Appeal.id).where(Appeal.number.like("BULK-%"))).all()
        # Thousands of open appeals, each with an alarm that is not due yet.
        s.execute(
            AppealAlarm.__table__.insert(),
            [
                {
                    "appeal_id": i,
                    "kind": SIGN_OVERDUE,
                    "level": 0,
                    "due_at": due_at + timedelta(days=30),
                    "created_at": due_at,
                    "outcome": "",
                }
                for i in ids
            ],
        )
        s.commit()

    statements: list[str] = []
    loaded: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def load(appeal, context):
        loaded.append(appeal.id)

    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(Appeal, "load", load)
    try:
        with stored(app) as s:
            result = sweep(s, SIGN_OVERDUE, now=due_at + timedelta(minutes=1))
            s.commit()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        sa.event.remove(Appeal, "load", load)
    assert len(result.fired) == 3
    assert len(loaded) == 3  # only the due appeals were read
    # Three reads (the due alarms, their appeals, their units), whatever the number of open appeals;
    # the writes are batched: the alarms marked done, one outbox row and one event per due appeal.
    reads = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, reads
    writes = [q for q in statements if q.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) <= 3, writes
