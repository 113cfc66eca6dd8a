"""The pages every area shares: home, log-in, log-out, the language toggle, and error pages."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from service import db
from service.auth.lockout import AccountLocked
from service.auth.operations import authenticate, change_password
from service.auth.security import current_user, keep_session
from service.errors import DomainError, ValidationFailed
from service.extensions import limiter, seconds_to_reset
from service.i18n import LANGUAGES, remember_language
from service.web.access import home_endpoint, log_in, log_out, login_required, safe_next
from service.web.admin import password_errors
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.helpers import FormErrors, errors_of
from service.web.labels import N_


@bp.get("/")
def index() -> Any:
    """Staff go to their area; visitors see the portal's front page."""
    user = current_user()
    if user is not None:
        return redirect(url_for(home_endpoint(user)))
    return redirect(url_for("web.portal"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login() -> Any:
    """登录: username and password; a fresh session; then `next` or the role's area."""
    next_url = safe_next(request.values.get("next"))
    errors: FormErrors = {}
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username:
            errors["username"] = [_("请输入用户名。")]
        if not password:
            errors["password"] = [_("请输入密码。")]
        if not errors:
            try:
                user = authenticate(db.session(), username, password)
            except AccountLocked as locked:
                errors["password"] = [
                    _(
                        "登录失败次数过多，该账号已暂时锁定，请 %(minutes)s 分钟后再试。",
                        minutes=locked.minutes,
                    )
                ]
                page = render_template("auth/login.html", errors=errors, username=username, next=next_url)
                return page, 429, {"Retry-After": str(locked.seconds)}
            if user is not None:
                log_in(user)
                flash(N_("欢迎，%(name)s。"), "success", name=user.display_name or user.username)
                return redirect(next_url or url_for(home_endpoint(user)))
            # One message for both, so the form does not tell which usernames exist.
            errors["password"] = [_("用户名或密码不正确。")]
    status = 422 if errors else 200
    return render_template("auth/login.html", errors=errors, username=username, next=next_url), status


@bp.post("/logout")
def logout() -> Any:
    """退出: a POST (with the CSRF token), so a link or an image elsewhere cannot log anyone out."""
    log_out()
    flash(N_("您已退出登录。"), "info")
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
@login_required()
def change_own_password() -> Any:
    """修改密码: any staff member's own password, given the current one. Their sessions elsewhere
    end; this one stays open."""
    user = current_user()
    assert user is not None  # login_required
    errors: FormErrors = {}
    if request.method == "POST":
        current = request.form.get("current_password", "")
        password = request.form.get("password", "")
        if not current:
            errors["current_password"] = [_("请输入当前密码。")]
        if not password:
            errors["password"] = [_("请输入新密码。")]
        else:
            errors.update(password_errors(user.username, password, request.form.get("password_confirm", "")))
        if not errors:
            try:
                change_password(db.session(), user, current, password)
            except AccountLocked as locked:
                errors["current_password"] = [
                    _("当前密码输错次数过多，请 %(minutes)s 分钟后再试。", minutes=locked.minutes)
                ]
                page = render_template("auth/password.html", errors=errors)
                return page, 429, {"Retry-After": str(locked.seconds)}
            except ValidationFailed as exc:
                errors = errors_of(exc)
            else:
                keep_session(user)
                flash(N_("密码已修改。您在其他地方的登录已失效。"), "success")
                return redirect(url_for(home_endpoint(user)))
    return render_template("auth/password.html", errors=errors), 422 if errors else 200


@bp.get("/lang/<code>")
def set_language(code: str) -> Response:
    """The 中文/English toggle: remember the choice in the `lang` cookie and go back."""
    response = redirect(safe_next(request.args.get("next")) or url_for("web.index"))
    if code in LANGUAGES:
        remember_language(response, code)
    return response


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    """Errors raised by page views render as a page (the API keeps its JSON envelope), unless the
    view made its own (the portal's form, kept, when its rate limit is reached)."""
    if exc.response is not None:
        return exc.response
    return render_error(exc.code or 500)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> Any:
    return render_error(exc.status)


def render_error(status: int) -> tuple[str, int]:
    """The error page, in the page language (the API's English messages are not shown)."""
    titles = {
        400: _("请求无效"),
        403: _("无权访问"),
        404: _("页面不存在"),
        405: _("请求方式不允许"),
        409: _("内容已被他人修改"),
        413: _("提交的内容过大"),
        429: _("请求过于频繁"),
    }
    hints = {
        400: _("页面可能已过期，请刷新后重试。"),
        403: _("您的账号没有使用此页面的权限。"),
        404: _("请检查网址是否正确。"),
        409: _("请刷新页面查看最新状态后再操作。"),
        429: _("请稍后再试。"),
    }
    if status == 429 and (minutes := _minutes_to_wait()):
        hints[429] = _("请 %(minutes)s 分钟后再试。", minutes=minutes)
    title = titles.get(status, _("出错了"))
    return render_template("error.html", title=title, hint=hints.get(status), status=status), status


def _minutes_to_wait() -> int | None:
    """Minutes until the rate limit this request broke lets requests through again (a citizen's
    query code guessed wrong too often locks the number for the hour), if it is known."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    if not breached:
        return None
    return math.ceil(max(seconds_to_reset(limit) for limit in breached) / 60)
