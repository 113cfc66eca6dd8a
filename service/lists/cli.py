"""`minyi lists ...`: check, load, diff, activate and export responsibility lists."""

from __future__ import annotations

import getpass
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import click

from dispatch.calendar import calendar_gaps
from responsibility_lists.check import check_list
from responsibility_lists.loader import ListFormatError, load_file
from responsibility_lists.model import ResponsibilityList, Source, from_plain
from responsibility_lists.problems import Problem
from service.db import utcnow


@click.group("lists")
def lists_group() -> None:
    """Responsibility lists (职责清单): YAML or XLSX files, stored as versions."""


def read_checked(path: str, *, quiet: bool = False) -> ResponsibilityList:
    """Load and check a list file; print every problem and exit 1 on any error."""
    try:
        lst = load_file(path)
    except ListFormatError as exc:
        for problem in exc.problems:
            click.echo(f"{problem.source}: {problem.message}", err=True)
        for problem in exc.warnings:  # e.g. a workbook's hidden rows, which may explain an error
            click.echo(f"{problem.source}: warning: {problem.message}", err=True)
        click.echo(f"{len(exc.problems)} error(s) in {path}", err=True)
        sys.exit(1)
    report = check_list(lst)
    # The years without holiday data are warnings like the others: counted in the summary line.
    gaps = [Problem(Source(path), _calendar_gap(year)) for year in calendar_gaps(lst.calendar, today())]
    report = replace(report, warnings=[*report.warnings, *gaps])
    if not report.ok or not quiet:
        click.echo(report.format(), err=not report.ok)
    elif gaps:  # quiet: only what the reader must not miss
        click.echo("\n".join(f"{p.source}: warning: {p.message}" for p in gaps), err=True)
    if not report.ok:
        sys.exit(1)
    return lst


def today() -> date:
    """Today in the service's time zone (MINYI_TIMEZONE, read as the app reads it), not the machine's:
    at 01:00 on 1 January in Beijing a server kept on UTC is still in the year before, and the check
    would warn about the year just ended instead of the one after the new year."""
    from service.cli_context import service_timezone

    return utcnow().astimezone(service_timezone()).date()


def _calendar_gap(year: int) -> str:
    return (
        f"no holiday data for {year} (neither the national calendar package nor this list's "
        f"calendar overrides); deadlines in {year} count Monday-Friday only. Add {year}'s holidays and "
        "调休 workdays under calendar: holidays/workdays once the State Council publishes them."
    )


@lists_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check(path: str) -> None:
    """Check a list file (YAML or XLSX): every error with its line or row, then coverage."""
    read_checked(path)


@lists_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--activate", is_flag=True, help="also make it the active version")
@click.option("--by", "loaded_by", default=None, help="who loads it (default: the OS user)")
def load(path: str, activate: bool, loaded_by: str | None) -> None:
    """Check and store a list as a new version; the active version is untouched unless --activate."""
    from service.cli_context import app_session
    from service.lists.operations import activate_version, store_version

    who = _who(loaded_by)
    lst = read_checked(path, quiet=True)
    with app_session() as s:
        version, created = store_version(s, lst, loaded_by=who, source_name=Path(path).name)
        click.echo(
            f"{'stored' if created else 'already stored'}: version {version.label} ({version.rule_count} rules)"
        )
        if activate:
            activate_version(s, version, by=who)
            click.echo(f"active: {version.label}")


@lists_group.command("activate")
@click.argument("version")
@click.option("--by", "activated_by", default=None, help="who activates it (default: the OS user)")
def activate(version: str, activated_by: str | None) -> None:
    """Make VERSION the list new appeals are routed by. Appeals routed before keep their version."""
    from service.cli_context import app_session
    from service.lists.operations import activate_version

    who = _who(activated_by)
    with app_session() as s:
        row = _stored(s, version)
        activate_version(s, row, by=who)
        click.echo(f"active: {row.label}")


#: The longest name a version keeps of who loaded or activated it.
WHO_MAX = 64


def _who(by: str | None) -> str:
    """--by as given (trimmed), else the OS user; a name the version cannot keep is refused."""
    who = (by or "").strip()
    if not who:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # a container's user id with no name: say so rather than fail
            raise click.BadParameter(
                "Missing: this system user has no name; say who you are with --by.", param_hint="'--by'"
            ) from None
    if len(who) > WHO_MAX:
        raise click.BadParameter(f"At most {WHO_MAX} characters (got {len(who)}).", param_hint="'--by'")
    return who


def _resolve(ref: str) -> ResponsibilityList:
    """A file path, or the label of a stored version."""
    if Path(ref).is_file():
        return read_checked(ref, quiet=True)
    from service.cli_context import app_session

    with app_session() as s:
        return from_plain(_stored(s, ref, or_file=True).content)


def _stored(s: Any, label: str, *, or_file: bool = False) -> Any:
    """The stored version labelled `label`; when there is none, the labels there are."""
    import sqlalchemy as sa

    from service.lists.models import ListVersion

    label = label.strip()
    version = s.scalar(sa.select(ListVersion).where(ListVersion.label == label))
    if version is None:
        missing = f"no file or stored version {label!r}" if or_file else f"no stored version {label!r}"
        stored = [
            f"{v.label} (active)" if v.active else v.label
            for v in s.scalars(sa.select(ListVersion).order_by(ListVersion.loaded_at.desc()))
        ]
        raise click.ClickException(
            f"{missing}; stored: {', '.join(stored)}."
            if stored
            else f"{missing}; none is stored yet (minyi lists load FILE)."
        )
    return version


@lists_group.command("diff")
@click.argument("a")
@click.argument("b")
def diff(a: str, b: str) -> None:
    """Rules added, removed and changed from A to B (each a file or a stored version label)."""
    from responsibility_lists.diff import diff_lists

    click.echo(diff_lists(_resolve(a), _resolve(b)).format())


#: What `minyi lists export` writes, by the output's extension.
EXPORT_SUFFIXES = (".yaml", ".yml", ".xlsx")


@lists_group.command("export")
@click.argument("version")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="a .yaml, .yml or .xlsx file"
)
def export(version: str, output: str) -> None:
    """Write a stored version as YAML (.yaml, .yml) or XLSX (.xlsx), by the output's extension."""
    from responsibility_lists.loader import dump_yaml
    from responsibility_lists.xlsx import export_xlsx

    suffix = Path(output).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        # nothing else is written: a YAML text named .csv opens as garbage in Excel or WPS
        raise click.UsageError(
            f"cannot write {output!r}: the output's extension says the format, one of "
            f"{', '.join(EXPORT_SUFFIXES)} (got {suffix or 'none'}).",
        )
    lst = _resolve(version)
    try:
        if suffix == ".xlsx":
            export_xlsx(lst, output)
        else:
            # Areas inline: a stored version has no CSV file to point at.
            Path(output).write_text(dump_yaml(replace(lst, areas_file=None)), encoding="utf-8")
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise click.BadParameter(
            f"cannot write {output!r}: {exc.strerror or exc}.", param_hint="'--output'"
        ) from None
    click.echo(f"wrote {output}")
