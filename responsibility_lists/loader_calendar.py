"""Reading and checking a list's calendar (日历): its `calendar` section and working hours.

The section holds the local changes to the national calendar (`holidays`, extra rest days, and
`workdays`, extra working days) and the working hours an ordinary appeal's hour limits count
(`working_hours`, default 08:30–12:00 and 14:30–17:30: `model.DEFAULT_WORKING_HOURS`).
`read_calendar` reads the YAML section for `loader`, collecting problems with their lines;
`working_periods` is the grammar of working hours ("08:30-12:00", "24:00" closing the day),
shared with the workbook's 说明 row 工作时间 (`xlsx_text.parse_working_hours`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any

from .line_yaml import FieldReader, LineMap, describe
from .model import Calendar
from .text import t

#: A working period: (opening, closing) local times; a closing 00:00 is the midnight ending the day.
Period = tuple[time, time]


class PeriodError(ValueError):
    """A working period that cannot be read: `value` as written, its `index` among the periods,
    and whether it is well written but `overlaps` the one before it (begins before that one ends)."""

    def __init__(self, value: Any, index: int, overlaps: bool) -> None:
        super().__init__(value)
        self.value = value
        self.index = index
        self.overlaps = overlaps


def read_calendar(fields: FieldReader, top: LineMap) -> Calendar:
    """The list's `calendar` mapping (absent: no local changes, the default working hours)."""
    if top.get("calendar") is None:
        return Calendar()
    m = fields.mapping(top["calendar"], top.line_of("calendar"), "calendar")
    if m is None:
        return Calendar()
    fields.keys(m, "calendar", (), ("holidays", "workdays", "working_hours"))
    return Calendar(
        holidays=fields.dates(m, "holidays", "calendar"),
        workdays=fields.dates(m, "workdays", "calendar"),
        working_hours=_working_hours(fields, m),
    )


def _working_hours(fields: FieldReader, m: LineMap) -> tuple[Period, ...]:
    """`working_hours: ["08:30-12:00", "14:30-17:30"]`: the working periods of a working day, in
    order, not overlapping; "24:00" closes the day. Absent or empty: the default."""
    try:
        return working_periods(fields.sequence(m, "working_hours", "calendar"))
    except PeriodError as exc:
        message = t(
            "calendar: working_hours must be periods written HH:MM-HH:MM, in order and not "
            "overlapping, not {value}",
            value=describe(exc.value),
        )
        fields.error(m.line_of("working_hours"), message)
        return ()


def working_periods(values: Iterable[Any]) -> tuple[Period, ...]:
    """Periods written "HH:MM-HH:MM" ("24:00" closes the day), each after the one before it.

    Raises `PeriodError` at the first value that is not a period of one day, or that begins before
    the period before it ends.
    """
    periods: list[Period] = []
    closing = 0
    for index, value in enumerate(values):
        period = _period(value)
        if period is None or period[0] < closing:
            raise PeriodError(value, index, overlaps=period is not None)
        closing = period[1]
        periods.append((_clock(period[0]), _clock(period[1])))
    return tuple(periods)


def _period(value: Any) -> tuple[int, int] | None:
    """ "08:30-12:00" -> (510, 720) in minutes of the day; None unless a period of one day."""
    if not isinstance(value, str) or value.count("-") != 1:
        return None
    minutes = []
    for part in value.split("-"):
        hours, colon, mins = part.strip().partition(":")
        if not (colon and hours.isdigit() and mins.isdigit() and len(mins) == 2 and int(mins) < 60):
            return None
        minutes.append(int(hours) * 60 + int(mins))
    opening, closing = minutes
    return (opening, closing) if opening < closing <= 24 * 60 else None


def _clock(minutes: int) -> time:
    """Minutes of the day as a time; the day's end (24:00) is the midnight closing it, 00:00."""
    return time(0) if minutes == 24 * 60 else time(minutes // 60, minutes % 60)
