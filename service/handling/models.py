"""The records of each step of handling. The appeal's own status and clocks live on `Appeal`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.auth.models import User
from service.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from service.appeals.models import Appeal


class ReturnRequest(Base):
    """退单: a unit says "not ours", with a reason and a basis; the centre approves or rejects."""

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("units.code"))
    reason: Mapped[str] = mapped_column(sa.Text)
    basis: Mapped[str] = mapped_column(sa.Text)
    from_status: Mapped[str] = mapped_column(sa.String(32))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decision: Mapped[str] = mapped_column(
        sa.String(16), default="pending"
    )  # pending|approved|rejected|superseded
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])


class ExtensionRequest(Base):
    """延期: asked before the reply deadline, with days and a reason; approved or refused."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("units.code"))
    days: Mapped[int] = mapped_column(sa.Integer)  # working days
    reason: Mapped[str] = mapped_column(sa.Text)
    old_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending | approved | refused | withdrawn (superseded by a reply or a re-dispatch)
    decision: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")


class Contribution(Base):
    """协办意见: a co-unit's input to the lead unit."""

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("units.code"))
    text: Mapped[str] = mapped_column(sa.Text)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reply(Base):
    """答复: the lead unit's result and text for the citizen, reviewed by the centre before release."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.ForeignKey("units.code"))
    result: Mapped[str] = mapped_column(sa.String(16))  # resolved | in_progress | unresolvable
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why it cannot be resolved now
    citizen_text: Mapped[str] = mapped_column(sa.Text)
    internal_note: Mapped[str] = mapped_column(sa.Text, default="")
    contacted_citizen: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending|approved|sent_back
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    review_note: Mapped[str] = mapped_column(sa.Text, default="")


class Evaluation(Base):
    """评价 / 回访: by the citizen once, or by an operator on a call-back."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(16))  # citizen | callback
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(sa.Integer, default=0)  # the appeal's reopen count when rated
    # The unit rated: the lead unit whose reply the citizen read (the figures count it for it).
    unit_code: Mapped[str | None] = mapped_column(sa.ForeignKey("units.code"))
    contacted: Mapped[bool] = mapped_column(sa.Boolean)
    resolved: Mapped[str] = mapped_column(sa.String(8))  # yes | partly | no
    attitude: Mapped[str] = mapped_column(sa.String(8))  # 满意 | 基本满意 | 不满意
    result: Mapped[str] = mapped_column(sa.String(8))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set aside by the centre (malicious | unreachable | invalid, dispatch.figures.EXCLUSION_REASONS):
    # the configuration says which of these reasons leave the rating out of the figures.
    exclusion: Mapped[str | None] = mapped_column(sa.String(16))
    exclusion_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    excluded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def unsatisfied(self) -> bool:
        return "不满意" in (self.attitude, self.result)


class Supervision(Base):
    """催办 (press the unit) or 督办 (raise a level), with a note."""

    __tablename__ = "supervisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # press | raise
    level: Mapped[int] = mapped_column(sa.Integer)
    unit_code: Mapped[str | None] = mapped_column(sa.ForeignKey("units.code"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: raised by the system
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuplicateCandidate(Base):
    """A likely duplicate flagged at intake, for the centre to merge or dismiss."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (sa.UniqueConstraint("appeal_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(16))  # same_phone | similar_text
    score: Mapped[float] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)  # open|merged|dismissed
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Intake adds the rows before the new appeal has an id: through the relationship, in one flush.
    appeal: Mapped[Appeal] = relationship(foreign_keys=[appeal_id])
    candidate: Mapped[Appeal] = relationship(foreign_keys=[candidate_id])
