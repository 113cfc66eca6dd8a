"""Deadline arithmetic: working time, working days, 调休, time zones, extensions, warnings."""

from datetime import UTC, date, datetime, timedelta
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
    assert d.sign_due_at == bj(2026, 10, 8, 2, 0)


def test_ordinary_limit_in_hours_counts_working_hours():
    d = compute_deadlines(bj(2026, 3, 13, 15, 0), Limit(sign_hours=2, reply_hours=24), "一般", CAL, BJ)
    assert d.reply_due_at == bj(2026, 3, 16, 15, 0)


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
    # 30 minutes are left on Friday; the weekend counts nothing; the other 30 minutes on Monday.
    assert d.sign_due_at == bj(2026, 3, 16, 0, 30)
    assert d.sign_due_at == utc(2026, 3, 15, 16, 30)
    assert d.reply_due_at == bj(2026, 3, 17, 0, 0)  # end of Monday, the first working day after Friday


def test_dispatch_early_morning_beijing_is_the_previous_day_in_utc():
    start = utc(2026, 10, 7, 23, 30)  # Thu 2026-10-08 07:30 Beijing: a working day; Oct 7 is a holiday
    d = compute_deadlines(start, Limit(sign_hours=1, reply_working_days=1), "一般", CAL, BJ)
    assert d.sign_due_at == bj(2026, 10, 8, 8, 30)
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
