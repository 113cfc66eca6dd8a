"""`minyi jobs`: what failed for good, and trying it again."""

from __future__ import annotations

import click
import sqlalchemy as sa

from service.cli_context import app_session


@click.group("jobs")
def jobs_group() -> None:
    """Failed notices and failed worker jobs."""


@jobs_group.command("failed")
@click.option("--limit", default=50, show_default=True, help="the newest this many of each")
def jobs_failed(limit: int) -> None:
    """List notices that failed for good and worker jobs that failed, newest first."""
    from service.notices.jobs import failed_rq_jobs
    from service.notices.models import FAILED, NoticeDelivery
    from service.notices.senders import mask_destination

    with app_session() as s:
        rows = s.scalars(
            sa.select(NoticeDelivery)
            .where(NoticeDelivery.status == FAILED)
            .order_by(NoticeDelivery.id.desc())
            .limit(limit)
        ).all()
        click.echo(f"failed notices: {len(rows)}")
        for d in rows:
            click.echo(
                f"  {d.id:>8}  {d.channel:<7} {mask_destination(d.destination):<28} "
                f"{d.template:<20} attempts {d.attempts}  {d.last_error}"
            )
        jobs = failed_rq_jobs(limit)
        click.echo(f"failed worker jobs: {len(jobs)}")
        for job in jobs:
            click.echo(f"  {job['id']}  {job['function']}  {job['ended_at'] or ''}  {job['error']}")
    if rows or jobs:
        click.echo("retry one with: minyi jobs retry ID")


@jobs_group.command("retry")
@click.argument("ident")
def jobs_retry(ident: str) -> None:
    """Try a failed notice (its number) or a failed worker job (its id) again."""
    from service.notices.jobs import requeue_failed_rq_job, retry_failed_notice

    ident = ident.strip()
    with app_session() as s:
        if ident.isdigit():
            retry_failed_notice(s, int(ident))
            click.echo(f"notice {ident} queued again")
            return
        # The worker jobs are in the app's Redis: looked up inside its context.
        if not requeue_failed_rq_job(ident):
            raise click.ClickException(f"No failed notice or worker job {ident} (see minyi jobs failed).")
    click.echo(f"job {ident} queued again")
