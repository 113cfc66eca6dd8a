"""Alarms: the moments at which the worker must look at an appeal again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.appeals.models import Appeal, AppealAssignment
from service.db import Base, UTCDateTime, utcnow

# Outcomes.
FIRED = "fired"  # the sweep acted on it
SKIPPED = "skipped"  # due, but the appeal's plan no longer holds it (signed, re-dispatched, extended)
CANCELLED = "cancelled"  # dropped from the plan before it was due


class AppealAlarm(Base):
    """One alarm of an appeal's plan (`dispatch.escalation.plan_alarms`).

    A sweep reads `done_at IS NULL AND kind = ? AND due_at <= now` through a partial index, so its
    cost follows the number of alarms due, not the number of open appeals; it sets `done_at`, so a
    second run finds nothing.

    A co-unit's sign-for alarm (`co_sign_overdue`) names the co assignment it is for; other alarms
    are the appeal's (the lead unit's) and name none.
    """

    __tablename__ = "appeal_alarms"
    __table_args__ = (
        sa.Index(
            "ix_appeal_alarms_pending",
            "kind",
            "due_at",
            postgresql_where=sa.text("done_at IS NULL"),
            sqlite_where=sa.text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    level: Mapped[int] = mapped_column(sa.Integer, default=0)
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeal_assignments.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="")

    appeal: Mapped[Appeal] = relationship()
    assignment: Mapped[AppealAssignment | None] = relationship()
