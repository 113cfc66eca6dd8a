"""Alarms follow the appeal: planned at dispatch, moved on re-dispatch, dropped once signed; urgent
appeals alert the unit and the centre at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dispatch.escalation import CO_SIGN_OVERDUE, ESCALATE, REPLY_DUE_SOON, REPLY_OVERDUE, SIGN_OVERDUE
from service.appeals.models import Appeal
from service.escalation.models import AppealAlarm
from service.escalation.planning import replan
from service.escalation.sweeps import sweep
from service.notices.models import OutboxMessage
from tests.service.escalation.steps import (
    RECEIPT,
    alarms,
    appeal_row,
    event_actions,
    outbox,
    warned_in_working_hours,
)
from tests.service.factories import SHANGHAI, stored
from tests.service.handling_steps import LEAD, garbage_in_meilin, new_appeal, ok
from tests.service.helpers import appeal_payload


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_a_routine_appeal_gets_its_sign_and_reply_alarms_and_no_alert(app, as_user):
    number = new_appeal(as_user)
    row = appeal_row(app, number)
    kinds = {(kind, level): due for kind, level, due in alarms(app, number)}
    assert kinds[(SIGN_OVERDUE, 0)] == row["sign_due_at"]
    assert kinds[(REPLY_OVERDUE, 0)] == row["reply_due_at"]
    # The yellow warning: a quarter of the whole time left, or the latest working morning before.
    total = row["reply_due_at"] - row["dispatched_at"]
    yellow, soon = row["reply_due_at"] - total / 4, kinds[(REPLY_DUE_SOON, 0)]
    assert warned_in_working_hours(soon, row["dispatched_at"], yellow)
    assert not any(kind == ESCALATE for kind, _ in kinds)
    assert outbox(app, number) == [RECEIPT]  # the citizen's 受理回执, nothing to the unit yet
    assert "urgent_alerted" not in event_actions(app, number)


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_an_urgent_appeal_alerts_the_unit_and_the_centre_at_once_and_plans_the_ladder(app, as_user):
    number = new_appeal(as_user, urgency="特急")
    row = appeal_row(app, number)
    limit = row["sign_due_at"] - row["dispatched_at"]
    assert limit <= timedelta(hours=1)  # the list's short sign-for limit for 特急
    sent = outbox(app, number)
    assert [(o["recipient"], o["template"], o["priority"]) for o in sent] == [
        ("unit:GXQ-CGJ", "urgent_appeal", "urgent"),
        ("centre", "urgent_appeal", "urgent"),
        # The receipt, queued once the number is drawn: on the urgent queue too, as every notice
        # about an urgent appeal.
        ("citizen", "appeal_registered", "urgent"),
    ]
    assert sent[0]["data"] == {"sign_limit_minutes": round(limit.total_seconds() / 60)}
    # Queued before the number was drawn, the alerts are keyed by it all the same (a repeat finds them).
    with stored(app) as s:
        keys = s.scalars(
            sa.select(OutboxMessage.dedup_key)
            .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
            .where(Appeal.number == number)
            .order_by(OutboxMessage.id)
        ).all()
    assert [k.split(":urgent:")[0] for k in keys] == [
        f"{number}:unit:GXQ-CGJ:urgent_appeal",
        f"{number}:centre:urgent_appeal",
        f"{number}:citizen:appeal_registered:registered",
    ]
    assert "urgent_alerted" in event_actions(app, number)
    ladder = [(level, due) for kind, level, due in alarms(app, number) if kind == ESCALATE]
    # 区城管局's ladder: levels 1..3, each after_minutes after the one before, from the missed deadline.
    assert [level for level, _ in ladder] == [1, 2, 3]
    assert ladder[0][1] > row["sign_due_at"]
    assert ladder[0][1] < ladder[1][1] < ladder[2][1]


@pytest.mark.usefixtures("sms_app")  # the receipt goes by SMS: a gateway is configured
def test_a_category_urgent_by_nature_is_raised_to_urgent_at_dispatch(app, as_user, db_session):
    import sqlalchemy as sa

    from service.lists.models import Category

    code = db_session.scalar(sa.select(Category.code).where(Category.urgent).order_by(Category.code))
    assert code is not None, "the default list marks some categories urgent by nature"
    from dispatch.routing import Router
    from tests.service.helpers import default_list

    area = garbage_in_meilin()["area"]
    decision = Router(default_list()).route(code, area, "一般", "求助")
    assert decision.ok, decision
    r = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(category=code, area=area, urgency="一般", appeal_type="求助")
    )
    assert r.status_code == 201, r.json
    number = r.json["number"]
    assert appeal_row(app, number)["urgency"] == "紧急"
    assert [o["template"] for o in outbox(app, number)] == [
        "urgent_appeal",
        "urgent_appeal",
        "appeal_registered",
    ]


def test_signing_drops_the_sign_alarms_and_keeps_the_reply_ones(app, as_user):
    number = new_appeal(as_user, urgency="紧急")
    assert {kind for kind, _, _ in alarms(app, number)} >= {SIGN_OVERDUE, ESCALATE}
    ok(as_user(LEAD), number, "sign")
    # The co-unit (梅林镇) has not signed for its part: its own sign-for alarm stays.
    assert {kind for kind, _, _ in alarms(app, number)} == {REPLY_DUE_SOON, REPLY_OVERDUE, CO_SIGN_OVERDUE}


def test_redispatch_moves_the_clocks(app, as_user):
    number = new_appeal(as_user)
    before = alarms(app, number)
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", json={"unit": "GXQ-RSJ", "reason": "改派人社局"}
    )
    assert r.status_code == 200, r.json
    after = alarms(app, number)
    row = appeal_row(app, number)
    assert (SIGN_OVERDUE, 0, row["sign_due_at"]) in after
    assert before != after
    assert len([a for a in after if a[0] == SIGN_OVERDUE]) == 1


#: The reply clock of the night-time warning tests: a quarter of the time left is Thursday
#: 26 November, 02:15; the working morning before it, Wednesday 25 November, 08:30.
NIGHT_CLOCK = (
    datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI).astimezone(UTC),
    datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI).astimezone(UTC),
)
NIGHT_QUARTER = datetime(2026, 11, 26, 2, 15, tzinfo=SHANGHAI).astimezone(UTC)


def signed_on_the_night_clock(app, as_user) -> str:
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        appeal.dispatched_at = appeal.reply_started_at = NIGHT_CLOCK[0]
        appeal.reply_due_at = NIGHT_CLOCK[1]
        s.commit()
    return number


def test_a_reply_warning_falling_at_night_is_planned_for_the_working_morning_before_and_fires(app, as_user):
    number = signed_on_the_night_clock(app, as_user)

    soon = next(due for kind, _level, due in alarms(app, number) if kind == REPLY_DUE_SOON)

    assert soon.astimezone(SHANGHAI).replace(tzinfo=None) == datetime(2026, 11, 25, 8, 30)
    with stored(app) as s:
        result = sweep(s, REPLY_DUE_SOON, now=soon + timedelta(minutes=1))
        s.commit()
    assert result.fired and not result.skipped  # the sweep plans it so too
    assert "reply_due_soon" in event_actions(app, number)


def test_a_reply_warning_stored_at_night_before_the_change_goes_off_once(app, as_user):
    """A warning stored at the quarter point itself (before warnings were kept to working hours):
    pending, it goes off at its time rather than being skipped; given, a later replan does not give
    it again at the working morning."""
    number = signed_on_the_night_clock(app, as_user)
    with stored(app) as s:  # as stored before: at 02:15, not 08:30 the day before
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        s.execute(
            sa.update(AppealAlarm)
            .where(AppealAlarm.appeal_id == appeal.id, AppealAlarm.kind == REPLY_DUE_SOON)
            .values(due_at=NIGHT_QUARTER)
        )
        s.commit()

    with stored(app) as s:
        result = sweep(s, REPLY_DUE_SOON, now=NIGHT_QUARTER + timedelta(minutes=1))
        s.commit()
    assert result.fired and not result.skipped
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        replan(s, appeal, NIGHT_QUARTER + timedelta(hours=1))  # `minyi escalation replan`, say
        s.commit()

    assert not [due for kind, _level, due in alarms(app, number) if kind == REPLY_DUE_SOON]
    assert event_actions(app, number).count("reply_due_soon") == 1
