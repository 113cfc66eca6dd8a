"""Languages of the pages and of the JSON API: Simplified Chinese by default on the pages, English
on request; English by default in the API's messages. Here, not in `service.web`, because the API
says its labels and refusals in a language too; the catalogues are the pages'
(`service/web/translations`).

The message ids are the Chinese texts themselves (`_("登录")`), so Chinese needs no catalogue and
a page always reads correctly in Chinese even if a catalogue is missing. English comes from
`web/translations/en/LC_MESSAGES/messages.po` (see service/web/README.md for extracting and
updating it).

The domain operations' messages are English (`service.text`), and so are the messages of the
libraries behind the API (werkzeug, marshmallow, webargs: `service.library_text`); `localize` shows
them in a language, through the `errors` domain, whose only catalogue is Chinese:
`web/translations/zh/LC_MESSAGES/errors.po`. The pages use it in the page language; the JSON API's error
envelope (service/errors.py) in `api_language`, which is English unless Accept-Language prefers
Chinese.

Compiled catalogues (.mo) are build products and are not committed: `compile_catalogues` turns each
.po into a .mo under `<VAR_DIR>/translations/` when the app starts, whenever the .mo is missing or
older than its .po, writing to a temporary file and renaming it, so gunicorn workers starting at the
same time never read a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, after_this_request, current_app, request
from flask_babel import Babel, Domain, force_locale
from flask_babel import gettext as page_gettext  # the pages' catalogue (messages.po)

from dispatch.deadlines import deadline_text
from service.text import Text

SOURCE_DIR = Path(__file__).resolve().parent / "web" / "translations"

#: The languages of the toggle: code → (locale given to Babel, HTML lang attribute, own name).
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "zh": ("zh_Hans_CN", "zh-CN", "中文"),
    "en": ("en", "en", "English"),
}
DEFAULT_LANGUAGE = "zh"
#: The JSON API's language when the client asks for none it has: the language its messages are made in.
API_LANGUAGE = "en"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()
#: The domain operations' English messages, translated (Chinese only: English needs no catalogue).
errors_domain = Domain(domain="errors")
#: How the items of a list inside a message are joined, per language.
LIST_SEPARATORS = {"zh": "、", "en": ", "}
#: How the clauses of one description are joined ("密码错误；本来源地址已被锁定"), per language.
CLAUSE_SEPARATORS = {"zh": "；", "en": "; "}
#: How the words of a text made of parts are joined ("2天3小时", "2 d 3 h"), per language.
WORD_SEPARATORS = {"zh": "", "en": " "}


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every `<lang>/LC_MESSAGES/*.po` under `source` into the same layout under `target`.

    Only stale or missing .mo files are written; returns the ones written.
    """
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as f:
            catalog = read_po(f)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def current_language() -> str:
    """The page language: `?lang=` on this request, else the `lang` cookie, else Accept-Language."""
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def remember_language(response: Response, code: str) -> None:
    """Keep `code` as the page language of the browser's next requests: the `lang` cookie that
    `current_language` reads after `?lang=`. Set by the 中文/English toggle (`/lang/<code>`) and by
    any page opened with `?lang=`, so that the links and forms of an English page stay English."""
    response.set_cookie(
        LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True, path="/"
    )


def asked_language() -> str | None:
    """The language the request's Accept-Language prefers among the service's (zh, zh-CN, zh-Hans…
    or en), or None when it names none of them (no header, only `*`, only others).

    Read by the primary subtag, best first (werkzeug's `best_match` prefers an exact "en" at q=0.5
    to "zh-CN" at q=0.8)."""
    for tag, quality in request.accept_languages:  # best first
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
        if quality > 0 and primary == "*":  # any language will do
            return None
    return None


def api_language() -> str:
    """The language of the JSON API's messages: Chinese when the request's Accept-Language prefers it
    (zh, zh-CN, zh-Hans…) to English, else English. Not the page language: `?lang=` and the `lang`
    cookie are the pages' toggle, and a program that asks for no language reads what it always read."""
    return asked_language() or API_LANGUAGE


_RESPONSE_LANGUAGE = "minyi.response_language"


def response_language() -> str:
    """The language of a JSON answer that carries texts the service recorded in Chinese (the
    timeline's messages, the events' notes): the one Accept-Language asks for, else Chinese, as
    stored, so that a program that asks for no language reads what it always read. The answer
    says which (`Content-Language`) and that it varies by Accept-Language (`Vary`). The labels of
    the service's vocabulary beside them follow it too (`vocabulary_label`, `service.fields.Label`)."""
    # Decided once per request, however many labels the answer holds (in the request's environ:
    # `g` lives as long as the app context, which a test or a CLI may keep across requests).
    if _RESPONSE_LANGUAGE in request.environ:
        return str(request.environ[_RESPONSE_LANGUAGE])
    language = request.environ[_RESPONSE_LANGUAGE] = asked_language() or DEFAULT_LANGUAGE

    @after_this_request
    def _language_said(response: Response) -> Response:
        response.vary.add("Accept-Language")
        response.headers["Content-Language"] = LANGUAGES[language][1]
        return response

    return language


def vocabulary_label(label: str, language: str) -> str:
    """A label of the service's own vocabulary (a status 待分拨, a step of the citizen's timeline
    诉求已受理, a role, a work list, a rate) in `language`. The labels are page texts: Chinese msgids,
    their English in messages.po. In Chinese, or when the catalogue has no such text, as it is."""
    if not label or language == DEFAULT_LANGUAGE:
        return label
    with force_locale(LANGUAGES[language][0]):
        return page_gettext(label)


def localize(message: str, language: str | None = None) -> str:
    """A message of the service (a `Text`) or of a library it uses (English text the `errors`
    catalogue holds) in `language`, by default the page language; any other text as it is."""
    language = language or current_language()
    with force_locale(LANGUAGES[language][0]):  # the catalogue of `language`, whatever the page's
        gettext = errors_domain.get_translations().gettext
    if isinstance(message, Text):
        return message.translated(gettext, LIST_SEPARATORS[language], _shown)
    return gettext(str(message)) if message else str(message)


def _shown(value: Any) -> str:
    """A value inside a message as the pages show it: a time as the pages show deadlines (the
    deadlines in messages are such; any time but local midnight reads as it is)."""
    return deadline(value) if isinstance(value, datetime) else str(value)


def deadline(value: datetime | None) -> str:
    """A deadline on a page: "2026-12-23 24:00" for the end of the 23rd, as the notices say it."""
    if value is None:
        return ""
    return deadline_text(value, current_app.config["TZ"])


def _select_locale() -> str:
    return LANGUAGES[current_language()][0]


def init_app(app: Flask) -> None:
    target = Path(app.config["VAR_DIR"]) / "translations"
    compile_catalogues(SOURCE_DIR, target)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(target))
    babel.init_app(
        app,
        default_locale=LANGUAGES[DEFAULT_LANGUAGE][0],
        default_timezone=app.config["TIMEZONE"],
        locale_selector=_select_locale,
    )
