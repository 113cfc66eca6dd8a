"""Deadline arithmetic for sign-for (签收) and reply (答复), pure and time-zone aware.

The clock starts at dispatch. Urgent appeals (紧急, 特急) count clock hours around the clock,
nights and holidays included: someone is on duty for them.

Ordinary appeals (一般) count working time only, as a 12345 centre does (工作时间):
- a limit of N working days ends at the local midnight closing the Nth working day after the local
  start date;
- a limit in hours counts working hours: the working periods of working days (the list's
  `calendar: working_hours`, by default 08:30–12:00 and 14:30–17:30). An ordinary appeal
  dispatched at 22:21 with a 2-hour sign-for limit is due at 10:30 the next working day, not at
  00:21: nobody could sign for it in the night, and nobody is told of it until the morning.
  Whole days of a limit (24 hours, 48 hours) are whole working days, from the first working moment
  to the same time of day: "24小时签收" on an ordinary appeal means by the same time the next working
  day (counted in working hours it would be nearly four days). So every ordinary deadline in hours
  falls in working hours (`add_ordinary_hours`).

Day boundaries are local midnights in the list's time zone; all results are aware datetimes in
UTC.

Holidays only ever postpone a deadline: counting on a calendar with more working days can never
give a later result, and the tests check this property over many start times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dispatch.calendar import Period, WorkCalendar
from responsibility_lists.model import URGENCIES, Limit

#: The default local time zone (all of mainland China keeps Beijing time).
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

#: Urgency levels whose limits run in clock hours around the clock.
CLOCK_URGENCIES = frozenset(URGENCIES[1:])  # 紧急, 特急

WARNING_NONE = "none"
WARNING_YELLOW = "yellow"  # under a quarter of the total time left
WARNING_RED = "red"  # overdue

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadlines:
    sign_due_at: datetime  # 签收时限
    reply_due_at: datetime  # 答复时限


def compute_deadlines(
    start: datetime,
    limit: Limit,
    urgency: str,
    calendar: WorkCalendar,
    tz: tzinfo = LOCAL_TZ,
) -> Deadlines:
    """Sign-for and reply deadlines for an appeal dispatched at `start` under `limit`.

    An urgent limit given in working days (no `reply_hours`) is counted in working days: the list
    says so, and inventing a conversion would be worse.
    """
    _require_aware(start, "start")
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r}; expected one of {URGENCIES}")
    clock = urgency in CLOCK_URGENCIES
    start = start.astimezone(UTC)
    sign_hours = timedelta(hours=limit.sign_hours)
    sign_due = start + sign_hours if clock else add_ordinary_hours(start, sign_hours, calendar, tz)

    if limit.reply_working_days is not None and (not clock or limit.reply_hours is None):
        reply_due = end_of_working_days(start, limit.reply_working_days, calendar, tz)
    elif limit.reply_hours is not None:
        reply_hours = timedelta(hours=limit.reply_hours)
        reply_due = start + reply_hours if clock else add_ordinary_hours(start, reply_hours, calendar, tz)
    else:
        raise ValueError(f"limit {limit!r} has neither reply_working_days nor reply_hours")
    return Deadlines(sign_due_at=sign_due, reply_due_at=reply_due)


def add_ordinary_hours(
    start: datetime, amount: timedelta, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ
) -> datetime:
    """The end of an ordinary appeal's limit of `amount` hours from `start`: from the first working
    moment (`next_working_moment`), each whole 24 hours is a working day to the same time of day,
    and the rest counts working hours (`add_working_hours`).

    Dispatched Monday 22:21, 2 hours: Tuesday 10:30. Friday 17:00, 2 hours: 30 minutes on Friday,
    the rest on Monday, 10:00. Monday 16:00, 24 hours: Tuesday 16:00.
    """
    _require_aware(start, "start")
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    days, rest = divmod(amount, _ONE_DAY)
    t = next_working_moment(start, calendar, tz)
    if days:
        t = add_working_time(t, days * _ONE_DAY, calendar, tz)
    return add_working_hours(t, rest, calendar, tz)


def next_working_moment(at: datetime, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ) -> datetime:
    """`at` itself when it falls in working hours, else the next opening (in UTC)."""
    _require_aware(at, "at")
    t = at.astimezone(UTC)
    for _day, opening, closing in _periods_from(t, calendar, tz):
        if t < closing:
            return max(t, opening)
    raise AssertionError("unreachable: _periods_from raises first")  # pragma: no cover


def add_working_hours(
    start: datetime, amount: timedelta, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ
) -> datetime:
    """`start` plus `amount` of working hours: only the time inside the working periods of working
    days counts. A limit that ends with a period ends at its closing (12:00, 17:30), not at the next
    opening; `amount` zero gives `start` itself."""
    _require_aware(start, "start")
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    t = start.astimezone(UTC)
    if not amount:
        return t
    remaining = amount
    for _day, opening, closing in _periods_from(t, calendar, tz):
        begin = max(t, opening)
        if begin >= closing:
            continue
        if remaining <= closing - begin:
            return begin + remaining
        remaining -= closing - begin
    raise AssertionError("unreachable: _periods_from raises first")  # pragma: no cover


#: How far to look for working time before giving up: a calendar without any is a broken list.
_MAX_DAYS = 3660


def _periods_from(
    t: datetime, calendar: WorkCalendar, tz: tzinfo
) -> Iterator[tuple[date, datetime, datetime]]:
    """The working periods (day, opening, closing in UTC) from `t`'s local date on, in order."""
    day = t.astimezone(tz).date()
    periods: tuple[Period, ...] = calendar.working_hours
    for _ in range(_MAX_DAYS):
        if calendar.is_workday(day):
            for opening, closing in periods:
                yield day, _at(day, opening, tz), _closing(day, closing, tz)
        day += _ONE_DAY
    raise ValueError(f"no working time within {_MAX_DAYS} days of {t.isoformat()}: check the calendar")


def _at(day: date, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _closing(day: date, at: time, tz: tzinfo) -> datetime:
    """A period's closing; 00:00 is the midnight ending the day."""
    return local_midnight(day + _ONE_DAY, tz) if at == time(0) else _at(day, at, tz)


def add_working_time(
    start: datetime, amount: timedelta, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ
) -> datetime:
    """`start` plus `amount` of elapsed time, counting only time whose local date is a working day.

    24 hours from a Friday 15:00 with the weekend off ends on Monday 15:00: the whole days of an
    ordinary limit in hours (`add_ordinary_hours`). The walk is in UTC
    between local midnights, so days of unusual length (daylight saving elsewhere) count as lived.
    """
    _require_aware(start, "start")
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    t = start.astimezone(UTC)
    if not amount:
        return t
    day = t.astimezone(tz).date()
    remaining = amount
    while True:
        day_end = local_midnight(day + _ONE_DAY, tz)
        if calendar.is_workday(day):
            available = day_end - t
            if remaining <= available:
                return t + remaining
            remaining -= available
        day += _ONE_DAY
        t = day_end


def end_of_working_days(start: datetime, n: int, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ) -> datetime:
    """The end of the `n`th working day after `start`'s local date: 00:00 local of the day after.

    The deadline is the midnight itself, not 23:59, so a reply at 23:59:30 is on time.
    """
    _require_aware(start, "start")
    local_day = start.astimezone(tz).date()
    return local_midnight(calendar.add_working_days(local_day, n) + _ONE_DAY, tz)


def extend(
    reply_due_at: datetime, extra_working_days: int, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ
) -> datetime:
    """The new reply deadline after an approved extension (延期) of N more working days.

    The count starts from the current due date: a deadline at local midnight closes the previous
    day, so that day is the due date. A deadline during a day (urgent, clock hours) moves to the
    end of the Nth working day after that day: an extension never shortens the time granted.
    """
    _require_aware(reply_due_at, "reply_due_at")
    if extra_working_days < 0:
        raise ValueError(f"extra_working_days must be >= 0, got {extra_working_days}")
    if extra_working_days == 0:
        return reply_due_at.astimezone(UTC)
    local = reply_due_at.astimezone(tz)
    due_date = local.date()
    if local.time() == time(0):
        due_date -= _ONE_DAY
    return local_midnight(calendar.add_working_days(due_date, extra_working_days) + _ONE_DAY, tz)


def time_left(now: datetime, due_at: datetime) -> timedelta:
    """Time until `due_at`; negative once overdue."""
    _require_aware(now, "now")
    _require_aware(due_at, "due_at")
    return due_at - now


def warning_level(now: datetime, start: datetime, due_at: datetime) -> str:
    """ "red" once past the deadline, "yellow" with under a quarter of the total time left, else "none".

    A reply exactly at `due_at` is on time, so the deadline instant itself is not yet red.
    """
    left = time_left(now, due_at)
    _require_aware(start, "start")
    if left < timedelta(0):
        return WARNING_RED
    total = due_at - start
    if left * 4 < total or total <= timedelta(0):
        return WARNING_YELLOW
    return WARNING_NONE


def last_day_and_time(due_at: datetime, tz: tzinfo = LOCAL_TZ) -> tuple[date, str]:
    """How a deadline reads: its day and time in `tz`, a deadline at midnight as 24:00 of the day
    before (the last day to act), so that "12月23日" and "2026-12-23 24:00" name the same day."""
    _require_aware(due_at, "due_at")
    local = due_at.astimezone(tz)
    if local.time() == time(0):
        return local.date() - timedelta(days=1), "24:00"
    return local.date(), f"{local:%H:%M}"


def deadline_text(due_at: datetime, tz: tzinfo = LOCAL_TZ) -> str:
    """A deadline as people read it wherever it is written out (pages, exports, messages):
    "2026-12-21 24:00" for the end of the 21st, never "2026-12-22 00:00", which reads as a day more."""
    day, clock = last_day_and_time(due_at, tz)
    return f"{day:%Y-%m-%d} {clock}"


def local_midnight(day: date, tz: tzinfo = LOCAL_TZ) -> datetime:
    """00:00 local time on `day`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
