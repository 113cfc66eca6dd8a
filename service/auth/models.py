from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from service.db import Base, UTCDateTime, utcnow
from service.text import Text, t
from service.types import JSONType

#: Roles, in the words of the hotline centre.
ROLES: dict[str, str] = {
    "operator": "话务员",
    "dispatcher": "分拨员",
    "reviewer": "审核员",
    "unit_staff": "承办单位人员",
    "leader": "领导",
    "admin": "系统管理员",
}

#: The roles as the service's messages name them (`service.text`: "This needs one of the roles:
#: Dispatcher, Administrator."), never by their codes: English as the English pages say the labels
#: above, Chinese (errors.po) as the labels themselves; tests/service/test_role_names.py keeps the
#: three together.
ROLE_NAMES: dict[str, Text] = {
    "operator": t("Operator"),
    "dispatcher": t("Dispatcher"),
    "reviewer": t("Reviewer"),
    "unit_staff": t("Unit staff"),
    "leader": t("Leader"),
    "admin": t("Administrator"),
}


def username_key(username: str) -> str:
    """What two usernames that differ only in case have in common (migration 0009 computes the same)."""
    return username.lower()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The username as log-in looks it up, whatever the case typed: unique, so no two accounts
    #: differ only in case ("Operator" beside "operator"). Set with the username.
    username_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    unit_code: Mapped[str | None] = mapped_column(sa.ForeignKey("units.code"), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @validates("username")
    def _set_username_key(self, _field: str, username: str) -> str:
        self.username_key = username_key(username)
        return username


class ApiToken(Base):
    """A Bearer token for an integration. Only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The key of the page form that made it: the same form sent again makes no second token.
    form_key: Mapped[str | None] = mapped_column(sa.String(32), unique=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class SecurityEvent(Base):
    """The security audit log (安全审计, 等保2.0 8.1.4.3): log-ins and their refusals, log-outs,
    sessions ended for idleness, and changes to accounts and tokens, with who, when, from where,
    and whether it succeeded. Written by `service.auth.audit.record`; kept even when the request
    that wrote it is refused (a failed log-in)."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(8))  # ok | refused
    #: Who did it: a user, else `actor_name` says ("command line (root)", "demo").
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    #: The account it concerns: the username typed at a log-in, the account changed.
    account: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
