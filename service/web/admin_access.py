"""个人信息查看记录: who saw a citizen's unmasked personal data, the page form of
`GET /api/v1/admin/personal-data-access` (service/appeals/access_log.py), with the same query."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from service.appeals.access_log import AccessArgs, access_page
from service.web.access import ADMIN_ROLES, login_required
from service.web.admin_logs import log_page
from service.web.blueprint import bp

#: How the personal data was seen (the access log's ACTIONS), as the page names it.
ACTION_LABELS: dict[str, Any] = {
    "view": _l("查看完整信息"),
    "export": _l("导出数据"),
    "print": _l("已打印答复函"),
    "print_receipt": _l("已打印受理回执"),
}


@bp.get("/admin/access")
@login_required(roles=ADMIN_ROLES)
def admin_access() -> Any:
    """The access records, newest first, filtered by appeal number, username, action and days."""
    return log_page(
        "admin/access.html",
        AccessArgs(),
        ("appeal", "user", "action", "since", "until"),
        lambda s, args: access_page(s, args, current_app.config["TZ"]),
        action_labels=ACTION_LABELS,
    )
