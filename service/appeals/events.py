"""The append-only event log of an appeal: who did what, when, from which status to which."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.appeals.models import Appeal, AppealEvent
from service.auth.models import User
from service.db import utcnow


def record_event(
    s: Session,
    appeal: Appeal,
    action: str,
    actor: User | None,
    *,
    from_status: str | None,
    to_status: str | None,
    actor_role: str | None = None,
    note: str = "",
    public_message: str | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AppealEvent:
    """Add an event (flushed with the appeal; the appeal need not have an id yet)."""
    event = AppealEvent(
        appeal=appeal,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=actor_role or (actor.role if actor else "system"),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public_message=public_message,
        payload=payload or {},
    )
    s.add(event)
    return event
