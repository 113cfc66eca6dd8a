"""Appeal intake and the event log. Operations take the session and flush; they never commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.receipts import Receipt, citizen_email, decide_receipt
from service.appeals import privacy
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.models import Appeal, AppealContact, AppealEvent, IdempotencyKey
from service.appeals.numbering import assign_number, new_query_code, provisional_number
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.lists.models import Area, Category
from service.lists.operations import ListContext
from service.notices.operations import queue_notice
from service.text import t


def check_references(s: Session, data: dict[str, Any], ctx: ListContext | None = None) -> None:
    """Category and area must exist in the active list (its compiled form when at hand)."""

    def known_category(code: str) -> bool:
        if ctx is not None:
            return code in ctx.router.categories
        return s.scalar(sa.select(Category.code).where(Category.code == code, Category.active)) is not None

    def known_area(code: str) -> bool:
        if ctx is not None:
            return code in ctx.router.areas
        return s.scalar(sa.select(Area.code).where(Area.code == code, Area.active)) is not None

    errors: dict[str, list[str]] = {}
    if (code := data.get("category")) and not known_category(code):
        errors["category"] = [t("Unknown category {code!r}; see GET /api/v1/categories.", code=code)]
    if (code := data.get("area")) and not known_area(code):
        errors["area"] = [t("Unknown area {code!r}; see GET /api/v1/areas.", code=code)]
    if errors:
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def register_appeal(
    s: Session,
    data: dict[str, Any],
    *,
    actor: User | None,
    prefix: str,
    tz: ZoneInfo,
    actor_role: str | None = None,
    ctx: ListContext | None = None,
    dispatch: bool = False,
    channels: Collection[str] = (),
    closing_at_first_contact: bool = False,
) -> Appeal:
    """登记: store a validated appeal with its number, query code, contact and first event.

    With `dispatch`, the appeal is also routed by `ctx` (the active list) before anything is
    written. Everything is flushed under a provisional number, then the number is drawn
    (`service.appeals.numbering.assign_number`): the per-day counter's row lock, which every
    intake of the day needs, is then held for two statements, the receipt's outbox row and the
    commit, not the whole intake. Likely duplicates are flagged and the caller's earlier appeals
    counted (`caller_history`) on the way (`service.handling.duplicates.flag_duplicates`).

    The citizen is sent the number and the query code (受理回执) by those of the installation's
    `channels` that reach their contact: SMS to a mobile, e-mail when they gave an address. Not
    when the operator is `closing_at_first_contact` (the caller heard the answer), nor for an
    appeal received over `RECEIPT_WITHIN` ago (history carried over from an older system: its
    citizens are not waiting for a text). The decision (`dispatch.receipts.decide_receipt`, where
    `RECEIPT_WITHIN` is) is kept in the registration event (`receipt_of`), so the operator is told
    what was done: a letter writer with no mobile and no e-mail learns the number on paper only.
    """
    from service.appeals.dispatching import dispatch_on_intake
    from service.handling.duplicates import flag_duplicates

    check_references(s, data, ctx)
    now = utcnow()
    appeal = Appeal(
        number=provisional_number(),
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
        dispatch_note="",
        assignments=[],
    )
    s.add(appeal)
    if contact := data.get("contact"):
        appeal.contact = AppealContact(
            name=contact.get("name") or "",
            phone=contact["phone"],
            id_number=contact.get("id_number"),
            email=contact.get("email"),
        )
    appeal.restricted_text = privacy.restricted_text(appeal)
    receipt = decide_receipt(
        phone=(appeal.contact.phone or None) if appeal.contact else None,  # a letter's may be ""
        email=citizen_email(appeal.contact.email if appeal.contact else None, appeal.channel_meta),
        channels=channels,
        received_at=appeal.received_at,
        registered_at=now,
        closed_at_first_contact=closing_at_first_contact,
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
        payload={
            "channel": appeal.channel,
            "appeal_type": appeal.appeal_type,
            "urgency": appeal.urgency,
            "receipt": receipt.as_record(),
        },
        at=now,
    )
    if dispatch:
        dispatch_on_intake(s, appeal, actor=actor, tz=tz, ctx=ctx, now=now)
    flag_duplicates(s, appeal, now)
    s.flush()
    # Last: the day's counter stays locked from here until the request commits.
    assign_number(s, appeal, prefix, now.astimezone(tz).date())
    appeal.registered_receipt = receipt
    if receipt.sent:
        # Queued under the real number: no key to change.
        queue_notice(s, appeal, "citizen", "appeal_registered", key="registered", check_existing=False)
    return appeal


def receipt_of(s: Session, appeal: Appeal) -> Receipt | None:
    """What was decided about the appeal's receipt when it was registered (None: registered before
    the decision was kept)."""
    if appeal.registered_receipt is not None:  # registered just now: no need to read it back
        return appeal.registered_receipt
    payload = s.scalar(
        sa.select(AppealEvent.payload)
        .where(AppealEvent.appeal_id == appeal.id, AppealEvent.action == "registered")
        .order_by(AppealEvent.id)
        .limit(1)
    )
    return Receipt.from_record((payload or {}).get("receipt"))


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
            t("This Idempotency-Key was already used with a different request body."),
            errors={"Idempotency-Key": [t("Reused with a different body; use a new key for a new appeal.")]},
        )
    appeal = s.get(Appeal, row.appeal_id)
    assert appeal is not None
    return appeal
