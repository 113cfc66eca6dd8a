"""Guards shared by every change to an appeal: the version the caller saw, and the state a
refused caller is shown (the 409's `current`)."""

from __future__ import annotations

from typing import Any

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
