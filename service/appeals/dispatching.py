"""派单: dispatching an appeal to its lead and co-units, automatically on intake or by hand.

Here the decision: the list's (`dispatch.routing`) on intake and for a dispatch by hand that names
no unit, else the dispatcher's, with the list's limits or its `default_limits`. How a decision is
stored (the parts, their deadlines, a re-dispatch ending the earlier ones, a change of the co-units
alone): service/appeals/assigning.py. Which units may be named: service/appeals/unit_choice.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.routing import Decision, NoRoute
from responsibility_lists.model import Limit
from service.appeals import status as st
from service.appeals.assigning import apply_decision, assign, keeps_parts
from service.appeals.events import record_event
from service.appeals.guards import check_version, current_state
from service.appeals.models import Appeal
from service.appeals.unit_choice import check_units, inactive_codes
from service.auth.models import User
from service.errors import Conflict, ValidationFailed
from service.lists.models import Unit
from service.lists.operations import ListContext, active_context
from service.text import t

#: Statuses from which the centre may dispatch or re-dispatch.
DISPATCHABLE = frozenset({st.PENDING_DISPATCH, st.DISPATCHED, st.HANDLING, st.RETURN_REQUESTED})


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
                "Appeal {number} is “{status_label}”; it cannot be dispatched now.",
                number=appeal.number,
                status_label=st.STATUS_NAMES[appeal.status],
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
    current_co = [a.unit_code for a in appeal.assignments if a.active and a.role == "co"]
    check_units(s, unit, extra_co, kept=current_co)
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
        _refuse_inactive_anew(s, appeal, result.lead, added, changes)
        apply_decision(
            s, appeal, ctx, result, actor=actor, reason=reason, manual=True, tz=tz, changes=changes, co=added
        )
        return _flushed(s, appeal)
    co = tuple(extra_co)
    _refuse_inactive_anew(s, appeal, unit, co, changes)
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
    assign(
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


def _refuse_inactive_anew(
    s: Session, appeal: Appeal, lead: str, co: tuple[str, ...], changes: dict[str, Any]
) -> None:
    """An inactive co-unit the appeal has now keeps its part in a change of the co-units alone
    (`check_units`' `kept`); a dispatch that makes new parts (another lead unit, or a correction)
    would give it a new one: 422, under co_units, saying to leave it out."""
    if keeps_parts(appeal, lead, changes):
        return
    if gone := inactive_codes(s, co):
        names = {u.code: u.name for u in s.scalars(sa.select(Unit).where(Unit.code.in_(gone)))}
        raise ValidationFailed(
            t("Invalid input: {fields}", fields=["co_units"]),
            {
                "co_units": [
                    t(
                        "{name} ({code}) is no longer active: it keeps its co-unit part only while the "
                        "lead unit stays and nothing is corrected. This dispatch gives every co-unit a "
                        "new part: leave it out.",
                        name=names.get(code, code),
                        code=code,
                    )
                    for code in gone
                ]
            },
        )


def _flushed(s: Session, appeal: Appeal) -> Appeal:
    s.flush()
    # The codes changed under the loaded relationships: let them load again.
    s.expire(appeal, ["category", "area", "lead_unit"])
    return appeal
