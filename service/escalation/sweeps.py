"""Sweeps: fire the alarms that are due. Operations flush, never commit (the job commits).

A sweep reads the due alarms of one kind through the partial index (`done_at IS NULL`, by due
time), loads their appeals in one query, and for each alarm the appeal's plan still holds, queues the
notices and, unless in notify-only mode, records what happened on the appeal (an event; a ladder
step also raises the appeal's supervision level). Every alarm read is marked done in the same
transaction, so a second run finds nothing; on PostgreSQL, rows another sweep holds are skipped,
and so is an appeal someone is changing at that moment: its alarm stays due for the next sweep.

A co-unit's part not signed for by its own deadline (`co_sign_overdue`) tells that co-unit and the
centre, as the lead's sign-for alarm tells the lead unit and the centre. One sweep fires both kinds
(`dispatch.escalation.swept_together`): when it finds several units of one appeal late, each unit
gets its own reminder and the centre one notice naming them all (`units_sign_overdue`, decided by
`joint_centre_notices`), not one per unit at the same minute. With co-units' alarms due, the sweep
also reads the due appeals' assignments and co-signings (two more reads, whatever the number due);
a full batch reads the other due sign-for alarms of its appeals (one more), so that a batch's end
does not split an appeal's notice to the centre in two.

Notify-only mode (`ESCALATION_MODE=notify_only`) sends the same notices and changes nothing else:
no event, no supervision level, no version bump on the appeal.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
from service.escalation.planning import co_parts_of, facts_of, ladder_of, settings, workdays_of
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
#: The centre's one notice for several units of an appeal late to sign at one sweep.
JOINT_TEMPLATE = "units_sign_overdue"
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
    fired: list[int] = field(default_factory=list)  # appeal ids acted on, one per alarm fired
    skipped: int = 0  # alarms the appeals' plans no longer hold
    notices: int = 0

    @property
    def seen(self) -> int:
        return len(self.fired) + self.skipped


def sweep(
    s: Session, kind: str, *, now: datetime, notify_only: bool = False, limit: int = 1000
) -> SweepResult:
    """Fire up to `limit` due alarms of `kind` (with the kinds swept with it), earliest first.

    Three reads (the due alarms, their appeals, their units; for co-units' alarms, two more: the
    appeals' assignments and co-signings; for a full batch of sign-for alarms, one more: the other
    due ones of its appeals) and a few batched writes: one outbox row per fired alarm (naming every
    recipient group; for an appeal with several units late to sign, each unit's row and one for the
    centre), one event each, and the alarms marked done.
    The outbox rows are written without reading their ids back; the job relays every unrelayed row
    after its commit (`service.escalation.jobs`).
    """
    if kind not in esc.KINDS:
        raise ValueError(f"unknown alarm kind {kind!r}; expected one of {esc.KINDS}")
    kinds = esc.swept_together(kind)
    result = SweepResult(kind)
    alarms = _due_alarms(s, kinds, now=now, limit=limit)
    if not alarms:
        return result
    if len(alarms) >= limit and len(kinds) > 1:
        # The batch ends in the middle of the due alarms: take its appeals' other due ones with it,
        # so that the centre hears of each appeal once (the next batch would tell it again).
        alarms += _due_alarms(
            s, kinds, now=now, appeals={a.appeal_id for a in alarms}, besides=[a.id for a in alarms]
        )
    query = sa.select(Appeal).where(Appeal.id.in_({alarm.appeal_id for alarm in alarms}))
    co = any(alarm.kind == esc.CO_SIGN_OVERDUE for alarm in alarms)
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
    due: list[_Due] = []
    skipped: list[int] = []
    for alarm in alarms:
        appeal = appeals.get(alarm.appeal_id)
        if appeal is None:  # being changed by someone else now: the alarm stays due
            continue
        unit = units.get(appeal.lead_unit_code or "")
        of_part = alarm.kind == esc.CO_SIGN_OVERDUE
        parts = co_parts_of(appeal, signed.get(appeal.id, ())) if of_part else ()
        workdays = workdays_of(s, appeal) if alarm.kind == esc.REPLY_DUE_SOON else None
        planned = esc.Alarm(alarm.due_at, alarm.kind, alarm.level, alarm.assignment_id)
        if not esc.still_planned(planned, facts_of(appeal, parts, workdays), ladder_of(unit), config):
            skipped.append(alarm.id)
            continue
        part = next((a for a in appeal.assignments if a.id == alarm.assignment_id), None) if of_part else None
        due.append(_Due(alarm, planned, appeal, unit, part))
    # Several units of one appeal late at once: each unit its reminder, the centre one notice.
    joint = esc.joint_centre_notices([(d.appeal.id, d.planned) for d in due])
    told_jointly = {position for group in joint for position in group}
    outbox: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for position, d in enumerate(due):
        message, event = _fire(d, now=now, centre=position not in told_jointly)
        if message is not None:
            outbox.append(message)
            result.notices += message["recipient"].count("|") + 1
        if not notify_only:
            events.append(event)
            if d.alarm.kind == esc.ESCALATE:
                d.appeal.supervision_level = max(d.appeal.supervision_level, d.alarm.level)
        result.fired.append(d.appeal.id)
    for group in joint:
        outbox.append(_joint_centre_notice([due[position] for position in group], now=now))
        result.notices += 1
    result.skipped = len(skipped)
    table = AppealAlarm.__table__
    for ids, outcome in (([d.alarm.id for d in due], FIRED), (skipped, SKIPPED)):
        if ids:
            s.execute(table.update().where(table.c.id.in_(ids)).values(done_at=now, outcome=outcome))
    if outbox:
        s.execute(OutboxMessage.__table__.insert(), outbox)
    if events:
        s.execute(AppealEvent.__table__.insert(), events)
    s.flush()
    return result


@dataclass(frozen=True)
class _Due:
    """An alarm the sweep fires: the row read, as the plan sees it, its appeal, the appeal's lead
    unit, and for a co-unit's alarm its co assignment."""

    alarm: Any
    planned: esc.Alarm
    appeal: Appeal
    unit: Unit | None
    part: AppealAssignment | None


def _due_alarms(
    s: Session,
    kinds: Sequence[str],
    *,
    now: datetime,
    limit: int | None = None,
    appeals: Collection[int] | None = None,
    besides: Collection[int] = (),
) -> list[Any]:
    """The due alarms of `kinds` (when `appeals` are given, theirs only, but for those `besides`),
    earliest first, locked; rows another sweep holds are skipped."""
    query = sa.select(
        AppealAlarm.id,
        AppealAlarm.appeal_id,
        AppealAlarm.kind,
        AppealAlarm.level,
        AppealAlarm.due_at,
        AppealAlarm.assignment_id,
    ).where(AppealAlarm.done_at.is_(None), AppealAlarm.kind.in_(kinds), AppealAlarm.due_at <= now)
    if appeals is not None:
        query = query.where(AppealAlarm.appeal_id.in_(appeals), AppealAlarm.id.not_in(besides))
    query = query.order_by(AppealAlarm.due_at, AppealAlarm.id).limit(limit)
    return list(s.execute(query.with_for_update(skip_locked=True)).all())


def _units(s: Session, appeals: Sequence[Appeal] | Any) -> dict[str, Unit]:
    codes = {a.lead_unit_code for a in appeals if a.lead_unit_code}
    if not codes:
        return {}
    return {u.code: u for u in s.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}


def _fire(d: _Due, *, now: datetime, centre: bool = True) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The outbox row (one for all the alarm's recipients) and the event of one fired alarm;
    `centre=False`: the centre is told in a joint notice (`_joint_centre_notice`), not in this row."""
    alarm, appeal, unit, part = d.alarm, d.appeal, d.unit, d.part
    kind = alarm.kind
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
        name = _name(part.unit, part.unit_code)
        data.update(assignment_id=part.id, unit=part.unit_code, unit_name=name)
        data["due_at_local"] = _local(part.sign_due_at) if part.sign_due_at is not None else ""
        note = f"协办单位{name}签收超时，已提醒该单位和中心。"
    lead = appeal.lead_unit_code
    targets = {
        "lead": f"unit:{lead}" if lead else None,
        "centre": "centre" if centre else None,
        "ladder": f"ladder:{lead}:{alarm.level}" if lead else None,
        "part": f"unit:{part.unit_code}" if part is not None else None,
    }
    groups = [group for who in _RECIPIENTS[kind] if (group := targets[who]) is not None]
    template = _TEMPLATES.get(kind, kind)
    message = None
    if groups:
        # Every kind's notice about an urgent appeal goes at any hour, on the urgent queue: a reply
        # due soon or overdue on a gas leak is as pressing as the sign-for reminder.
        urgent = esc.notice_urgent(appeal.urgency)
        # The alarm fires once (it is marked done in this transaction): its id makes the key.
        message = _outbox_row(appeal, "|".join(groups), template, data, alarm.id, urgent=urgent, now=now)
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
        # The version it found: a unit's page from before this warning still signs, contributes and replies.
        "payload": {"alarm": kind, **payload, "version": appeal.version},
    }
    return message, event


def _joint_centre_notice(late: Sequence[_Due], *, now: datetime) -> dict[str, Any]:
    """The centre's one notice of the units of one appeal late to sign at this sweep, the lead
    first (`dispatch.escalation.joint_centre_notices`); each unit has its own reminder."""
    units = [
        {"unit": d.part.unit_code, "name": _name(d.part.unit, d.part.unit_code), "part": "co"}
        if d.part is not None
        else {"unit": d.appeal.lead_unit_code, "name": _name(d.unit, d.appeal.lead_unit_code), "part": "lead"}
        for d in late
    ]
    data = {"alarm_ids": [d.alarm.id for d in late], "units": units}
    appeal = late[0].appeal
    urgent = esc.notice_urgent(appeal.urgency)  # as its units' own reminders
    # Its first alarm fires once, as each of them: its id makes the key.
    return _outbox_row(appeal, "centre", JOINT_TEMPLATE, data, late[0].alarm.id, urgent=urgent, now=now)


def _outbox_row(
    appeal: Appeal,
    recipient: str,
    template: str,
    data: dict[str, Any],
    alarm_id: int,
    *,
    urgent: bool,
    now: datetime,
) -> dict[str, Any]:
    """An outbox row about `appeal`, keyed by the alarm that fired it (`urgent`: at any hour)."""
    return {
        "created_at": now,
        "kind": "notice",
        "appeal_id": appeal.id,
        "recipient": recipient,
        "template": template,
        "data": data,
        "dedup_key": f"{appeal.number}:{recipient}:{template}:alarm:{alarm_id}"[:200],
        "priority": URGENT if urgent else DEFAULT,
        "relayed_at": None,
    }


def _name(unit: Unit | None, code: str | None) -> str:
    return unit.name if unit is not None else code or ""


def _local(at: datetime) -> str:
    tz = current_app.config["TZ"] if has_app_context() else ZoneInfo(DEFAULT_TIMEZONE)
    return local_time_text(at, tz)
