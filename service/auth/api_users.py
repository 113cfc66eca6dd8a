"""Accounts and API tokens for administrators, over the API: what the admin pages (/admin/users)
and `minyi users` / `minyi tokens` do, for a provincial platform or an identity system that
provisions staff accounts. The same operations (service/auth/operations.py), so the same rules and
the same security audit log.

A role or a unit does not change: such a change is a different job, so the account is deactivated
and a new one created, and each keeps its own history in the logs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validates_schema
from sqlalchemy.orm import Session

from service import db, validate
from service.auth import lockout, passwords
from service.auth.models import ROLES, ApiToken, User
from service.auth.operations import (
    account_errors,
    create_token,
    create_user,
    find_user,
    lift_lock,
    rename_user,
    revoke_token,
    set_active,
    set_password,
    tokens_of,
    typed_unit,
)
from service.auth.security import hash_token
from service.errors import NotFound, ValidationFailed
from service.extensions import Blueprint
from service.fields import CleanText
from service.lists.models import Unit
from service.paging import PageArgs, page_of, page_schema
from service.text import t

blp = Blueprint("admin_users", __name__, url_prefix="/api/v1/admin", description="Accounts and API tokens")

ADMINS = ("admin",)
NAME_MAX = 64
LABEL_MAX = 100
#: The longest unit a caller types: its name (the units' name column).
UNIT_TYPED_MAX = 100


class TypedUnit(CleanText):
    """A unit as an administrator types it, read as `minyi users --unit` reads it (`typed_unit`): its
    code in any case or width, with a long dash (gxq-cgj, ＧＸＱ－ＣＧＪ, GXQ—CGJ), or its exact name
    with either kind of brackets; loaded as the unit's code. Empty is none; an unknown unit is refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=UNIT_TYPED_MAX, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        typed = super()._deserialize(value, attr, data, **kwargs)
        if not typed:
            return None
        code, why = typed_unit(db.session(), typed)
        if why is not None:
            raise ValidationError(why)
        return code


def _password_problem(username: str, password: str) -> str | None:
    weakness = passwords.weakness(username, password)
    if weakness == passwords.SHORT:
        return t("At least {n} characters.", n=passwords.MIN_LENGTH)
    if weakness == passwords.GUESSABLE:
        return t("Too easy to guess: not the username, one character repeated or a common password.")
    return None


class UserArgs(PageArgs):
    role = fields.String(validate=validate.OneOf(tuple(ROLES), labels=tuple(ROLES.values())))
    unit = TypedUnit(
        metadata={"description": "a unit's staff: its code (in any case or width) or exact name"}
    )
    active = fields.Boolean(metadata={"description": "true: active accounts only; false: deactivated only"})
    q = CleanText(max_length=64, metadata={"description": "part of the username or the name"})
    locked = fields.Boolean(
        metadata={"description": "true: accounts with a log-in lock in force; false: those without"}
    )


class LockOut(Schema):
    client = fields.String(
        allow_none=True, metadata={"description": "the client address locked out; null: every client"}
    )
    attempts = fields.Integer(metadata={"description": "log-in attempts counted in the window"})
    seconds_left = fields.Integer(metadata={"description": "until the lock lifts by itself"})


class UserOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    unit_code = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    active = fields.Boolean()
    has_password = fields.Boolean(metadata={"description": "false: a token-only account (no log-in)"})
    active_tokens = fields.Integer()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    locks = fields.List(
        fields.Nested(LockOut),
        allow_none=True,
        metadata={
            "description": "log-in locks in force (service/auth/lockout.py); null when they cannot "
            "be read (Redis unreachable)"
        },
    )


UserPageOut = page_schema(UserOut, "UserPage")


class UserIn(Schema):
    username = CleanText(required=True, max_length=64)
    role = fields.String(required=True, validate=validate.OneOf(tuple(ROLES), labels=tuple(ROLES.values())))
    unit = TypedUnit(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "unit staff only: the unit's code (GXQ-CGJ, in any case or width) or its "
            "exact name; stored as its code"
        },
    )
    display_name = CleanText(max_length=NAME_MAX, load_default="")
    password = fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=validate.Length(max=128),
        metadata={"description": "omit for a token-only account (an integration's)"},
    )

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        """create_user's rules too, on the fields that passed their own checks: every bad field in
        one 422, as the page's form shows them all at once."""
        # a unit that failed its own check is left out, and with it whether the role takes one
        role = data.get("role") if "unit" in data else None
        errors = account_errors(
            db.session(), username=data.get("username"), role=role, unit_code=data.get("unit")
        )
        if data.get("password") is not None and (
            problem := _password_problem(data.get("username", ""), data["password"])
        ):
            errors["password"] = [problem]
        if errors:
            raise ValidationError(errors)


class UserPatch(Schema):
    active = fields.Boolean(metadata={"description": "false: 停用 (log-in and tokens stop); true: 启用"})
    display_name = CleanText(min_length=1, max_length=NAME_MAX)
    role = fields.Raw(load_only=True, metadata={"description": "not changeable (see above)"})
    unit = fields.Raw(load_only=True, metadata={"description": "not changeable (see above)"})

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        fixed = t("Not changeable: deactivate this account and create one for the new role or unit.")
        errors = {name: [fixed] for name in ("role", "unit") if name in data}
        if not errors and not data:
            errors = {"active": [t("Give active or display_name.")]}
        if errors:
            raise ValidationError(errors)


class LiftArgs(Schema):
    client = CleanText(
        max_length=64,
        metadata={"description": "lift this client address's lock only; omitted: every lock and count"},
    )


class PasswordIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class TokenOut(Schema):
    id = fields.Integer()
    label = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreatedOut(TokenOut):
    token = fields.String(metadata={"description": "shown this once; only its hash is kept"})


class TokenIn(Schema):
    label = CleanText(
        required=True, min_length=1, max_length=LABEL_MAX, metadata={"description": "what it is for"}
    )


def named_account(user: User, username: str) -> dict[str, User]:
    """`Blueprint.requires`' loader: the account <username>, in any case (404 when there is none),
    as the view's `account` (`user` is the administrator calling)."""
    account = find_user(db.session(), username)
    if account is None:
        raise NotFound(t("No user {name!r}.", name=username))
    return {"account": account}


def _accounts() -> sa.Select[Any]:
    """Accounts with their unit's name and how many live tokens they have, as `_viewer` takes them."""
    live_tokens = (
        sa.select(sa.func.count())
        .where(ApiToken.user_id == User.id, ApiToken.revoked_at.is_(None))
        .scalar_subquery()
    )
    return sa.select(User, Unit.name, live_tokens).outerjoin(Unit, Unit.code == User.unit_code)


def _locks_by_name(found: list[lockout.Lock] | None) -> dict[str, list[dict[str, Any]]] | None:
    if found is None:
        return None
    by_name: dict[str, list[dict[str, Any]]] = {}
    for lock in found:
        by_name.setdefault(lock.username, []).append(
            {"client": lock.client, "attempts": lock.attempts, "seconds_left": lock.seconds}
        )
    return by_name


def _viewer(locks: dict[str, list[dict[str, Any]]] | None) -> Any:
    """The view of a row, with the account's log-in locks from `locks` (by username key)."""

    def view(row: Any) -> dict[str, Any]:
        user, unit_name, active_tokens = row
        return {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit_code": user.unit_code,
            "unit_name": unit_name,
            "active": user.active,
            "has_password": user.password_hash is not None,
            "active_tokens": active_tokens,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
            "locks": None if locks is None else locks.get(user.username_key, []),
        }

    return view


def _one(s: Session, user: User) -> dict[str, Any]:
    s.flush()
    view = _viewer(_locks_by_name(lockout.locks([user.username])))
    return view(s.execute(_accounts().where(User.id == user.id)).one())


def _token(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "label": token.label,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@blp.route("/users")
class Users(MethodView):
    @blp.requires(*ADMINS)
    @blp.arguments(UserArgs, location="query")
    @blp.response(200, UserPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every account, active ones first, by role and username, with its log-in locks; filtered
        by role, unit, state, text, and whether a log-in lock is in force."""
        s = db.session()
        query = _accounts()
        if v := args.get("role"):
            query = query.where(User.role == v)
        if v := args.get("unit"):
            query = query.where(User.unit_code == v)
        if "active" in args:
            query = query.where(User.active.is_(args["active"]))
        if v := args.get("q"):
            typed = v.lower()  # "_" and "%" are what they are, not wildcards
            query = query.where(
                sa.or_(
                    User.username_key.contains(typed, autoescape=True),
                    sa.func.lower(User.display_name).contains(typed, autoescape=True),
                )
            )
        locks = _locks_by_name(lockout.locks())
        if "locked" in args:
            if locks is None:
                raise lockout.LocksUnreachable()
            locked = User.username_key.in_(list(locks))
            query = query.where(locked if args["locked"] else sa.not_(locked))
        order = (User.active.desc(), User.role, User.username_key)
        return page_of(s, query, order, args["page"], args["per_page"], _viewer(locks))

    @blp.requires(*ADMINS)
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data: dict[str, Any], user: User) -> dict[str, Any]:
        """Create an account (新建账号); 409 if the username is taken in any case."""
        s = db.session()
        account = create_user(
            s,
            data["username"],
            data["role"],
            password=data["password"],
            unit_code=data["unit"],
            display_name=data["display_name"],
            actor=user,
        )
        return _one(s, account)


@blp.route("/users/<username>")
class OneUser(MethodView):
    @blp.requires(*ADMINS, load=named_account)
    @blp.response(200, UserOut)
    def get(self, username: str, account: User) -> dict[str, Any]:
        """One account, by its username in any case."""
        return _one(db.session(), account)

    @blp.requires(*ADMINS, load=named_account)
    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    def patch(self, data: dict[str, Any], username: str, user: User, account: User) -> dict[str, Any]:
        """停用 / 启用 (`active`) and the name (`display_name`). Nobody deactivates their own account (409)."""
        s = db.session()
        if "active" in data:
            set_active(s, account, data["active"], actor=user)
        if "display_name" in data:
            rename_user(s, account, data["display_name"], actor=user)
        return _one(s, account)


@blp.route("/users/<username>/password")
class UserPassword(MethodView):
    @blp.requires(*ADMINS, load=named_account)
    @blp.arguments(PasswordIn)
    @blp.response(204)
    def put(self, data: dict[str, Any], username: str, user: User, account: User) -> None:
        """重置密码: a new password; the account's open sessions end and its log-in locks are
        lifted (when Redis is unreachable they stay, logged: `DELETE .../locks` later)."""
        if problem := _password_problem(account.username, data["password"]):
            raise ValidationFailed(problem, {"password": [problem]})
        set_password(db.session(), account, data["password"], actor=user)


@blp.route("/users/<username>/locks")
class UserLocks(MethodView):
    @blp.requires(*ADMINS, load=named_account)
    @blp.arguments(LiftArgs, location="query")
    @blp.response(204)
    def delete(self, args: dict[str, Any], username: str, user: User, account: User) -> None:
        """解除锁定: lift the account's log-in locks (service/auth/lockout.py), with every failure
        count: all of them, or one client address's (`client`). Recorded in the security audit log
        when a lock was in force; 503 when Redis is unreachable."""
        lift_lock(db.session(), account, args.get("client") or None, actor=user)


@blp.route("/users/<username>/tokens")
class UserTokens(MethodView):
    @blp.requires(*ADMINS, load=named_account)
    @blp.response(200, TokenOut(many=True))
    def get(self, username: str, account: User) -> list[dict[str, Any]]:
        """The account's API tokens, newest first, revoked ones too (never the tokens themselves)."""
        return [_token(token) for token in tokens_of(db.session(), account)]

    @blp.requires(*ADMINS, load=named_account)
    @blp.arguments(TokenIn)
    @blp.response(201, TokenCreatedOut)
    def post(
        self, data: dict[str, Any], username: str, user: User, account: User
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """新建令牌 for an integration acting as this account: the answer holds it this once."""
        s = db.session()
        token = create_token(s, account, data["label"], actor=user)  # 409 for a deactivated account
        row = s.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        assert row is not None
        return {**_token(row), "token": token}, {"Cache-Control": "no-store"}


def api_token(user: User, token_id: int) -> dict[str, ApiToken]:
    """`Blueprint.requires`' loader: the token <token_id> (404 without one), as the view's `token`."""
    token = db.session().get(ApiToken, token_id)
    if token is None:
        raise NotFound(t("No token {id}.", id=token_id))
    return {"token": token}


@blp.route("/tokens/<int:token_id>")
class OneToken(MethodView):
    @blp.requires(*ADMINS, load=api_token)
    @blp.response(204)
    def delete(self, token_id: int, user: User, token: ApiToken) -> None:
        """吊销: the token stops working at once; 409 if it was revoked already."""
        revoke_token(db.session(), token, actor=user)
