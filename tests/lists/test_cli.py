"""`minyi lists check` and `minyi lists export` on files: what the reader of the command sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import service.lists.cli as lists_cli
from responsibility_lists.loader import load_file
from service.cli import main as minyi

DEFAULT_LIST = Path(__file__).resolve().parents[2] / "responsibility_lists" / "ganxian.yaml"


def test_a_year_without_holiday_data_is_counted_with_the_warnings(monkeypatch):
    monkeypatch.setattr(lists_cli, "calendar_gaps", lambda calendar, today: [2099])

    result = CliRunner().invoke(minyi, ["lists", "check", str(DEFAULT_LIST)])

    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_LIST}: warning: no holiday data for 2099" in result.output
    assert result.output.rstrip().endswith("0 error(s), 1 warning(s).")


@pytest.mark.parametrize("name", ["list.csv", "list.txt", "list"])
def test_export_refuses_an_extension_it_cannot_write_and_writes_nothing(tmp_path, name):
    output = tmp_path / name

    result = CliRunner().invoke(minyi, ["lists", "export", str(DEFAULT_LIST), "-o", str(output)])

    assert result.exit_code == 2 and not output.exists()
    assert ".yaml, .yml, .xlsx" in result.output and "wrote" not in result.output


@pytest.mark.parametrize("name", ["list.yml", "LIST.XLSX"])
def test_export_writes_the_format_the_extension_names(tmp_path, name):
    output = tmp_path / name

    result = CliRunner().invoke(minyi, ["lists", "export", str(DEFAULT_LIST), "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert load_file(output).version == load_file(DEFAULT_LIST).version  # read back as what it is named
