"""What every action on an appeal shares: the guard, the status change and its event.

Each action module calls `begin` first and `move` (or `record_event`) to change the appeal;
operations flush and never commit. Two people acting at once: every action bumps the appeal's
version (optimistic lock), so the second commit fails and answers 409 with the current state.

A unit's page may be older than the appeal only by escalation steps (催办 / 督办, the worker's
warnings): they press the unit but change nothing it must do. Signing for, a co-unit's
contribution (which signs for its part if it has not), replying, and asking to return the appeal
(退单) or for more time (延期) accept such a version (`unchanged_for_the_unit`), holding the
appeal's row meanwhile (`lock`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals.events import record_event
from service.appeals.guards import check_version, current_state
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, Forbidden, NotFound
from service.handling.workflow import NotAllowed, Transition, check, check_caller
from service.text import t


def relations_of(appeal: Appeal, user: User | None) -> frozenset[str]:
    """The parts ("lead", "co") the user's unit holds on the appeal now."""
    if user is None or user.unit_code is None:
        return frozenset()
    return frozenset(a.role for a in appeal.assignments if a.active and a.unit_code == user.unit_code)


def begin(
    appeal: Appeal,
    action: str,
    actor: User | None,
    *,
    role: str | None = None,
    expected_version: int | None = None,
) -> Transition:
    """Guard an action: the caller's role and unit, the appeal's status, and the version they saw.

    Raises Forbidden (403), NotFound (404, the appeal is not the unit's) or Conflict (409), in
    that order: a caller who may not act at all is told so, not that the page was stale.
    """
    role = role or (actor.role if actor else "system")
    relations = relations_of(appeal, actor)
    try:
        check_caller(action, role, relations)
        check_version(appeal, expected_version)
        return check(action, appeal.status, role, relations)
    except NotAllowed as exc:
        raise refusal(appeal, exc) from exc


def admit(appeal: Appeal, action: str, actor: User) -> None:
    """`begin`'s check of the caller alone, whatever the appeal's status and version: their role and
    their unit's part on the appeal (Forbidden 403, NotFound 404). The API asks it before it reads
    the request's body; the operation's `begin` asks again."""
    try:
        check_caller(action, actor.role, relations_of(appeal, actor))
    except NotAllowed as exc:
        raise refusal(appeal, exc) from exc


def refusal(appeal: Appeal, exc: NotAllowed) -> Forbidden | NotFound | Conflict:
    """The error the API answers for a refusal of the state machine."""
    if exc.kind == "relation":
        return NotFound(t("No appeal {number}.", number=appeal.number))
    if exc.kind == "role":
        return Forbidden(exc.message)
    return Conflict(exc.message, current=current_state(appeal))


def move(
    s: Session,
    appeal: Appeal,
    action: str,
    actor: User | None,
    *,
    to_status: str | None = None,
    actor_role: str | None = None,
    note: str = "",
    public_message: str | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AppealEvent:
    """Change the status (or keep it), bump the version, and record the event. Flushes."""
    from_status = appeal.status
    if to_status is not None:
        appeal.status = to_status
    appeal.updated_at = at or utcnow()  # every action bumps the version: concurrent actions conflict
    event = record_event(
        s,
        appeal,
        action,
        actor,
        actor_role=actor_role,
        from_status=from_status,
        to_status=appeal.status,
        note=note,
        public_message=public_message,
        payload=payload,
        at=at,
    )
    s.flush()
    return event


def active_assignments(appeal: Appeal, role: str | None = None) -> list[AppealAssignment]:
    return [a for a in appeal.assignments if a.active and (role is None or a.role == role)]


#: Events that press the unit without changing what it must do: 催办, 督办 (by hand, after a second
#: unsatisfied rating, or up the ladder by the worker) and the worker's warnings. Each records the
#: appeal's version it found in its payload (`version`).
ESCALATION_STEPS = frozenset(
    {
        "pressed",
        "supervised",
        "escalated",
        "sign_overdue",
        "co_sign_overdue",
        "reply_due_soon",
        "reply_overdue",
        "review_waiting",
        "rating_callback",
    }
)


def lock(s: Session, appeal: Appeal) -> None:
    """Hold the appeal's row until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL; SQLite
    lets one writer in at a time anyway). Another transaction that changed it since it was read
    has committed by then: the appeal and what hangs on it are read again, so the checks that
    follow see the change (two units signing at once: the second sees the first's signature)."""
    s.flush()
    version = s.scalar(sa.select(Appeal.version).where(Appeal.id == appeal.id).with_for_update())
    if version != appeal.version:
        s.expire_all()


#: What a unit's page may be older by and still act: the escalation steps, and a change of the
#: co-units alone (调整协办单位: the lead's part as it was; a co part dropped is refused as having no
#: part, one added had no page before). Each records the version it found (`version`).
UNCHANGED_FOR_THE_UNIT = ESCALATION_STEPS | {"co_units_changed"}


def unchanged_for_the_unit(s: Session, appeal: Appeal, expected_version: int | None) -> int | None:
    """The version to check the caller's against: the appeal's own when the caller saw an older one
    and only escalation steps or co-unit changes happened since (the version the caller sent is
    recorded by one of the newest run of such events, after which nothing else happened); else the
    caller's, so that `begin` refuses a stale one with 409."""
    if expected_version is None or expected_version >= appeal.version:
        return expected_version
    rows = s.execute(
        sa.select(AppealEvent.action, AppealEvent.payload)
        .where(AppealEvent.appeal_id == appeal.id)
        .order_by(AppealEvent.id.desc())
    )
    for action, payload in rows:
        if action not in UNCHANGED_FOR_THE_UNIT:
            break
        if (payload or {}).get("version") == expected_version:
            return appeal.version
    return expected_version
