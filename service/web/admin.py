"""Administration (系统管理): staff accounts (with their log-in locks, 解除锁定) and the units of
the active responsibility list.

Accounts are created with `service.auth.operations.create_user`, the operation behind
`minyi users create`; its (English) field errors are shown next to the fields in the page
language. The responsibility-list versions are in `admin_lists.py`, failed notices in
`admin_notices.py`; both add to the same blueprint.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from service import db
from service.auth import lockout, passwords
from service.auth.models import ROLES, User
from service.auth.operations import create_user, lift_lock, set_active, set_password, tokens_of, typed_unit
from service.auth.security import current_user, keep_session
from service.errors import Conflict, ValidationFailed
from service.i18n import localize
from service.lists.calendar_cover import active_calendar_gap
from service.lists.models import Unit
from service.lists.operations import active_version
from service.web.access import ADMIN_ROLES, login_required
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.helpers import FormErrors, role_label
from service.web.labels import N_, UNIT_KIND_LABELS


def _unit_kind_label(kind: str) -> str:
    return _(UNIT_KIND_LABELS.get(kind, kind))


def password_errors(username: str, password: str, confirm: str) -> FormErrors:
    """What is wrong with a new password and its confirmation, by field, in the page language ({}
    when it will do): a weak password under `password`, a confirmation that differs under
    `password_confirm`, the field the reader must type again."""
    if not password:
        return {"password": [_("请输入初始密码。")]}
    errors: FormErrors = {}
    weakness = passwords.weakness(username, password)
    if weakness == passwords.SHORT:
        errors["password"] = [_("密码至少 %(n)s 个字符。", n=passwords.MIN_LENGTH)]
    elif weakness == passwords.GUESSABLE:
        errors["password"] = [_("密码太简单，请勿使用用户名、重复字符或常见密码。")]
    if password != confirm:
        errors["password_confirm"] = [_("两次输入的密码不一致。")]
    return errors


def _domain_user_errors(exc: ValidationFailed) -> FormErrors:
    """create_user's field errors (English, for the CLI) in the page language; others as they are."""
    translated: FormErrors = {}
    for name, messages in (exc.errors or {}).items():
        out = []
        for message in messages:
            if message.startswith("Unit staff must be bound"):
                out.append(_("承办单位人员必须选择所属单位。"))
            elif message.startswith("Only unit staff"):
                out.append(_("只有承办单位人员绑定所属单位：此角色请选择“（不属于承办单位）”。"))
            elif message.startswith("Unknown role"):
                out.append(_("请选择角色。"))
            elif name == "username":
                out.append(localize(message))
            elif name == "password":
                out.append(_("密码至少 %(n)s 个字符。", n=passwords.MIN_LENGTH))
            else:
                out.append(message)
        translated[name] = out
    return translated


def _units(s: Session) -> list[Unit]:
    return list(s.scalars(sa.select(Unit).where(Unit.active).order_by(Unit.kind, Unit.code)))


def _user_or_404(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin")
@login_required(roles=ADMIN_ROLES)
def admin() -> Any:
    s = db.session()
    counts = {
        "users": s.scalar(sa.select(sa.func.count()).select_from(User)) or 0,
        "units": s.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.active)) or 0,
    }
    gap = active_calendar_gap(s, current_app.config["TZ"])
    return render_template("admin/index.html", counts=counts, active=active_version(s), calendar_gap=gap)


def _render_users(form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    s = db.session()
    unit_filter = request.args.get("unit", "").strip()
    query = sa.select(User, Unit.name).outerjoin(Unit, Unit.code == User.unit_code)
    if unit_filter:
        query = query.where(User.unit_code == unit_filter)
    rows = s.execute(query.order_by(User.active.desc(), User.role, User.username)).all()
    units = _units(s)
    filter_unit = s.get(Unit, unit_filter) if unit_filter else None
    locks = _account_locks(s)
    return (
        render_template(
            "admin/users.html",
            rows=rows,
            units=units,
            role_options=[(code, role_label(code)) for code in ROLES],
            unit_options=[("", _("（不属于承办单位）"))]
            + [(u.code, _("%(text)s（%(note)s）", text=u.name, note=u.code)) for u in units],
            form=form,
            errors=errors,
            unit_filter=unit_filter,
            filter_unit=filter_unit,
            locks=locks,
            locked_names={user.username for user, _ in locks or ()},
            lock_rules={
                "most": current_app.config["LOGIN_MAX_FAILURES"],
                "per_account": current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                "minutes": current_app.config["LOGIN_LOCK_MINUTES"],
            },
        ),
        status,
    )


def _account_locks(s: Session) -> list[tuple[User, lockout.Lock]] | None:
    """The log-in locks in force on accounts, with the account (None: Redis unreachable). Locks
    on usernames no account has are left out: nobody to let in, and what was typed there may be
    a password typed one field too early."""
    found = lockout.locks()
    if not found:
        return found
    users = {
        user.username_key: user
        for user in s.scalars(sa.select(User).where(User.username_key.in_({lock.username for lock in found})))
    }
    return [(users[lock.username], lock) for lock in found if lock.username in users]


@bp.get("/admin/users")
@login_required(roles=ADMIN_ROLES)
def admin_users() -> Any:
    """用户管理: every account (or one unit's, `?unit=CODE`) and the form for a new one."""
    # a unit's list (`?unit=`) preselects that unit, so the role its staff have goes with it
    return _render_users({"role": "unit_staff" if request.args.get("unit") else "operator"}, {})


@bp.post("/admin/users")
@login_required(roles=ADMIN_ROLES)
def admin_user_create() -> Any:
    """Create a staff account with create_user; each error shown next to its field (422)."""
    s = db.session()
    form = {name: request.form.get(name, "").strip() for name in ("username", "display_name", "role", "unit")}
    password = request.form.get("password", "")
    confirm = request.form.get("password_confirm", "")
    errors: FormErrors = password_errors(form["username"], password, confirm)
    if not form["username"]:
        errors["username"] = [_("请输入用户名。")]
    if len(form["display_name"]) > 64:
        errors["display_name"] = [_("姓名最多 64 个字符。")]
    # given for a role without a unit: refused beside the field, as the CLI does; read as the CLI
    # and the API read it (a form posted by a script may give the code in lower case, or the name)
    unit_code = None
    if form["unit"]:
        unit_code, why = typed_unit(s, form["unit"])
        if why is not None:
            errors["unit"] = [localize(why)]
        elif unit_code:
            form["unit"] = unit_code  # the select shows the unit found
    # The operation checks role, unit and username (and the password's length) itself; run it in
    # a savepoint even when the page found problems of its own, so every error shows at once.
    savepoint = s.begin_nested()
    try:
        user = create_user(
            s,
            form["username"],
            form["role"],
            password=password or None,
            unit_code=unit_code,
            display_name=form["display_name"],
            actor=current_user(),
        )
    except ValidationFailed as exc:
        savepoint.rollback()
        for name, messages in _domain_user_errors(exc).items():
            if name == "username" and "username" in errors:
                continue  # none given: "请输入用户名。" says it
            if name == "unit" and "unit" in errors:
                continue  # not a unit: said already, whether the role takes one or not
            known = errors.setdefault(name, [])
            known.extend([m for m in messages if m not in known])
    except Conflict as exc:
        savepoint.rollback()
        errors.setdefault("username", []).extend(localize(m) for m in (exc.errors or {}).get("username", []))
    else:
        if errors:
            savepoint.rollback()
        else:
            savepoint.commit()
            flash(N_("已创建账号 %(name)s。"), "success", name=user.username)
            return redirect(url_for("web.admin_users", unit=user.unit_code or None))
    return _render_users(form, errors, 422)


@bp.post("/admin/users/<int:user_id>/active")
@login_required(roles=ADMIN_ROLES)
def admin_user_active(user_id: int) -> Any:
    """启用 an account again. 停用 is confirmed first (`admin_user_deactivate`): a form posting
    `active=false` here (a page from before the confirm step) is sent to that confirmation."""
    s = db.session()
    user = _user_or_404(s, user_id)
    unit = request.form.get("unit") or None
    if request.form.get("active") != "true":
        return redirect(url_for("web.admin_user_deactivate", user_id=user.id, unit=unit))
    if set_active(s, user, True, actor=current_user()):
        flash(N_("已启用账号 %(name)s。"), "success", name=user.username)
    return redirect(url_for("web.admin_users", unit=unit))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@login_required(roles=ADMIN_ROLES)
def admin_user_deactivate(user_id: int) -> Any:
    """停用: GET names the account and what stops (its log-in, its open sessions, its API tokens);
    POST (the confirmation) deactivates it. Works without script, as activating a list version does."""
    s = db.session()
    user = _user_or_404(s, user_id)
    unit = request.values.get("unit") or None
    actor = current_user()
    if actor is not None and actor.id == user.id:
        flash(N_("不能停用自己的账号。"), "error")
        return redirect(url_for("web.admin_users", unit=unit))
    if request.method == "POST":
        if set_active(s, user, False, actor=actor):
            flash(
                N_("已停用账号 %(name)s：已登录的会话已结束，API 令牌已停止工作。"),
                "success",
                name=user.username,
            )
        else:
            flash(N_("账号 %(name)s 已是停用状态。"), "info", name=user.username)
        return redirect(url_for("web.admin_users", unit=unit))
    live_tokens = [token for token in tokens_of(s, user) if token.revoked_at is None]
    return render_template("admin/user_deactivate.html", user=user, tokens=live_tokens, unit=unit or "")


@bp.post("/admin/users/<int:user_id>/unlock")
@login_required(roles=ADMIN_ROLES)
def admin_user_unlock(user_id: int) -> Any:
    """解除锁定: one client address's log-in lock on the account (`client`), or all of its locks
    and failure counts (`client` empty). Recorded in the security audit log."""
    s = db.session()
    user = _user_or_404(s, user_id)
    try:
        lifted = lift_lock(s, user, request.form.get("client", "").strip() or None, actor=current_user())
    except lockout.LocksUnreachable:
        flash(N_("暂时无法读取登录锁定（Redis 不可用），请稍后再试。"), "error")
    else:
        if lifted:
            flash(N_("已解除 %(name)s 的登录锁定。"), "success", name=user.username)
        else:
            flash(N_("%(name)s 当前没有登录锁定。"), "info", name=user.username)
    return redirect(url_for("web.admin_users", unit=request.form.get("unit") or None))


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required(roles=ADMIN_ROLES)
def admin_user_password(user_id: int) -> Any:
    """重置密码: a new password for an account (told to its owner by the administrator)."""
    s = db.session()
    user = _user_or_404(s, user_id)
    errors: FormErrors = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        errors = password_errors(user.username, password, request.form.get("password_confirm", ""))
        if not errors:
            actor = current_user()
            lifted = set_password(s, user, password, actor=actor)  # the page's checks are the stricter
            if actor is not None and actor.id == user.id:
                keep_session(user)  # their own: this session stays open, their others end
            if lifted:
                flash(N_("已重置 %(name)s 的密码。"), "success", name=user.username)
            else:
                flash(
                    N_(
                        "已重置 %(name)s 的密码，但未能解除其登录锁定（Redis 不可用）：锁定到期前仍不能登录，"
                        "可稍后在本页解除锁定。"
                    ),
                    "warning",
                    name=user.username,
                )
            return redirect(url_for("web.admin_users"))
    return render_template("admin/user_password.html", user=user, errors=errors), 422 if errors else 200


@bp.get("/admin/units")
@login_required(roles=ADMIN_ROLES)
def admin_units() -> Any:
    """承办单位: the units of the active list, read-only (they change only with the list)."""
    s = db.session()
    user_counts = dict(
        s.execute(
            sa.select(User.unit_code, sa.func.count())
            .where(User.unit_code.is_not(None))
            .group_by(User.unit_code)
        ).all()
    )
    names = dict(s.execute(sa.select(Unit.code, Unit.name)).all())
    return render_template(
        "admin/units.html",
        units=_units(s),
        user_counts=user_counts,
        names=names,
        kind_label=_unit_kind_label,
    )


from service.web import (  # noqa: E402, F401  (their routes)
    admin_access,
    admin_lists,
    admin_notices,
    admin_security,
    admin_tokens,
)
