"""What `minyi` says when it cannot start its work: a database without tables or out of reach, a
migration that does not exist, a setting it cannot read. One line naming what to fix, no traceback."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from service.cli import main as minyi


@pytest.fixture
def run(tmp_path, monkeypatch):
    """`minyi ARGS...` on a fresh, empty SQLite database of its own, as on a new server."""
    monkeypatch.setenv("MINYI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    return lambda *args: CliRunner().invoke(minyi, list(args))


def test_a_database_without_tables_says_to_upgrade_it_first(run):
    result = run("users", "list")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "cannot be used (no such table: users)" in result.output
    assert "run `minyi db upgrade` first" in result.output


def test_a_database_of_an_older_schema_says_to_upgrade_it(run, tmp_path):
    with sqlite3.connect(tmp_path / "new.db") as older:  # a users table of before some column
        older.execute("create table users (id integer primary key, username varchar(32))")

    result = run("users", "list")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "cannot be used (no such column: users." in result.output
    assert "run `minyi db upgrade` first" in result.output and "DATABASE_URL" not in result.output


def test_a_database_file_that_cannot_be_opened_says_to_check_database_url(run, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-folder' / 'minyi.db'}")

    result = run("users", "list")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "cannot be used (unable to open database file); is DATABASE_URL right" in result.output


def test_any_other_database_error_is_raised_with_its_traceback(run, tmp_path):
    # A query the database refuses for a reason of its own, not DATABASE_URL's nor a missing table:
    # a hint to check DATABASE_URL or to upgrade would send the administrator the wrong way.
    with sqlite3.connect(tmp_path / "new.db") as broken:
        broken.execute("create view users as select no_such_function() as id")

    result = run("users", "list")

    assert isinstance(result.exception, OperationalError), result.output
    assert "no such function: no_such_function" in str(result.exception)
    assert "is DATABASE_URL right" not in result.output and "minyi db upgrade" not in result.output


def test_a_database_out_of_reach_is_named_without_its_password(run, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://minyi:s3cret@127.0.0.1:1/minyi")

    result = run("db", "upgrade")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "the database postgresql+psycopg://minyi:***@127.0.0.1:1/minyi cannot be used" in result.output
    assert "s3cret" not in result.output and "is DATABASE_URL right" in result.output


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_unknown_revision_is_named_with_the_ones_there_are(run, command):
    result = run("db", command, "0999")

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for 'REVISION': Can't locate revision identified by '0999'" in result.output
    assert "A revision is a migration's number (0001 to 0" in result.output


def test_a_setting_that_cannot_be_read_is_named(run, monkeypatch):
    monkeypatch.setenv("MINYI_LOGIN_MAX_FAILURES", "five")

    result = run("users", "list")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "MINYI_LOGIN_MAX_FAILURES must be a whole number, 0 or more; got 'five'" in result.output
