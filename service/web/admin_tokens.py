"""API 令牌 of one account: list (label, created, last used, revoked), create one (shown once),
revoke one. The page form of `minyi tokens list|create|revoke`, with the same operations."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from service import db
from service.auth.models import ApiToken
from service.auth.operations import create_token, revoke_token, tokens_of
from service.auth.security import current_user
from service.errors import Conflict
from service.web.access import ADMIN_ROLES, login_required
from service.web.admin import _user_or_404
from service.web.blueprint import bp
from service.web.helpers import FormErrors

LABEL_MAX = 100


def _render(
    user_id: int, errors: FormErrors | None = None, label: str = "", created: str | None = None
) -> Any:
    s = db.session()
    user = _user_or_404(s, user_id)
    status = 422 if errors else 201 if created else 200
    page = render_template(
        "admin/tokens.html",
        user=user,
        tokens=tokens_of(s, user),
        errors=errors or {},
        label=label,
        created=created,
    )
    # A new token is shown this once: no cache may keep the page.
    return page, status, ({"Cache-Control": "no-store"} if created else {})


@bp.get("/admin/users/<int:user_id>/tokens")
@login_required(roles=ADMIN_ROLES)
def admin_tokens(user_id: int) -> Any:
    return _render(user_id)


@bp.post("/admin/users/<int:user_id>/tokens")
@login_required(roles=ADMIN_ROLES)
def admin_token_create(user_id: int) -> Any:
    """新建令牌: for an integration acting as this account; the token is shown once, then only its hash is kept."""
    s = db.session()
    user = _user_or_404(s, user_id)
    label = request.form.get("label", "").strip()
    if not label:
        return _render(user_id, {"label": [_("请填写用途，如“微信公众号对接”。")]}, label)
    if len(label) > LABEL_MAX:
        return _render(user_id, {"label": [_("用途最多 %(n)s 个字符。", n=LABEL_MAX)]}, label)
    if not user.active:
        return _render(user_id, {"label": [_("账号已停用，不能新建令牌。")]}, label)
    return _render(user_id, created=create_token(s, user, label, actor=current_user()))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required(roles=ADMIN_ROLES)
def admin_token_revoke(token_id: int) -> Any:
    """吊销: the token stops working at once."""
    s = db.session()
    token = s.get(ApiToken, token_id)
    if token is None:
        abort(404)
    try:
        revoke_token(s, token, actor=current_user())
    except Conflict:
        flash(_("令牌 %(id)s 已吊销，无需重复操作。", id=token.id), "warning")
    else:
        flash(
            _(
                "已吊销令牌 %(id)s（%(label)s），使用它的对接将无法再调用接口。",
                id=token.id,
                label=token.label,
            ),
            "success",
        )
    return redirect(url_for("web.admin_tokens", user_id=token.user_id))
