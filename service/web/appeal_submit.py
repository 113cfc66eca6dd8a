"""A posted action form of the appeal page: checked, run and answered.

A form posts to `/<area>/appeals/<number>/<action>`; the view loads it with the API's schema and
calls the API's operation (`appeal_actions`). Success: a message and a redirect to the page.
Field errors (422), a refused action (403) or a conflict (409: changed meanwhile, or not allowed
in this status) render the page again (`appeal_page.page_context`) with the typed text kept in the
form. The same form sent again by its user after it was done (a double click, a resent form) is
done once; another content from the same account (a second tab) is a conflict. An irreversible
action (`Action.confirm`) first answers with the page asking to confirm what it will do, the typed
form kept in the confirmation (its "back" button shows the form again, as typed).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError as SchemaError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service import db
from service.appeals import queries
from service.appeals.models import Appeal, AppealEvent
from service.auth.models import User
from service.auth.security import current_user
from service.errors import DomainError, Forbidden
from service.handling.workflow import needs_roles
from service.web.appeal_actions import Action
from service.web.appeal_page import page_context
from service.web.flashes import flash, page_text
from service.web.form_messages import page_message
from service.web.helpers import FormErrors, errors_of, form_to_dict
from service.web.labels import N_

#: A form from a page older than the appeal (someone else acted meanwhile), sent back with its input.
STALE = N_("该诉求已被他人修改，请查看下方最新状态后再提交（您填写的内容已保留）。")


def _domain_message(exc: DomainError, sent_version: Any) -> str:
    """A refused action in the page language, with the operation's own message after it."""
    current = exc.extra.get("current") or {}
    if (
        exc.status == 409
        and sent_version not in (None, "")
        and str(current.get("version")) != str(sent_version)
    ):
        return _(STALE)
    if exc.status == 409:
        return _("当前状态下不能进行此操作：%(detail)s", detail=page_message(exc.message))
    if exc.status == 403:
        return _("您的角色不能进行此操作：%(detail)s", detail=page_message(exc.message))
    return _("操作未成功：%(detail)s", detail=page_message(exc.message))


def act(number: str, action_name: str, *, area: str, actions: dict[str, Action]) -> Any:
    """Run one action from its form; see the module docstring for the answers."""
    user = current_user()
    assert user is not None
    action = actions.get(action_name)
    if action is None:
        abort(404)
    s = db.session()
    appeal = queries.get_visible(s, number, user)
    values = request.form.to_dict(flat=False)
    values = {
        k: v if k in action.many else v[0] for k, v in values.items() if k not in ("csrf_token", CONFIRM)
    }

    def again(
        status: int,
        errors: FormErrors | None = None,
        problem: str | None = None,
        confirming: str | None = None,
    ) -> Any:
        context = page_context(
            s, appeal, user, area=area, actions=actions, failed=action.name, values=values,
            errors=errors, problem=problem,
        )  # fmt: skip
        return render_template(f"{area}/appeal.html", confirming=confirming, **context), status

    if user.role not in action.roles():  # as the API's `acting` (the operations check again)
        refused = Forbidden(needs_roles(action.in_words(), action.roles()))
        return again(403, problem=_domain_message(refused, None))
    form = request.form.copy()
    seen_event = form.pop(SEEN_EVENT, "")
    answer = form.pop(CONFIRM, "")
    if action.confirm is not None and answer == "back":
        # 返回修改: the form as it was typed, nothing done; said so if the appeal changed meanwhile,
        # since the form comes back with the appeal as it is now.
        stale = form.get("version") not in (None, str(appeal.version))
        return again(200, problem=_(STALE) if stale else None)
    try:
        data = action.load(form_to_dict(form, action.many))
    except SchemaError as exc:
        return again(422, on_the_form(errors_of(exc), action))
    # An irreversible action asks first. A stale form goes on to be refused, or recognised as sent
    # twice (a double click on the confirmation's button), as any form.
    confirm = action.confirm if answer != "yes" and data.get("version") in (None, appeal.version) else None
    if confirm is not None and (confirming := confirm(s, appeal, user, data)) is not None:
        return again(200, confirming=confirming)

    def repeated(own: list[AppealEvent]) -> Any:
        """This user's own action was done since their page: the same form again is done once; another
        content (a second tab of the same account) is a conflict, the typed input kept."""
        if action.same is not None and action.same(s, appeal, own, data):
            return _already_done(action, area, appeal, own)
        return again(
            409,
            problem=_(
                "您刚在另一页面办理了此操作，所选内容与本次提交的不同；本次提交未办理（您填写的内容已"
                "保留），请查看下方最新状态后再决定。"
            ),
        )

    try:
        outcome = action.run(s, appeal, user, data)
    except DomainError as exc:
        s.rollback()  # nothing half-done is shown, nor kept
        appeal = queries.get_visible(s, number, user)
        if exc.status == 409 and (own := _own_since(s, appeal, user, action, seen_event)):
            return repeated(own)
        errors = on_the_form(errors_of(exc), action) if exc.status == 422 else {}
        problem = None if exc.status == 422 else _domain_message(exc, request.form.get("version"))
        return again(exc.status, errors, problem)
    except StaleDataError:
        s.rollback()  # another request changed the appeal between our read and our write
        appeal = queries.get_visible(s, number, user)
        if own := _own_since(s, appeal, user, action, seen_event):
            return repeated(own)
        return again(409, problem=_(STALE))
    event, values = outcome if isinstance(outcome, tuple) else (outcome, {})
    flash(action.done_for(event), "success", **values)
    return redirect(url_for(f"web.{area}_appeal", number=appeal.number))


def on_the_form(errors: FormErrors, action: Action) -> FormErrors:
    """Every error where the form shows it: an item of a list field (one 退回理由 line: "reasons.0")
    under that field, naming which one; an error of a field the form does not have (the API's
    operation names its own) in the form's general messages. None is left where no one sees it."""
    fields = {name for name, f in action.schema().fields.items() if not f.dump_only} - {"version"}
    shown: FormErrors = {}
    for name, messages in errors.items():
        field, _dot, index = name.partition(".")
        if field in fields and index.isdigit():
            shown.setdefault(field, []).extend(
                _("第 %(n)s 条：%(message)s", n=int(index) + 1, message=m) for m in messages
            )
        elif name in fields or name == "_form":
            shown.setdefault(name, []).extend(messages)
        else:
            shown.setdefault("_form", []).extend(messages)
    return shown


#: The form field with the id of the newest event the page showed (see `_own_since`).
SEEN_EVENT = "seen_event"
#: The confirmation's button (`Action.confirm`): "yes" does the action, "back" shows the form again.
CONFIRM = "confirm"


def _own_since(s: Session, appeal: Appeal, user: User, action: Action, seen_event: str) -> list[AppealEvent]:
    """The events since the page was shown when this user did this very action meanwhile (a double
    click, a resent form, or the same account in another tab): the first event after the page's
    newest one (past those the action may record before its own, `Action.events_before`) is this
    user's, of this action, and nobody else acted after it. Then the refused submission must not say
    that someone else changed the appeal; `Action.same` tells whether it repeats what was done or
    chose otherwise. The events from the action's own on; empty otherwise.
    """
    # The page wrote it; anything else (not ASCII digits, or past a 64-bit id) was not a page's.
    if not action.events or not re.fullmatch(r"[0-9]{1,18}", seen_event):
        return []
    since = list(
        s.scalars(
            sa.select(AppealEvent)
            .where(AppealEvent.appeal_id == appeal.id, AppealEvent.id > int(seen_event))
            .order_by(AppealEvent.id)
        )
    )
    if not all(e.actor_id in (user.id, None) for e in since):
        return []
    own = list(itertools.dropwhile(lambda e: e.action in action.events_before, since))
    if not own or own[0].action not in action.events or own[0].actor_id != user.id:
        return []
    return own


def _already_done(action: Action, area: str, appeal: Appeal, own: list[AppealEvent]) -> Any:
    done, values = action.recalled(appeal, own)
    flash(N_("%(done)s（重复提交的表单未再次办理。）"), "success", done=page_text(done, **values))
    return redirect(url_for(f"web.{area}_appeal", number=appeal.number))
