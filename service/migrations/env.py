"""Alembic environment. The URL comes from the app's configuration (DATABASE_URL) or from the caller."""

from __future__ import annotations

from alembic import context

from service.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from service.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        try:
            with engine.connect() as connection:
                _run(connection)
        finally:
            engine.dispose()  # also when a migration stops: no connection is left open
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # On SQLite, batch mode rebuilds a table by copy, drop and rename, and dropping a table other
    # rows refer to (appeals) fails while foreign keys are enforced. They are off while migrating
    # (SQLite ignores the pragma inside a transaction: hence on the raw connection, before BEGIN)
    # and every key is checked before the commit.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
