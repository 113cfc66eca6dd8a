"""Deadline arithmetic: working time, working days, 调休, time zones, extensions, warnings."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import (
    add_working_time,
    compute_deadlines,
    end_of_working_days,
    extend,
    time_left,
    warning_level,
)
from responsibility_lists.model import Calendar, Limit

BJ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
ORDINARY = Limit(sign_hours=2, reply_working_days=5)
URGENT = Limit(sign_hours=0.5, reply_hours=24)


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BJ)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_reply_across_national_day_counts_the_make_up_saturday():
    # Wed 2026-09-30 10:00. Working days after it: Oct 8, Oct 9, Sat Oct 10 (调休), Oct 12, Oct 13.
    d = compute_deadlines(bj(2026, 9, 30, 10, 0), ORDINARY, "一般", CAL, BJ)
    assert d.sign_due_at == utc(2026, 9, 30, 4, 0)  # 12:00 Beijing, the same day
    assert d.reply_due_at == utc(2026, 10, 13, 16, 0)  # end of Tue Oct 13 = Oct 14 00:00 Beijing
    assert d.reply_due_at.tzinfo is UTC


def test_reply_over_the_mid_autumn_make_up_sunday():
    # Fri 2026-09-18: the next working day is Sunday Sep 20 (调休 for Mid-Autumn and National Day).
    d = compute_deadlines(bj(2026, 9, 18, 15, 0), Limit(sign_hours=2, reply_working_days=1), "一般", CAL, BJ)
    assert d.reply_due_at == bj(2026, 9, 21, 0, 0)


def test_sign_for_hours_skip_the_weekend():
    d = compute_deadlines(bj(2026, 3, 13, 15, 0), Limit(sign_hours=24, reply_working_days=5), "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 3, 16, 15, 0)  # Friday 15:00 + 24 working hours = Monday 15:00


def test_sign_for_hours_skip_the_national_day_holiday():
    # Tue Sep 29 16:00: 8 h left that day, 24 h on Sep 30, the remaining 16 h after the holiday.
    d = compute_deadlines(bj(2026, 9, 29, 16, 0), Limit(sign_hours=48, reply_working_days=3), "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 10, 8, 16, 0)
    assert d.reply_due_at == bj(2026, 10, 10, 0, 0)  # Sep 30, Oct 8, Oct 9


def test_sign_for_started_on_a_holiday_starts_counting_on_the_next_working_day():
    d = compute_deadlines(bj(2026, 10, 3, 9, 0), ORDINARY, "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 10, 8, 10, 30)  # from the opening at 08:30, not from midnight


def test_ordinary_limit_in_hours_counts_working_hours():
    d = compute_deadlines(bj(2026, 3, 13, 15, 0), Limit(sign_hours=2, reply_hours=24), "一般", CAL, BJ)
    assert d.reply_due_at == bj(2026, 3, 16, 15, 0)


# -- an ordinary appeal's hour limits count working hours ----------------------------------------

UTILITY = Limit(sign_hours=2, reply_hours=24)  # the default list's `utility` profile for 一般


def test_an_ordinary_streetlight_dispatched_at_night_is_due_in_the_morning_not_at_midnight():
    # Monday 22:21: nobody signs at 00:21; the two hours run from Tuesday's opening at 08:30.
    d = compute_deadlines(bj(2026, 12, 7, 22, 21), UTILITY, "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 12, 8, 10, 30)
    assert d.reply_due_at == bj(2026, 12, 9, 8, 30)  # 24 hours: one working day from the opening


@pytest.mark.parametrize("urgency", ["紧急", "特急"])
def test_an_urgent_appeal_dispatched_at_night_keeps_its_clock_hours(urgency):
    d = compute_deadlines(bj(2026, 12, 7, 22, 21), Limit(sign_hours=1, reply_hours=8), urgency, CAL, BJ)
    assert (d.sign_due_at, d.reply_due_at) == (bj(2026, 12, 7, 23, 21), bj(2026, 12, 8, 6, 21))


def test_working_hours_skip_the_lunch_break_the_evening_and_the_weekend():
    def sign_due(*start: int, hours: float = 2) -> datetime:
        limit = Limit(sign_hours=hours, reply_working_days=5)
        return compute_deadlines(bj(*start), limit, "一般", CAL, BJ).sign_due_at

    assert sign_due(2026, 12, 7, 11, 0) == bj(2026, 12, 7, 15, 30)  # 1 h before noon, 1 h from 14:30
    assert sign_due(2026, 12, 7, 12, 40) == bj(2026, 12, 7, 16, 30)  # at lunch: from 14:30
    assert sign_due(2026, 12, 11, 17, 0) == bj(2026, 12, 14, 10, 0)  # Friday 17:00: 30 min, Monday 1.5 h
    assert sign_due(2026, 12, 7, 10, 0) == bj(2026, 12, 7, 12, 0)  # ends with the morning: at 12:00
    assert sign_due(2026, 12, 7, 6, 0, hours=0.5) == bj(2026, 12, 7, 9, 0)
    # Whole days are working days to the same time of day, not 24 working hours (nearly four days).
    assert sign_due(2026, 12, 7, 16, 0, hours=24) == bj(2026, 12, 8, 16, 0)
    assert sign_due(2026, 12, 11, 9, 0, hours=48) == bj(2026, 12, 15, 9, 0)
    assert sign_due(2026, 12, 7, 16, 0, hours=26) == bj(2026, 12, 9, 9, 0)  # a day, 1.5 h, then 0.5 h


def test_the_list_s_working_hours_are_the_ones_counted():
    summer = WorkCalendar(Calendar(working_hours=((time(8, 0), time(12, 0)), (time(15, 0), time(18, 0)))))
    d = compute_deadlines(
        bj(2026, 12, 7, 11, 0), Limit(sign_hours=2, reply_working_days=5), "一般", summer, BJ
    )
    assert d.sign_due_at == bj(2026, 12, 7, 16, 0)  # 1 h before noon, 1 h from 15:00
    # A county whose units work around the clock: the hours are never closed, midnight included.
    every_hour = WorkCalendar(Calendar(working_hours=((time(0), time(0)),)))
    d = compute_deadlines(
        bj(2026, 12, 7, 23, 30), Limit(sign_hours=1, reply_working_days=5), "一般", every_hour, BJ
    )
    assert d.sign_due_at == bj(2026, 12, 8, 0, 30)


def test_every_ordinary_deadline_in_hours_falls_in_working_hours():
    periods = CAL.working_hours
    for start in _starts():
        for limit in (UTILITY, Limit(sign_hours=0.5, reply_hours=36)):
            d = compute_deadlines(start, limit, "一般", CAL, BJ)
            for due in (d.sign_due_at, d.reply_due_at):
                local = due.astimezone(BJ)
                assert CAL.is_workday(local.date()), (start, due)
                assert any(a <= local.time() <= b for a, b in periods), (start, local)


@pytest.mark.parametrize("urgency", ["紧急", "特急"])
def test_urgent_appeals_count_clock_hours_through_holidays(urgency):
    d = compute_deadlines(bj(2026, 10, 1, 10, 0), URGENT, urgency, CAL, BJ)
    assert d.sign_due_at == bj(2026, 10, 1, 10, 30)
    assert d.reply_due_at == bj(2026, 10, 2, 10, 0)
    assert d.sign_due_at == utc(2026, 10, 1, 2, 30)


def test_urgent_limit_given_in_working_days_counts_working_days():
    d = compute_deadlines(bj(2026, 9, 30, 10, 0), ORDINARY, "紧急", CAL, BJ)
    assert d.sign_due_at == bj(2026, 9, 30, 12, 0)
    assert d.reply_due_at == bj(2026, 10, 14, 0, 0)


def test_dispatch_late_in_the_evening_uses_the_local_date_and_local_midnights():
    start = utc(2026, 3, 13, 15, 30)  # Friday 23:30 in Beijing, 15:30 UTC the same day
    d = compute_deadlines(start, Limit(sign_hours=1, reply_working_days=1), "一般", CAL, BJ)
    # Friday night and the weekend count nothing: the hour runs from Monday's opening at 08:30.
    assert d.sign_due_at == bj(2026, 3, 16, 9, 30)
    assert d.sign_due_at == utc(2026, 3, 16, 1, 30)
    assert d.reply_due_at == bj(2026, 3, 17, 0, 0)  # end of Monday, the first working day after Friday


def test_dispatch_early_morning_beijing_is_the_previous_day_in_utc():
    start = utc(2026, 10, 7, 23, 30)  # Thu 2026-10-08 07:30 Beijing: a working day; Oct 7 is a holiday
    d = compute_deadlines(start, Limit(sign_hours=1, reply_working_days=1), "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 10, 8, 9, 30)  # the hour runs from the opening at 08:30
    assert d.reply_due_at == bj(2026, 10, 10, 0, 0)  # end of Fri Oct 9, not of Oct 8


def test_a_round_the_clock_calendar_is_never_closed_at_midnight():
    every_day = frozenset(date(2026, 3, 1) + timedelta(days=i) for i in range(60))
    cal = WorkCalendar(Calendar(workdays=every_day))
    assert add_working_time(bj(2026, 3, 14, 23, 30), timedelta(hours=1), cal, BJ) == bj(2026, 3, 15, 0, 30)
    assert add_working_time(bj(2026, 3, 14, 23, 59), timedelta(minutes=1), cal, BJ) == bj(2026, 3, 15, 0, 0)
    assert add_working_time(bj(2026, 3, 14, 0, 0), timedelta(hours=72), cal, BJ) == bj(2026, 3, 17, 0, 0)


def test_working_days_end_at_midnight_not_a_minute_before():
    due = end_of_working_days(bj(2026, 3, 16, 9, 0), 1, CAL, BJ)
    assert due == bj(2026, 3, 18, 0, 0)
    assert warning_level(bj(2026, 3, 17, 23, 59, 59), bj(2026, 3, 16, 9, 0), due) == "yellow"
    assert warning_level(due, bj(2026, 3, 16, 9, 0), due) == "yellow"  # a reply at the deadline is on time
    assert warning_level(due + timedelta(seconds=1), bj(2026, 3, 16, 9, 0), due) == "red"


def test_working_time_follows_local_days_in_a_zone_with_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on Sunday 2026-03-29
    due = add_working_time(datetime(2026, 3, 27, 12, 0, tzinfo=berlin), timedelta(hours=24), CAL, berlin)
    assert due == datetime(2026, 3, 30, 12, 0, tzinfo=berlin)
    assert due == utc(2026, 3, 30, 10, 0)


def test_extension_adds_working_days_after_the_current_due_date():
    due = bj(2026, 10, 10, 0, 0)  # end of Fri Oct 9
    assert extend(due, 2, CAL, BJ) == bj(2026, 10, 13, 0, 0)  # Sat Oct 10 (调休), Mon Oct 12
    assert extend(due, 0, CAL, BJ) == due
    # A deadline during a holiday day: the count starts from that day, to the end of a working day.
    assert extend(bj(2026, 10, 1, 10, 0), 1, CAL, BJ) == bj(2026, 10, 9, 0, 0)
    with pytest.raises(ValueError):
        extend(due, -1, CAL, BJ)


def test_extension_never_shortens():
    start = datetime(2026, 1, 1, tzinfo=BJ)
    for i in range(0, 365 * 24, 7):
        due = start + timedelta(hours=i)
        for n in (1, 3):
            assert extend(due, n, CAL, BJ) >= due + timedelta(days=n), due


def test_time_left_and_warning_levels():
    start = utc(2026, 3, 16, 0, 0)
    due = start + timedelta(hours=100)
    assert time_left(start + timedelta(hours=30), due) == timedelta(hours=70)
    assert time_left(due + timedelta(hours=1), due) == timedelta(hours=-1)
    assert warning_level(start, start, due) == "none"
    assert warning_level(start + timedelta(hours=75), start, due) == "none"  # exactly a quarter left
    assert warning_level(start + timedelta(hours=76), start, due) == "yellow"
    assert warning_level(due + timedelta(minutes=1), start, due) == "red"


def test_naive_datetimes_and_unknown_urgencies_are_refused():
    with pytest.raises(ValueError):
        compute_deadlines(datetime(2026, 3, 16, 9, 0), ORDINARY, "一般", CAL, BJ)
    with pytest.raises(ValueError):
        compute_deadlines(bj(2026, 3, 16, 9, 0), ORDINARY, "很急", CAL, BJ)
    with pytest.raises(ValueError):
        time_left(datetime(2026, 3, 16), bj(2026, 3, 16))


# -- holidays postpone deadlines, never advance them --------------------------------------------

LIMITS = [
    Limit(sign_hours=2, reply_working_days=5),
    Limit(sign_hours=24, reply_working_days=15),
    Limit(sign_hours=0.5, reply_hours=36),
]


def _days(start: date, end: date) -> frozenset[date]:
    return frozenset(start + timedelta(days=i) for i in range((end - start).days))


# The national calendar with every weekday holiday worked: same weekends and 调休, no holidays.
NO_HOLIDAYS = WorkCalendar(
    Calendar(workdays=frozenset(d for d in chinese_calendar.holidays if d.year >= 2025 and d.weekday() < 5))
)
EVERY_DAY = WorkCalendar(Calendar(workdays=_days(date(2025, 1, 1), date(2027, 3, 1))))
LOCAL_HOLIDAYS = WorkCalendar(
    Calendar(holidays=frozenset({date(2026, 3, 16), date(2026, 9, 30), date(2026, 10, 10)}))
)


def _starts():
    t = datetime(2025, 12, 20, 0, 7, tzinfo=BJ)
    while t < datetime(2026, 12, 31, tzinfo=BJ):
        yield t
        t += timedelta(minutes=163)  # not a divisor of a day: start times drift over the clock


@pytest.mark.parametrize("limit", LIMITS)
def test_holidays_never_advance_a_deadline(limit):
    checked = 0
    for start in _starts():
        for urgency in ("一般", "紧急"):
            real = compute_deadlines(start, limit, urgency, CAL, BJ)
            for fewer_holidays in (NO_HOLIDAYS, EVERY_DAY):
                base = compute_deadlines(start, limit, urgency, fewer_holidays, BJ)
                assert real.sign_due_at >= base.sign_due_at, (start, urgency)
                assert real.reply_due_at >= base.reply_due_at, (start, urgency)
            more = compute_deadlines(start, limit, urgency, LOCAL_HOLIDAYS, BJ)
            assert more.sign_due_at >= real.sign_due_at and more.reply_due_at >= real.reply_due_at, start
            assert real.sign_due_at > start.astimezone(UTC) and real.reply_due_at > real.sign_due_at
            checked += 1
    assert checked > 6000


def test_a_later_dispatch_never_gets_an_earlier_deadline():
    previous = None
    for start in _starts():
        d = compute_deadlines(start, ORDINARY, "一般", CAL, BJ)
        if previous is not None:
            assert d.sign_due_at >= previous.sign_due_at and d.reply_due_at >= previous.reply_due_at, start
        previous = d
