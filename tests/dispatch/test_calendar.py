"""Working days: national holidays, 调休 make-up workdays, local overrides, unknown years."""

from datetime import date, timedelta

import pytest

from dispatch.calendar import WorkCalendar
from responsibility_lists.model import Calendar


def test_national_day_2026_is_off_and_its_make_up_saturday_is_worked():
    cal = WorkCalendar()
    for day in range(1, 8):  # 国庆节 2026-10-01 .. 10-07, Thursday to Wednesday
        assert not cal.is_workday(date(2026, 10, day)), day
    assert cal.is_workday(date(2026, 9, 30))
    assert cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, 调休 for the holiday


def test_spring_festival_2026():
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 2, 13))  # Friday before
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, 调休
    for day in range(15, 24):  # 春节 2026-02-15 .. 02-23
        assert not cal.is_workday(date(2026, 2, day)), day
    assert cal.is_workday(date(2026, 2, 24))
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, 调休


def test_ordinary_weekend_is_off():
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 3, 13))  # Friday
    assert not cal.is_workday(date(2026, 3, 14))
    assert not cal.is_workday(date(2026, 3, 15))
    assert cal.is_workday(date(2026, 3, 16))


def test_years_without_national_data_fall_back_to_monday_to_friday():
    cal = WorkCalendar()
    assert cal.covers(date(2026, 12, 31))
    assert not cal.covers(date(2027, 1, 1))
    assert 2026 in cal.known_years and 2027 not in cal.known_years
    # 2027-01-01 is a Friday: a holiday in reality, unknown to chinesecalendar 1.11.0.
    assert cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 1, 2))
    assert not cal.is_workday(date(2027, 1, 3))
    assert cal.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)


def test_local_overrides_win_over_the_national_calendar():
    overrides = Calendar(
        holidays=frozenset(
            {date(2026, 3, 16), date(2027, 1, 1)}
        ),  # a local holiday, and one in an unknown year
        workdays=frozenset({date(2026, 10, 2), date(2027, 1, 2)}),  # a local duty day in the holiday
    )
    cal = WorkCalendar(overrides)
    assert not cal.is_workday(date(2026, 3, 16))
    assert cal.is_workday(date(2026, 10, 2))
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 2))
    # Another list's calendar is unaffected: overrides are per calendar, not global.
    assert WorkCalendar().is_workday(date(2026, 3, 16))
    assert not WorkCalendar().is_workday(date(2026, 10, 2))


def test_a_date_both_holiday_and_workday_locally_is_a_holiday():
    d = date(2026, 3, 16)
    cal = WorkCalendar(Calendar(holidays=frozenset({d}), workdays=frozenset({d})))
    assert not cal.is_workday(d)


def test_add_working_days_does_not_count_the_start_day():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 3, 16), 0) == date(2026, 3, 16)
    assert cal.add_working_days(date(2026, 3, 16), 1) == date(2026, 3, 17)
    assert cal.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)  # Friday → Monday
    assert cal.add_working_days(date(2026, 3, 14), 1) == date(2026, 3, 16)  # from a Saturday
    # From the last day before National Day: Oct 8, 9, then Saturday Oct 10 (调休), then Oct 12.
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 9, 30), -1)


def test_next_workday_is_strictly_after():
    cal = WorkCalendar()
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 10, 9)) == date(2026, 10, 10)
    assert cal.next_workday(date(2026, 3, 16)) == date(2026, 3, 17)


def test_matches_chinese_calendar_over_known_years():
    import chinese_calendar

    cal = WorkCalendar()
    d = date(2025, 1, 1)
    while d.year < 2027:
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_calendar_gaps_name_the_years_nobody_has_described():
    from dispatch.calendar import NATIONAL_YEARS, calendar_gaps

    last = NATIONAL_YEARS[-1]
    assert calendar_gaps(Calendar(), date(last, 11, 21)) == [last + 1]
    assert calendar_gaps(Calendar(holidays=frozenset({date(last + 1, 1, 1)})), date(last, 11, 21)) == []
    assert calendar_gaps(Calendar(), date(last - 1, 3, 1)) == []
