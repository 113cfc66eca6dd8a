"""A co-unit (协办单位) runs on its own sign-for clock: its assignment's deadline, counted from its
assignment, until it signs for its part; the lead unit and the centre keep the appeal's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.appeals.models import Appeal, AppealAssignment
from service.db import utcnow
from service.queues.clocks import clock_fields, co_sign_clock
from tests.service.factories import stored
from tests.service.handling_steps import CO, LEAD, new_appeal, ok, stored_appeal
from tests.service.test_queues import counting_queries, numbers

HOUR = timedelta(hours=1)


def set_co_clock(app, number: str, *, assigned: timedelta, due: timedelta) -> None:
    """The co-unit's part: assigned `assigned` ago, to sign for by `due` from now (negative: passed)."""
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        co = next(a for a in appeal.assignments if a.active and a.role == "co")
        now = utcnow()
        co.assigned_at, co.sign_due_at = now - assigned, now + due
        s.commit()


def set_appeal(app, number: str, **values) -> None:
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        for key, value in values.items():
            setattr(appeal, key, value)
        s.commit()


def clock(api, number: str) -> tuple[str, int | None]:
    r = api.get(f"/api/v1/appeals/{number}")
    assert r.status_code == 200, r.json
    return r.json["sign_warning"], r.json["sign_time_left_seconds"]


def near(seconds: int | None, expected: timedelta) -> bool:
    return seconds is not None and abs(seconds - expected.total_seconds()) < 60


def test_a_co_unit_that_contributes_is_signed_for_its_part_on_its_work_lists(app, as_user):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    set_co_clock(app, number, assigned=24 * HOUR, due=-HOUR)
    assert number in numbers(as_user(CO), "overdue")

    ok(as_user(CO), number, "contribute", text="本镇已派人到现场核实")

    assert clock(as_user(CO), number) == ("none", None)
    assert number not in numbers(as_user(CO), "overdue")
    assert number not in numbers(as_user(CO), "to_sign")


def test_a_co_unit_whose_part_is_overdue_sees_red_after_the_lead_signed(app, as_user):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")  # handling: the lead's sign-for clock stopped
    set_co_clock(app, number, assigned=24 * HOUR, due=-HOUR)

    warning, left = clock(as_user(CO), number)
    assert warning == "red" and near(left, -HOUR)
    assert number in numbers(as_user(CO), "overdue")
    items = as_user(CO).get("/api/v1/queues/overdue").json["items"]
    assert [(a["number"], a["sign_warning"]) for a in items] == [(number, "red")]
    # The lead unit and the centre: signed for, no sign-for clock, nothing overdue.
    for user in (LEAD, "dispatcher"):
        assert clock(as_user(user), number) == ("none", None), user
        assert number not in numbers(as_user(user), "overdue"), user


def test_the_co_unit_s_warning_counts_from_its_assignment(app, as_user):
    """Ten hours of twelve gone since the part was assigned at the dispatch: yellow, though the
    lead unit has days left. (A reopen starts the part's clock again: test_reopen_co_units.py.)"""
    number = new_appeal(as_user)
    now = utcnow()
    set_appeal(
        app,
        number,
        dispatched_at=now - 10 * HOUR,
        reply_started_at=now - 10 * HOUR,
        sign_due_at=now + 72 * HOUR,
    )
    set_co_clock(app, number, assigned=10 * HOUR, due=2 * HOUR)

    warning, left = clock(as_user(CO), number)
    assert warning == "yellow" and near(left, 2 * HOUR)
    assert number not in numbers(as_user(CO), "overdue")
    for user in (LEAD, "dispatcher"):
        warning, left = clock(as_user(user), number)
        assert warning == "none" and near(left, 72 * HOUR), user


def test_after_co_signing_the_co_unit_has_no_sign_for_clock(app, as_user):
    number = new_appeal(as_user)
    ok(as_user(CO), number, "sign")  # 协办单位签收; the lead has not signed
    set_appeal(app, number, sign_due_at=utcnow() - HOUR)

    assert clock(as_user(CO), number) == ("none", None)
    assert number not in numbers(as_user(CO), "overdue")  # the lead's lateness is not the co-unit's
    items = as_user(CO).get("/api/v1/queues/my_unit").json["items"]
    assert [(a["sign_warning"], a["sign_time_left_seconds"]) for a in items] == [("none", None)]
    for user in (LEAD, "dispatcher"):
        warning, left = clock(as_user(user), number)
        assert warning == "red" and near(left, -HOUR), user
        assert number in numbers(as_user(user), "overdue"), user


def test_the_co_unit_s_to_sign_list_is_ordered_by_its_own_deadlines(app, as_user):
    first, second = new_appeal(as_user), new_appeal(as_user)
    now = utcnow()
    # The lead's deadlines in one order, the co-unit's parts in the other.
    set_appeal(app, first, sign_due_at=now + HOUR)
    set_appeal(app, second, sign_due_at=now + 2 * HOUR)
    set_co_clock(app, first, assigned=HOUR, due=5 * HOUR)
    set_co_clock(app, second, assigned=HOUR, due=-HOUR)

    assert numbers(as_user(CO), "to_sign") == [second, first]
    items = as_user(CO).get("/api/v1/queues/to_sign").json["items"]
    assert [a["sign_warning"] for a in items] == ["red", "none"]
    assert near(items[0]["sign_time_left_seconds"], -HOUR) and near(
        items[1]["sign_time_left_seconds"], 5 * HOUR
    )
    assert numbers(as_user(LEAD), "to_sign") == [first, second]  # the lead: the appeal's deadlines

    ok(as_user(CO), second, "sign")
    assert numbers(as_user(CO), "to_sign") == [first]


def test_a_co_unit_s_list_page_costs_the_same_for_one_appeal_or_many(app, as_user):
    for _ in range(4):
        number = new_appeal(as_user)
        set_co_clock(app, number, assigned=HOUR, due=-HOUR)
    meilin = as_user(CO)
    numbers(meilin, "to_sign", per_page=1)  # warm up: the token's first use is recorded

    with counting_queries(app) as one:
        assert len(numbers(meilin, "to_sign", per_page=1)) == 1
    with counting_queries(app) as four:
        items = meilin.get("/api/v1/queues/to_sign", query_string={"per_page": 4}).json["items"]
    assert [a["sign_warning"] for a in items] == ["red"] * 4
    assert len(four) == len(one), "\n".join(four)


# ---- the rule, with "now" frozen ------------------------------------------------------------------

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


def test_the_co_clock_is_the_unsigned_part_s_and_stops_when_signed():
    appeal = Appeal(status="handling", signed_at=NOW, sign_due_at=NOW + HOUR, received_at=NOW)
    part = AppealAssignment(
        id=7, unit_code="co", role="co", active=True, assigned_at=NOW, sign_due_at=NOW + 4 * HOUR
    )
    appeal.assignments = [
        AppealAssignment(id=6, unit_code="lead", role="lead", active=True, assigned_at=NOW),
        part,
    ]

    assert co_sign_clock(appeal, "lead", set()) is None  # the lead unit reads the appeal's clock
    unsigned = co_sign_clock(appeal, "co", set())
    fields = clock_fields(appeal, NOW + 3.5 * HOUR, unsigned)
    assert (fields["sign_warning"], fields["sign_time_left_seconds"]) == ("yellow", 1800)
    assert clock_fields(appeal, NOW + 3.5 * HOUR)["sign_warning"] == "none"  # the lead signed
    signed = co_sign_clock(appeal, "co", {7})
    assert clock_fields(appeal, NOW + 5 * HOUR, signed)["sign_warning"] == "none"
    appeal.status = "reply_review"  # units no longer work on it: no clock for the co-unit either
    assert clock_fields(appeal, NOW + 5 * HOUR, unsigned)["sign_time_left_seconds"] is None
