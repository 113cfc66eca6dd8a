"""Flash messages kept as what to say, and said in the language of the page that shows them.

A flash is shown on a later request than the one that sets it, and the two may be in different
languages: a log-in in Chinese, then the next page asked for with `?lang=en`. So a flash is kept in
the session as its message id (a page text: Chinese, `N_`-marked so extraction finds it) and its
values, and translated by `flashed_messages` when the base layout shows it:

    flash(N_("已吊销令牌 %(id)s（%(label)s）。"), "success", id=token.id, label=token.label)

A value that is a page text itself is given as `page_text(msgid, ...)` (translated in turn); the
other values (names, numbers) are shown as they are. Values must be plain data (str, int): they
are kept in the session cookie.
"""

from __future__ import annotations

from typing import Any

import flask
from flask_babel import gettext


def page_text(msgid: str, /, **values: Any) -> dict[str, Any]:
    """A page text to be translated when shown: its msgid (`N_`-marked) and values."""
    return {"msgid": msgid, "values": values}


def flash(msgid: str, category: str, /, **values: Any) -> None:
    """Show `msgid` (with `values`) on the next page, in that page's language. Categories:
    `success`, `info`, `warning`, `error`."""
    flask.flash(page_text(msgid, **values), category)


def said(message: Any) -> str:
    """A kept message in the language of this request (anything else, e.g. a flash kept by an older
    version in a session still open, as it is)."""
    msgid = message.get("msgid") if isinstance(message, dict) else None
    if not isinstance(msgid, str):
        return str(message)
    values = {name: said(value) for name, value in (message.get("values") or {}).items()}
    return gettext(msgid, **values)  # a name, not a literal: extraction must not take it for a text


def flashed_messages() -> list[tuple[str, str]]:
    """The flashes kept for this page, as (category, message in the page language); read once."""
    return [
        (category, said(message)) for category, message in flask.get_flashed_messages(with_categories=True)
    ]
