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
