"""User and token management. Operations flush; the caller commits."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import audit, lockout, passwords
from service.auth.models import ROLES, ApiToken, User, username_key
from service.auth.security import hash_password, new_token, verify_password
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.fields import typed_code
from service.lists.models import Unit
from service.text import Text, t

#: The shortest password any account may have (the pages also refuse common ones).
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
#: A new username: 2 to 32 letters, digits, "_", "." and "-", starting with a letter or a digit
#: (a leading "-" would read as an option on the command line). Usernames made before this rule
#: keep working.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")


def find_user(s: Session, username: str) -> User | None:
    """The account with this username, typed in any case ("Operator" finds operator)."""
    return s.scalar(sa.select(User).where(User.username_key == username_key(username)))


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this username (in any case) and password, or None: an unknown, an
    inactive user and a wrong password are refused alike, after the same work (no timing tells).

    Each refusal counts against the username from this client, and against the username; past a
    maximum this raises `lockout.AccountLocked` (429), whatever the password: for this client, or
    for every client (service/auth/lockout.py)."""
    try:
        attempt = lockout.begin_attempt(username)
    except lockout.AccountLocked as locked:
        account = _attempted_account(find_user(s, username), username)
        detail = {"reason": "locked", "lock": locked.scope}
        audit.record(s, "login", outcome=audit.REFUSED, account=account, detail=detail)
        raise
    found = find_user(s, username)
    user = found if found is not None and found.active else None
    if not verify_password(user, password) or user is None:
        reason = "unknown_user" if found is None else "inactive" if not found.active else "wrong_password"
        detail: dict[str, object] = {"reason": reason}
        if locked_now := lockout.record_failure(attempt):
            detail["locked_now"] = locked_now
        audit.record(
            s, "login", outcome=audit.REFUSED, account=_attempted_account(found, username), detail=detail
        )
        return None
    lockout.record_success(attempt)
    audit.record(s, "login", actor=user, account=user.username)
    return user


def _attempted_account(found: User | None, typed: str) -> str:
    """The account a log-in attempt names, as the audit log keeps it: the account's username, or
    for a name no account has, only its first character. What was typed there is often a password
    typed one field too early; the log must not hand it to whoever reads the log."""
    if found is not None:
        return found.username
    typed = typed.strip()
    return f"{typed[:1]}***" if typed else ""


def account_errors(
    s: Session, *, username: str | None = None, role: str | None = None, unit_code: str | None = None
) -> dict[str, list[str]]:
    """What `create_user` refuses in a new account's username, role and unit, by field (English,
    `service.text`): {} when they will do. The API's schema calls it too, so that one answer names
    every bad field with the password's. A username or role of None is not checked (the caller
    found it missing or bad already); nor then is whether the role takes a unit."""
    errors: dict[str, list[str]] = {}
    if role is not None and role not in ROLES:
        errors["role"] = [t("Unknown role {role!r}; one of {roles}.", role=role, roles=list(ROLES))]
    if role == "unit_staff" and not unit_code:
        errors["unit"] = [t("Unit staff must be bound to a unit (--unit CODE).")]
    if role is not None and role != "unit_staff" and unit_code:
        errors["unit"] = [t("Only unit staff are bound to a unit.")]
    if unit_code and s.get(Unit, unit_code) is None:
        errors["unit"] = [t("Unknown unit {code!r}.", code=unit_code)]
    if username is not None and not USERNAME.fullmatch(username):
        errors["username"] = [
            t("2 to 32 characters: letters, digits, _ . or -, starting with a letter or a digit.")
        ]
    return errors


def typed_unit(s: Session, typed: str) -> tuple[str | None, Text | None]:
    """The code of the unit an administrator typed, and why there is none: its code in any case or
    width, with spaces or a long dash (gxq-cgj, ＧＸＱ－ＣＧＪ, GXQ—CGJ are GXQ-CGJ), or its exact
    name. The name is matched as typed and folded (NFKC): names are written with full-width
    brackets (赣县区12345政务服务便民热线（民意速办中心）), typed with either. What `minyi users`,
    the admin API and the admin page take for a unit."""
    code = typed_code(typed)
    if not code:
        return None, t("Empty: give a unit code such as GXQ-CGJ.")
    if s.get(Unit, code) is not None:
        return code, None
    by_code = list(s.scalars(sa.select(Unit.code).where(sa.func.upper(Unit.code) == code.upper())))
    # The name compared folded on both sides, in Python (a district has some hundred units).
    name = unicodedata.normalize("NFKC", typed).strip()
    by_name = (
        unit_code
        for unit_code, unit_name in s.execute(sa.select(Unit.code, Unit.name))
        if unit_name == typed.strip() or unicodedata.normalize("NFKC", unit_name).strip() == name
    )
    found = sorted({*by_code, *by_name})
    if len(found) == 1:
        return found[0], None
    if found:
        return None, t("{unit!r} could be any of {codes}; give one of them.", unit=typed.strip(), codes=found)
    return None, t("Unknown unit {unit!r}: no unit has this code or name.", unit=typed.strip())


def create_user(
    s: Session,
    username: str,
    role: str,
    password: str | None = None,
    unit_code: str | None = None,
    display_name: str = "",
    *,
    actor: User | None = None,
) -> User:
    errors = account_errors(s, username=username, role=role, unit_code=unit_code)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [t("At least {n} characters.", n=MIN_PASSWORD_LENGTH)]
    if errors:
        raise ValidationFailed(t("Invalid user."), errors)
    if (existing := find_user(s, username)) is not None:
        if existing.username == username:
            taken = t("User {name!r} exists already.", name=username)
        else:
            taken = t(
                "User {name!r} would differ from the existing {existing!r} only in case.",
                name=username,
                existing=existing.username,
            )
        raise Conflict(taken, {"username": [taken]})
    user = User(
        username=username,
        role=role,
        unit_code=unit_code,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
    )
    try:
        with s.begin_nested():  # another administrator may create the same name at the same moment
            s.add(user)
    except IntegrityError:
        taken = t("User {name!r} exists already.", name=username)
        raise Conflict(taken, {"username": [taken]}) from None
    audit.record(s, "user_created", actor=actor, account=username, detail={"role": role, "unit": unit_code})
    return user


def set_password(
    s: Session, user: User, password: str, *, actor: User | None = None, lift_locks: bool = True
) -> bool:
    """A new password for `user` (an administrator's reset). The account's open sessions end on
    their next request (service/auth/security.py, `password_stamp`).

    Its log-in locks are lifted too; returns False when they could not be (Redis unreachable:
    logged, nothing raised), for the caller to say so. `lift_locks=False` for a caller that lifts
    them itself after its commit (`minyi users password`, with `lockout.remove_locks`)."""
    _store_password(user, password)
    # Every lock of the username: its owner gets in with the new password.
    lifted = lockout.clear_failures(user.username) if lift_locks else True
    audit.record(s, "password_reset", actor=actor, account=user.username)
    s.flush()
    return lifted


def change_password(s: Session, user: User, current: str, password: str) -> None:
    """修改密码: `user` sets their own password, giving the current one. A wrong current password
    counts as a failed log-in (service/auth/lockout.py), so a session left open cannot be used to
    guess it; its other sessions end, the caller keeps this one (`security.keep_session`)."""
    try:
        attempt = lockout.begin_attempt(user.username)
    except lockout.AccountLocked as locked:
        detail = {"reason": "locked", "lock": locked.scope}
        audit.record(
            s, "password_changed", outcome=audit.REFUSED, actor=user, account=user.username, detail=detail
        )
        raise
    if not verify_password(user, current):
        detail: dict[str, object] = {"reason": "wrong_password"}
        if locked_now := lockout.record_failure(attempt):
            detail["locked_now"] = locked_now
        audit.record(
            s, "password_changed", outcome=audit.REFUSED, actor=user, account=user.username, detail=detail
        )
        wrong = t("The current password is wrong.")
        raise ValidationFailed(wrong, {"current_password": [wrong]})
    if current == password:
        same = t("The new password is the current one.")
        raise ValidationFailed(same, {"password": [same]})
    _store_password(user, password)
    lockout.record_success(attempt)
    audit.record(s, "password_changed", actor=user, account=user.username)
    s.flush()


def lift_lock(
    s: Session, user: User, client: str | None = None, *, actor: User | None, logged: bool = True
) -> int:
    """解除锁定: `client`'s log-in lock on `user`'s username, or (None) all of its locks and
    failure counts, every client's and the account-wide one. Returns how many locks were in force;
    only then is it recorded in the security audit log. Raises lockout.LocksUnreachable (503)
    when Redis is; `logged=False`, one of lockout.UNREACHABLE instead, not logged, for a caller
    that says so itself (`minyi users unlock`)."""
    lifted = (lockout.lift if logged else lockout.remove_locks)(user.username, client)
    if lifted:
        detail: dict[str, object] = {"clients": [lock.client for lock in lifted if lock.client]}
        if any(lock.client is None for lock in lifted):
            detail["account_wide"] = True
        audit.record(s, "login_unlocked", actor=actor, account=user.username, detail=detail)
        s.flush()
    return len(lifted)


def _store_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        short = t("At least {n} characters.", n=MIN_PASSWORD_LENGTH)
        raise ValidationFailed(t("Invalid password."), {"password": [short]})
    user.password_hash = hash_password(password)


def set_active(s: Session, user: User, active: bool, *, actor: User | None) -> bool:
    """停用 / 启用 an account; returns whether it changed. A deactivated account cannot log in and
    its API tokens stop working (both check `active`). Nobody deactivates their own account: an
    administrator could lock the last administrator out."""
    if not active and actor is not None and actor.id == user.id:
        raise Conflict(t("You cannot deactivate your own account."))
    if user.active == active:
        return False
    user.active = active
    audit.record(s, "user_reactivated" if active else "user_deactivated", actor=actor, account=user.username)
    s.flush()
    return True


def rename_user(s: Session, user: User, display_name: str, *, actor: User | None) -> bool:
    """A new display name (姓名) for `user`; returns whether it changed."""
    if user.display_name == display_name:
        return False
    audit.record(
        s,
        "user_renamed",
        actor=actor,
        account=user.username,
        detail={"from": user.display_name, "to": display_name},
    )
    user.display_name = display_name
    s.flush()
    return True


def tokens_of(s: Session, user: User | None = None) -> list[ApiToken]:
    """The API tokens of `user` (or everyone's), newest first, revoked ones too."""
    query = sa.select(ApiToken).join(User, User.id == ApiToken.user_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(s.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(s: Session, token: ApiToken, *, actor: User | None = None) -> None:
    """吊销: the token stops working at once (a leaked one, or an integration retired). 409 if it
    was revoked already; a revoked token stays listed, with when."""
    if token.revoked_at is not None:
        raise Conflict(t("Token {id} was revoked already.", id=token.id))
    token.revoked_at = utcnow()
    audit.record(
        s,
        "token_revoked",
        actor=actor,
        account=token.user.username,
        detail={"token": token.id, "label": token.label},
    )
    s.flush()


def create_token(s: Session, user: User, label: str = "", *, actor: User | None = None) -> str:
    """Create an API token for `user`; returns the token itself, which is never stored. A
    deactivated account gets none (422): every call with it would be refused."""
    token, row = _new_token(user, label)
    s.add(row)
    s.flush()
    _created(s, user, row, actor)
    return token


def create_token_for_form(
    s: Session, user: User, label: str, form_key: str, *, actor: User | None
) -> str | None:
    """`create_token` for the admin page's form with its `form_key`: None when that form made a
    token already (sent again by a reload of the page showing it, or a double click; of two sent at
    once, the second waits on the key's unique index and then finds it taken)."""
    token, row = _new_token(user, label)
    row.form_key = form_key
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        return None
    _created(s, user, row, actor)
    return token


def _new_token(user: User, label: str) -> tuple[str, ApiToken]:
    if not user.active:  # its token would be refused on every call (service/auth/security.py)
        raise Conflict(t("The account is deactivated; activate it first."))
    token, digest = new_token()
    return token, ApiToken(user_id=user.id, token_hash=digest, label=label)


def _created(s: Session, user: User, row: ApiToken, actor: User | None) -> None:
    audit.record(
        s, "token_created", actor=actor, account=user.username, detail={"token": row.id, "label": row.label}
    )
