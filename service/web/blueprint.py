"""The one blueprint of the pages, `web`: HTML at `/` and below (the JSON API lives under /api/v1).

Each area's views live in a module of their own (`console.py`, `centre.py`, ...), all adding to this
blueprint, so endpoints are `web.<view>` and `url_for("web.console")` works everywhere.
Static files are served at /assets/ (Flask's own /static belongs to the app).
"""

from __future__ import annotations

from flask import Blueprint, Response, g
from flask_wtf.csrf import CSRFProtect

#: Bound to the app in `service.web.init_app`, with WTF_CSRF_CHECK_DEFAULT off: it checks the
#: pages' forms only (below), never the JSON API.
csrf = CSRFProtect()

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


@bp.before_request
def _protect_page_forms() -> None:
    """Every POST/PUT/PATCH/DELETE to a page needs the form's `csrf_token` (or X-CSRFToken): else 400."""
    csrf.protect()


@bp.after_request
def _staff_pages_not_stored(response: Response) -> Response:
    """A page shown to a logged-in member of staff is not kept by the browser (`no-store`): appeal
    pages, the console's caller history and search results show citizens' names, phones and
    addresses, which Back or the disk cache of a shared office computer would hand to whoever comes
    next. Pages that set their own Cache-Control keep it; static files are not pages."""
    if (
        g.get("user") is not None
        and response.mimetype == "text/html"
        and "Cache-Control" not in response.headers
    ):
        response.headers["Cache-Control"] = "no-store"
    return response
