"""The `minyi` command: database, users, tokens, lists, demo data, and running the service."""

from __future__ import annotations

from collections.abc import Callable

import click

from service import migrate
from service.cli_context import cli_app, database_errors


@click.group()
def main() -> None:
    """Minyi (民意速办): citizen-appeal intake and dispatch."""


@main.group("db")
def db_group() -> None:
    """The database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _migrate(migrate.upgrade, revision)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the database)."""
    _migrate(migrate.downgrade, revision)


def _migrate(step: Callable[[str, str], None], revision: str) -> None:
    from alembic.util import CommandError

    app = cli_app()
    url = app.config["DATABASE_URL"]
    with database_errors(url):
        try:
            step(url, revision.strip())
        except CommandError as exc:  # an unknown revision, or one on the wrong side of the current
            raise click.BadParameter(
                f"{exc}. A revision is a migration's number (0001 to {migrate.newest()}), head or base.",
                param_hint="'REVISION'",
            ) from None
    click.echo(f"database at {revision.strip()}")


from service.auth.cli import tokens_group, users_group  # noqa: E402
from service.demo import demo_group  # noqa: E402
from service.escalation.cli import escalation_group  # noqa: E402
from service.handling.cli import appeals_group  # noqa: E402
from service.lists.cli import lists_group  # noqa: E402
from service.notices.cli import jobs_group  # noqa: E402
from service.notices.fake_gateway import fake_gateway_command  # noqa: E402
from service.runner import run_command, web_command, worker_command  # noqa: E402
from service.suggestions.cli import suggest_group  # noqa: E402

main.add_command(users_group)
main.add_command(tokens_group)
main.add_command(lists_group)
main.add_command(demo_group)
main.add_command(suggest_group)
main.add_command(appeals_group)
main.add_command(run_command)
main.add_command(web_command)
main.add_command(worker_command)
main.add_command(jobs_group)
main.add_command(escalation_group)
main.add_command(fake_gateway_command)


if __name__ == "__main__":
    main()
