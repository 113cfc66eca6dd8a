"""Time left and warning levels of an appeal, from its stored due timestamps (预警).

One definition for the appeal view and the work lists: the reply clock runs while a reply to the
citizen is still owed (dispatched, handling, return under review, reply under review: a late
reply waiting for review is still late for the citizen); the sign-for clock runs while the lead
unit has not signed. Elsewhere (waiting for dispatch, replied, closed, merged) there is no
running clock: no time left and no warning.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from dispatch.deadlines import WARNING_NONE, warning_level
from service.appeals import status as st
from service.appeals.models import Appeal

#: Statuses in which the reply deadline (答复时限) runs.
REPLY_CLOCK = frozenset({st.DISPATCHED, st.HANDLING, st.RETURN_REQUESTED, st.REPLY_REVIEW})
#: Statuses in which the sign-for deadline (签收时限) runs (while `signed_at` is empty).
SIGN_CLOCK = frozenset({st.DISPATCHED})


def sign_clock_start(appeal: Appeal) -> datetime:
    """The clocks start at dispatch (not at signing), and again at a reopen (重办), which gives the
    unit the appeal to sign for anew: `reply_started_at` is the last start of both. The received
    time stands in if never dispatched."""
    return appeal.reply_started_at or appeal.dispatched_at or appeal.received_at


def reply_clock_start(appeal: Appeal) -> datetime:
    """The reply clock starts at dispatch, and again at a reopen (a new period for the unit)."""
    return sign_clock_start(appeal)


def reply_running(appeal: Appeal) -> bool:
    return appeal.status in REPLY_CLOCK and appeal.reply_due_at is not None


def sign_running(appeal: Appeal) -> bool:
    return appeal.status in SIGN_CLOCK and appeal.signed_at is None and appeal.sign_due_at is not None


def _seconds(now: datetime, due: datetime) -> int:
    return math.floor((due - now).total_seconds())


def clock_fields(appeal: Appeal, now: datetime) -> dict[str, Any]:
    """time_left_seconds / warning for the reply, sign_time_left_seconds / sign_warning for signing.

    Seconds are negative once overdue; None (and warning "none") where no clock runs.
    """
    fields: dict[str, Any] = {
        "time_left_seconds": None,
        "warning": WARNING_NONE,
        "sign_time_left_seconds": None,
        "sign_warning": WARNING_NONE,
    }
    if reply_running(appeal):
        assert appeal.reply_due_at is not None
        fields["time_left_seconds"] = _seconds(now, appeal.reply_due_at)
        fields["warning"] = warning_level(now, reply_clock_start(appeal), appeal.reply_due_at)
    if sign_running(appeal):
        assert appeal.sign_due_at is not None
        fields["sign_time_left_seconds"] = _seconds(now, appeal.sign_due_at)
        fields["sign_warning"] = warning_level(now, sign_clock_start(appeal), appeal.sign_due_at)
    return fields
