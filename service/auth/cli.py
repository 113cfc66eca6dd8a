"""`minyi users ...` and `minyi tokens ...`: staff accounts and API tokens from a shell, for an
administrator with nobody to do it on the admin page (the first account, a forgotten password).

Options are read as an administrator types them: a unit code in any case or width, with spaces
around (`--unit gxq-cgj`, `--unit ＧＸＱ－ＣＧＪ` for GXQ-CGJ), or the unit's exact name; a role in
any case. Every problem of a command is reported at once, each naming its option, before anything
is stored or a password asked for.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click
import sqlalchemy as sa

from service import cli_context
from service.auth.models import ROLES
from service.fields import typed_code

#: The largest row id a database stores (a 64-bit integer); a larger TOKEN_ID is no token.
MAX_ID = 2**63 - 1

#: Why a command could not read or lift the log-in locks (lockout.UNREACHABLE), naming the setting.
REDIS_UNREACHABLE = (
    "the service's Redis cannot be reached (REDIS_URL, or the embedded Redis of a running `minyi run`)"
)


class Problems(click.ClickException):
    """What is wrong with a command's options, by option: printed one per line, exit status 1."""

    def __init__(self, problems: dict[str, list[str]], headline: str = "nothing stored:") -> None:
        self.problems = problems
        lines = [f"  {option}: {message}" for option, messages in problems.items() for message in messages]
        super().__init__("\n".join([headline, *lines]))


def role_problem(role: str) -> tuple[str, str | None]:
    """The role code for what was typed ("Unit_Staff " is unit_staff), and why it is none."""
    code = typed_code(role).lower()
    if code in ROLES:
        return code, None
    return code, f"Unknown role {role.strip()!r}; one of {', '.join(ROLES)}."


def password_problem(username: str, password: str) -> str | None:
    """The pages' and the API's rules for a new password (service/auth/passwords.py)."""
    from service.auth import passwords

    weakness = passwords.weakness(username, password)
    if weakness == passwords.SHORT:
        return f"At least {passwords.MIN_LENGTH} characters."
    if weakness == passwords.GUESSABLE:
        return "Too easy to guess: not the username, one character repeated or a common password."
    return None


def ask_password(prompt: str = "Password: ") -> str:
    password = getpass.getpass(prompt)
    if password != getpass.getpass("Again: "):
        raise click.ClickException("The passwords differ; nothing stored.")
    return password


def existing_user(s: Any, username: str) -> Any:
    from service.auth.operations import find_user

    user = find_user(s, username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    return user


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("username")
# --role is required, but checked with the others (not by click first), so all is said in one run.
@click.option("--role", help="operator, dispatcher, reviewer, unit_staff, leader or admin  [required]")
@click.option("--unit", "unit_code", help="the unit's code (e.g. GXQ-CGJ) or name, for unit staff only")
@click.option("--password", help="omit to be asked (or to create a token-only account without a terminal)")
@click.option("--name", "display_name", default="", help="display name (default: the username)")
def users_create(
    username: str, role: str | None, unit_code: str | None, password: str | None, display_name: str
) -> None:
    """Create a staff account. Every problem with the options is reported at once, and then nothing
    is stored."""
    from service.auth.operations import create_user

    username, display_name = username.strip(), display_name.strip()
    with cli_context.app_session() as s:
        role, unit, problems = _new_account_problems(s, username, role, unit_code, password, display_name)
        if problems:
            raise Problems(problems)
        if password is None and sys.stdin.isatty():
            password = ask_password()
            if why := password_problem(username, password):
                raise Problems({"Password": [why]})
        user = create_user(s, username, role, password=password, unit_code=unit, display_name=display_name)
        click.echo(f"created {user.username} ({user.role}{', ' + user.unit_code if user.unit_code else ''})")
        if password is None:
            click.echo(
                f"{user.username} has no password: it cannot log in on the pages, only use API tokens "
                f"(minyi tokens create {user.username}); give it one with minyi users password {user.username}"
            )


def _new_account_problems(
    s: Any, username: str, role: str | None, unit_code: str | None, password: str | None, display_name: str
) -> tuple[str, str | None, dict[str, list[str]]]:
    """The role and unit codes for what was typed, and every problem of a new account, by option."""
    from service.auth.api_users import NAME_MAX
    from service.auth.operations import USERNAME, account_errors, find_user, typed_unit

    problems: dict[str, list[str]] = {}
    if not USERNAME.fullmatch(username):
        problems["USERNAME"] = [
            f"{username!r}: 2 to 32 characters: letters, digits, _ . or -, starting with a letter or a digit."
        ]
    elif (existing := find_user(s, username)) is not None:
        problems["USERNAME"] = [
            f"{existing.username!r} exists already."
            if existing.username == username
            else f"{username!r} would differ from the existing {existing.username!r} only in case."
        ]
    if role is None:
        role, why = "", f"Missing: one of {', '.join(ROLES)}."
    else:
        role, why = role_problem(role)
    if why:
        problems["--role"] = [why]
    unit = None
    if unit_code is not None:
        unit, why = typed_unit(s, unit_code)
        if why:
            problems["--unit"] = [why]
    # Whether the role takes a unit, once both are known.
    known = "--role" not in problems and "--unit" not in problems
    if known and (wrong := account_errors(s, role=role, unit_code=unit).get("unit")):
        problems["--unit"] = [str(message) for message in wrong]
    if password is not None and (why := password_problem(username, password)):
        problems["--password"] = [why]
    if len(display_name) > NAME_MAX:
        problems["--name"] = [f"At most {NAME_MAX} characters (got {len(display_name)})."]
    return role, unit, problems


@users_group.command("list")
@click.option("--role", help="only this role's accounts")
@click.option("--unit", "unit_code", help="only this unit's staff (its code or name)")
def users_list(role: str | None, unit_code: str | None) -> None:
    """List the accounts: username, role, unit, active or deactivated, name, log-in lock."""
    from service.auth import lockout
    from service.auth.models import User, username_key
    from service.auth.operations import typed_unit

    with cli_context.app_session() as s:
        problems: dict[str, list[str]] = {}
        query = sa.select(User).order_by(User.username_key)
        if role is not None:
            role, why = role_problem(role)
            if why:
                problems["--role"] = [why]
            query = query.where(User.role == role)
        if unit_code is not None:
            unit, why = typed_unit(s, unit_code)
            if why:
                problems["--unit"] = [why]
            query = query.where(User.unit_code == unit)
        if problems:
            raise Problems(problems, headline="nothing listed:")
        users = list(s.scalars(query))
        try:
            in_force = lockout.read_locks([u.username for u in users])
        except lockout.UNREACHABLE:
            # Said here, once: not also the service log's warning (`lockout.locks`), which a
            # command line without logging set up would print as well.
            in_force = []
            click.echo(f"log-in locks not shown: {REDIS_UNREACHABLE}", err=True)
        locked = {lock.username for lock in in_force}
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
    the admin page). Its open sessions end, its log-in locks are lifted; the audit log records it.
    Without the service's Redis the password is reset all the same, and the command says the locks
    are not lifted (`minyi users unlock` lifts them later)."""
    from service.auth import lockout
    from service.auth.operations import find_user, set_password

    with cli_context.app_session() as s:
        user = find_user(s, username.strip())
        problems: dict[str, list[str]] = {}
        if user is None:
            problems["USERNAME"] = [f"No user {username.strip()!r}."]
        if password is not None and (why := password_problem(username.strip(), password)):
            problems["--password"] = [why]
        elif password is None and not sys.stdin.isatty():
            problems["--password"] = ["Missing: give it, or run this in a terminal to be asked."]
        if problems:
            raise Problems(problems, headline="nothing changed:")
        assert user is not None
        if password is None:
            password = ask_password("New password: ")
            if why := password_problem(user.username, password):
                raise Problems({"New password": [why]}, headline="nothing changed:")
        set_password(s, user, password, lift_locks=False)
        s.commit()  # the new password stands whether or not Redis can be reached for the locks
        try:
            lockout.remove_locks(user.username)
        except lockout.UNREACHABLE:
            # Said here, once: not also the service log's warning (`lockout.lift`). The password
            # is changed, so the exit status is 0; the locks are what is left to do.
            click.echo(f"password of {user.username} reset: its other sessions end")
            click.echo(
                f"its log-in locks are not lifted: {REDIS_UNREACHABLE}; "
                f"lift them once it can be: minyi users unlock {user.username}",
                err=True,
            )
            return
        click.echo(f"password of {user.username} reset: its other sessions end, its log-in locks are lifted")


@users_group.command("unlock")
@click.argument("username")
@click.option("--client", help="lift only this client address's lock (default: every lock of the account)")
def users_unlock(username: str, client: str | None) -> None:
    """Lift USERNAME's log-in locks (解除锁定), as the admin page does: for one client address, or
    all of them. Needs the service's Redis (REDIS_URL, or the embedded one of a running `minyi run`)."""
    from service.auth import lockout
    from service.auth.operations import lift_lock

    client = client.strip() if client is not None else None
    if client == "":
        raise click.BadParameter(
            "Empty: give a client address, or leave --client out for every lock.", param_hint="'--client'"
        )
    with cli_context.app_session() as s:
        user = existing_user(s, username.strip())
        try:
            lifted = lift_lock(s, user, client, actor=None, logged=False)
        except lockout.UNREACHABLE:
            # Said once, as the error (exit status 1), not also as the service log's warning.
            raise click.ClickException(
                f"the log-in locks of {user.username} are not lifted: {REDIS_UNREACHABLE}"
            ) from None
        click.echo(
            f"lifted {lifted} log-in lock(s) of {user.username}"
            if lifted
            else f"{user.username} has no log-in lock" + (f" for {client}" if client else "")
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

    with cli_context.app_session() as s:
        user = existing_user(s, username.strip())
        changed = set_active(s, user, active, actor=None)
        state = "active" if active else "deactivated"
        click.echo(f"{user.username} {state}" if changed else f"{user.username} was already {state}")


@click.group("tokens")
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
        raise click.BadParameter(f"At most 100 characters (got {len(label)}).", param_hint="'--purpose'")
    with cli_context.app_session() as s:
        user = existing_user(s, username.strip())
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

    with cli_context.app_session() as s:
        user = existing_user(s, username.strip()) if username else None
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

    with cli_context.app_session() as s:
        # A number past the database's integers is no token (SQLite cannot even look it up).
        token = s.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
        if token is None:
            raise click.ClickException(f"No token {token_id} (see minyi tokens list).")
        revoke_token(s, token)
        click.echo(f"revoked token {token.id} of {token.user.username} ({token.label or 'no label'})")
