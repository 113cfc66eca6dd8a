from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, utcnow
from service.types import JSONType


class OutboxMessage(Base):
    """A side effect to carry out after the commit (a notice to send). Written with the change.

    `dedup_key` makes queuing the same notice twice a no-op. `data` holds ids and template values,
    never a citizen's personal data: the sender looks the recipient up when it sends.
    """

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_unrelayed", "relayed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(32))  # e.g. notice
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(64))  # citizen | unit:<code> | centre
    template: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
