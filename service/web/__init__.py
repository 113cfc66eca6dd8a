"""Server-rendered pages: one blueprint (`web`), Jinja2 templates, vendored assets, no CDN.

`init_app` wires what the pages need into the app: languages (Flask-Babel), CSRF protection of the
page forms (Flask-WTF), template helpers, the role-aware nav, and HTML error pages for browsers.
Conventions for adding pages are in README.md beside this file.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, redirect, request, session
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from service import errors, i18n
from service.auth.security import current_user
from service.text import t
from service.web import helpers
from service.web.access import PAGES_SESSION_FLAG, nav_items
from service.web.blueprint import bp, csrf

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def init_app(app: Flask) -> None:
    # CSRF is checked on the pages' blueprint only (blueprint.py); the JSON API keeps
    # its own rule (`_protect_api_writes`), so Bearer-token clients never need a token.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # A token lives as long as the session: an operator's form left open for hours still posts.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    i18n.init_app(app)
    helpers.init_app(app)

    from service.web import admin, centre, console, figures, knowledge, pages, portal, unit  # noqa: F401  (routes)

    app.register_blueprint(bp)
    app.before_request(_protect_api_writes)
    app.after_request(_remember_asked_language)
    app.context_processor(_page_context)
    app.register_error_handler(404, _page_error)
    app.register_error_handler(405, _page_error)


def _protect_api_writes() -> Any:
    """A write to the JSON API on a session opened by the pages' log-in must carry X-CSRFToken.

    The page scripts (static/js/minyi.js) send it on every htmx and `minyi.fetchJSON` request.
    Bearer-token clients carry no cookie, so they are not exposed to CSRF and need no token;
    sessions opened with POST /api/v1/auth/login keep the API's own defences (SameSite=Lax
    cookie, JSON bodies only).
    """
    if request.method in _SAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    if not session.get(PAGES_SESSION_FLAG):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        return errors.error_response(
            403,
            t("This session needs the page's CSRF token in the X-CSRFToken header."),
            error=errors.CSRF_FAILED,
        )
    return None


def _remember_asked_language(response: Response) -> Response:
    """A page opened with `?lang=en` (a link handed out, a bookmark) keeps that language for the
    pages its links and forms lead to, as the header's 中文/English toggle does: the same cookie.
    Not on the JSON API, whose language is Accept-Language's (`i18n.api_language`)."""
    code = request.args.get("lang")
    if (
        code in i18n.LANGUAGES
        and request.cookies.get(i18n.LANG_COOKIE) != code
        and not request.path.startswith("/api/")
    ):
        i18n.remember_language(response, code)
    return response


def _page_context() -> dict[str, Any]:
    if request.path.startswith("/api/"):
        return {}
    user = current_user()
    lang = i18n.current_language()
    return {
        "current_user": user,
        "nav": nav_items(user),
        "lang": lang,
        "html_lang": i18n.LANGUAGES[lang][1],
        "languages": {code: spec[2] for code, spec in i18n.LANGUAGES.items()},
    }


def _page_error(exc: HTTPException) -> Any:
    """A browser asking for a page that does not exist, or in a way it does not answer, gets a page;
    API clients get the JSON envelope.

    A form's address opened again (reloaded after a refused form, bookmarked, shared) is a GET on a
    POST-only URL: the browser goes to the page the form belongs to (the appeal, the portal's
    appeal page) when there is one, else reads the error page.
    """
    from service.web.pages import render_error

    if request.blueprint != "web" and (
        request.path.startswith("/api/") or request.accept_mimetypes.best != "text/html"
    ):
        return errors.handle_http_exception(exc)
    if exc.code == 405 and request.method == "GET" and (page := _page_of_form(request.path)):
        return redirect(page, 303)
    body, status = render_error(exc.code or 500)
    return body, status, [(k, v) for k, v in exc.get_headers() if k == "Allow"]  # 405 says what is allowed


def _page_of_form(path: str) -> str | None:
    parent = path.rstrip("/").rsplit("/", 1)[0] or "/"
    try:
        current_app.url_map.bind("").match(parent, method="GET")
    except HTTPException:
        return None
    return parent
