"""What `minyi` says when it cannot start its work: a database without tables or out of reach, a
migration that does not exist, a setting it cannot read. One line naming what to fix, no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

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
