"""并案 (merge into a master appeal) and 督办 / 催办 (supervision). Operations flush, never commit.

A merged appeal follows its master: it leaves every unit's work (its assignments end), the citizen's
view shows the master's status and reply, and every notice about the master's outcome is queued for
each merged appeal's citizen too (`notify_merged_citizens`).

Supervision: pressing (催办) reminds the lead unit; raising (督办) moves the appeal one level up
the lead unit's escalation ladder in the list (unit head → centre leader → government office),
at most to level 3.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch import escalation as esc
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.guards import current_state
from service.appeals.models import Appeal, AppealAssignment
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.escalation.planning import ladder_of
from service.handling.duplicates import resolve_candidates
from service.handling.models import Supervision
from service.handling.operations import active_assignments, begin, move
from service.lists.models import Unit
from service.notices.models import OutboxMessage
from service.notices.operations import priority_of, queue_notice
from service.text import t

#: The highest supervision level (督办 by the government office).
TOP_LEVEL = 3


def merged_into(s: Session, master: Appeal) -> list[Appeal]:
    return list(
        s.scalars(
            sa.select(Appeal)
            .where(Appeal.master_id == master.id, Appeal.status == st.MERGED)
            .order_by(Appeal.id)
        )
    )


def notify_merged_citizens(s: Session, master: Appeal, template: str, key: str) -> list[OutboxMessage]:
    """Queue `template` for the citizen of every appeal merged into `master` (并案: all are told).

    `key` names the occasion (e.g. "reply-released:<reply id>"): queuing again is a no-op.
    """
    queued = []
    for appeal in merged_into(s, master):
        data = {"appeal": appeal.number, "master": master.number, "master_status": master.status}
        priority = priority_of(appeal, master)  # about the master: urgent if either is
        message = queue_notice(s, appeal, "citizen", template, data, key=key, priority=priority)
        if message is not None:
            queued.append(message)
    return queued


def merge(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    master_number: str,
    reason: str,
    expected_version: int | None = None,
) -> Appeal:
    """并案: `appeal` joins `master_number`'s appeal; returns the master.

    Both appeals are written, so both rows are locked first, in id order, and read again: two
    dispatchers merging A into B and B into A at once would otherwise each hold one row and wait
    for the other's (a deadlock, which PostgreSQL ends with an error). Now the second waits for the
    first to commit and is refused by the guards with what the first did.
    """
    master = s.scalar(sa.select(Appeal).where(Appeal.number == master_number))
    if master is not None and master.id != appeal.id:
        s.scalars(
            sa.select(Appeal)
            .where(Appeal.id.in_((appeal.id, master.id)))
            .order_by(Appeal.id)
            .with_for_update(of=Appeal)
            .execution_options(populate_existing=True)
        ).all()
        for locked in (appeal, master):
            s.expire(locked, ["assignments"])  # the units it has now, not as first read
    begin(appeal, "merge", actor, expected_version=expected_version)
    if master is None:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="master"),
            {"master": [t("No appeal {number}.", number=master_number)]},
        )
    if master.id == appeal.id:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="master"),
            {"master": [t("An appeal cannot be merged into itself.")]},
        )
    if master.status == st.MERGED:
        top = s.get(Appeal, master.master_id) if master.master_id else None
        raise Conflict(
            t(
                "Appeal {number} is itself merged into {top}; merge into that one.",
                number=master.number,
                top=top.number,
            )
            if top
            else t("Appeal {number} is itself merged.", number=master.number),
            current=current_state(appeal),  # `current` is always the appeal acted on
            master=current_state(master),
        )
    if master.status not in st.OPEN_STATUSES:
        raise Conflict(
            t(
                "Appeal {number} is “{status_label}”: only an open appeal takes merges.",
                number=master.number,
                status_label=st.STATUS_NAMES[master.status],
            ),
            current=current_state(appeal),
            master=current_state(master),
        )
    now = utcnow()
    ended = _end_assignments(appeal, f"并案：并入{master.number}", now)
    appeal.master_id = master.id
    appeal.close_reason = "merged"
    message = f"您的诉求已并入{master.number}号诉求一并办理。"
    move(
        s,
        appeal,
        "merged",
        actor,
        to_status=st.MERGED,
        note=reason,
        public_message=message,
        payload={"master": master.number, "reason": reason, "ended_units": [a.unit_code for a in ended]},
        at=now,
    )
    # Appeals merged into this one follow the new master from now on: no chains.
    for child in merged_into(s, appeal):
        child.master_id = master.id
        record_event(
            s,
            child,
            "merged",
            actor,
            from_status=st.MERGED,
            to_status=st.MERGED,
            note=f"随{appeal.number}并入{master.number}：{reason}",
            public_message=f"您的诉求已并入{master.number}号诉求一并办理。",
            payload={"master": master.number, "via": appeal.number, "reason": reason},
            at=now,
        )
    move(
        s,
        master,
        "merge_received",
        actor,
        note=reason,
        payload={"merged": appeal.number, "reason": reason},
        at=now,
    )
    resolve_candidates(s, appeal, master, actor=actor, now=now)  # the intake's duplicate flags
    for a in ended:
        queue_notice(
            s,
            appeal,
            f"unit:{a.unit_code}",
            "appeal_merged",
            {"master": master.number},
            key=f"merged:{master.id}",
        )
    data = {"appeal": appeal.number, "master": master.number, "master_status": master.status}
    priority = priority_of(appeal, master)  # the citizen hears of the master: urgent if either is
    queue_notice(s, appeal, "citizen", "appeal_merged", data, key=f"merged:{master.id}", priority=priority)
    if master.status == st.REPLIED:  # the master's reply is out already: tell this citizen now
        queue_notice(
            s, appeal, "citizen", "reply_released", data, key=f"merged:{master.id}", priority=priority
        )
    s.flush()
    return master


def _end_assignments(appeal: Appeal, reason: str, now: datetime) -> list[AppealAssignment]:
    ended = active_assignments(appeal)
    for a in ended:
        a.active, a.ended_at, a.ended_reason = False, now, reason[:500]
    return ended


# ---- supervision ------------------------------------------------------------------------------


def ladder(s: Session, appeal: Appeal) -> tuple[esc.LadderStep, ...]:
    """The lead unit's escalation ladder, as the worker's escalation reads it (the units table)."""
    return ladder_of(s.get(Unit, appeal.lead_unit_code) if appeal.lead_unit_code else None)


def supervise(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    kind: str,
    note: str,
    expected_version: int | None = None,
) -> Supervision:
    """催办 (kind "press") or 督办 (kind "raise": one level up the ladder)."""
    begin(appeal, "supervise", actor, expected_version=expected_version)
    if appeal.lead_unit_code is None or not active_assignments(appeal, "lead"):
        raise Conflict(
            t("Appeal {number} has no handling unit yet: dispatch it first.", number=appeal.number),
            current=current_state(appeal),
        )
    if kind == "raise" and appeal.supervision_level >= TOP_LEVEL:
        title = esc.level_title(ladder(s, appeal), TOP_LEVEL)
        raise Conflict(
            t(
                "Appeal {number} is already supervised at the highest level ({level}: {title}).",
                number=appeal.number,
                level=TOP_LEVEL,
                title=title,
            ),
            current=current_state(appeal),
        )
    if kind == "press":
        return press(s, appeal, actor, note=note)
    return raise_level(s, appeal, actor, note=note)


def press(
    s: Session, appeal: Appeal, actor: User | None, *, note: str, at: datetime | None = None
) -> Supervision:
    """催办: remind the lead unit, at the appeal's current level."""
    at = at or utcnow()
    version = appeal.version  # as the unit may have seen it: its signing and reply still go through
    row = _record(s, appeal, actor, "press", appeal.supervision_level, note, at)
    move(
        s,
        appeal,
        "pressed",
        actor,
        actor_role=None if actor else "system",
        note=note,
        payload={
            "supervision_id": row.id,
            "level": row.level,
            "unit": appeal.lead_unit_code,
            "version": version,
        },
        at=at,
    )
    _notify(s, appeal, row, "supervision_pressed")
    return row


def raise_level(
    s: Session, appeal: Appeal, actor: User | None, *, note: str, at: datetime | None = None
) -> Supervision:
    """督办: one level up (at most TOP_LEVEL); the level's people and units on the lead unit's ladder
    are told as well as the lead unit, as when the worker escalates."""
    at = at or utcnow()
    version = appeal.version  # as the unit may have seen it: its signing and reply still go through
    level = min(appeal.supervision_level + 1, TOP_LEVEL)
    title = esc.level_title(ladder(s, appeal), level)
    appeal.supervision_level = level
    row = _record(s, appeal, actor, "raise", level, note, at)
    move(
        s,
        appeal,
        "supervised",
        actor,
        actor_role=None if actor else "system",
        note=note,
        public_message=f"已提请{title}督办。",
        payload={
            "supervision_id": row.id,
            "level": level,
            "level_title": title,
            "unit": appeal.lead_unit_code,
            "version": version,
        },
        at=at,
    )
    _notify(s, appeal, row, "supervision_raised", (f"ladder:{appeal.lead_unit_code}:{level}",))
    return row


def _record(
    s: Session, appeal: Appeal, actor: User | None, kind: str, level: int, note: str, at: datetime
) -> Supervision:
    row = Supervision(
        appeal_id=appeal.id,
        kind=kind,
        level=level,
        unit_code=appeal.lead_unit_code,
        note=note,
        by_id=actor.id if actor else None,
        at=at,
    )
    s.add(row)
    s.flush()  # the id names the notices
    return row


def _notify(s: Session, appeal: Appeal, row: Supervision, template: str, also: tuple[str, ...] = ()) -> None:
    data: dict[str, Any] = {"supervision_id": row.id, "level": row.level, "kind": row.kind}
    recipients = [f"unit:{appeal.lead_unit_code}", *also]
    for recipient in dict.fromkeys(recipients):
        queue_notice(s, appeal, recipient, template, data, key=f"supervision:{row.id}")
