"""The `minyi` command: database, users, tokens, lists, demo data, and running the service."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click

from service import create_app, migrate
from service.cli_context import app_session


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
    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the database)."""
    app = create_app()
    migrate.downgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@main.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, help="operator, dispatcher, reviewer, unit_staff, leader or admin")
@click.option("--unit", "unit_code", help="unit code, for unit staff")
@click.option("--password", help="omit to be asked (or to create a token-only account without a terminal)")
@click.option("--name", "display_name", default="", help="display name")
def users_create(
    username: str, role: str, unit_code: str | None, password: str | None, display_name: str
) -> None:
    """Create a staff account."""
    from service.auth.operations import create_user

    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise click.ClickException("The passwords differ.")
    with app_session() as s:
        user = create_user(
            s, username, role, password=password, unit_code=unit_code, display_name=display_name
        )
        click.echo(f"created {user.username} ({user.role}{', ' + user.unit_code if user.unit_code else ''})")


@main.group("tokens")
def tokens_group() -> None:
    """API tokens for integrations."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--label", default="", help="what the token is for")
def tokens_create(username: str, label: str) -> None:
    """Create an API token for USERNAME and print it once (only its hash is kept)."""
    from service.auth.operations import create_token, find_user

    with app_session() as s:
        user = find_user(s, username)
        if user is None:
            raise click.ClickException(f"No user {username!r}.")
        token = create_token(s, user, label)
    click.echo(token)


@tokens_group.command("list")
@click.argument("username", required=False)
def tokens_list(username: str | None) -> None:
    """List the API tokens (of USERNAME, or everyone's): id, user, label, created, last used, revoked."""
    from flask import current_app

    from service.auth.operations import find_user, tokens_of

    with app_session() as s:
        user = find_user(s, username) if username else None
        if username and user is None:
            raise click.ClickException(f"No user {username!r}.")
        tz = current_app.config["TZ"]

        def at(moment: Any) -> str:  # in the service's time zone
            return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"

        for token in tokens_of(s, user):
            click.echo(
                "\t".join(
                    (
                        str(token.id),
                        token.user.username,
                        token.label or "-",
                        f"created {at(token.created_at)}",
                        f"last used {at(token.last_used_at)}" if token.last_used_at else "never used",
                        f"REVOKED {at(token.revoked_at)}" if token.revoked_at else "active",
                    )
                )
            )


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token TOKEN_ID (see `minyi tokens list`): it stops working at once."""
    from service.auth.models import ApiToken
    from service.auth.operations import revoke_token

    with app_session() as s:
        token = s.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"No token {token_id}.")
        revoke_token(s, token)
        click.echo(f"revoked token {token.id} of {token.user.username} ({token.label or 'no label'})")


from service.demo import demo_group  # noqa: E402
from service.escalation.cli import escalation_group  # noqa: E402
from service.handling.cli import appeals_group  # noqa: E402
from service.lists.cli import lists_group  # noqa: E402
from service.notices.cli import jobs_group  # noqa: E402
from service.notices.fake_gateway import fake_gateway_command  # noqa: E402
from service.runner import run_command, web_command, worker_command  # noqa: E402
from service.suggestions.cli import suggest_group  # noqa: E402

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
