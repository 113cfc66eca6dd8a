"""Keeping each appeal's alarms in step with the appeal, and alerting at once on urgent ones.

Whatever changes an appeal's status or deadlines (intake, dispatch, re-dispatch, an extension, a
reply, a reopening, a merge) goes through a flush; before it, `replan` compares the stored pending
alarms with `dispatch.escalation.plan_alarms` of the appeal as it now is, adds the missing ones and
cancels those the plan dropped. One place, so no path can forget to move a clock. A co-unit's part
changes the plan too: a co assignment made, ended or given a new deadline, a co-unit signing
for its part (the `co_signed` event), and a reopen (`reopened`: every part to sign for again).

An urgent appeal (紧急 or 特急, or a category urgent by nature, which dispatch raises to 紧急) that
has just been dispatched, or reopened to its unit (重办), gets its alert in the same flush: a notice
to the lead unit's duty contacts and one to the centre's duty contacts and duty leader, on the
urgent queue, and an event.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, selectinload

from dispatch import escalation as esc
from dispatch.calendar import WorkCalendar
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.db import utcnow
from service.escalation.models import CANCELLED, FIRED, AppealAlarm
from service.handling.unit_actions import signed_assignment_ids, signed_assignments_of
from service.lists.models import Unit
from service.lists.operations import calendar_of
from service.notices.models import URGENT
from service.notices.operations import queue_notice

#: The appeal attributes the plan depends on.
WATCHED = (
    "status",
    "urgency",
    "dispatched_at",
    "reply_started_at",
    "sign_due_at",
    "reply_due_at",
    "replied_at",
    "rating_due_at",
)
#: The co assignment attributes the plan depends on.
CO_WATCHED = ("active", "sign_due_at")
#: The events that change which co parts are signed for: a co-unit signing, a reopen (every part
#: to sign for again).
PART_EVENTS = ("co_signed", "reopened")


def settings() -> esc.Settings:
    config: dict[str, Any] = current_app.config if has_app_context() else {}
    defaults = esc.Settings()
    return esc.Settings(
        review_wait=_hours(config.get("REVIEW_WAIT_HOURS"), defaults.review_wait),
        callback_after=_hours(config.get("CALLBACK_AFTER_HOURS"), defaults.callback_after),
        tz=config.get("TZ") or defaults.tz,
    )


def _hours(value: Any, default: timedelta) -> timedelta:
    return timedelta(hours=float(value)) if value not in (None, "") else default


def facts_of(
    appeal: Appeal, co_parts: tuple[esc.CoPart, ...] = (), workdays: esc.Workdays | None = None
) -> esc.AppealFacts:
    """The appeal's facts; `co_parts` (`co_parts_of`) where the plan of its co-units matters,
    `workdays` (`workdays_of`) where its reply warning's does."""
    return esc.AppealFacts(
        status=appeal.status,
        urgency=appeal.urgency,
        status_since=appeal.status_changed_at,
        dispatched_at=appeal.dispatched_at,
        sign_due_at=appeal.sign_due_at,
        reply_due_at=appeal.reply_due_at,
        replied_at=appeal.replied_at,
        rating_due_at=appeal.rating_due_at,
        reply_started_at=appeal.reply_started_at,
        co_parts=co_parts,
        workdays=workdays,
    )


def workdays_of(s: Session, appeal: Appeal) -> WorkCalendar | None:
    """The working days a routine appeal's reply warning keeps to (`esc.warning_in_working_hours`):
    those of the list that routed it, which counted its deadline; None when the plan has no use
    for them (an urgent appeal, or none owing a reply)."""
    if (
        appeal.status not in esc.OWES_REPLY
        or appeal.reply_due_at is None
        or appeal.urgency in esc.URGENT_LEVELS
    ):
        return None
    return calendar_of(s, appeal.list_version_id)


def co_parts_of(appeal: Appeal, signed: Collection[int]) -> tuple[esc.CoPart, ...]:
    """The appeal's active co assignments as the plan sees them, `signed` the assignment ids signed
    for; none unless units work on the appeal (the plan has no use for them then)."""
    return _parts(_co_assignments(appeal), signed)


def _co_assignments(appeal: Appeal) -> dict[int, AppealAssignment]:
    """The active co assignments while units work on the appeal, by id.

    An assignment made in this flush (an intake's dispatch, a re-dispatch) has no id yet: it stands
    as a negative number, and its alarm is tied to the object, which the flush gives its id.
    """
    if appeal.status not in esc.OWES_REPLY:
        return {}
    active = [a for a in appeal.assignments if a.active and a.role == "co"]
    return {a.id if a.id is not None else -i: a for i, a in enumerate(active, 1)}


def _parts(by_key: dict[int, AppealAssignment], signed: Collection[int]) -> tuple[esc.CoPart, ...]:
    return tuple(esc.CoPart(key, a.unit_code, a.sign_due_at, key in signed) for key, a in by_key.items())


def ladder_of(unit: Unit | None) -> tuple[esc.LadderStep, ...]:
    return esc.ladder_from_list(unit.escalation) if unit is not None else ()


@event.listens_for(Session, "before_flush")
def _replan_changed_appeals(s: Session, _context: Any, _instances: Any) -> None:
    changed: dict[Appeal | None, None] = {}  # in order, each once
    with s.no_autoflush:
        for obj in (*s.new, *s.dirty):
            if isinstance(obj, Appeal) and (obj in s.new or _watched_changed(obj, WATCHED)):
                changed[obj] = None
            elif isinstance(obj, AppealAssignment) and obj.role == "co":
                if obj in s.new or _watched_changed(obj, CO_WATCHED):
                    changed[obj.appeal] = None
            elif isinstance(obj, AppealEvent) and obj.action in PART_EVENTS and obj in s.new:
                changed[obj.appeal] = None
        if not changed:
            return
        now = utcnow()
        for appeal in changed:
            if appeal is not None:  # an assignment or event made without its appeal: none to plan
                replan(s, appeal, now)


def _watched_changed(obj: Any, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def replan(
    s: Session, appeal: Appeal, now: datetime, *, alert: bool = True, signed: Collection[int] | None = None
) -> None:
    """Bring the appeal's pending alarms in line with its plan; alert if it was just dispatched urgent.

    `signed`: the assignment ids signed for, when the caller has read them (else read here, and
    only for an appeal with co-units to sign).
    """
    state = inspect(appeal)
    is_new = state.pending or state.transient
    status_changed = is_new or state.attrs.status.history.has_changes()
    if status_changed:
        appeal.status_changed_at = now
    parts, by_key = _co_parts(s, appeal, is_new=is_new, signed=signed)
    facts = facts_of(appeal, parts, workdays_of(s, appeal))
    unit = s.get(Unit, appeal.lead_unit_code) if appeal.lead_unit_code and facts.urgent else None
    ladder = ladder_of(unit)
    plan = esc.plan_alarms(facts, ladder, settings())
    wanted = {(a.kind, a.level, a.due_at, a.assignment_id) for a in plan}
    if not is_new:
        # The pending alarms, and the reminders already sent: a reminder is about a deadline, and
        # the same deadline missed is reminded once, whatever comes and goes after (a reply sent
        # back, a return refused: the same sign-for or reply deadline again). A new deadline (a
        # re-dispatch, an extension, a reopening) makes a new alarm. One read, as before.
        for alarm in s.scalars(
            sa.select(AppealAlarm).where(
                AppealAlarm.appeal_id == appeal.id,
                sa.or_(AppealAlarm.done_at.is_(None), AppealAlarm.outcome == FIRED),
            )
        ):
            key = (alarm.kind, alarm.level, alarm.due_at, alarm.assignment_id)
            if key in wanted:
                wanted.discard(key)
            elif alarm.outcome == FIRED and esc.stands_for_warning(
                esc.Alarm(alarm.due_at, alarm.kind, alarm.level, alarm.assignment_id), facts, plan
            ):
                # Given at the time planned before warnings kept to working hours: not again.
                wanted -= {k for k in wanted if k[0] == esc.REPLY_DUE_SOON}
            elif alarm.done_at is None:
                alarm.done_at, alarm.outcome = now, CANCELLED
    for kind, level, due_at, part in sorted(wanted, key=lambda k: k[2]):
        s.add(
            AppealAlarm(
                appeal=appeal,
                kind=kind,
                level=level,
                due_at=due_at,
                assignment=by_key.get(part) if part is not None else None,
                created_at=now,
            )
        )
    if alert and facts.urgent and appeal.status == st.DISPATCHED and (is_new or _clock_restarted(state)):
        alert_urgent(s, appeal, now)


def _co_parts(
    s: Session, appeal: Appeal, *, is_new: bool, signed: Collection[int] | None
) -> tuple[tuple[esc.CoPart, ...], dict[int, AppealAssignment]]:
    """The co parts of the plan, and the assignment each part's key stands for.

    Nothing is read for an appeal just registered (the dispatch decision is in memory) or without
    co-units to sign; a co-unit signing in this flush counts (its event is not stored yet), and a
    reopen in this flush (重办: every part to sign for again) leaves none signed.
    """
    by_key = _co_assignments(appeal)
    if not by_key:
        return (), {}
    if _events_now(s, appeal, "reopened"):
        signed = set()
    elif signed is None:
        signed = set() if is_new else signed_assignment_ids(s, appeal)
    signing = {e.payload.get("assignment_id") for e in _events_now(s, appeal, "co_signed") if e.payload}
    return _parts(by_key, {*signed, *signing}), by_key


def _events_now(s: Session, appeal: Appeal, action: str) -> list[AppealEvent]:
    """The appeal's `action` events of the flush under way (a co-unit signing, a reopen)."""
    return [
        obj for obj in s.new if isinstance(obj, AppealEvent) and obj.action == action and obj.appeal is appeal
    ]


def _clock_restarted(state: Any) -> bool:
    """Dispatched or re-dispatched (`dispatched_at`), or reopened to its unit (`reply_started_at`,
    the clocks' last start): the unit has a new sign-for deadline to meet."""
    return (
        state.attrs.dispatched_at.history.has_changes() or state.attrs.reply_started_at.history.has_changes()
    )


def alert_urgent(s: Session, appeal: Appeal, now: datetime) -> None:
    """The urgent alert: the lead unit's duty contacts and the centre's, at once, at any hour.

    Once per start of the sign-for clock: the dispatch, or a reopen (重办) to the same unit."""
    start = appeal.reply_started_at or appeal.dispatched_at
    assert start is not None and appeal.sign_due_at is not None
    minutes = max(round((appeal.sign_due_at - start).total_seconds() / 60), 0)
    data = {"sign_limit_minutes": minutes}
    key = f"urgent:{start.isoformat()}"
    for recipient in (f"unit:{appeal.lead_unit_code}", "centre"):
        queue_notice(s, appeal, recipient, "urgent_appeal", data, key=key, priority=URGENT)
    record_event(
        s,
        appeal,
        "urgent_alerted",
        None,
        actor_role="system",
        from_status=appeal.status,
        to_status=appeal.status,
        note=f"{appeal.urgency}诉求：已通知承办单位值班人员和中心带班领导，{minutes}分钟内签收。",
        payload={"unit": appeal.lead_unit_code, "sign_limit_minutes": minutes},
        at=now,
    )


def replan_open(s: Session) -> int:
    """Replan every appeal that is not closed or merged (in batches); returns how many."""
    now = utcnow()
    count = 0
    last_id = 0
    while True:
        batch = s.scalars(
            sa.select(Appeal)
            .where(Appeal.id > last_id, Appeal.status.not_in((st.CLOSED, st.MERGED)))
            .options(selectinload(Appeal.assignments))
            .order_by(Appeal.id)
            .limit(500)
        ).all()
        if not batch:
            return count
        signed = signed_assignments_of(s, [a.id for a in batch])
        for appeal in batch:
            if appeal.status_changed_at is None:
                appeal.status_changed_at = appeal.updated_at
            replan(s, appeal, now, alert=False, signed=signed.get(appeal.id, set()))
        s.flush()
        count += len(batch)
        last_id = batch[-1].id
