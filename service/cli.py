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
    if password is not None:
        _check_password(username, password)
    with app_session() as s:
        user = create_user(
            s, username, role, password=password, unit_code=unit_code, display_name=display_name
        )
        click.echo(f"created {user.username} ({user.role}{', ' + user.unit_code if user.unit_code else ''})")


def _check_password(username: str, password: str) -> None:
    """The pages' and the API's rules for a new password (service/auth/passwords.py)."""
    from service.auth import passwords

    weakness = passwords.weakness(username, password)
    if weakness == passwords.SHORT:
        raise click.ClickException(f"At least {passwords.MIN_LENGTH} characters.")
    if weakness == passwords.GUESSABLE:
        raise click.ClickException(
            "Too easy to guess: not the username, one character repeated or a common password."
        )


def _existing_user(s: Any, username: str) -> Any:
    from service.auth.operations import find_user

    user = find_user(s, username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    return user


@users_group.command("list")
@click.option("--role", help="only this role's accounts")
@click.option("--unit", "unit_code", help="only this unit's staff")
def users_list(role: str | None, unit_code: str | None) -> None:
    """List the accounts: username, role, unit, active or deactivated, name, log-in lock."""
    import sqlalchemy as sa

    from service.auth import lockout
    from service.auth.models import User, username_key

    with app_session() as s:
        query = sa.select(User).order_by(User.username_key)
        if role:
            query = query.where(User.role == role)
        if unit_code:
            query = query.where(User.unit_code == unit_code)
        users = list(s.scalars(query))
        in_force = lockout.locks([u.username for u in users])
        if in_force is None:
            click.echo(
                "log-in locks not shown: the service's Redis cannot be reached "
                "(REDIS_URL, or the embedded Redis of a running `minyi run`)",
                err=True,
            )
        locked = {lock.username for lock in in_force or ()}
        for user in users:
            lock = "LOCKED (minyi users unlock)" if username_key(user.username) in locked else ""
            fields = (
                user.username,
                user.role,
                user.unit_code or "-",
                "active" if user.active else "DEACTIVATED",
            )
            click.echo("\t".join((*fields, user.display_name or "-", lock)).rstrip("\t"))


@users_group.command("password")
@click.argument("username")
@click.option("--password", help="omit to be asked")
def users_password(username: str, password: str | None) -> None:
    """Reset USERNAME's password (an administrator who forgot theirs, with nobody to reset it on
    the admin page). Its open sessions end, its log-in locks are lifted; the audit log records it."""
    from service.auth.operations import set_password

    if password is None:
        if not sys.stdin.isatty():
            raise click.ClickException("Give --password, or run this in a terminal to be asked.")
        password = getpass.getpass("New password: ")
        if password != getpass.getpass("Again: "):
            raise click.ClickException("The passwords differ.")
    _check_password(username, password)
    with app_session() as s:
        user = _existing_user(s, username)
        set_password(s, user, password)
        click.echo(f"password of {user.username} reset: its other sessions end, its log-in locks are lifted")


@users_group.command("unlock")
@click.argument("username")
@click.option("--client", help="lift only this client address's lock (default: every lock of the account)")
def users_unlock(username: str, client: str | None) -> None:
    """Lift USERNAME's log-in locks (解除锁定), as the admin page does: for one client address, or
    all of them. Needs the service's Redis (REDIS_URL, or the embedded one of a running `minyi run`)."""
    from service.auth.operations import lift_lock

    with app_session() as s:
        user = _existing_user(s, username)
        lifted = lift_lock(s, user, client, actor=None)
        click.echo(
            f"lifted {lifted} log-in lock(s) of {user.username}"
            if lifted
            else f"{user.username} has no log-in lock"
        )


@users_group.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Deactivate USERNAME (停用): it can no longer log in, its API tokens stop working."""
    _set_active(username, False)


@users_group.command("activate")
@click.argument("username")
def users_activate(username: str) -> None:
    """Activate USERNAME again (启用)."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    from service.auth.operations import set_active

    with app_session() as s:
        user = _existing_user(s, username)
        changed = set_active(s, user, active, actor=None)
        state = "active" if active else "deactivated"
        click.echo(f"{user.username} {state}" if changed else f"{user.username} was already {state}")


@main.group("tokens")
def tokens_group() -> None:
    """API tokens for integrations."""


#: The purpose (用途) of a token made with `minyi tokens create` when none is given: the tokens page
#: and the revoke message name it, so an administrator can tell where it came from.
CLI_TOKEN_PURPOSE = "命令行创建"


@tokens_group.command("create")
@click.argument("username")
@click.option(
    "--purpose",
    "--label",
    "label",
    default=CLI_TOKEN_PURPOSE,
    show_default=True,
    help="what the token is for (用途), e.g. 微信公众号对接; shown on the tokens page",
)
def tokens_create(username: str, label: str) -> None:
    """Create an API token for USERNAME and print it once (only its hash is kept). A deactivated
    account gets none: activate it first (`minyi users activate`)."""
    from service.auth.operations import create_token

    label = label.strip() or CLI_TOKEN_PURPOSE
    if len(label) > 100:
        raise click.ClickException("The purpose is at most 100 characters.")
    with app_session() as s:
        user = _existing_user(s, username)
        if not user.active:  # create_token refuses too; this says what to do about it
            raise click.ClickException(
                f"{user.username} is deactivated: a token of it would be refused on every call. "
                f"Activate it first (minyi users activate {user.username})."
            )
        token = create_token(s, user, label)
    click.echo(token)


@tokens_group.command("list")
@click.argument("username", required=False)
def tokens_list(username: str | None) -> None:
    """List the API tokens (of USERNAME, or everyone's): id, user, label, created, last used, revoked."""
    from flask import current_app

    from service.auth.operations import tokens_of

    with app_session() as s:
        user = _existing_user(s, username) if username else None
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
