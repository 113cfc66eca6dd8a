"""Queuing notices (flush only; the relay and the senders come with the worker)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals.models import Appeal
from service.notices.models import OutboxMessage


def queue_notice(
    s: Session, appeal: Appeal, recipient: str, template: str, data: dict[str, Any] | None = None, *, key: str
) -> OutboxMessage | None:
    """Queue a notice about `appeal` unless one with the same dedup key exists.

    `key` names the occasion (e.g. "reply-released:3"); with the appeal's number it makes the dedup
    key, so repeating an operation never queues the notice twice.
    """
    dedup_key = f"{appeal.number}:{recipient}:{template}:{key}"
    if s.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)) is not None:
        return None
    message = OutboxMessage(
        kind="notice",
        appeal_id=appeal.id,
        recipient=recipient,
        template=template,
        data=data or {},
        dedup_key=dedup_key,
    )
    s.add(message)
    return message
