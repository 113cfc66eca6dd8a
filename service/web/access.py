"""Who may open which page: the session log-in, `login_required`, and the role-aware nav.

The pages share the JSON API's session (`session["user_id"]`, read by
`service.auth.security.current_user`), so a user logged in on the pages is logged in on the API
too, and the other way round.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from service.auth.models import User
from service.auth.security import IDLE, PASSWORD_CHANGED, current_user, end_session, start_session
from service.knowledge.operations import READERS as KNOWLEDGE_READERS
from service.web.flashes import flash
from service.web.labels import N_

F = TypeVar("F", bound=Callable[..., Any])

# Which roles use each area. The nav and the views' `login_required(roles=...)` read the same
# tuples, so a link is shown exactly when its page opens.
CONSOLE_ROLES = ("operator", "dispatcher", "admin")  # 话务员 console: log calls
CENTRE_ROLES = ("dispatcher", "reviewer", "leader", "admin")  # 分拨中心: work lists and actions
UNIT_ROLES = ("unit_staff",)  # 承办单位 workbench: a unit's own appeals
FIGURES_ROLES = ("leader", "dispatcher", "reviewer", "admin")  # 统计: the leaders' figures
ADMIN_ROLES = ("admin",)
KNOWLEDGE_ROLES = KNOWLEDGE_READERS  # 知识库: every member of the staff reads it

#: Set in the session by the pages' log-in: API writes on this session must carry X-CSRFToken.
PAGES_SESSION_FLAG = "pages"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy string, translated when rendered
    roles: tuple[str, ...] | None  # None: a public page, shown to visitors who are not logged in


NAV: tuple[NavItem, ...] = (
    NavItem("web.console", _l("话务台"), CONSOLE_ROLES),
    NavItem("web.centre", _l("分拨中心"), CENTRE_ROLES),
    NavItem("web.unit", _l("承办单位工作台"), UNIT_ROLES),
    NavItem("web.figures", _l("统计分析"), FIGURES_ROLES),
    NavItem("web.knowledge", _l("知识库"), KNOWLEDGE_ROLES),
    NavItem("web.admin", _l("系统管理"), ADMIN_ROLES),
    NavItem("web.portal", _l("群众诉求"), None),
)


def nav_items(user: User | None) -> list[NavItem]:
    """The links `user` may follow: their role's areas, or the citizens' portal for visitors."""
    if user is None:
        return [item for item in NAV if item.roles is None]
    return [item for item in NAV if item.roles is not None and user.role in item.roles]


#: Roles whose landing page is not their first area: leaders read the figures first.
HOME: dict[str, str] = {"leader": "web.figures"}


def home_endpoint(user: User) -> str:
    """Where a user lands after logging in: their role's home, else the first area of their role."""
    if user.role in HOME:
        return HOME[user.role]
    items = nav_items(user)
    return items[0].endpoint if items else "web.index"


def log_in(user: User) -> None:
    """Start a fresh session for `user` (a new session, so a planted one cannot be kept)."""
    start_session(user)
    session[PAGES_SESSION_FLAG] = True


def log_out() -> None:
    end_session()


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (no scheme, no host, not `//evil`), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def login_required(roles: Iterable[str] | None = None) -> Callable[[F], F]:
    """Page decorator: a visitor is sent to the log-in page (with `next`); a wrong role gets 403.

    `@login_required()` admits any logged-in user; `@login_required(roles=CENTRE_ROLES)` only those
    roles. An htmx request is answered 401 with `HX-Redirect`, so htmx loads the log-in page
    instead of swapping it into a fragment.
    """
    allowed = tuple(roles) if roles is not None else None

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if g.get("session_ended") == IDLE:
                    minutes = current_app.config["SESSION_IDLE_MINUTES"]
                    flash(
                        N_("您已超过 %(minutes)s 分钟未操作，已自动退出，请重新登录。"),
                        "info",
                        minutes=minutes,
                    )
                elif g.get("session_ended") == PASSWORD_CHANGED:
                    flash(N_("您的密码已更改，此前的登录已失效，请用新密码重新登录。"), "info")
                target = request.full_path if request.query_string else request.path
                login_url = url_for("web.login", next=target)
                if request.headers.get("HX-Request"):
                    return "", 401, {"HX-Redirect": login_url}
                return redirect(login_url)
            if allowed is not None and user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
