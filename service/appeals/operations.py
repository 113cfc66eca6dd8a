"""Appeal intake and the event log. Operations take the session and flush; they never commit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals import status as st
from service.appeals.models import Appeal, AppealContact, AppealEvent, IdempotencyKey
from service.appeals.numbering import new_query_code, next_number
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.lists.models import Area, Category


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
    event = AppealEvent(
        appeal_id=appeal.id,
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


def check_references(s: Session, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if (code := data.get("category")) and not s.scalar(
        sa.select(Category.code).where(Category.code == code, Category.active)
    ):
        errors["category"] = [f"Unknown category {code!r}; see GET /api/v1/categories."]
    if (code := data.get("area")) and not s.scalar(
        sa.select(Area.code).where(Area.code == code, Area.active)
    ):
        errors["area"] = [f"Unknown area {code!r}; see GET /api/v1/areas."]
    if errors:
        raise ValidationFailed("Invalid input: " + ", ".join(sorted(errors)), errors)


def register_appeal(
    s: Session,
    data: dict[str, Any],
    *,
    actor: User | None,
    prefix: str,
    tz: ZoneInfo,
    actor_role: str | None = None,
) -> Appeal:
    """登记: store a validated appeal with its number, query code, contact and first event."""
    check_references(s, data)
    now = utcnow()
    appeal = Appeal(
        number=next_number(s, prefix, now.astimezone(tz).date()),
        query_code=new_query_code(),
        channel=data["channel"],
        channel_meta=dict(data.get("channel_meta") or {}),
        appeal_type=data["appeal_type"],
        title=data["title"],
        content=data["content"],
        category_code=data.get("category"),
        area_code=data.get("area"),
        address=data.get("address") or "",
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        urgency=data.get("urgency") or "一般",
        confidential=bool(data.get("confidential")),
        consent_publish=bool(data.get("consent_publish")),
        status=st.PENDING_DISPATCH,
        received_at=data.get("received_at") or now,
        created_by_id=actor.id if actor else None,
    )
    s.add(appeal)
    s.flush()
    if contact := data.get("contact"):
        s.add(
            AppealContact(
                appeal_id=appeal.id,
                name=contact.get("name") or "",
                phone=contact["phone"],
                id_number=contact.get("id_number"),
                email=contact.get("email"),
            )
        )
    record_event(
        s,
        appeal,
        "registered",
        actor,
        actor_role=actor_role,
        from_status=None,
        to_status=st.PENDING_DISPATCH,
        public_message="您的诉求已受理。",
        payload={"channel": appeal.channel, "appeal_type": appeal.appeal_type, "urgency": appeal.urgency},
        at=now,
    )
    s.flush()
    return appeal


def request_fingerprint(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def claim_idempotency_key(s: Session, scope: str, key: str, fingerprint: str) -> IdempotencyKey | Appeal:
    """Claim an Idempotency-Key before creating the appeal.

    Returns the appeal an earlier request with this key created (a retry), or the new key row to
    attach the appeal to. The key row is inserted first, so a concurrent request with the same key
    waits on the unique index and then finds the winner's appeal.
    """
    query = sa.select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    row = s.scalar(query)
    if row is None:
        try:
            with s.begin_nested():
                row = IdempotencyKey(scope=scope, key=key, request_hash=fingerprint)
                s.add(row)
            return row
        except sa.exc.IntegrityError:
            row = s.scalar(query)
            assert row is not None
    if row.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            errors={"Idempotency-Key": ["Reused with a different body; use a new key for a new appeal."]},
        )
    appeal = s.get(Appeal, row.appeal_id)
    assert appeal is not None
    return appeal
