"""`minyi lists check` on files: what the reader of the command sees."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import service.lists.cli as lists_cli
from service.cli import main as minyi

DEFAULT_LIST = Path(__file__).resolve().parents[2] / "responsibility_lists" / "ganxian.yaml"


def test_a_year_without_holiday_data_is_counted_with_the_warnings(monkeypatch):
    monkeypatch.setattr(lists_cli, "calendar_gaps", lambda calendar, today: [2099])

    result = CliRunner().invoke(minyi, ["lists", "check", str(DEFAULT_LIST)])

    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_LIST}: warning: no holiday data for 2099" in result.output
    assert result.output.rstrip().endswith("0 error(s), 1 warning(s).")
