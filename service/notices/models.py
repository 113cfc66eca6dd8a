"""Notices to citizens, units and the centre.

Two tables. `outbox` holds what a change decided to tell (to a recipient group, in a template),
written in the same transaction as the change; `notice_deliveries` holds each message actually sent
(one per channel and address of the group), with its status and attempts. The relay turns an outbox
row into deliveries after the commit (`service.notices.jobs`), so the change's own transaction stays
small and nothing is lost when Redis is down.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime, utcnow
from service.types import JSONType

if TYPE_CHECKING:
    from service.appeals.models import Appeal

#: Queue priorities, in RQ queue names (service.jobs.QUEUES).
URGENT = "urgent"
DEFAULT = "default"

# Delivery statuses.
PENDING = "pending"  # waits for its first attempt (routine notices: for working hours)
SENDING = "sending"  # claimed by a worker; if the worker dies, claimable again after the lease
RETRYING = "retrying"  # a transient failure; tried again at `not_before`
SENT = "sent"
FAILED = "failed"  # a permanent failure, or transient ones until the attempts ran out
DELIVERY_STATUSES = (PENDING, SENDING, RETRYING, SENT, FAILED)
#: The statuses a worker may claim once `not_before` has passed.
CLAIMABLE = (PENDING, RETRYING, SENDING)


class OutboxMessage(Base):
    """A side effect to carry out after the commit (a notice to send). Written with the change.

    `dedup_key` makes queuing the same notice twice a no-op. `data` holds ids and template values,
    never a citizen's personal data: addresses are looked up when the row is relayed.
    `relayed_at` is set once the row has been turned into deliveries.
    """

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_unrelayed", "relayed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(32))  # e.g. notice
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    # citizen | unit:<code> | centre | ladder:<code>:<n>; several groups joined by "|"
    recipient: Mapped[str] = mapped_column(sa.String(200))
    template: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    priority: Mapped[str] = mapped_column(sa.String(8), default=DEFAULT, server_default=DEFAULT)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appeal: Mapped[Appeal | None] = relationship()


class NoticeDelivery(Base):
    """One message to one address on one channel: to whom, what, when, its status and attempts."""

    __tablename__ = "notice_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("outbox_id", "channel", "destination"),
        # The retry sweep: claimable deliveries by the time they may be tried.
        sa.Index("ix_notice_deliveries_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox.id"))
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    template: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(64))  # the outbox recipient group
    recipient_name: Mapped[str] = mapped_column(sa.String(100), default="")  # e.g. 值班室, 市民
    channel: Mapped[str] = mapped_column(sa.String(16))  # sms | email | webhook
    destination: Mapped[str] = mapped_column(sa.String(300))  # phone, e-mail address or URL
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[str] = mapped_column(sa.String(8), default=DEFAULT)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    provider_id: Mapped[str | None] = mapped_column(sa.String(100))
