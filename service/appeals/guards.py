"""Guards shared by every change to an appeal: the version the caller saw, and the state a
refused caller is shown (the 409's `current`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request

from service.appeals import status as st
from service.appeals.models import Appeal
from service.errors import Conflict
from service.text import t


def current_state(appeal: Appeal) -> dict[str, Any]:
    return {
        "status": appeal.status,
        "status_label": st.STATUS_LABELS[appeal.status],
        "version": appeal.version,
    }


def check_version(appeal: Appeal, expected_version: int | None) -> None:
    """The caller saw the appeal as it is now (when they say which version they saw), else 409."""
    if expected_version is not None and expected_version != appeal.version:
        raise Conflict(
            t(
                "Appeal {number} was changed meanwhile (version {version}, you sent {sent}).",
                number=appeal.number,
                version=appeal.version,
                sent=expected_version,
            ),
            current=current_state(appeal),
        )


def current_of_request() -> dict[str, Any] | None:
    """The current state of the appeal the request names (`<number>` in its URL), freshly read.

    For a 409 raised by the optimistic lock itself (another transaction committed between our read
    and our write): the caller's session is rolled back and the committed state read again, so the
    loser is shown what the winner left, like every other 409.
    """
    from service import db

    number = (request.view_args or {}).get("number")
    if not number:
        return None
    s = db.session()
    s.rollback()
    appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
    return current_state(appeal) if appeal is not None else None
