from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, utcnow


class ClassifierModel(Base):
    """A text classifier trained on dispatched history by `minyi suggest train`. The newest is used."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by: Mapped[str] = mapped_column(sa.String(64))
    n_train: Mapped[int] = mapped_column(sa.Integer)
    n_test: Mapped[int] = mapped_column(sa.Integer)
    n_classes: Mapped[int] = mapped_column(sa.Integer)
    accuracy: Mapped[float] = mapped_column(sa.Float)
    top3_accuracy: Mapped[float] = mapped_column(sa.Float)
    model: Mapped[bytes] = mapped_column(sa.LargeBinary)
