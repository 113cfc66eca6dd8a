"""`minyi appeals ...`: chores on appeals run from the command line (and, later, by the worker)."""

from __future__ import annotations

import click


@click.group("appeals")
def appeals_group() -> None:
    """Appeals: lifecycle chores."""


@appeals_group.command("close-unrated")
def close_unrated_command() -> None:
    """Close the replied appeals whose rating window passed without a rating (safe to run again)."""
    from service.cli_context import app_session
    from service.handling.closing import close_unrated

    with app_session() as s:
        closed = close_unrated(s)
    click.echo(f"closed {len(closed)} appeal(s) whose rating window passed")


@appeals_group.command("erase-personal-data")
@click.option("--dry-run", is_flag=True, help="count the appeals past retention, erase nothing")
def erase_personal_data_command(dry_run: bool) -> None:
    """Erase the citizen's personal data of appeals closed longer ago than
    MINYI_PERSONAL_DATA_RETENTION_DAYS (the worker does this hourly; safe to run again)."""
    from flask import current_app

    from service.appeals.retention import due_for_erasure, erase_expired, retention_cutoff
    from service.cli_context import app_session
    from service.db import utcnow

    with app_session() as s:
        days, now = int(current_app.config["PERSONAL_DATA_RETENTION_DAYS"]), utcnow()
        cutoff = retention_cutoff(now, days)
        if cutoff is None:
            click.echo("MINYI_PERSONAL_DATA_RETENTION_DAYS is 0: personal data is kept; nothing erased")
            return
        if dry_run:
            due = len(due_for_erasure(s, cutoff, limit=None))
            click.echo(
                f"{due} appeal(s) closed before {cutoff:%Y-%m-%d} would have their personal data erased"
            )
            return
        total = 0
        while batch := erase_expired(s, now, days):
            total += len(batch)
            s.commit()
    click.echo(f"erased the personal data of {total} appeal(s) closed more than {days} days ago")
