"""`minyi lists check` and `minyi lists export` on files: what the reader of the command sees."""

from __future__ import annotations

from datetime import UTC, datetime
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


@pytest.mark.parametrize(("timezone", "warned"), [(None, True), ("Asia/Shanghai", True), ("UTC", False)])
def test_the_years_checked_start_from_today_in_the_services_time_zone(monkeypatch, timezone, warned):
    """At 01:00 on 1 January 2099 in Beijing (17:00 on 31 December 2098 UTC), on a server whose clock
    is on UTC: in the service's time zone (MINYI_TIMEZONE, Asia/Shanghai unless set) deadlines reach
    into 2100, which nobody described; the machine's date would say 2098 and warn about nothing."""
    from dispatch import calendar

    monkeypatch.setattr(lists_cli, "utcnow", lambda: datetime(2098, 12, 31, 17, 0, tzinfo=UTC))
    monkeypatch.setattr(calendar, "NATIONAL_YEARS", range(2004, 2100))  # up to 2099: 2100 unknown
    monkeypatch.setenv("TZ", "UTC")
    if timezone is None:
        monkeypatch.delenv("MINYI_TIMEZONE", raising=False)
    else:
        monkeypatch.setenv("MINYI_TIMEZONE", timezone)

    result = CliRunner().invoke(minyi, ["lists", "check", str(DEFAULT_LIST)])

    assert result.exit_code == 0, result.output
    assert ("no holiday data for 2100" in result.output) is warned
    assert "no holiday data for 2098" not in result.output


def test_an_unknown_time_zone_setting_is_named(monkeypatch):
    monkeypatch.setenv("MINYI_TIMEZONE", "Asia/Beijing")

    result = CliRunner().invoke(minyi, ["lists", "check", str(DEFAULT_LIST)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "MINYI_TIMEZONE: unknown time zone 'Asia/Beijing'; an IANA name such as Asia/Shanghai."
        in result.output
    )


def test_export_into_a_folder_that_does_not_exist_names_the_output(tmp_path):
    output = tmp_path / "no such folder" / "list.yaml"

    result = CliRunner().invoke(minyi, ["lists", "export", str(DEFAULT_LIST), "-o", str(output)])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (
        f"Invalid value for '--output': cannot write '{output}': No such file or directory." in result.output
    )


def test_an_unknown_version_is_answered_with_the_stored_ones(command_line):
    activated = command_line("lists", "activate", "2026.12")
    compared = command_line("lists", "diff", "2026.12", str(DEFAULT_LIST))

    stored = load_file(DEFAULT_LIST).version
    assert activated.exit_code == 1
    assert f"no stored version '2026.12'; stored: {stored} (active)." in activated.output
    assert compared.exit_code == 1
    assert f"no file or stored version '2026.12'; stored: {stored} (active)." in compared.output


def test_a_name_too_long_for_the_version_to_keep_is_refused(command_line):
    stored = load_file(DEFAULT_LIST).version

    result = command_line("lists", "activate", stored, "--by", "x" * 65)

    assert result.exit_code == 2
    assert "Invalid value for '--by': At most 64 characters (got 65)." in result.output


def test_a_system_user_without_a_name_is_asked_to_say_who_it_is(command_line, monkeypatch):
    """In a container run under a user id with no name, the OS user cannot be the default --by."""

    def nameless() -> str:
        raise KeyError("getpwuid(): uid not found: 1000")

    monkeypatch.setattr(lists_cli.getpass, "getuser", nameless)
    stored = load_file(DEFAULT_LIST).version

    result = command_line("lists", "activate", stored)

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for '--by': Missing: this system user has no name; say who you are with --by." in (
        result.output
    )
    assert command_line("lists", "activate", stored, "--by", "李主任").output.strip() == f"active: {stored}"
