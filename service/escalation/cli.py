"""`minyi escalation`: run a sweep by hand, or rebuild the alarms of open appeals."""

from __future__ import annotations

import click

from dispatch import escalation as esc
from service import cli_context


@click.group("escalation")
def escalation_group() -> None:
    """Escalation sweeps and alarms."""


@escalation_group.command("sweep")
@click.option("--kind", type=click.Choice(esc.KINDS), multiple=True, help="default: every kind")
@click.option("--notify-only", is_flag=True, help="send the notices, change nothing else")
def sweep_command(kind: tuple[str, ...], notify_only: bool) -> None:
    """Fire the alarms that are due now (what the worker does every 30 s)."""
    from service.db import utcnow
    from service.escalation.sweeps import sweep

    # Kinds swept together (the lead's and the co-units' sign-for alarms) are one sweep.
    sweeps = {esc.swept_together(k): None for k in kind or esc.KINDS}
    with cli_context.app_session() as s:
        for kinds in sweeps:
            result = sweep(s, kinds[0], now=utcnow(), notify_only=notify_only, limit=100_000)
            click.echo(
                f"{'+'.join(kinds):<32} fired {len(result.fired):>6}  skipped {result.skipped:>6}  "
                f"notices {result.notices:>6}"
            )


@escalation_group.command("replan")
def replan_command() -> None:
    """Give every open appeal the alarms of its current state (after an upgrade or a settings change)."""
    from service.escalation.planning import replan_open

    with cli_context.app_session() as s:
        count = replan_open(s)
    click.echo(f"{count} open appeals replanned")
