"""Does the active list's working-day calendar know the years deadlines can reach?

For a year the installed chinesecalendar does not publish and the list's `calendar` says nothing
about, deadlines count Monday to Friday only (`dispatch.calendar.WorkCalendar`): 元旦 and 春节 count
as working days and deadlines come out early. The State Council publishes a year's holidays late in
the year before, so from about December the next year is unknown until someone adds it. `minyi
lists check` and the list upload say so for the file checked; this says it for the list in use, to
the centre and the administrators (their start pages, /admin/lists) and to monitoring (/readyz).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from dispatch.calendar import calendar_gaps
from service.db import utcnow
from service.lists.operations import active_context


@dataclass(frozen=True)
class CalendarGap:
    """The active list (by its version label) and the years deadlines can reach that nobody described."""

    version: str
    years: list[int]


def active_calendar_gap(s: Session, tz: tzinfo, now: datetime | None = None) -> CalendarGap | None:
    """The years from this one to the next (as far as deadlines reach, `calendar_gaps`) that the
    active list's calendar does not cover; None when it covers them or no list is active."""
    ctx = active_context(s)
    if ctx is None:
        return None
    today = (now or utcnow()).astimezone(tz).date()
    years = calendar_gaps(ctx.lst.calendar, today)
    return CalendarGap(ctx.label, years) if years else None
