"""Working days (工作日): the national calendar with 调休, plus a list's local overrides."""

from __future__ import annotations

from datetime import date, time, timedelta

import chinese_calendar

from responsibility_lists.model import DEFAULT_WORKING_HOURS, Calendar

_NATIONAL_HOLIDAYS = frozenset(chinese_calendar.holidays)
_NATIONAL_WORKDAYS = frozenset(chinese_calendar.workdays)  # 调休: weekend days worked
#: Years the installed chinesecalendar publishes (it raises NotImplementedError outside them).
NATIONAL_YEARS = range(min(_NATIONAL_HOLIDAYS).year, max(_NATIONAL_HOLIDAYS).year + 1)

_ONE_DAY = timedelta(days=1)

#: A working period of a working day: opening and closing local times; a closing time of 00:00 is
#: the midnight ending the day (24:00).
Period = tuple[time, time]


class WorkCalendar:
    """Decides whether a date is a working day.

    Order of precedence: the list's local holidays, then its local workdays (a date in both is a
    holiday: a conflict must postpone deadlines, never advance them), then the national calendar.
    For a year the national calendar does not cover yet, Monday to Friday are working days; the
    service should warn when `covers(d)` is false for a deadline it computes.

    `working_hours`: the working periods of each working day, earliest first (the list's
    `calendar: working_hours`, else `responsibility_lists.model.DEFAULT_WORKING_HOURS`).
    """

    def __init__(self, overrides: Calendar | None = None) -> None:
        self.overrides = overrides if overrides is not None else Calendar()
        self._holidays = self.overrides.holidays
        self._workdays = self.overrides.workdays
        self._cache: dict[date, bool] = {}
        self.working_hours: tuple[Period, ...] = self.overrides.working_hours or DEFAULT_WORKING_HOURS

    @property
    def known_years(self) -> range:
        """The years for which national holidays and 调休 are known."""
        return NATIONAL_YEARS

    def covers(self, d: date) -> bool:
        """True if the national calendar for `d`'s year is known (no Monday–Friday fallback)."""
        return d.year in NATIONAL_YEARS

    def is_workday(self, d: date) -> bool:
        try:
            return self._cache[d]
        except KeyError:
            pass
        if d in self._holidays:
            result = False
        elif d in self._workdays:
            result = True
        elif d.year in NATIONAL_YEARS:
            result = d in _NATIONAL_WORKDAYS or (d.weekday() < 5 and d not in _NATIONAL_HOLIDAYS)
        else:
            result = d.weekday() < 5
        self._cache[d] = result
        return result

    def next_workday(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def add_working_days(self, d: date, n: int) -> date:
        """The `n`th working day after `d` (`d` itself is not counted; n=0 gives `d`)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        is_workday = self.is_workday
        while n:
            d += _ONE_DAY
            if is_workday(d):
                n -= 1
        return d

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(holidays={len(self._holidays)}, workdays={len(self._workdays)}, "
            f"known_years={NATIONAL_YEARS.start}-{NATIONAL_YEARS.stop - 1})"
        )


def calendar_gaps(overrides: Calendar, today: date, years_ahead: int = 1) -> list[int]:
    """Years from today's to `years_ahead` later that deadlines may reach but the national
    calendar does not know and the list's overrides say nothing about.

    Deadlines falling in such a year count Monday to Friday only, missing that year's holidays
    and 调休, until the package is upgraded or the list adds the year's dates as overrides.
    """
    local_years = {d.year for d in overrides.holidays | overrides.workdays}
    return [
        year
        for year in range(today.year, today.year + years_ahead + 1)
        if year not in NATIONAL_YEARS and year not in local_years
    ]
