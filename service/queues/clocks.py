"""Time left and warning levels of an appeal, from its stored due timestamps (预警).

One definition for the appeal view and the work lists: the reply clock runs while a reply to the
citizen is still owed (dispatched, handling, return under review, reply under review: a late
reply waiting for review is still late for the citizen); the sign-for clock runs while the lead
unit has not signed. Elsewhere (waiting for dispatch, replied, closed, merged) there is no
running clock: no time left and no warning.

A co-unit (协办单位) signs for its own part, by its own assignment's deadline: its staff see that
clock (`CoSignClock`) in place of the lead's, until they have signed; the lead unit and the centre
see the appeal's. A reopen (重办) starts a new round for the co-unit too: its part gets the
reopen's deadline and its clock starts at the reopen.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch.deadlines import WARNING_NONE, warning_level
from service.appeals import status as st
from service.appeals.models import Appeal, AppealAssignment
from service.handling.workflow import IN_UNIT

#: Statuses in which the reply deadline (答复时限) runs.
REPLY_CLOCK = frozenset({st.DISPATCHED, st.HANDLING, st.RETURN_REQUESTED, st.REPLY_REVIEW})
#: Statuses in which the sign-for deadline (签收时限) runs (while `signed_at` is empty).
SIGN_CLOCK = frozenset({st.DISPATCHED})
#: Statuses in which a co-unit's own sign-for deadline runs (while it has not signed for its part):
#: while units work on the appeal, as the 待签收 list has it (service/queues/queries.py).
CO_SIGN_CLOCK = IN_UNIT


@dataclass(frozen=True)
class CoSignClock:
    """A co-unit's own sign-for clock: from the start of its part's round (its assignment, or the
    reopen since) to its assignment's deadline, stopped once it signed for its part (co_signed)."""

    started_at: datetime
    sign_due_at: datetime | None
    signed: bool


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


def co_assignments(appeal: Appeal, unit_code: str | None) -> list[AppealAssignment]:
    """The unit's active co assignments on the appeal, when it co-handles it (and does not lead it)."""
    own = [a for a in appeal.assignments if a.active and a.unit_code == unit_code]
    if any(a.role == "lead" for a in own):
        return []
    return [a for a in own if a.role == "co"]


def co_sign_clock(appeal: Appeal, unit_code: str | None, signed: Collection[int]) -> CoSignClock | None:
    """The sign-for clock of `unit_code` as a co-unit of the appeal, `signed` the assignment ids signed
    for (unit_actions.signed_assignment_ids); None when the unit does not co-handle it. Of several
    parts, the unsigned one due first (as the 待签收 list orders them)."""
    parts = co_assignments(appeal, unit_code)
    if not parts:
        return None
    unsigned = [a for a in parts if a.id not in signed]
    if not unsigned:
        return CoSignClock(co_round_start(appeal, parts[0]), parts[0].sign_due_at, signed=True)
    first = min(unsigned, key=lambda a: (a.sign_due_at is None, a.sign_due_at or a.assigned_at, a.id))
    return CoSignClock(co_round_start(appeal, first), first.sign_due_at, signed=False)


def co_round_start(appeal: Appeal, part: AppealAssignment) -> datetime:
    """When a co part's current round began: its assignment, or the appeal's reopen since (the
    clocks' last start, `sign_clock_start`), which gave it the reopen's deadline."""
    return max(part.assigned_at, sign_clock_start(appeal))


def co_sign_running(appeal: Appeal, co: CoSignClock) -> bool:
    return appeal.status in CO_SIGN_CLOCK and not co.signed and co.sign_due_at is not None


def _seconds(now: datetime, due: datetime) -> int:
    return math.floor((due - now).total_seconds())


def clock_fields(appeal: Appeal, now: datetime, co: CoSignClock | None = None) -> dict[str, Any]:
    """time_left_seconds / warning for the reply, sign_time_left_seconds / sign_warning for signing:
    the appeal's (the lead unit's), or a co-unit viewer's own (`co`).

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
    if co is not None:
        if co_sign_running(appeal, co):
            assert co.sign_due_at is not None
            fields["sign_time_left_seconds"] = _seconds(now, co.sign_due_at)
            fields["sign_warning"] = warning_level(now, co.started_at, co.sign_due_at)
    elif sign_running(appeal):
        assert appeal.sign_due_at is not None
        fields["sign_time_left_seconds"] = _seconds(now, appeal.sign_due_at)
        fields["sign_warning"] = warning_level(now, sign_clock_start(appeal), appeal.sign_due_at)
    return fields
