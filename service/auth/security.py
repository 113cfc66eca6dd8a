"""Password hashing, API tokens and the current user.

Passwords: Argon2id through argon2-cffi. API tokens are 32 random bytes; only their SHA-256 is
stored (a token has full entropy, so a slow hash would add nothing but latency to every call).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request, session

from service import db
from service.auth import audit
from service.auth.models import ROLE_NAMES, ApiToken, User
from service.db import utcnow
from service.errors import Forbidden, Unauthorized
from service.text import t

_hasher = PasswordHasher()
TOKEN_PREFIX = "minyi_"
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


_DUMMY_HASH = _hasher.hash("minyi: no such user")


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; for an unknown user, spend the same time, so timing reveals no usernames."""
    if user is None or not user.password_hash:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKENS = ApiToken.__table__
# Built once: every API request runs it, and building it cost about 0.06 ms of CPU each time.
_BY_TOKEN = (
    sa.select(User, _TOKENS.c.id, _TOKENS.c.last_used_at)
    .join_from(User, _TOKENS, _TOKENS.c.user_id == User.id)
    .where(_TOKENS.c.token_hash == sa.bindparam("token_hash"), _TOKENS.c.revoked_at.is_(None))
)
# Records a token's use unless another request holding the token's row is recording it right now
# (SKIP LOCKED: PostgreSQL; SQLite runs one writer at a time anyway, so there is nothing to skip).
# Without it, the requests made with one token (an integration's) while its last use was stale
# all queued on that row, each waiting until the one before it had finished its whole request.
_RECORD_USE = (
    sa.update(_TOKENS)
    .where(
        _TOKENS.c.id
        == sa.select(_TOKENS.c.id)
        .where(_TOKENS.c.id == sa.bindparam("token_id"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(last_used_at=sa.bindparam("now"))
)


def _user_from_bearer(header: str) -> User:
    token = header.removeprefix("Bearer ").strip()
    s = db.session()
    row = s.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    if row is None or not row[0].active:
        raise Unauthorized(t("Invalid or revoked API token."))
    user, token_id, last_used_at = row
    now = utcnow()
    # Recorded coarsely, and never waited for: a write on every request would make all requests
    # made with one token (an integration's) wait on that token's row lock in turn.
    if last_used_at is None or now - last_used_at > TOKEN_USE_RESOLUTION:
        s.connection().execute(_RECORD_USE, {"token_id": token_id, "now": now})
    return user


#: The session key holding when the session was last used (seconds since the epoch).
SEEN = "seen"
#: How often the last use is written back (each write re-sends the cookie).
SEEN_RESOLUTION = 60
#: The session key binding a session to the password it was opened with.
PASSWORD_STAMP = "pw"
#: Why a session ended on this request (`g.session_ended`): idle too long, or the password changed.
IDLE, PASSWORD_CHANGED = "idle", "password_changed"


def password_stamp(user: User) -> str:
    """A keyed digest of `user`'s password hash, kept in their sessions. Sessions live in signed
    cookies, so the server cannot delete them; instead a session whose stamp no longer matches
    (the password was reset or changed since it was opened) ends on its next request."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def start_session(user: User) -> None:
    """Log `user` in on a fresh session (a new one, so a planted session cannot be kept)."""
    session.clear()
    session["user_id"] = user.id
    session[SEEN] = int(time.time())
    session[PASSWORD_STAMP] = password_stamp(user)
    user.last_login_at = utcnow()


def keep_session(user: User) -> None:
    """`user` changed their own password on this session: it stays open (their others end)."""
    session[PASSWORD_STAMP] = password_stamp(user)


def end_session() -> None:
    """Log out: the session ends (recorded in the security audit log)."""
    user = db.session().get(User, session["user_id"]) if session.get("user_id") is not None else None
    if user is not None:
        audit.record(db.session(), "logout", actor=user, account=user.username)
    session.clear()


def _session_user_id() -> int | None:
    """The session's user id, unless the session sat idle longer than SESSION_IDLE_MINUTES
    (登录连接超时自动退出, 等保2.0 8.1.4.1 b): then it is ended, and `g.session_ended` says so."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    idle = int(current_app.config.get("SESSION_IDLE_MINUTES") or 0) * 60
    now, seen = int(time.time()), session.get(SEEN)
    if idle and (not isinstance(seen, int) or now - seen > idle):
        session.clear()
        g.session_ended = IDLE
        if (user := db.session().get(User, user_id)) is not None:
            audit.record(db.session(), "session_expired", actor=user, account=user.username)
        return None
    if not isinstance(seen, int) or now - seen >= SEEN_RESOLUTION:
        session[SEEN] = now
    return user_id


def current_user() -> User | None:
    """The logged-in user (session cookie) or the token's user (Authorization: Bearer ...)."""
    if "user" in g:
        return g.user
    user: User | None = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = _user_from_bearer(header)
    elif (user_id := _session_user_id()) is not None:
        user = _session_user(user_id)
    g.user = user
    return user


def _session_user(user_id: int) -> User | None:
    """The session's active user, unless their password changed since the session was opened:
    then the session ends (a reset by an administrator logs a stolen session out)."""
    user = db.session().get(User, user_id)
    if user is None or not user.active:
        return None
    if PASSWORD_STAMP not in session:  # opened before sessions carried the stamp: it takes it now
        session[PASSWORD_STAMP] = password_stamp(user)
    if not hmac.compare_digest(str(session[PASSWORD_STAMP]), password_stamp(user)):
        session.clear()
        g.session_ended = PASSWORD_CHANGED
        audit.record(
            db.session(),
            "session_expired",
            actor=user,
            account=user.username,
            detail={"reason": PASSWORD_CHANGED},
        )
        return None
    return user


def require_user(*roles: str, refusal: str | None = None) -> User:
    """The caller, logged in (else 401) with one of `roles` (any role when none is named; else 403,
    with `refusal` for its message when one is given). The API's endpoints check it through
    `Blueprint.requires` (service/extensions.py), before they read what was sent."""
    user = current_user()
    if user is None and g.get("session_ended") == IDLE:
        raise Unauthorized(
            t(
                "Your session ended after {minutes} minutes without activity; log in again.",
                minutes=current_app.config["SESSION_IDLE_MINUTES"],
            )
        )
    if user is None and g.get("session_ended") == PASSWORD_CHANGED:
        raise Unauthorized(t("Your password was changed since you logged in; log in again."))
    if user is None:
        raise Unauthorized(t("Log in, or send an API token as 'Authorization: Bearer <token>'."))
    if roles and user.role not in roles:
        # The roles by their names (分拨员、系统管理员 / Dispatcher, Administrator), as people read them.
        names = [ROLE_NAMES.get(role, role) for role in roles]
        raise Forbidden(refusal or t("This needs one of the roles: {roles}.", roles=names))
    return user
