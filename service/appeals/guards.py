"""Guards shared by every change to an appeal: the version the caller saw, and the state a
refused caller is shown (the 409's `current`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from service.appeals import status as st
from service.appeals.models import Appeal
from service.errors import Conflict
from service.text import t


def current_state(appeal: Appeal) -> dict[str, Any]:
    """The appeal's state for a refused caller: its status label in the language Accept-Language
    asks for, else Chinese, like the labels of every answer (the envelope's message keeps its own
    rule, `service.errors`)."""
    return {
        "status": appeal.status,
        "status_label": _in_asked_language(st.STATUS_LABELS[appeal.status]),
        "version": appeal.version,
    }


def _in_asked_language(label: str) -> str:
    if not has_request_context():  # a job's refusal: as it is
        return label
    # the pages' package and its catalogues: not at import time (it imports the appeals' modules)
    from service.i18n import DEFAULT_LANGUAGE, asked_language, vocabulary_label

    return vocabulary_label(label, asked_language() or DEFAULT_LANGUAGE)


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
