from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime, utcnow
from service.types import JSONType


class ListVersion(Base):
    """One loaded version of the responsibility list (职责清单). Appeals keep the version that routed them."""

    __tablename__ = "list_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(64), unique=True)
    jurisdiction_code: Mapped[str] = mapped_column(sa.String(12))
    jurisdiction_name: Mapped[str] = mapped_column(sa.String(64))
    number_prefix: Mapped[str] = mapped_column(sa.String(8))
    effective: Mapped[date] = mapped_column(sa.Date)
    # Hundreds of KiB: loaded only when a version is compiled (once per process) or asked for.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    rule_count: Mapped[int] = mapped_column(sa.Integer)
    source_name: Mapped[str] = mapped_column(sa.String(200), default="")
    loaded_by: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by: Mapped[str | None] = mapped_column(sa.String(64))


class Unit(Base):
    """A handling unit (承办单位): a line department, a township government, the centre."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(16))
    parent_code: Mapped[str | None] = mapped_column(sa.String(32))
    area_code: Mapped[str | None] = mapped_column(sa.String(12))
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    parent_code: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    usual_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Area(Base):
    """A place by its statistical division code: 6 digits county, 9 township, 12 village."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(16))
    parent_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
