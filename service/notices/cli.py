"""`minyi jobs`: what failed for good, and trying it again.

The failed worker jobs are in the service's Redis (REDIS_URL, or the embedded one of a running
`minyi run`); when it cannot be reached, the command says so, naming REDIS_URL, not a traceback."""

from __future__ import annotations

import click
import sqlalchemy as sa

from service import cli_context
from service.auth.cli import MAX_ID
from service.redis_conn import REDIS_DOWN


def redis_down(exc: Exception) -> str:
    """Why the service's Redis could not be used, naming the setting."""
    return (
        f"the service's Redis cannot be reached ({exc}): check REDIS_URL, "
        "or start `minyi run` for its embedded Redis"
    )


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

    with cli_context.app_session() as s:
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
        try:
            jobs = failed_rq_jobs(limit)
        except REDIS_DOWN as exc:
            unreachable = exc
        else:
            unreachable = None
            click.echo(f"failed worker jobs: {len(jobs)}")
            for job in jobs:
                click.echo(f"  {job['id']}  {job['function']}  {job['ended_at'] or ''}  {job['error']}")
    if rows or (unreachable is None and jobs):
        click.echo("retry one with: minyi jobs retry ID")
    if unreachable is not None:  # half of the answer is missing: said, and the exit status is 1
        raise click.ClickException(f"failed worker jobs not shown: {redis_down(unreachable)}.")


@jobs_group.command("retry")
@click.argument("ident")
def jobs_retry(ident: str) -> None:
    """Try a failed notice (its number) or a failed worker job (its id) again."""
    ident = ident.strip()
    # Only ASCII digits are a notice's number ("²".isdigit() is true, and int() refuses it).
    if ident.isascii() and ident.isdigit():
        _retry_notice(ident)
    else:
        _retry_job(ident)


def _retry_notice(ident: str) -> None:
    from service.notices.jobs import commit_retry

    number = int(ident)
    # A number past the database's integers is no notice (SQLite cannot even look it up).
    if not 0 < number <= MAX_ID:
        raise click.ClickException(f"No failed notice {ident} (see minyi jobs failed).")
    try:
        with cli_context.app_session() as s:
            commit_retry(s, number)
    except REDIS_DOWN as exc:
        click.echo(
            f"notice {ident} is marked for sending again, but not queued: {redis_down(exc)}; "
            "the worker's relay sweep sends it once the worker reaches Redis",
            err=True,
        )
        return
    click.echo(f"notice {ident} queued again")


def _retry_job(ident: str) -> None:
    from service.notices.jobs import requeue_failed_rq_job

    try:
        with cli_context.app_session():
            # The worker jobs are in the app's Redis: looked up inside its context.
            found = requeue_failed_rq_job(ident)
    except REDIS_DOWN as exc:
        raise click.ClickException(f"worker job {ident} not retried: {redis_down(exc)}.") from None
    if not found:
        raise click.ClickException(f"No failed notice or worker job {ident} (see minyi jobs failed).")
    click.echo(f"job {ident} queued again")
