"""User and token management. Operations flush; the caller commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.auth.models import ROLES, ApiToken, User
from service.auth.security import hash_password, new_token
from service.errors import Conflict, ValidationFailed
from service.lists.models import Unit


def create_user(
    s: Session,
    username: str,
    role: str,
    password: str | None = None,
    unit_code: str | None = None,
    display_name: str = "",
) -> User:
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"Unknown role {role!r}; one of {', '.join(ROLES)}."]
    if role == "unit_staff" and not unit_code:
        errors["unit"] = ["Unit staff must be bound to a unit (--unit CODE)."]
    if role != "unit_staff" and unit_code:
        errors["unit"] = ["Only unit staff are bound to a unit."]
    if unit_code and s.get(Unit, unit_code) is None:
        errors["unit"] = [f"Unknown unit {unit_code!r}."]
    if not username or len(username) > 64:
        errors["username"] = ["1 to 64 characters."]
    if password is not None and len(password) < 8:
        errors["password"] = ["At least 8 characters."]
    if errors:
        raise ValidationFailed("Invalid user.", errors)
    if s.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username!r} exists already.")
    user = User(
        username=username,
        role=role,
        unit_code=unit_code,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
    )
    s.add(user)
    s.flush()
    return user


def create_token(s: Session, user: User, label: str = "") -> str:
    """Create an API token for `user`; returns the token itself, which is never stored."""
    token, digest = new_token()
    s.add(ApiToken(user_id=user.id, token_hash=digest, label=label))
    s.flush()
    return token
