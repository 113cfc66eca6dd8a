"""What every action on an appeal shares: the guard, the status change and its event.

Each action module calls `begin` first and `move` (or `record_event`) to change the appeal;
operations flush and never commit. Two people acting at once: every action bumps the appeal's
version (optimistic lock), so the second commit fails and answers 409 with the current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.appeals.events import record_event
from service.appeals.guards import check_version, current_state
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, Forbidden, NotFound
from service.handling.workflow import NotAllowed, Transition, check
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

    Raises Forbidden (403), NotFound (404, the appeal is not the unit's) or Conflict (409).
    """
    check_version(appeal, expected_version)
    try:
        return check(
            action, appeal.status, role or (actor.role if actor else "system"), relations_of(appeal, actor)
        )
    except NotAllowed as exc:
        if exc.kind == "relation":
            raise NotFound(t("No appeal {number}.", number=appeal.number)) from exc
        if exc.kind == "role":
            raise Forbidden(exc.message) from exc
        raise Conflict(exc.message, current=current_state(appeal)) from exc


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
