"""The pure escalation decisions: each appeal's alarms, the ladder, working hours and backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import escalation as esc
from dispatch.calendar import WorkCalendar
from dispatch.deadlines import compute_deadlines
from responsibility_lists.model import Limit

SHANGHAI = ZoneInfo("Asia/Shanghai")
LADDER = (
    esc.LadderStep(1, "单位负责人", 30),
    esc.LadderStep(2, "中心领导", 60),
    esc.LadderStep(3, "区政府办", 120),
)
SETTINGS = esc.Settings()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def facts(**kw) -> esc.AppealFacts:
    base = dict(
        status=esc.DISPATCHED,
        urgency="一般",
        status_since=local(2026, 11, 23, 9, 0),
        dispatched_at=local(2026, 11, 23, 9, 0),
        sign_due_at=local(2026, 11, 23, 11, 0),
        reply_due_at=local(2026, 11, 27, 24 - 1, 59),
        replied_at=None,
        rating_due_at=None,
    )
    base.update(kw)
    return esc.AppealFacts(**base)


def test_a_routine_dispatched_appeal_has_sign_and_reply_alarms_but_no_ladder():
    plan = esc.plan_alarms(facts(), LADDER, SETTINGS)
    assert [a.kind for a in plan] == [esc.SIGN_OVERDUE, esc.REPLY_DUE_SOON, esc.REPLY_OVERDUE]


def test_after_a_reopen_due_soon_counts_a_quarter_of_the_new_period():
    f = facts(
        status=esc.HANDLING,
        reply_started_at=local(2026, 12, 1, 9, 0),
        reply_due_at=local(2026, 12, 5, 9, 0),
    )
    soon = next(a for a in esc.plan_alarms(f, LADDER, SETTINGS) if a.kind == esc.REPLY_DUE_SOON)
    assert soon.due_at == local(2026, 12, 4, 9, 0)  # not counted from the first dispatch (11-23)


def test_an_urgent_appeal_climbs_the_ladder_counting_each_level_from_the_one_before():
    f = facts(urgency="特急", sign_due_at=local(2026, 11, 23, 9, 30))
    ladder = [a for a in esc.plan_alarms(f, LADDER, SETTINGS) if a.kind == esc.ESCALATE]
    assert [(a.level, a.due_at) for a in ladder] == [
        (1, local(2026, 11, 23, 10, 0)),
        (2, local(2026, 11, 23, 11, 0)),
        (3, local(2026, 11, 23, 13, 0)),
    ]


def test_one_run_sweeps_every_kind_once_in_the_order_an_urgent_appeal_s_alarms_fall_due():
    swept = [kind for first in esc.SWEEP_ORDER for kind in esc.swept_together(first)]
    assert sorted(swept) == sorted(esc.KINDS)
    # An urgent appeal nobody signs for, its reply due within the day: the plan's kinds, earliest
    # first, come in the run's order (a run finding them all due records them so on the timeline).
    f = facts(urgency="特急", sign_due_at=local(2026, 11, 23, 9, 30), reply_due_at=local(2026, 11, 23, 21, 0))
    planned = [a.kind for a in esc.plan_alarms(f, LADDER, SETTINGS)]
    assert planned[:2] == [esc.SIGN_OVERDUE, esc.ESCALATE]
    assert sorted(planned, key=esc.SWEEP_ORDER.index) == planned


@pytest.mark.parametrize(
    ("status", "kinds"),
    [
        (esc.HANDLING, {esc.REPLY_DUE_SOON, esc.REPLY_OVERDUE}),
        (esc.REPLY_REVIEW, {esc.REVIEW_WAITING}),
        ("closed", set()),
        ("pending_dispatch", set()),
    ],
)
def test_each_status_has_its_own_alarms(status, kinds):
    f = facts(status=status, urgency="紧急")
    assert {a.kind for a in esc.plan_alarms(f, LADDER, SETTINGS)} == kinds


def test_a_replied_appeal_is_called_back_before_its_rating_window_closes():
    replied = local(2026, 11, 23, 10, 0)
    f = facts(status=esc.REPLIED, replied_at=replied, rating_due_at=replied + timedelta(days=3))
    assert esc.plan_alarms(f, LADDER, SETTINGS) == [
        esc.Alarm(replied + timedelta(days=2), esc.RATING_CALLBACK)
    ]
    short = facts(status=esc.REPLIED, replied_at=replied, rating_due_at=replied + timedelta(days=1))
    assert esc.plan_alarms(short, LADDER, SETTINGS) == []  # it closes by itself first


def test_a_stored_alarm_is_still_planned_only_while_the_appeal_is_in_the_same_state():
    f = facts(urgency="紧急")
    alarm = next(a for a in esc.plan_alarms(f, LADDER, SETTINGS) if a.kind == esc.ESCALATE)
    assert esc.still_planned(alarm, f, LADDER, SETTINGS)
    assert not esc.still_planned(alarm, facts(urgency="紧急", status=esc.HANDLING), LADDER, SETTINGS)
    moved = facts(urgency="紧急", sign_due_at=f.sign_due_at + timedelta(hours=1))  # re-dispatched
    assert not esc.still_planned(alarm, moved, LADDER, SETTINGS)


def test_reply_alarms_across_the_national_day_holiday_follow_the_working_day_deadline():
    calendar = WorkCalendar()
    start = local(2026, 9, 30, 10, 0)  # the day before 国庆
    deadlines = compute_deadlines(
        start, Limit(sign_hours=4, reply_working_days=3), "一般", calendar, SHANGHAI
    )
    f = facts(
        status=esc.HANDLING,
        dispatched_at=start,
        sign_due_at=deadlines.sign_due_at,
        reply_due_at=deadlines.reply_due_at,
    )
    overdue = next(a for a in esc.plan_alarms(f, (), SETTINGS) if a.kind == esc.REPLY_OVERDUE)
    # 1-7 October are holidays; 8, 9 and the 调休 Saturday 10 October are the three working days.
    assert overdue.due_at == local(2026, 10, 11, 0, 0)
    # Sign-for in working time: four working hours from 10:00 on the 30th.
    assert deadlines.sign_due_at.astimezone(SHANGHAI).date().isoformat() == "2026-09-30"


def test_routine_notices_wait_for_the_next_working_morning():
    calendar = WorkCalendar()
    at = esc.send_not_before
    assert at(local(2026, 11, 23, 10, 0), urgent=False, calendar=calendar, tz=SHANGHAI) == local(
        2026, 11, 23, 10, 0
    )
    assert at(local(2026, 11, 23, 19, 0), urgent=False, calendar=calendar, tz=SHANGHAI) == local(
        2026, 11, 24, 8, 30
    )
    assert at(local(2026, 11, 28, 10, 0), urgent=False, calendar=calendar, tz=SHANGHAI) == local(
        2026, 11, 30, 8, 30
    )
    assert at(local(2026, 9, 30, 23, 0), urgent=False, calendar=calendar, tz=SHANGHAI) == local(
        2026, 10, 8, 8, 30
    )
    # Urgent notices go at any hour, holidays included.
    assert at(local(2026, 10, 2, 3, 0), urgent=True, calendar=calendar, tz=SHANGHAI) == local(
        2026, 10, 2, 3, 0
    )


def soon_at(at: datetime, start: datetime, due_at: datetime) -> datetime:
    return esc.warning_in_working_hours(at, start, due_at, WorkCalendar(), SHANGHAI)


def test_a_warning_in_working_hours_stays_where_it_falls():
    start, due = local(2026, 11, 23, 9, 0), local(2026, 11, 28, 0, 0)
    for at in (local(2026, 11, 26, 8, 30), local(2026, 11, 26, 12, 30), local(2026, 11, 26, 17, 59)):
        assert soon_at(at, start, due) == at


@pytest.mark.parametrize(
    ("at", "moved"),
    [
        # Thursday 02:00 and Wednesday 19:00: Wednesday's opening, earlier, never the next morning.
        (local(2026, 11, 26, 2, 0), local(2026, 11, 25, 8, 30)),
        (local(2026, 11, 25, 19, 0), local(2026, 11, 25, 8, 30)),
        (local(2026, 11, 26, 8, 29), local(2026, 11, 25, 8, 30)),
        (local(2026, 11, 26, 18, 0), local(2026, 11, 26, 8, 30)),
        # A Sunday: the Friday before.
        (local(2026, 11, 29, 10, 0), local(2026, 11, 27, 8, 30)),
    ],
)
def test_a_warning_at_night_or_on_a_day_off_goes_off_at_the_opening_of_the_working_day_before(at, moved):
    assert soon_at(at, local(2026, 11, 20, 9, 0), local(2026, 12, 3, 0, 0)) == moved


def test_a_warning_in_the_national_day_holiday_goes_off_on_the_last_working_day_before_it():
    at = local(2026, 10, 5, 3, 0)  # 1-7 October are holidays
    assert soon_at(at, local(2026, 9, 20, 10, 0), local(2026, 10, 11, 0, 0)) == local(2026, 9, 30, 8, 30)
    # 调休: Saturday 10 October is a working day, its 07:00 goes back to Friday's opening.
    assert soon_at(local(2026, 10, 10, 7, 0), local(2026, 9, 20, 10, 0), local(2026, 10, 11, 0, 0)) == local(
        2026, 10, 9, 8, 30
    )


def test_a_warning_before_the_unit_had_the_appeal_goes_off_the_next_working_morning_if_before_the_deadline():
    # Dispatched Monday 22:21 with 2 working hours: due Tuesday 10:30, warned at Tuesday's opening.
    start, due = local(2026, 11, 23, 22, 21), local(2026, 11, 24, 10, 30)
    assert soon_at(esc.yellow_at(start, due), start, due) == local(2026, 11, 24, 8, 30)
    # Nothing in working hours between the dispatch and the deadline: where it falls.
    start, due = local(2026, 11, 23, 19, 0), local(2026, 11, 24, 0, 0)
    assert soon_at(esc.yellow_at(start, due), start, due) == esc.yellow_at(start, due)


def test_the_plan_keeps_a_routine_appeal_s_warning_in_working_hours_an_urgent_one_s_where_it_falls():
    # Dispatched Monday 09:00, due at the end of Thursday: a quarter left is Thursday 02:15.
    start, due = local(2026, 11, 23, 9, 0), local(2026, 11, 27, 0, 0)
    routine = facts(status=esc.HANDLING, dispatched_at=start, reply_due_at=due, workdays=WorkCalendar())
    urgent = facts(
        status=esc.HANDLING, urgency="紧急", dispatched_at=start, reply_due_at=due, workdays=WorkCalendar()
    )

    def soon(f: esc.AppealFacts) -> datetime:
        return next(a.due_at for a in esc.plan_alarms(f, (), SETTINGS) if a.kind == esc.REPLY_DUE_SOON)

    assert esc.yellow_at(start, due) == local(2026, 11, 26, 2, 15)
    assert soon(routine) == local(2026, 11, 25, 8, 30)
    assert soon(urgent) == local(2026, 11, 26, 2, 15)  # its notices go at any hour
    assert soon(facts(status=esc.HANDLING, dispatched_at=start, reply_due_at=due)) == local(
        2026, 11, 26, 2, 15
    )


def test_a_warning_stored_at_the_unmoved_quarter_point_still_stands_for_the_plan_s_warning():
    """Stored before warnings were kept to working hours: at the quarter point of the same deadline,
    it is the plan's warning; at another time, or for another deadline, it is not."""
    start, due = local(2026, 11, 23, 9, 0), local(2026, 11, 27, 0, 0)
    f = facts(status=esc.HANDLING, dispatched_at=start, reply_due_at=due, workdays=WorkCalendar())
    plan = esc.plan_alarms(f, (), SETTINGS)

    def stored_at(at: datetime, kind: str = esc.REPLY_DUE_SOON) -> esc.Alarm:
        return esc.Alarm(at, kind)

    assert esc.still_planned(stored_at(local(2026, 11, 26, 2, 15)), f, (), SETTINGS)
    assert esc.still_planned(stored_at(local(2026, 11, 25, 8, 30)), f, (), SETTINGS)  # as planned now
    assert not esc.still_planned(stored_at(local(2026, 11, 26, 3, 0)), f, (), SETTINGS)
    extended = facts(status=esc.HANDLING, dispatched_at=start, reply_due_at=local(2026, 12, 1, 0, 0))
    assert not esc.stands_for_warning(stored_at(local(2026, 11, 26, 2, 15)), extended, plan)
    assert not esc.stands_for_warning(stored_at(local(2026, 11, 26, 2, 15), esc.REPLY_OVERDUE), f, plan)


def test_send_time_needs_an_aware_datetime():
    with pytest.raises(ValueError):
        esc.send_not_before(datetime(2026, 11, 23, 10, 0), urgent=False, calendar=WorkCalendar(), tz=SHANGHAI)


def test_transient_failures_back_off_then_give_up():
    waits = [esc.retry_after(n) for n in range(1, esc.MAX_ATTEMPTS + 1)]
    assert waits[:5] == [timedelta(seconds=30 * 2**k) for k in range(5)]
    assert waits[-1] is None


def test_the_ladder_is_read_from_the_stored_list_entry_in_level_order():
    stored = [{"level": 2, "title": "中心领导", "after_minutes": 60}, {"level": 1, "title": "单位负责人"}]
    assert esc.ladder_from_list(stored) == (
        esc.LadderStep(1, "单位负责人", 30),
        esc.LadderStep(2, "中心领导", 60),
    )


# --- A co-unit's own sign-for deadline (协办签收) --------------------------------------------------

CO_DUE = local(2026, 11, 23, 15, 0)  # the co-unit's part: later than the lead's 11:00


def part(assignment_id: int = 7, *, signed: bool = False, due: datetime | None = CO_DUE) -> esc.CoPart:
    return esc.CoPart(assignment_id, "360704100000", due, signed)


def co_alarms(f: esc.AppealFacts) -> list[esc.Alarm]:
    return [a for a in esc.plan_alarms(f, LADDER, SETTINGS) if a.kind == esc.CO_SIGN_OVERDUE]


@pytest.mark.parametrize(
    ("case", "status", "parts", "expected"),
    [
        ("unsigned, dispatched", esc.DISPATCHED, (part(),), [(CO_DUE, 7)]),
        ("unsigned, the lead signed", esc.HANDLING, (part(),), [(CO_DUE, 7)]),
        ("signed for its part", esc.HANDLING, (part(signed=True),), []),
        ("no deadline of its own", esc.DISPATCHED, (part(due=None),), []),
        ("no co-units (or their assignments ended)", esc.DISPATCHED, (), []),
        (
            "two co-units, one signed",
            esc.DISPATCHED,
            (part(7, signed=True), part(8, due=CO_DUE + timedelta(hours=1))),
            [(CO_DUE + timedelta(hours=1), 8)],
        ),
        ("return under review", "return_requested", (part(),), []),
        ("reply under review", esc.REPLY_REVIEW, (part(),), []),
        ("replied", esc.REPLIED, (part(),), []),
        ("merged", "merged", (part(),), []),
        ("waiting for dispatch", "pending_dispatch", (part(),), []),
    ],
)
def test_a_co_unit_s_unsigned_part_is_reminded_at_its_own_deadline_while_units_work_on_it(
    case, status, parts, expected
):
    f = facts(status=status, co_parts=parts, replied_at=local(2026, 11, 24, 9, 0))
    assert [(a.due_at, a.assignment_id) for a in co_alarms(f)] == expected, case


def test_an_urgent_appeal_s_ladder_stays_the_lead_s_a_co_unit_gets_one_reminder():
    f = facts(urgency="特急", sign_due_at=local(2026, 11, 23, 9, 30), co_parts=(part(),))
    plan = esc.plan_alarms(f, LADDER, SETTINGS)
    assert [a.level for a in plan if a.kind == esc.ESCALATE] == [1, 2, 3]
    assert [a for a in plan if a.assignment_id is not None] == [
        esc.Alarm(CO_DUE, esc.CO_SIGN_OVERDUE, 0, assignment_id=7)
    ]
    assert plan == sorted(plan)  # earliest first, the co-unit's among the lead's


def test_a_co_unit_s_alarm_is_dropped_once_it_signs_or_its_assignment_ends():
    f = facts(status=esc.HANDLING, co_parts=(part(),))
    (alarm,) = co_alarms(f)
    assert esc.still_planned(alarm, f, LADDER, SETTINGS)
    assert not esc.still_planned(
        alarm, facts(status=esc.HANDLING, co_parts=(part(signed=True),)), LADDER, SETTINGS
    )
    assert not esc.still_planned(alarm, facts(status=esc.HANDLING), LADDER, SETTINGS)  # ended
    # Re-dispatched to the same co-unit: a new assignment, its alarm another.
    again = facts(status=esc.DISPATCHED, co_parts=(part(9),))
    assert not esc.still_planned(alarm, again, LADDER, SETTINGS)
    assert co_alarms(again) == [esc.Alarm(CO_DUE, esc.CO_SIGN_OVERDUE, 0, assignment_id=9)]


def test_the_sign_for_reminders_are_swept_together_the_other_kinds_alone():
    assert esc.swept_together(esc.SIGN_OVERDUE) == esc.swept_together(esc.CO_SIGN_OVERDUE)
    assert set(esc.swept_together(esc.SIGN_OVERDUE)) == {esc.SIGN_OVERDUE, esc.CO_SIGN_OVERDUE}
    for kind in set(esc.KINDS) - {esc.SIGN_OVERDUE, esc.CO_SIGN_OVERDUE}:
        assert esc.swept_together(kind) == (kind,)


def test_the_centre_hears_once_of_an_appeal_whose_units_missed_their_deadlines_in_one_sweep():
    due = local(2026, 11, 23, 11, 0)
    lead = esc.Alarm(due, esc.SIGN_OVERDUE)

    def co(assignment_id: int, at: datetime = due) -> esc.Alarm:
        return esc.Alarm(at, esc.CO_SIGN_OVERDUE, assignment_id=assignment_id)

    fired = [
        (1, co(12)),  # appeal 1: two co-units, then its lead, the co-units in no particular order
        (2, lead),  # appeal 2: the lead alone
        (1, co(11)),
        (3, co(31)),  # appeal 3: one co-unit alone
        (1, lead),
        (4, co(41)),  # appeal 4: two co-units whose deadlines differ, both past at this sweep
        (4, co(42, due + timedelta(hours=2))),
        (5, esc.Alarm(due, esc.REPLY_OVERDUE)),  # other kinds are never joined
        (5, esc.Alarm(due, esc.REPLY_DUE_SOON)),
    ]
    # Each appeal with several sign-for reminders: one notice, the lead first, then the co-units
    # by assignment; appeals in the order the sweep reached them. One reminder alone: its own notice.
    assert esc.joint_centre_notices(fired) == [(4, 2, 0), (5, 6)]
    assert esc.joint_centre_notices([(2, lead), (3, co(31))]) == []
    assert esc.joint_centre_notices([]) == []


def test_a_notice_about_an_urgent_appeal_goes_at_any_hour():
    assert esc.notice_urgent("特急") and esc.notice_urgent("紧急")
    assert not esc.notice_urgent("一般") and not esc.notice_urgent(None)
    assert esc.notice_urgent("一般", "特急")  # a merged appeal's notice about its urgent master
