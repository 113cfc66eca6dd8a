"""重办 starts a new round for every unit still on the appeal, its co-units (协办单位) too: each is told
of the reopen, gets the reopen's sign-for deadline (the lead unit's), counted from the reopen, and
signs for its part again; the sign-overdue sweep measures it against that deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.escalation import CO_SIGN_OVERDUE
from service.appeals.models import AppealEvent
from service.db import utcnow
from service.escalation.sweeps import sweep
from service.handling.unit_actions import signed_assignment_ids
from service.notices.models import OutboxMessage
from service.notices.operations import expand, local_time_text
from service.queues.clocks import clock_fields, co_sign_clock
from tests.service.closing_arrange import UNSATISFIED, appeal_row, notices, rate
from tests.service.escalation.steps import alarms, outbox
from tests.service.factories import register, stored, unit_code
from tests.service.handling_steps import CO, LEAD, act, garbage_in_meilin, ok, reply_body, stored_appeal
from tests.service.test_queues import numbers

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)
CGJ, MEILIN = unit_code("区城管局"), unit_code("梅林镇人民政府")


def first_round(as_user: Any, client: Any, *, co_signs: bool) -> dict[str, Any]:
    """An appeal of 区城管局 (lead) and 梅林镇 (co) answered and rated unsatisfied; the co-unit
    signed for its part in this round when `co_signs`. The intake's 201 body."""
    body = register(as_user("operator"), **garbage_in_meilin())
    number = body["number"]
    if co_signs:
        ok(as_user(CO), number, "sign")
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    assert rate(client, body, UNSATISFIED).status_code == 200
    return body


def days_pass(app: Any, number: str, days: int) -> None:
    """Let time pass: the first round began `days` ago, every deadline of it long passed."""
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        shift = timedelta(days=days)
        for a in appeal.assignments:
            a.assigned_at -= shift
            a.sign_due_at -= shift
            a.reply_due_at -= shift
        appeal.sign_due_at -= shift
        appeal.reply_due_at -= shift
        appeal.dispatched_at -= shift
        appeal.reply_started_at -= shift
        s.commit()


def reopen(as_user: Any, number: str) -> dict[str, Any]:
    return ok(as_user("dispatcher"), number, "reopen", reason="垃圾仍未清运", attributable=True)


def reopened(app: Any, as_user: Any, client: Any, *, co_signs: bool) -> str:
    number = first_round(as_user, client, co_signs=co_signs)["number"]
    days_pass(app, number, 30)
    reopen(as_user, number)
    return number


def co_signings(app: Any, number: str) -> list[dict[str, Any]]:
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        return list(
            s.scalars(
                sa.select(AppealEvent.payload)
                .where(AppealEvent.appeal_id == appeal.id, AppealEvent.action == "co_signed")
                .order_by(AppealEvent.id)
            )
        )


def co_alarms(app: Any, number: str) -> list[datetime]:
    return [due for kind, _, due in alarms(app, number) if kind == CO_SIGN_OVERDUE]


def near(seconds: int | None, expected: timedelta) -> bool:
    return seconds is not None and abs(seconds - expected.total_seconds()) < 60


@pytest.mark.parametrize("co_signs", [True, False], ids=["co-unit signed in the first round", "it did not"])
def test_the_co_unit_signs_for_its_part_again_by_the_reopen_s_deadline(app, as_user, client, co_signs):
    number = reopened(app, as_user, client, co_signs=co_signs)
    due = appeal_row(app, number)["sign_due_at"]  # the reopen's, the lead unit's
    meilin = as_user(CO)

    view = meilin.get(f"/api/v1/appeals/{number}").json
    assert view["sign_warning"] == "none" and near(view["sign_time_left_seconds"], due - utcnow())
    (part,) = [a for a in view["assignments"] if a["active"] and a["role"] == "co"]
    assert datetime.fromisoformat(part["sign_due_at"]) == due
    assert number in numbers(meilin, "to_sign") and number not in numbers(meilin, "overdue")
    assert co_alarms(app, number) == [due]  # no reminder against the first round's deadline

    ok(meilin, number, "sign")
    last = co_signings(app, number)[-1]
    assert (last["round"], last["on_time"], last["again"]) == (1, True, co_signs)
    assert last["sign_due_at"] == due.isoformat()
    twice = act(meilin, number, "sign")
    assert twice.status_code == 409 and "already" in twice.json["message"]
    assert number not in numbers(meilin, "to_sign") and co_alarms(app, number) == []
    after = meilin.get(f"/api/v1/appeals/{number}").json
    assert (after["sign_warning"], after["sign_time_left_seconds"]) == ("none", None)
    # The lead unit still has to sign for the round: the co-unit's signing is not the lead's.
    assert number in numbers(as_user(LEAD), "to_sign")


def test_the_co_unit_s_sign_for_clock_counts_from_the_reopen(app, as_user, client):
    number = reopened(app, as_user, client, co_signs=True)
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        start, due = appeal.reply_started_at, appeal.sign_due_at
        clock = co_sign_clock(appeal, MEILIN, signed_assignment_ids(s, appeal))
        assert clock is not None and not clock.signed
        # Yellow once a quarter of the time from the reopen is left, not at once (30 days after
        # the part was assigned).
        halfway = clock_fields(appeal, start + (due - start) / 2, clock)
        late = clock_fields(appeal, start + (due - start) * 4 / 5, clock)
        overdue = clock_fields(appeal, due + MINUTE, clock)
    assert (halfway["sign_warning"], late["sign_warning"], overdue["sign_warning"]) == (
        "none",
        "yellow",
        "red",
    )


def test_the_sign_overdue_sweep_reminds_the_co_unit_against_the_reopen_s_deadline(app, as_user, client):
    body = register(as_user("operator"), **garbage_in_meilin())
    number = body["number"]
    # The first round began days ago: at night an ordinary deadline counts from the next opening,
    # and a reopen within the same night would get the very deadline the first round had.
    days_pass(app, number, 3)
    (first_due,) = co_alarms(app, number)
    with stored(app) as s:  # the co-unit missed its first round's deadline and was reminded
        assert sweep(s, CO_SIGN_OVERDUE, now=first_due + MINUTE).fired
        s.commit()
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    assert rate(client, body, UNSATISFIED).status_code == 200
    reopen(as_user, number)
    due = appeal_row(app, number)["sign_due_at"]
    assert due > first_due

    with stored(app) as s:
        before = sweep(s, CO_SIGN_OVERDUE, now=due - MINUTE)
        s.commit()
    assert before.seen == 0
    with stored(app) as s:
        late = sweep(s, CO_SIGN_OVERDUE, now=due + MINUTE)
        s.commit()
    assert len(late.fired) == 2  # the lead's and the co-unit's, both due at the reopen's deadline
    reminders = [o for o in outbox(app, number) if o["template"] == "co_sign_overdue"]
    # Reminded once per round, each time with the centre told of both units in one notice.
    assert [o["recipient"] for o in reminders] == [f"unit:{MEILIN}"] * 2
    assert reminders[-1]["data"]["due_at_local"] == local_time_text(due, SHANGHAI)
    joint = [o for o in outbox(app, number) if o["template"] == "units_sign_overdue"]
    assert len(joint) == 2 and [u["unit"] for u in joint[-1]["data"]["units"]] == [CGJ, MEILIN]


def _texts(app: Any, number: str, template: str) -> dict[str, str]:
    """The SMS bodies of the appeal's `template` notices, by recipient, as rendered now."""
    with stored(app) as s:
        rows = s.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.dedup_key.like(f"{number}:%"), OutboxMessage.template == template
            )
        ).all()
        made = [
            d
            for row in rows
            for d in expand(s, row, now=utcnow(), calendar=WorkCalendar(), tz=SHANGHAI, channels={"sms"})
        ]
        s.rollback()
    return {d.recipient: d.body for d in made}


def test_every_unit_on_the_appeal_is_told_of_the_reopen(app, as_user, client):
    number = reopened(app, as_user, client, co_signs=True)
    due = local_time_text(appeal_row(app, number)["sign_due_at"], SHANGHAI)

    told = [recipient for recipient, template in notices(app, number) if template == "appeal_reopened"]
    assert sorted(told) == sorted([f"unit:{CGJ}", f"unit:{MEILIN}", "citizen"])
    ok(as_user(LEAD), number, "sign")  # the texts go out later: the lead has signed by then
    texts = _texts(app, number, "appeal_reopened")
    assert "第1次重办" in texts[f"unit:{MEILIN}"] and "协办" in texts[f"unit:{MEILIN}"]
    assert f"请于{due}前重新签收" in texts[f"unit:{MEILIN}"]  # its own part's deadline, still unsigned
    assert "协办" not in texts[f"unit:{CGJ}"]


def as_reopened_before_co_rounds(app: Any, number: str) -> None:
    """Make the reopen one made before reopens gave the co-units a new round: its event names no
    co-units, and the co part kept its first round's deadline."""
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        event = s.scalar(
            sa.select(AppealEvent).where(AppealEvent.appeal_id == appeal.id, AppealEvent.action == "reopened")
        )
        payload = {k: v for k, v in event.payload.items() if k != "co_units"}
        # written as an older version wrote it (the log refuses changes made through the ORM)
        s.execute(sa.update(AppealEvent.__table__).where(AppealEvent.id == event.id).values(payload=payload))
        (part,) = [a for a in appeal.assignments if a.active and a.role == "co"]
        part.sign_due_at = part.assigned_at + timedelta(hours=2)
        s.commit()


def test_a_co_unit_that_signed_before_an_earlier_kind_of_reopen_is_not_asked_again(app, as_user, client):
    """Reopened before reopens restarted co parts, the co-unit was never told to sign again: its
    signing of the first round stands (no red clock, no to-sign entry, no reminder)."""
    number = reopened(app, as_user, client, co_signs=True)
    as_reopened_before_co_rounds(app, number)
    meilin = as_user(CO)

    view = meilin.get(f"/api/v1/appeals/{number}").json
    assert (view["sign_warning"], view["sign_time_left_seconds"]) == ("none", None)
    assert number not in numbers(meilin, "to_sign") and number not in numbers(meilin, "overdue")
    assert act(meilin, number, "sign").status_code == 409


def test_a_co_unit_that_never_signed_before_an_earlier_kind_of_reopen_keeps_its_first_clock(
    app, as_user, client
):
    number = reopened(app, as_user, client, co_signs=False)
    as_reopened_before_co_rounds(app, number)
    meilin = as_user(CO)

    view = meilin.get(f"/api/v1/appeals/{number}").json
    (part,) = [a for a in view["assignments"] if a["active"] and a["role"] == "co"]
    assert view["sign_warning"] == "red"  # its first round's deadline, long past
    assert near(view["sign_time_left_seconds"], datetime.fromisoformat(part["sign_due_at"]) - utcnow())
    assert number in numbers(meilin, "to_sign") and number in numbers(meilin, "overdue")
