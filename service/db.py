"""Storage plumbing: the declarative base, the engine, and the per-request session.

Domain operations take a session and flush; only the request boundary (`commit_request`) and the
job boundary commit or roll back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_transactions(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy drive SQLite transactions, so SAVEPOINTs work (SQLAlchemy's pysqlite recipe).

    Transactions start with BEGIN IMMEDIATE: the web server and the worker write to one file, and
    a deferred transaction that later writes can fail with "database is locked" instead of waiting.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Read-only work (the readiness probe) asks for a deferred transaction: it never waits.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    bind = app.config.get("SQLALCHEMY_BIND")  # tests pass a connection inside an outer transaction
    if bind is None:
        bind = make_engine(app.config["DATABASE_URL"])
        factory = sessionmaker(bind=bind, expire_on_commit=False)
    else:
        factory = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")
    app.extensions["minyi.engine"] = bind if isinstance(bind, Engine) else bind.engine
    app.extensions["minyi.sessionmaker"] = factory
    app.teardown_appcontext(_close_session)


def session() -> Session:
    """The session of the current request or app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["minyi.sessionmaker"]()
    return g.db_session


def engine() -> Engine:
    return current_app.extensions["minyi.engine"]


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
