"""The unit of work of one CLI command, and what the command line says when the configuration or
the database cannot be used (a line naming the setting and what to do, not a traceback)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session

from service import config as config_module
from service import create_app, db
from service.errors import DomainError
from service.redis_conn import running_embedded_url


def service_timezone() -> ZoneInfo:
    """The service's time zone as the app reads it (MINYI_TIMEZONE, default Asia/Shanghai), for a
    command that runs without the app (`minyi lists check`); an unknown one named as the setting."""
    name = config_module.timezone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(
            f"MINYI_TIMEZONE: unknown time zone {name!r}; an IANA name such as Asia/Shanghai."
        ) from None


def cli_app(config: dict[str, Any] | None = None) -> Flask:
    """The app for one command; a setting it cannot read (MINYI_LOGIN_MAX_FAILURES=abc) is named."""
    service_timezone()
    try:
        return create_app(config or None)
    except ValueError as exc:  # config.py names the variable and what it must be
        raise click.ClickException(f"the configuration: {exc}") from None
    except ArgumentError as exc:
        raise click.ClickException(f"DATABASE_URL cannot be read: {exc}") from None


#: PostgreSQL's codes of a table or a column the code expects but the database lacks (a schema
#: older than the code): undefined_table, undefined_column.
UNDEFINED_TABLE_OR_COLUMN = ("42P01", "42703")


def database_problem(exc: DBAPIError) -> str | None:
    """What the administrator is to do about a database error: check DATABASE_URL and the server
    when the database could not be reached, upgrade it when a table or a column is missing; None
    for any other error (a lock timeout, a deadlock, a bug), which is not theirs to fix that way."""
    orig = exc.orig
    reason = str(orig or exc)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if sqlstate in UNDEFINED_TABLE_OR_COLUMN or "no such table" in reason or "no such column" in reason:
        return "its tables are missing or out of date: run `minyi db upgrade` first."
    # psycopg's failure to connect: no statement, and no code from a server (a deadlock or a
    # serialization failure at COMMIT has no statement either, but has its code; SQLite's
    # "database is locked" at COMMIT is not psycopg's).
    psycopg = type(orig).__module__.partition(".")[0] == "psycopg"
    connecting = psycopg and isinstance(exc, OperationalError) and exc.statement is None and not sqlstate
    if sqlstate.startswith("08") or connecting or "unable to open database file" in reason:
        return "is DATABASE_URL right, and the database server running?"
    return None


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """A database that cannot be reached, or has no tables yet or not all its columns, said as such
    with what to do; any other database error is raised as it is, with its traceback."""
    try:
        yield
    except DBAPIError as exc:
        hint = database_problem(exc)
        if hint is None:
            raise
        shown = make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise click.ClickException(f"the database {shown} cannot be used ({reason}); {hint}") from None


@contextmanager
def app_session(**config: object) -> Iterator[Session]:
    """An app context and a session for one CLI command: committed on success, rolled back on error."""
    app = cli_app(config or None)
    if not app.config.get("REDIS_URL"):
        # No REDIS_URL: the embedded Redis of a `minyi run` running on the same var/, if there is one
        # (log-in locks live there; notices queued by the command go to its worker).
        app.config["REDIS_URL"] = running_embedded_url(app.config["VAR_DIR"])
    with app.app_context(), unit_of_work(app) as s:
        yield s


@contextmanager
def unit_of_work(app: Flask) -> Iterator[Session]:
    """The session of one command, in `app`'s context: committed on success, rolled back on error,
    a DomainError said on the terminal (exit status 1), a database that cannot be used named
    (`database_errors`). `app_session`'s, and the in-process commands' of the tests (the
    `command_line` fixture, on the test's app), so that those end as the real command does."""
    with database_errors(app.config["DATABASE_URL"]):
        s = db.session()
        try:
            yield s
            s.commit()
        except DomainError as exc:
            s.rollback()
            click.echo(f"error: {exc.message}", err=True)
            for field, messages in (exc.errors or {}).items():
                for message in messages if isinstance(messages, list) else [messages]:
                    click.echo(f"  {field}: {message}", err=True)
            sys.exit(1)
        except BaseException:
            s.rollback()
            raise
