"""重办: an appeal whose citizen was not satisfied, through the unit's fault, goes back to the
same lead unit, and its co-units, for another round: signed for again by each of them, with new
deadlines from the reopen, counted in `reopen_count`; a unit a newer list deactivated is not sent it
again (its co part ends; an inactive lead unit: the appeal waits for dispatch, 待分拨). Where the
rating that allows it comes from: closing.py. Operations flush, never commit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatch.deadlines import compute_deadlines
from responsibility_lists.model import Limit
from service.appeals import status as st
from service.appeals.dispatching import default_limit
from service.appeals.guards import current_state
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.appeals.unit_choice import inactive_codes
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling.closing import current_rating
from service.handling.models import Evaluation
from service.handling.operations import active_assignments, begin, move
from service.lists.operations import ListContext, active_context, context_for
from service.notices.operations import local_time_text, queue_notice
from service.text import t


def reopen(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    reason: str,
    attributable: bool,
    tz: ZoneInfo,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AppealEvent:
    """重办: after an unsatisfied rating that is the unit's fault, back to the same lead unit, with
    new deadlines from now and the reason on record (the event returned). Counted in
    `reopen_count`. Not once the citizen's personal data was erased (the unit must contact the
    citizen): 409.

    The appeal is dispatched to the unit again (待签收): the lead unit signs for it anew, by a new
    sign-for deadline counted, like the new reply period, from the reopen (`reply_started_at`,
    the clocks' last start). An urgent appeal alerts the unit's duty contacts again, as a fresh
    urgent dispatch does (service/escalation/planning.py). The lead's assignment keeps the
    sign-for deadline of its dispatch: the on-time sign-for rate counts each dispatch's first
    signing.

    Each co-unit (协办单位) still on the appeal starts the round too: its part gets the same
    sign-for deadline, it signs for its part again (unit_actions.signed_assignment_ids), its
    sign-overdue reminder is planned for that deadline, and it is told of the reopen.

    A unit the responsibility list in force deactivated (停用) since the dispatch is not sent the
    appeal again. A co-unit's part ends instead (`ended_reason`: 协办单位已停用), it is not told,
    and the event names it (`dropped_co_units`). An inactive lead unit: the appeal goes to the
    centre for dispatch (待分拨, `_reopen_to_the_centre`), the event naming it (`inactive_lead`)."""
    begin(appeal, "reopen", actor, expected_version=expected_version)
    if not attributable:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="attributable"),
            {"attributable": [t("Not the unit's fault: close the appeal instead (POST …/close).")]},
        )
    if not reason.strip():
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="reason"), {"reason": [t("Say why the appeal is reopened.")]}
        )
    if appeal.personal_data_erased_at is not None:  # service/appeals/retention.py
        raise Conflict(
            t(
                "Appeal {number} is past its retention period and its citizen's personal data was "
                "erased: the unit could not contact the citizen. Register a new appeal instead.",
                number=appeal.number,
            ),
            current=current_state(appeal),
        )
    rating = current_rating(s, appeal)
    if rating is None or not rating.unsatisfied:
        raise Conflict(
            t(
                "Appeal {number} has no unsatisfied rating in this round: a reopen follows one.",
                number=appeal.number,
            ),
            current=current_state(appeal),
        )
    lead = next(iter(active_assignments(appeal, "lead")), None)
    if lead is None:
        raise Conflict(
            t("Appeal {number} has no lead unit to reopen to.", number=appeal.number),
            current=current_state(appeal),
        )
    now = now or utcnow()
    gone = set(inactive_codes(s, (a.unit_code for a in active_assignments(appeal))))
    if lead.unit_code in gone:
        return _reopen_to_the_centre(s, appeal, actor, lead, gone, reason=reason, rating=rating, now=now)
    ctx = _context_of(s, lead)
    if ctx is None:
        raise Conflict(t("No responsibility list is active; load and activate one first."))
    limit = _limit_of(ctx, lead, appeal.urgency) or (
        default_limit(active, appeal.urgency) if (active := active_context(s)) is not None else None
    )
    if limit is None:
        raise Conflict(
            t(
                "Appeal {number} was dispatched by hand where no rule applies, and the list has no "
                "default_limits to give the new round: add them to the list first.",
                number=appeal.number,
            ),
            current=current_state(appeal),
        )
    deadlines = compute_deadlines(now, limit, appeal.urgency, ctx.calendar, tz)
    old_due = appeal.reply_due_at
    appeal.reply_due_at = deadlines.reply_due_at
    appeal.sign_due_at = deadlines.sign_due_at
    appeal.signed_at = None  # to sign for again
    appeal.reply_started_at = now  # a new period: the warnings count from the reopen
    dropped = _end_parts(
        [a for a in active_assignments(appeal, "co") if a.unit_code in gone], now, CO_UNIT_INACTIVE
    )
    co_parts = active_assignments(appeal, "co")
    for a in active_assignments(appeal):
        a.reply_due_at = deadlines.reply_due_at
    for a in co_parts:
        a.sign_due_at = deadlines.sign_due_at  # a new round for its part too
    appeal.reopen_count += 1
    appeal.rating_due_at = None
    appeal.closed_at = None
    appeal.close_reason = ""
    event = move(
        s,
        appeal,
        "reopened",
        actor,
        to_status=st.DISPATCHED,
        note=reason,
        public_message="您的诉求已重新交由承办单位办理。",
        payload={
            "reason": reason,
            "round": appeal.reopen_count,
            "evaluation_id": rating.id,
            "unit": lead.unit_code,
            "co_units": [a.unit_code for a in co_parts],
            "dropped_co_units": dropped,
            "old_reply_due_at": old_due.isoformat() if old_due else None,
            "sign_due_at": deadlines.sign_due_at.isoformat(),
            "reply_due_at": deadlines.reply_due_at.isoformat(),
        },
        at=now,
    )
    data = {
        "round": appeal.reopen_count,
        "sign_due_at": deadlines.sign_due_at.isoformat(),
        "reply_due_at": deadlines.reply_due_at.isoformat(),
    }
    key = f"reopen:{appeal.reopen_count}"
    queue_notice(s, appeal, f"unit:{lead.unit_code}", "appeal_reopened", data, key=key)
    # A co-unit's text names its own part's sign-for deadline whenever it goes out (the lead's
    # names the next deadline of the appeal: the reply's once the lead has signed).
    co_data = {
        **data,
        "part": "co",
        "due_at_local": local_time_text(deadlines.sign_due_at, tz),
        "due_label": "签收时限",
    }
    for unit in dict.fromkeys(a.unit_code for a in co_parts if a.unit_code != lead.unit_code):
        queue_notice(s, appeal, f"unit:{unit}", "appeal_reopened", co_data, key=key)
    queue_notice(s, appeal, "citizen", "appeal_reopened", {"round": appeal.reopen_count}, key=key)
    return event


#: Why a reopen ended a part (the parts' `ended_reason`, written in Chinese: service/appeals/recorded.py).
CO_UNIT_INACTIVE = "重办：协办单位已停用，不再协办"
LEAD_INACTIVE = "重办：承办单位已停用，待重新分拨"


def _end_parts(parts: list[AppealAssignment], now: datetime, why: str) -> list[str]:
    """End these parts (a reopen does not restart them), saying why; their units' codes."""
    for a in parts:
        a.active, a.ended_at, a.ended_reason = False, now, why
    return list(dict.fromkeys(a.unit_code for a in parts))


def _reopen_to_the_centre(
    s: Session,
    appeal: Appeal,
    actor: User,
    lead: AppealAssignment,
    gone: Collection[str],
    *,
    reason: str,
    rating: Evaluation,
    now: datetime,
) -> AppealEvent:
    """重办 whose lead unit a newer list deactivated: no unit to send it back to, so it goes to the
    centre's dispatch queue (待分拨), as an approved return without a new unit does, for a dispatcher
    to give it to the unit that took over the work (派单). Still a reopen: counted in `reopen_count`
    and, in the figures, against the unit whose handling was rated (`unit`). Every part ends (the
    dispatch decides the co-units anew); no unit is told, the citizen is."""
    co_gone = [a for a in active_assignments(appeal, "co") if a.unit_code in gone]
    inactive_co = _end_parts(co_gone, now, CO_UNIT_INACTIVE)
    _end_parts(active_assignments(appeal), now, LEAD_INACTIVE)
    appeal.reopen_count += 1
    appeal.rating_due_at = None
    appeal.closed_at = None
    appeal.close_reason = ""
    appeal.lead_unit_code = None
    old_due = appeal.reply_due_at
    appeal.sign_due_at = appeal.reply_due_at = appeal.signed_at = None
    appeal.reply_started_at = now
    name = lead.unit.name if lead.unit is not None else lead.unit_code
    appeal.dispatch_note = f"重办：承办单位{name}已停用，待重新分拨"[:500]
    event = move(
        s,
        appeal,
        "reopened",
        actor,
        to_status=st.PENDING_DISPATCH,
        note=reason,
        public_message="您的诉求已重新受理，正在重新确定承办单位。",
        payload={
            "reason": reason,
            "round": appeal.reopen_count,
            "evaluation_id": rating.id,
            "unit": lead.unit_code,  # the figures count the reopen against the unit rated
            "inactive_lead": lead.unit_code,
            "co_units": [],
            "dropped_co_units": inactive_co,
            "old_reply_due_at": old_due.isoformat() if old_due else None,
            "sign_due_at": None,
            "reply_due_at": None,
        },
        at=now,
    )
    key = f"reopen:{appeal.reopen_count}"
    queue_notice(s, appeal, "citizen", "appeal_reopened", {"round": appeal.reopen_count}, key=key)
    s.expire(appeal, ["lead_unit"])
    return event


def _context_of(s: Session, assignment: AppealAssignment) -> ListContext | None:
    if assignment.list_version is not None:
        return context_for(assignment.list_version)
    return active_context(s)


def _limit_of(ctx: ListContext, assignment: AppealAssignment, urgency: str) -> Limit | None:
    """The limit of the rule that gave the unit the appeal; a manual dispatch without one: the list's
    default_limits (of the version that dispatched it; the caller tries the active one next)."""
    compiled = ctx.router.rules.get(assignment.rule_id) if assignment.rule_id else None
    limit = compiled.rule.limits.get(urgency) if compiled is not None else None
    return limit or default_limit(ctx, urgency)
