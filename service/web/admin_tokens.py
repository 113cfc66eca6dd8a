"""API 令牌 of one account: list (label, created, last used, revoked), create one (shown once),
revoke one. The page form of `minyi tokens list|create|revoke`, with the same operations."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from service import db
from service.auth.models import ApiToken
from service.auth.operations import create_token, create_token_for_form, revoke_token, tokens_of
from service.auth.security import current_user
from service.errors import Conflict
from service.web.access import ADMIN_ROLES, login_required
from service.web.admin import _user_or_404
from service.web.blueprint import bp
from service.web.flashes import flash, page_text
from service.web.helpers import FormErrors
from service.web.intake_form import posted_key
from service.web.labels import N_

LABEL_MAX = 100
#: The new-token form's own key: the page that shows a new token answers a POST, so reloading it
#: (or a double click) would send the form again and make a second token nobody saw.
KEY_FIELD = "form_key"


def _render(
    user_id: int,
    errors: FormErrors | None = None,
    label: str = "",
    created: str | None = None,
    form_key: str = "",
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
        form_key=form_key or secrets.token_hex(16),  # kept while the form is shown again with errors
    )
    # A new token is shown this once: no cache keeps the page, as no staff page (service/web/blueprint.py).
    return page, status


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
    key = posted_key(request.form, KEY_FIELD)
    if not label:
        return _render(user_id, {"label": [_("请填写用途，如“微信公众号对接”。")]}, label, form_key=key)
    if len(label) > LABEL_MAX:
        return _render(user_id, {"label": [_("用途最多 %(n)s 个字符。", n=LABEL_MAX)]}, label, form_key=key)
    if not user.active:
        return _render(user_id, {"_form": [_("账号已停用，不能新建令牌。")]}, label, form_key=key)
    actor = current_user()
    if not key:  # a form of another page, or tampered: no reload guard, a token all the same
        return _render(user_id, created=create_token(s, user, label, actor=actor))
    created = create_token_for_form(s, user, label, key, actor=actor)
    if created is None:
        flash(
            N_(
                "这张表单已经提交过：令牌已在第一次提交时新建并显示，不再重复新建。"
                "如未保存那个令牌，请吊销它后重新新建。"
            ),
            "warning",
        )
        return redirect(url_for("web.admin_tokens", user_id=user_id))
    return _render(user_id, created=created)


def token_name(token: ApiToken) -> dict[str, Any]:
    """令牌 6（微信公众号对接）, or 令牌 6 for a token made without a purpose (never empty
    brackets), as a page text for a flash."""
    name = page_text(N_("令牌 %(id)s"), id=token.id)
    return page_text(N_("%(text)s（%(note)s）"), text=name, note=token.label) if token.label else name


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required(roles=ADMIN_ROLES)
def admin_token_revoke(token_id: int) -> Any:
    """吊销: GET names the token, its account and the integration that will be cut off; POST (the
    confirmation) revokes it, and it stops working at once. Without script, as 停用 is."""
    s = db.session()
    token = s.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if request.method == "GET":
        return render_template("admin/token_revoke.html", token=token)
    try:
        revoke_token(s, token, actor=current_user())
    except Conflict:
        flash(N_("%(token)s 已吊销，无需重复操作。"), "warning", token=token_name(token))
    else:
        flash(N_("已吊销%(token)s，使用它的对接将无法再调用接口。"), "success", token=token_name(token))
    return redirect(url_for("web.admin_tokens", user_id=token.user_id))
