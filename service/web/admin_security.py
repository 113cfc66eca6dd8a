"""安全审计: the security audit log, the page form of `GET /api/v1/admin/security-events`
(service/auth/audit.py), with the same query."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _

from service.auth.audit import COMMAND_LINE, OK, REFUSED, SecurityArgs, events_page
from service.i18n import CLAUSE_SEPARATORS, current_language
from service.web.access import ADMIN_ROLES, login_required
from service.web.admin_logs import log_page
from service.web.blueprint import bp
from service.web.helpers import listed, role_label
from service.web.labels import N_

KIND_LABELS = {
    "login": N_("登录"),
    "login_unlocked": N_("解除登录锁定"),
    "logout": N_("退出登录"),
    "session_expired": N_("超时自动退出"),
    "user_created": N_("账号已创建"),
    "user_deactivated": N_("停用账号"),
    "user_reactivated": N_("启用账号"),
    "user_renamed": N_("修改姓名"),
    "password_reset": N_("重置密码"),
    "password_changed": N_("修改密码"),
    "token_created": N_("新建 API 令牌"),
    "token_revoked": N_("吊销 API 令牌"),
}
REASON_LABELS = {
    "wrong_password": N_("密码错误"),
    "unknown_user": N_("用户名不存在"),
    "inactive": N_("账号已停用"),
    "locked": N_("账号锁定中"),
    "password_changed": N_("密码已更改，此前的登录失效"),
}

#: Which lock refused a log-in (detail.lock), or which one a failure set (detail.locked_now;
#: `true` in events recorded before there were two).
LOCK_LABELS = {"client": N_("本来源地址已被锁定"), "account": N_("所有来源均已被锁定")}
LOCKED_NOW_LABELS = {
    "client": N_("失败次数达到上限，该来源地址对此账号锁定"),
    "account": N_("所有来源合计失败次数达到上限，账号对所有人锁定"),
    True: N_("失败次数达到上限，账号已锁定"),
}


def describe(event: dict[str, Any]) -> str:
    """What the detail of an event says, in the page language."""
    detail = event["detail"] or {}
    parts = []
    if reason := detail.get("reason"):
        parts.append(_(REASON_LABELS.get(reason, reason)))
    if scope := detail.get("lock"):
        parts.append(_(LOCK_LABELS.get(scope, scope)))
    if locked_now := detail.get("locked_now"):
        parts.append(_(LOCKED_NOW_LABELS.get(locked_now, LOCKED_NOW_LABELS[True])))
    if clients := detail.get("clients"):
        parts.append(_("来源地址：%(addresses)s", addresses=listed(clients)))
    if detail.get("account_wide"):
        parts.append(_("所有来源（账号级锁定）"))
    if "label" in detail:
        parts.append(_("令牌 %(id)s（%(label)s）", id=detail.get("token"), label=detail["label"]))
    if "role" in detail:
        role = _("角色：%(role)s", role=role_label(detail["role"]))
        parts.append(role + (f" · {detail['unit']}" if detail.get("unit") else ""))
    if "to" in detail:
        parts.append(_("姓名：%(before)s → %(after)s", before=detail.get("from", ""), after=detail["to"]))
    return CLAUSE_SEPARATORS[current_language()].join(parts)


def actor_label(event: dict[str, Any]) -> str:
    """Who acted, in the page language: a username as it is; the command line (stored as
    "command line" or "command line (<system user>)", see audit._who_else) translated."""
    actor = event["actor"] or ""
    if actor == COMMAND_LINE or actor.startswith(f"{COMMAND_LINE} ("):
        system_user = actor.removeprefix(COMMAND_LINE).strip().removeprefix("(").removesuffix(")")
        return _("命令行（%(user)s）", user=system_user) if system_user else _("命令行")
    return actor


@bp.get("/admin/security")
@login_required(roles=ADMIN_ROLES)
def admin_security() -> Any:
    """The events, newest first, filtered by account, actor, kind, outcome and days."""
    return log_page(
        "admin/security.html",
        SecurityArgs(),
        ("account", "actor", "kind", "outcome", "since", "until"),
        lambda s, args: events_page(s, args, current_app.config["TZ"]),
        kinds=[("", _("全部"))] + [(k, _(label)) for k, label in KIND_LABELS.items()],
        outcomes=[("", _("全部")), (OK, _("成功")), (REFUSED, _("被拒绝"))],
        kind_label=lambda kind: _(KIND_LABELS.get(kind, kind)),
        describe=describe,
        actor_label=actor_label,
    )
