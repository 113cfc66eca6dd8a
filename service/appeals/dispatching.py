"""派单: dispatching an appeal to its lead and co-units, automatically on intake or by hand.

Every dispatch stores, per unit, the list version, the rule and the explanation that decided it,
and the deadlines computed from the rule's limits. A re-dispatch ends the earlier assignments
(kept, with the reason) and restarts the clocks for the new unit.

A lead unit and its co-units are each one unit named once (`co_unit_errors`, which the schemas of
every form that chooses them use too). A re-dispatch that keeps the lead unit and corrects nothing
(category, area, urgency) is no new dispatch: it changes the co-units alone and leaves the lead's
part as it is (its assignment, signing, clocks and pending requests); one that would change nothing
at all is refused (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.deadlines import compute_deadlines
from dispatch.routing import Decision, NoRoute
from responsibility_lists.model import Limit
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.guards import check_version, current_state
from service.appeals.models import Appeal, AppealAssignment
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.lists.models import Unit
from service.lists.operations import ListContext, active_context
from service.text import Text, t

#: Statuses from which the centre may dispatch or re-dispatch.
DISPATCHABLE = frozenset({st.PENDING_DISPATCH, st.DISPATCHED, st.HANDLING, st.RETURN_REQUESTED})


def co_unit_errors(lead: str | None, co_units: list[str]) -> list[Text]:
    """What is wrong with naming these co-units (协办单位) beside this lead unit (主办; None: the
    list decides it): the lead named as a co-unit too, a co-unit named twice. No I/O: the schemas of
    the dispatch and return-review forms say it at the edge, the operation again for any caller."""
    errors: list[Text] = []
    if lead is not None and lead in co_units:
        errors.append(t("The lead unit cannot also be a co-unit."))
    seen: set[str] = set()
    for code in co_units:
        if code in seen:
            errors.append(t("Co-unit {code!r} is named twice.", code=code))
        seen.add(code)
    return errors


def default_limit(ctx: ListContext, urgency: str) -> Limit | None:
    """The list's limits for a unit the centre chooses by hand where no rule applies (data, as every
    limit: `default_limits` in the list), or None when the list gives none."""
    return ctx.lst.default_limits.get(urgency)


def dispatch_on_intake(
    s: Session,
    appeal: Appeal,
    *,
    actor: User | None,
    tz: ZoneInfo,
    ctx: ListContext | None = None,
    now: datetime | None = None,
) -> bool:
    """Dispatch at once when the appeal has a category and an area; else it waits for a dispatcher.

    Adds to the session without flushing: intake flushes once, at its end.
    """
    if not (appeal.category_code and appeal.area_code):
        missing = "、".join(
            n for n, v in (("分类", appeal.category_code), ("区划", appeal.area_code)) if not v
        )
        appeal.dispatch_note = f"缺少{missing}，待人工分拨"
        return False
    ctx = ctx or active_context(s)
    if ctx is None:
        appeal.dispatch_note = "未启用职责清单，待人工分拨"
        return False
    result = ctx.router.route(appeal.category_code, appeal.area_code, appeal.urgency, appeal.appeal_type)
    if isinstance(result, NoRoute):
        appeal.dispatch_note = result.message[:500]
        record_event(
            s,
            appeal,
            "auto_dispatch_failed",
            None,
            actor_role="system",
            from_status=appeal.status,
            to_status=appeal.status,
            payload={"reason": result.reason, "message": result.message, "list_version": ctx.label},
            at=now,
        )
        return False
    result, changes = raise_if_urgent_by_nature(appeal, ctx, result)
    apply_decision(
        s, appeal, ctx, result, actor=None, reason="自动派单", manual=False, tz=tz, changes=changes, now=now
    )
    return True


def raise_if_urgent_by_nature(
    appeal: Appeal, ctx: ListContext, decision: Decision, changes: dict[str, Any] | None = None
) -> tuple[Decision, dict[str, Any]]:
    """A category urgent by nature (gas leak, burst main) is handled as 紧急 at least: the urgent
    time limits apply and the appeal is escalated at once. The change is recorded with the dispatch."""
    changes = dict(changes or {})
    if not decision.urgent_by_nature or appeal.urgency != "一般":
        return decision, changes
    urgent = ctx.router.route(appeal.category_code, appeal.area_code, "紧急", appeal.appeal_type)
    if not isinstance(urgent, Decision):
        return decision, changes
    changes["urgency"] = [appeal.urgency, "紧急"]
    changes["urgency_reason"] = "分类性质紧急"
    appeal.urgency = "紧急"
    return urgent, changes


def dispatch_by_hand(
    s: Session,
    appeal: Appeal,
    *,
    actor: User,
    reason: str,
    tz: ZoneInfo,
    unit: str | None = None,
    co_units: list[str] | None = None,
    category: str | None = None,
    area: str | None = None,
    urgency: str | None = None,
    expected_version: int | None = None,
) -> Appeal:
    """Dispatch or re-dispatch by the centre, by the list (after correcting category/area) or to a chosen unit."""
    check_version(appeal, expected_version)
    if appeal.status not in DISPATCHABLE:
        raise Conflict(
            t(
                "Appeal {number} is {status_label}; it cannot be dispatched now.",
                number=appeal.number,
                status_label=st.STATUS_LABELS[appeal.status],
            ),
            current=current_state(appeal),
        )
    from service.appeals.operations import check_references

    ctx = active_context(s)
    if ctx is None:
        raise Conflict(t("No responsibility list is active; load and activate one first."))
    check_references(s, {"category": category, "area": area}, ctx)
    changes: dict[str, Any] = {}
    for field, value in (("category_code", category), ("area_code", area), ("urgency", urgency)):
        if value is not None and getattr(appeal, field) != value:
            changes[field] = [getattr(appeal, field), value]
            setattr(appeal, field, value)
    result = (
        ctx.router.route(appeal.category_code, appeal.area_code, appeal.urgency, appeal.appeal_type)
        if appeal.category_code and appeal.area_code
        else None
    )
    extra_co = list(co_units or [])
    _check_units(s, unit, extra_co)
    if unit is None:
        if not isinstance(result, Decision):
            message = result.message if isinstance(result, NoRoute) else "缺少分类或区划，无法按清单派单"
            raise ValidationFailed(
                t("The list decides no unit for this appeal; choose one."),
                {"unit": [t("Required here: {reason}", reason=message)]},
            )
        if urgency is None:
            result, changes = raise_if_urgent_by_nature(appeal, ctx, result, changes)
        if result.lead in extra_co:  # the dispatcher named as a co-unit the unit the list makes lead
            name = ctx.router.unit_names.get(result.lead, result.lead)
            raise ValidationFailed(
                t("Invalid input: {fields}", fields=["co_units"]),
                {
                    "co_units": [
                        t(
                            "The list makes {name} ({code}) the lead unit; it cannot also be a co-unit.",
                            code=result.lead,
                            name=name,
                        )
                    ]
                },
            )
        added = tuple(c for c in extra_co if c not in result.co)  # the list's co-units once
        apply_decision(
            s, appeal, ctx, result, actor=actor, reason=reason, manual=True, tz=tz, changes=changes, co=added
        )
        return _flushed(s, appeal)
    co = tuple(extra_co)
    limit = result.limit if isinstance(result, Decision) else default_limit(ctx, appeal.urgency)
    if limit is None:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="unit"),
            {
                "unit": [
                    t(
                        "No rule of list {label} gives this appeal time limits, and the list has no "
                        "default_limits: dispatch by the list, or add default_limits to it.",
                        label=ctx.label,
                    )
                ]
            },
        )
    explanation = {
        "summary": f"分拨员手工派至{ctx.router.unit_names.get(unit, unit)}",
        "manual": True,
        "reason": reason,
        "list_suggestion": result.explanation if result is not None else None,
    }
    _assign(
        s,
        appeal,
        ctx,
        lead=unit,
        co=co,
        rule_id=None,
        limit=limit,
        explanation=explanation,
        actor=actor,
        reason=reason,
        manual=True,
        tz=tz,
        changes=changes,
    )
    return _flushed(s, appeal)


def _close_pending_requests(s: Session, appeal: Appeal, now: datetime, reason: str) -> None:
    """A re-dispatch settles what the old unit asked for: a pending return or extension request."""
    from service.handling.models import ExtensionRequest, ReturnRequest

    for model, decision in ((ReturnRequest, "superseded"), (ExtensionRequest, "withdrawn")):
        s.execute(
            sa.update(model)
            .where(model.appeal_id == appeal.id, model.decision == "pending")
            .values(decision=decision, decided_at=now, decision_note=f"改派：{reason}"[:500])
        )


def _flushed(s: Session, appeal: Appeal) -> Appeal:
    s.flush()
    # The codes changed under the loaded relationships: let them load again.
    s.expire(appeal, ["category", "area", "lead_unit"])
    return appeal


def _check_units(s: Session, unit: str | None, co_units: list[str]) -> None:
    """Every code named, by field (`unit_errors`), all at once."""
    if errors := unit_errors(s, unit, co_units):
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def unit_errors(s: Session, unit: str | None, co_units: list[str]) -> dict[str, list[Text]]:
    """What is wrong with a lead unit and co-units chosen by hand, by field: each unknown or inactive
    unit, and the co-units that are the lead or named twice (`co_unit_errors`)."""
    codes = {"unit": [unit] if unit is not None else [], "co_units": list(dict.fromkeys(co_units))}
    errors = {
        field: [t("Unknown unit {code!r}.", code=c) for c in unknown]
        for field, given in codes.items()
        if (unknown := [c for c in given if (u := s.get(Unit, c)) is None or not u.active])
    }
    if clash := co_unit_errors(unit, co_units):
        errors.setdefault("co_units", []).extend(clash)
    return errors


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
    _assign(
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


def _assign(
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
    kept = next((a for a in appeal.assignments if a.active and a.role == "lead"), None)
    if kept is not None and kept.unit_code == lead and not changes:
        _change_co_units(
            s, appeal, ctx, kept, co, rule_id=rule_id, limit=limit, explanation=explanation, actor=actor,
            reason=reason, manual=manual, tz=tz, now=now,
        )  # fmt: skip
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
        appeal.assignments.append(
            AppealAssignment(
                unit_code=unit,
                role=role,
                list_version_id=ctx.version_id,
                rule_id=rule_id,
                manual=manual,
                explanation=explanation,
                assigned_at=now,
                assigned_by_id=actor.id if actor else None,
                sign_due_at=deadlines.sign_due_at,
                reply_due_at=deadlines.reply_due_at,
                active=True,  # before the flush too: the alarms are planned from the active parts
            )
        )
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
    *,
    rule_id: str | None,
    limit: Limit,
    explanation: dict[str, Any],
    actor: User | None,
    reason: str,
    manual: bool,
    tz: ZoneInfo,
    now: datetime,
) -> None:
    """A re-dispatch to the lead unit the appeal is with: only its co-units change (调整协办单位).

    The lead's part stays as it is: no new lead dispatch (nor one more in the figures), its signing,
    its clocks and its pending requests kept, since nothing moved the appeal away from it. A co-unit
    kept keeps its part; one dropped has its part ended; one added gets its own sign-for clock from
    now and the lead's reply deadline. Nothing to change: 409.
    """
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
        appeal.assignments.append(
            AppealAssignment(
                unit_code=code,
                role="co",
                list_version_id=ctx.version_id,
                rule_id=rule_id,
                manual=manual,
                explanation=explanation,
                assigned_at=now,
                assigned_by_id=actor.id if actor else None,
                sign_due_at=deadlines.sign_due_at,
                reply_due_at=appeal.reply_due_at or deadlines.reply_due_at,
                active=True,
            )
        )
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
            "manual": manual,
            "reason": reason,
            "version": appeal.version,  # the one it found: the lead's page of it still acts
        },
        at=now,
    )
