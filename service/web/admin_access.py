"""个人信息查看记录: who saw a citizen's unmasked personal data, the page form of
`GET /api/v1/admin/personal-data-access` (service/appeals/access_log.py), with the same query."""

from __future__ import annotations

from typing import Any

from flask import current_app

from service.appeals.access_log import AccessArgs, access_page
from service.web.access import ADMIN_ROLES, login_required
from service.web.admin_logs import log_page
from service.web.blueprint import bp


@bp.get("/admin/access")
@login_required(roles=ADMIN_ROLES)
def admin_access() -> Any:
    """The access records, newest first, filtered by appeal number, username and days."""
    return log_page(
        "admin/access.html",
        AccessArgs(),
        ("appeal", "user", "since", "until"),
        lambda s, args: access_page(s, args, current_app.config["TZ"]),
    )
