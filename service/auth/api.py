"""Session log-in for pages and the browser; integrations use Bearer tokens instead."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from service import db
from service.auth.models import ROLES, User
from service.auth.operations import authenticate
from service.auth.security import end_session, start_session
from service.errors import Unauthorized
from service.extensions import Blueprint, limiter
from service.fields import Label
from service.text import t

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log-in")


class LoginIn(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class MeOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    role_label = Label()
    unit = fields.String(attribute="unit_code", allow_none=True)


def _me(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": ROLES[user.role],
        "unit_code": user.unit_code,
    }


@blp.post("/login")
@limiter.limit("20/minute")
@blp.arguments(LoginIn)
@blp.response(200, MeOut)
@blp.refusal(401, "Wrong username or password, or the account is deactivated.")
@blp.rate_limited(
    "Too many log-ins from this client, or this username locked after wrong passwords "
    "(MINYI_LOGIN_MAX_FAILURES)."
)
def login(data: dict[str, Any]) -> dict[str, Any]:
    """Log in with a username (in any case) and password; the session cookie is set."""
    user = authenticate(db.session(), data["username"], data["password"])
    if user is None:
        raise Unauthorized(t("Wrong username or password."))
    start_session(user)
    return _me(user)


@blp.post("/logout")
@blp.response(204)
def logout() -> None:
    """Log out."""
    end_session()


@blp.get("/me")
@blp.requires()
@blp.response(200, MeOut)
def me(user: User) -> dict[str, Any]:
    """Who is logged in."""
    return _me(user)
