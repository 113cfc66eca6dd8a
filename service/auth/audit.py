"""The security audit log (安全审计, GB/T 22239-2019 等保2.0 8.1.4.3): who logged in or failed to,
logged out, had a session ended for idleness, and who changed which account or API token; when,
from which address, and whether it succeeded. Administrators read it:
`GET /api/v1/admin/security-events` and the page /admin/security (service/web/admin_security.py).

`record` adds an event to the operation's session, like any row an operation writes. A refusal
is worth recording too (a wrong password, a locked account), but a refused request rolls back
what it wrote; so the request boundary writes those events of a refused request again on their
own (`keep_after_rollback`), and nothing else of that request. Only those that are true whatever
became of the request: a refusal, a session ended (its cookie is cleared all the same). An account
or token change rolled back did not happen, and is not recorded as if it had.
"""

from __future__ import annotations

import getpass
import logging
from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service import db, validate
from service.auth.models import SecurityEvent, User, username_key
from service.extensions import Blueprint
from service.fields import CleanText
from service.paging import LogArgs, page_of, page_schema, within

log = logging.getLogger(__name__)

blp = Blueprint(
    "security_events", __name__, url_prefix="/api/v1/admin", description="Security audit log (安全审计)"
)

#: What is recorded, with the label the page shows (service/web/admin_security.py translates them).
KINDS = (
    # refused: detail.reason wrong_password | unknown_user (account masked) | inactive | locked (with
    # detail.lock: client | account, see service/auth/lockout.py); detail.locked_now: client |
    # account when this failure set a lock (the client's address is the event's ip)
    "login",
    "login_unlocked",  # 解除锁定 by an administrator: detail.clients (addresses), detail.account_wide
    "logout",
    "session_expired",
    "user_created",
    "user_deactivated",
    "user_reactivated",
    "user_renamed",
    "password_reset",
    "password_changed",  # by the account's owner; refused: detail.reason as for "login"
    "token_created",
    "token_revoked",
)
OK, REFUSED = "ok", "refused"
_PENDING = "security_events"
#: The actor of what a command did (`minyi users ...`, `minyi tokens ...`); the page translates it.
COMMAND_LINE = "command line"
#: Events that stand when their request is refused and rolled back (with every refusal).
_STAND_ALONE = frozenset({"logout", "session_expired"})


def record(
    s: Session,
    kind: str,
    *,
    outcome: str = OK,
    actor: User | None = None,
    account: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add a security event: `actor` did `kind` to `account` (the username concerned)."""
    values = {
        "at": db.utcnow(),
        "kind": kind,
        "outcome": outcome,
        "actor_id": actor.id if actor is not None else None,
        "actor_name": actor.username if actor is not None else _who_else(),
        "account": account[:64],
        "ip": (request.remote_addr or "")[:64] if has_request_context() else "",
        "detail": detail or {},
    }
    s.add(SecurityEvent(**values))
    if has_request_context() and (outcome == REFUSED or kind in _STAND_ALONE):
        g.setdefault(_PENDING, []).append(values)


def _who_else() -> str:
    """The actor when no user is: a request without one (a log-in attempt) or a command line."""
    if has_request_context():
        return ""
    try:
        return f"{COMMAND_LINE} ({getpass.getuser()})"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return COMMAND_LINE


def keep_after_rollback(s: Session) -> None:
    """The request was refused and rolled back: write its security events again, alone."""
    pending = g.pop(_PENDING, None)
    if not pending:
        return
    try:
        s.add_all(SecurityEvent(**values) for values in pending)
        s.commit()
    except SQLAlchemyError:
        s.rollback()
        log.exception("security events of a refused request not stored")


# ---- reading it ---------------------------------------------------------------------------------


class SecurityArgs(LogArgs):
    account = CleanText(max_length=64, metadata={"description": "the username concerned (any case)"})
    actor = CleanText(max_length=64, metadata={"description": "who did it: a username (any case)"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    outcome = fields.String(validate=validate.OneOf((OK, REFUSED)))


class SecurityEventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    outcome = fields.String()
    actor = fields.String(metadata={"description": "a username, or what acted without one"})
    account = fields.String()
    ip = fields.String()
    detail = fields.Dict()


SecurityPageOut = page_schema(SecurityEventOut, "SecurityPage")


def events(args: dict[str, Any], tz: tzinfo) -> sa.Select[Any]:
    """The events matching `args` (SecurityArgs)."""
    query = sa.select(SecurityEvent)
    if v := args.get("account"):
        query = query.where(sa.func.lower(SecurityEvent.account) == username_key(v.strip()))
    if v := args.get("actor"):
        query = query.where(sa.func.lower(SecurityEvent.actor_name) == username_key(v.strip()))
    if v := args.get("kind"):
        query = query.where(SecurityEvent.kind == v)
    if v := args.get("outcome"):
        query = query.where(SecurityEvent.outcome == v)
    return within(query, SecurityEvent.at, args, tz)


def _view(row: Any) -> dict[str, Any]:
    e = row[0]
    return {
        "id": e.id,
        "at": e.at,
        "kind": e.kind,
        "outcome": e.outcome,
        "actor": e.actor_name,
        "account": e.account,
        "ip": e.ip,
        "detail": e.detail,
    }


def events_page(s: Session, args: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """One page of the events matching `args`, newest first, with the total."""
    order = (SecurityEvent.at.desc(), SecurityEvent.id.desc())
    return page_of(s, events(args, tz), order, args["page"], args["per_page"], _view)


@blp.route("/security-events")
class SecurityEvents(MethodView):
    @blp.requires("admin")
    @blp.arguments(SecurityArgs, location="query")
    @blp.response(200, SecurityPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The security audit log, newest first: log-ins (refused ones with why), log-outs, idle
        sessions ended, account and token changes. Administrators only."""
        return events_page(db.session(), args, current_app.config["TZ"])
