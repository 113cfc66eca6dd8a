"""Storing a dispatch: the decision made (by the list or by hand) becomes the appeal's parts.

Each part (`AppealAssignment`) keeps the list version, the rule and the explanation that decided it
and its deadlines, computed from the rule's limits. A re-dispatch ends the earlier parts (kept,
with the reason), closes the requests still pending with them, and restarts the clocks for the new
unit; one that keeps the lead unit and corrects nothing changes the co-units alone
(`_change_co_units`). Operations flush nothing themselves; the callers in
service/appeals/dispatching.py do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.deadlines import compute_deadlines
from dispatch.routing import Decision
from responsibility_lists.model import Limit
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.guards import current_state
from service.appeals.models import Appeal, AppealAssignment
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict
from service.lists.operations import ListContext
from service.text import t


def _close_pending_requests(s: Session, appeal: Appeal, now: datetime, reason: str) -> None:
    """A re-dispatch settles what the old unit asked for: a pending return or extension request."""
    from service.handling.models import ExtensionRequest, ReturnRequest

    for model, decision in ((ReturnRequest, "superseded"), (ExtensionRequest, "withdrawn")):
        s.execute(
            sa.update(model)
            .where(model.appeal_id == appeal.id, model.decision == "pending")
            .values(decision=decision, decided_at=now, decision_note=f"改派：{reason}"[:500])
        )


def apply_decision(
    s: Session,
    appeal: Appeal,
    ctx: ListContext,
    decision: Decision,
    *,
    actor: User | None,
    reason: str,
    manual: bool,
    tz: ZoneInfo,
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
    co: tuple[str, ...] = (),
) -> None:
    """Assign the list's decision; `co`: co-units the dispatcher adds to the list's."""
    assign(
        s,
        appeal,
        ctx,
        lead=decision.lead,
        co=(*decision.co, *co),
        rule_id=decision.rule_id,
        limit=decision.limit,
        explanation=decision.explanation,
        actor=actor,
        reason=reason,
        manual=manual,
        tz=tz,
        changes=changes,
        now=now,
    )


@dataclass(frozen=True)
class _Grounds:
    """What a dispatch stores with each part it makes: the list version, the rule, by hand or not,
    the explanation, who and when."""

    list_version_id: int | None
    rule_id: str | None
    manual: bool
    explanation: dict[str, Any]
    assigned_by_id: int | None
    at: datetime

    def part(self, unit: str, role: str, sign_due_at: datetime, reply_due_at: datetime) -> AppealAssignment:
        return AppealAssignment(
            unit_code=unit,
            role=role,
            list_version_id=self.list_version_id,
            rule_id=self.rule_id,
            manual=self.manual,
            explanation=self.explanation,
            assigned_at=self.at,
            assigned_by_id=self.assigned_by_id,
            sign_due_at=sign_due_at,
            reply_due_at=reply_due_at,
            active=True,  # before the flush too: the alarms are planned from the active parts
        )


def keeps_parts(appeal: Appeal, lead: str, changes: dict[str, Any] | None) -> bool:
    """Whether a dispatch to `lead` correcting `changes` keeps the parts the appeal has (the lead's
    and its co-units' that it names again: `_change_co_units`), rather than ending them all and
    making new ones: the lead unit stays and nothing is corrected."""
    kept = next((a for a in appeal.assignments if a.active and a.role == "lead"), None)
    return kept is not None and kept.unit_code == lead and not changes


def assign(
    s: Session,
    appeal: Appeal,
    ctx: ListContext,
    *,
    lead: str,
    co: tuple[str, ...],
    rule_id: str | None,
    limit: Limit,
    explanation: dict[str, Any],
    actor: User | None,
    reason: str,
    manual: bool,
    tz: ZoneInfo,
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    grounds = _Grounds(ctx.version_id, rule_id, manual, explanation, actor.id if actor else None, now)
    kept = next((a for a in appeal.assignments if a.active and a.role == "lead"), None)
    if keeps_parts(appeal, lead, changes):
        assert kept is not None
        _change_co_units(s, appeal, ctx, kept, co, grounds, limit=limit, actor=actor, reason=reason, tz=tz)
        return
    redispatch = any(a.active for a in appeal.assignments)
    for old in appeal.assignments:
        if old.active:
            old.active, old.ended_at, old.ended_reason = False, now, f"改派：{reason}"[:500]
    if redispatch:
        _close_pending_requests(s, appeal, now, reason)
    appeal.signed_at = None  # the new lead unit has not signed yet
    deadlines = compute_deadlines(now, limit, appeal.urgency, ctx.calendar, tz)
    for unit, role in ((lead, "lead"), *((c, "co") for c in co)):
        appeal.assignments.append(grounds.part(unit, role, deadlines.sign_due_at, deadlines.reply_due_at))
    from_status = appeal.status
    appeal.status = st.DISPATCHED
    appeal.lead_unit_code = lead
    appeal.list_version_id = ctx.version_id
    appeal.dispatched_at = appeal.reply_started_at = now
    appeal.sign_due_at = deadlines.sign_due_at
    appeal.reply_due_at = deadlines.reply_due_at
    appeal.dispatch_note = reason[:500]
    lead_name = ctx.router.unit_names.get(lead, lead)
    record_event(
        s,
        appeal,
        "redispatched" if redispatch else "dispatched",
        actor,
        actor_role=None if actor else "system",
        from_status=from_status,
        to_status=st.DISPATCHED,
        note=reason,
        public_message=f"已转交{lead_name}办理。",
        payload={
            "lead": lead,
            "co": list(co),
            "rule_id": rule_id,
            "list_version": ctx.label,
            "manual": manual,
            "reason": reason,
            "sign_due_at": deadlines.sign_due_at.isoformat(),
            "reply_due_at": deadlines.reply_due_at.isoformat(),
            "changes": changes or {},
        },
        at=now,
    )


def _change_co_units(
    s: Session,
    appeal: Appeal,
    ctx: ListContext,
    lead: AppealAssignment,
    co: tuple[str, ...],
    grounds: _Grounds,
    *,
    limit: Limit,
    actor: User | None,
    reason: str,
    tz: ZoneInfo,
) -> None:
    """A re-dispatch to the lead unit the appeal is with: only its co-units change (调整协办单位).

    The lead's part stays as it is: no new lead dispatch (nor one more in the figures), its signing,
    its clocks and its pending requests kept, since nothing moved the appeal away from it. A co-unit
    kept keeps its part; one dropped has its part ended; one added gets its own sign-for clock from
    now and the lead's reply deadline. Nothing to change: 409.
    """
    now = grounds.at
    current = {a.unit_code: a for a in appeal.assignments if a.active and a.role == "co"}
    lead_name = ctx.router.unit_names.get(lead.unit_code, lead.unit_code)
    if set(co) == set(current):
        raise Conflict(
            t(
                "Appeal {number} is already with {name} ({code}) as lead unit, with these co-units; "
                "there is nothing to re-dispatch.",
                number=appeal.number,
                code=lead.unit_code,
                name=lead_name,
            ),
            current=current_state(appeal),
        )
    ended = [code for code in current if code not in co]
    for code in ended:
        part = current[code]
        part.active, part.ended_at, part.ended_reason = False, now, f"调整协办单位：{reason}"[:500]
    added = [code for code in co if code not in current]
    deadlines = compute_deadlines(now, limit, appeal.urgency, ctx.calendar, tz)
    for code in added:
        reply_due = appeal.reply_due_at or deadlines.reply_due_at
        appeal.assignments.append(grounds.part(code, "co", deadlines.sign_due_at, reply_due))
    appeal.dispatch_note = reason[:500]
    appeal.updated_at = now  # bumps the version: a form seen before this change is stale
    record_event(
        s,
        appeal,
        "co_units_changed",
        actor,
        actor_role=None if actor else "system",
        from_status=appeal.status,
        to_status=appeal.status,
        note=reason,
        payload={
            "lead": lead.unit_code,
            "co": list(co),
            "added": added,
            "ended": ended,
            "list_version": ctx.label,
            "manual": grounds.manual,
            "reason": reason,
            "version": appeal.version,  # the one it found: the lead's page of it still acts
        },
        at=now,
    )
