from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.auth.models import User
from service.db import Base, UTCDateTime, utcnow
from service.lists.models import Area, Category, ListVersion, Unit
from service.types import JSONType


class Appeal(Base):
    """A citizen's appeal (诉求工单), whatever channel it came through."""

    __tablename__ = "appeals"
    __table_args__ = (
        sa.Index("ix_appeals_status_received", "status", "received_at"),
        sa.Index("ix_appeals_lead_status", "lead_unit_code", "status"),
        sa.Index("ix_appeals_closed_at_erased", "closed_at", "personal_data_erased_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    query_code: Mapped[str] = mapped_column(sa.String(6))
    channel: Mapped[str] = mapped_column(sa.String(24), index=True)
    channel_meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    appeal_type: Mapped[str] = mapped_column(sa.String(8), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    category_code: Mapped[str | None] = mapped_column(sa.ForeignKey("categories.code"), index=True)
    area_code: Mapped[str | None] = mapped_column(sa.ForeignKey("areas.code"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    urgency: Mapped[str] = mapped_column(sa.String(4), index=True)
    confidential: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    consent_publish: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    # When the appeal entered its status (set on every status change; the escalation plan counts from it).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Denormalised from the active lead assignment, so "a unit's open appeals" is one indexed query.
    lead_unit_code: Mapped[str | None] = mapped_column(sa.ForeignKey("units.code"))
    list_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("list_versions.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the reply clock last started: the dispatch, or the reopen that gave the unit a new period
    # (the warnings count a quarter of the period left from here).
    reply_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dispatch_note: Mapped[str] = mapped_column(sa.String(500), default="")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the reply released to the citizen
    rating_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # closes unrated then
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the citizen's personal data was erased, the retention period over (service/appeals/retention.py).
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Title, content and address as units and leaders read them (privacy.restricted_text):
    #: what their free-text search runs over, so that it tells them nothing the page would not.
    restricted_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    close_reason: Mapped[str] = mapped_column(
        sa.String(32), default="", server_default=""
    )  # rated|rating_window|direct|merged
    direct_answer: Mapped[str] = mapped_column(
        sa.Text, default="", server_default=""
    )  # 直接办结: the answer given
    kb_article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("knowledge_articles.id"))
    master_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeals.id"), index=True)  # 并案
    reopen_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    supervision_level: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    caller_history: Mapped[int] = mapped_column(
        sa.Integer, default=0, server_default="0"
    )  # the caller's earlier appeals
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    #: Set on the instance at intake (not stored): the duplicate flags just raised, as shown to the operator.
    flagged_duplicates: ClassVar[Sequence[dict[str, Any]]] = ()
    #: Set on an appeal registered in this unit of work: its receipt decision
    #: (dispatch.receipts.Receipt), which `operations.receipt_of` otherwise reads from its event.
    registered_receipt: ClassVar[Any] = None

    contact: Mapped[AppealContact | None] = relationship(back_populates="appeal", uselist=False)
    category: Mapped[Category | None] = relationship(lazy="joined")
    area: Mapped[Area | None] = relationship(lazy="joined")
    lead_unit: Mapped[Unit | None] = relationship(lazy="joined")
    master: Mapped[Appeal | None] = relationship(remote_side="Appeal.id", lazy="selectin")
    assignments: Mapped[list[AppealAssignment]] = relationship(
        back_populates="appeal", order_by="AppealAssignment.id"
    )


class AppealContact(Base):
    """The citizen's personal data, kept apart from the appeal and shown unmasked only to roles that need it."""

    __tablename__ = "appeal_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="", index=True)
    id_number: Mapped[str | None] = mapped_column(sa.String(18))
    email: Mapped[str | None] = mapped_column(sa.String(200))

    appeal: Mapped[Appeal] = relationship(back_populates="contact")


class AppealEvent(Base):
    """The append-only event log: who did what, when, from which status to which."""

    __tablename__ = "appeal_events"
    # The figures count events of one kind in a period (reopens): service/figures.
    __table_args__ = (sa.Index("ix_appeal_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(sa.String(16))  # a user's role, or "citizen", "system"
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str | None] = mapped_column(sa.String(32))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # internal, never shown to the citizen
    public_message: Mapped[str | None] = mapped_column(sa.Text)  # what the citizen may read
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship()
    appeal: Mapped[Appeal] = relationship()


class AppealAssignment(Base):
    """A unit's part in an appeal (lead 主办 or co 协办), with the list version and rule that decided it."""

    __tablename__ = "appeal_assignments"
    __table_args__ = (sa.Index("ix_appeal_assignments_unit_active", "unit_code", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("units.code"))
    role: Mapped[str] = mapped_column(sa.String(8))  # lead | co
    list_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("list_versions.id"))
    rule_id: Mapped[str | None] = mapped_column(sa.String(64))
    manual: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    appeal: Mapped[Appeal] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(lazy="joined")
    list_version: Mapped[ListVersion | None] = relationship(lazy="joined")


class NumberCounter(Base):
    """The per-day sequence behind public numbers (GX20261121-0042)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    day: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer)


class IdempotencyKey(Base):
    """Remembers an intake's Idempotency-Key so that a retried POST returns the first appeal."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(80))
    key: Mapped[str] = mapped_column(sa.String(128))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeals.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonalDataAccess(Base):
    """Every view of a citizen's unmasked personal data: who, when, which appeal, why (个人信息保护法)."""

    __tablename__ = "personal_data_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))  # view | export | print | print_receipt
    reason: Mapped[str] = mapped_column(sa.String(200), default="")


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _event_log_is_append_only(session: sa.orm.Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AppealEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the appeal event log is append-only")
