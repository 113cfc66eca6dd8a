"""Sweeps: fire the alarms that are due. Operations flush, never commit (the job commits).

A sweep reads the due alarms of one kind through the partial index (`done_at IS NULL`, by due
time), loads their appeals in one query, and for each alarm the appeal's plan still holds, queues the
notices and, unless in notify-only mode, records what happened on the appeal (an event; a ladder
step also raises the appeal's supervision level). Every alarm read is marked done in the same
transaction, so a second run finds nothing; on PostgreSQL, rows another sweep holds are skipped,
and so is an appeal someone is changing at that moment: its alarm stays due for the next sweep.

A co-unit's part not signed for by its own deadline (`co_sign_overdue`) tells that co-unit and the
centre, as the lead's sign-for alarm tells the lead unit and the centre; its sweep also reads the
due appeals' assignments and co-signings (two more reads, whatever the number due).

Notify-only mode (`ESCALATION_MODE=notify_only`) sends the same notices and changes nothing else:
no event, no supervision level, no version bump on the appeal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, selectinload

from dispatch import escalation as esc
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.config import DEFAULT_TIMEZONE
from service.escalation.models import FIRED, SKIPPED, AppealAlarm
from service.escalation.planning import co_parts_of, facts_of, ladder_of, settings
from service.handling.unit_actions import signed_assignments_of
from service.lists.models import Unit
from service.notices.models import DEFAULT, URGENT, OutboxMessage
from service.notices.operations import local_time_text

#: What each kind tells, to whom, and the event it leaves on the appeal.
_RECIPIENTS: dict[str, tuple[str, ...]] = {
    esc.SIGN_OVERDUE: ("lead", "centre"),
    esc.CO_SIGN_OVERDUE: ("part", "centre"),  # the co-unit whose part it is
    esc.ESCALATE: ("ladder", "lead", "centre"),
    esc.REPLY_DUE_SOON: ("lead",),
    esc.REPLY_OVERDUE: ("lead", "centre"),
    esc.REVIEW_WAITING: ("centre",),
    esc.RATING_CALLBACK: ("centre",),
}
_TEMPLATES = {esc.ESCALATE: "escalation"}  # else the kind's name
#: Kinds whose notices about an urgent appeal go out at any hour, on the urgent queue.
_URGENT_KINDS = frozenset({esc.SIGN_OVERDUE, esc.CO_SIGN_OVERDUE, esc.ESCALATE})
_EVENT_NOTES = {
    esc.SIGN_OVERDUE: "签收超时，已提醒承办单位和中心。",
    esc.REPLY_DUE_SOON: "答复即将到期，已提醒承办单位。",
    esc.REPLY_OVERDUE: "答复已超期，已提醒承办单位和中心。",
    esc.REVIEW_WAITING: "答复待审时间过长，已提醒中心审核。",
    esc.RATING_CALLBACK: "尚未评价，已提醒中心回访。",
}


@dataclass
class SweepResult:
    kind: str
    fired: list[int] = field(default_factory=list)  # appeal ids acted on
    skipped: int = 0  # alarms the appeals' plans no longer hold
    notices: int = 0

    @property
    def seen(self) -> int:
        return len(self.fired) + self.skipped


def sweep(
    s: Session, kind: str, *, now: datetime, notify_only: bool = False, limit: int = 1000
) -> SweepResult:
    """Fire up to `limit` due alarms of `kind`, earliest first.

    Three reads (the due alarms, their appeals, their units; for co-units' alarms, two more: the
    appeals' assignments and co-signings) and a few batched writes: one outbox row per fired alarm
    (naming every recipient group), one event each, and the alarms marked done.
    The outbox rows are written without reading their ids back; the job relays every unrelayed row
    after its commit (`service.escalation.jobs`).
    """
    if kind not in esc.KINDS:
        raise ValueError(f"unknown alarm kind {kind!r}; expected one of {esc.KINDS}")
    result = SweepResult(kind)
    alarms = s.execute(
        sa.select(
            AppealAlarm.id,
            AppealAlarm.appeal_id,
            AppealAlarm.kind,
            AppealAlarm.level,
            AppealAlarm.due_at,
            AppealAlarm.assignment_id,
        )
        .where(AppealAlarm.done_at.is_(None), AppealAlarm.kind == kind, AppealAlarm.due_at <= now)
        .order_by(AppealAlarm.due_at, AppealAlarm.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not alarms:
        return result
    query = sa.select(Appeal).where(Appeal.id.in_({alarm.appeal_id for alarm in alarms}))
    co = kind == esc.CO_SIGN_OVERDUE
    if co:
        query = query.options(selectinload(Appeal.assignments))
    # A unit acting on one of these appeals right now (signing, replying) holds it (FOR UPDATE) and
    # next wants its alarms (the replanning), which this sweep holds: waiting for that appeal (for
    # its event's or notice's foreign key, or to raise its level) would be a deadlock. Such an
    # appeal is left to the next sweep, its alarm still due; that sweep sees what the unit did.
    # The ladder's sweep writes the appeals (FOR UPDATE); the others only refer to them (KEY SHARE).
    # SQLite has no row locks (one writer at a time): there the query is plain.
    writes = kind == esc.ESCALATE and not notify_only
    query = query.with_for_update(of=Appeal, read=not writes, key_share=not writes, skip_locked=True)
    appeals = {a.id: a for a in s.scalars(query)}
    units = _units(s, appeals.values())
    # Only a co-unit's alarm depends on the co parts; the other kinds' plans hold without them.
    signed = signed_assignments_of(s, list(appeals)) if co and appeals else {}
    config = settings()
    fired: list[int] = []
    skipped: list[int] = []
    outbox: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for alarm in alarms:
        appeal = appeals.get(alarm.appeal_id)
        if appeal is None:  # being changed by someone else now: the alarm stays due
            continue
        unit = units.get(appeal.lead_unit_code or "")
        parts = co_parts_of(appeal, signed.get(appeal.id, ())) if co else ()
        if not esc.still_planned(
            esc.Alarm(alarm.due_at, alarm.kind, alarm.level, alarm.assignment_id),
            facts_of(appeal, parts),
            ladder_of(unit),
            config,
        ):
            skipped.append(alarm.id)
            continue
        fired.append(alarm.id)
        part = next((a for a in appeal.assignments if a.id == alarm.assignment_id), None) if co else None
        message, event = _fire(alarm, appeal, unit, part, now=now)
        if message is not None:
            outbox.append(message)
            result.notices += message["recipient"].count("|") + 1
        if not notify_only:
            events.append(event)
            if kind == esc.ESCALATE:
                appeal.supervision_level = max(appeal.supervision_level, alarm.level)
        result.fired.append(appeal.id)
    result.skipped = len(skipped)
    table = AppealAlarm.__table__
    for ids, outcome in ((fired, FIRED), (skipped, SKIPPED)):
        if ids:
            s.execute(table.update().where(table.c.id.in_(ids)).values(done_at=now, outcome=outcome))
    if outbox:
        s.execute(OutboxMessage.__table__.insert(), outbox)
    if events:
        s.execute(AppealEvent.__table__.insert(), events)
    s.flush()
    return result


def _units(s: Session, appeals: Sequence[Appeal] | Any) -> dict[str, Unit]:
    codes = {a.lead_unit_code for a in appeals if a.lead_unit_code}
    if not codes:
        return {}
    return {u.code: u for u in s.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}


def _fire(
    alarm: Any, appeal: Appeal, unit: Unit | None, part: AppealAssignment | None, *, now: datetime
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The outbox row (one for all the alarm's recipients) and the event of one fired alarm;
    `part`: the co assignment a co-unit's alarm is for."""
    kind = alarm.kind
    urgent = appeal.urgency in esc.URGENT_LEVELS
    data: dict[str, Any] = {"alarm_id": alarm.id}
    note = _EVENT_NOTES.get(kind, "")
    if kind in (esc.REPLY_DUE_SOON, esc.REPLY_OVERDUE) and appeal.reply_due_at is not None:
        data["due_at_local"] = _local(appeal.reply_due_at)
    if kind == esc.REVIEW_WAITING and appeal.status_changed_at is not None:
        data["waiting_hours"] = int((now - appeal.status_changed_at).total_seconds() // 3600)
    if kind == esc.RATING_CALLBACK and appeal.rating_due_at is not None:
        data["due_at_local"] = _local(appeal.rating_due_at)
    if kind == esc.ESCALATE:
        title = esc.level_title(ladder_of(unit), alarm.level)
        minutes = int((now - appeal.sign_due_at).total_seconds() // 60) if appeal.sign_due_at else 0
        data.update(level=alarm.level, level_title=title, minutes_overdue=max(minutes, 0))
        note = f"{appeal.urgency}诉求超时未签收，已逐级升级至{title}（第{alarm.level}级）。"
    if kind == esc.CO_SIGN_OVERDUE and part is not None:
        # The co-unit's own deadline and name: the notice's context otherwise names the lead's.
        name = part.unit.name if part.unit is not None else part.unit_code
        data.update(assignment_id=part.id, unit=part.unit_code, unit_name=name)
        data["due_at_local"] = _local(part.sign_due_at) if part.sign_due_at is not None else ""
        note = f"协办单位{name}签收超时，已提醒该单位和中心。"
    lead = appeal.lead_unit_code
    targets = {
        "lead": f"unit:{lead}" if lead else None,
        "centre": "centre",
        "ladder": f"ladder:{lead}:{alarm.level}" if lead else None,
        "part": f"unit:{part.unit_code}" if part is not None else None,
    }
    groups = [group for who in _RECIPIENTS[kind] if (group := targets[who]) is not None]
    template = _TEMPLATES.get(kind, kind)
    message = None
    if groups:
        recipient = "|".join(groups)
        message = {
            "created_at": now,
            "kind": "notice",
            "appeal_id": appeal.id,
            "recipient": recipient,
            "template": template,
            "data": data,
            # The alarm fires once (it is marked done in this transaction): its id makes the key.
            "dedup_key": f"{appeal.number}:{recipient}:{template}:alarm:{alarm.id}"[:200],
            "priority": URGENT if urgent and kind in _URGENT_KINDS else DEFAULT,
            "relayed_at": None,
        }
    payload = {k: v for k, v in data.items() if k not in ("due_at_local", "unit_name")}
    event = {
        "appeal_id": appeal.id,
        "at": now,
        "actor_id": None,
        "actor_role": "system",
        "action": "escalated" if kind == esc.ESCALATE else kind,
        "from_status": appeal.status,
        "to_status": appeal.status,
        "note": note,
        "public_message": None,
        # The version it found: a unit's page from before this warning still signs and replies.
        "payload": {"alarm": kind, **payload, "version": appeal.version},
    }
    return message, event


def _local(at: datetime) -> str:
    tz = current_app.config["TZ"] if has_app_context() else ZoneInfo(DEFAULT_TIMEZONE)
    return local_time_text(at, tz)
