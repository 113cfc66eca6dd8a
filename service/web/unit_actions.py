"""The unit's actions on an appeal's page (承办单位): sign for it (签收), reply (答复), ask for an
extension (申请延期), contribute as a co-unit (协办意见) and ask to return it (申请退单); each the API's
operation with the API's schema. What an action is: `appeal_actions.Action`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from service.appeals.models import Appeal
from service.auth.models import User
from service.handling import unit_actions, unit_requests
from service.handling.schemas import ContributeIn, ExtensionIn, ReplyIn, ReturnIn, SignIn
from service.web import repeats
from service.web.appeal_actions import Action
from service.web.labels import N_


def _sign(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.sign_for(s, appeal, user, expected_version=d["version"])


def _return(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_requests.request_return(
        s, appeal, user, reason=d["reason"], basis=d["basis"], expected_version=d["version"]
    )


def _extension(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_requests.request_extension(
        s, appeal, user, days=d["days"], reason=d["reason"], expected_version=d["version"]
    )


def _contribute(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.contribute(s, appeal, user, text=d["text"], expected_version=d["version"])


def _reply(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.submit_reply(
        s,
        appeal,
        user,
        result=d["result"],
        reason=d["reason"],
        citizen_text=d["citizen_text"],
        internal_note=d["internal_note"],
        contacted_citizen=d["contacted_citizen"],
        expected_version=d["version"],
    )


UNIT_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "sign",
            _l("签收"),
            N_("已签收。"),
            SignIn,
            _sign,
            events=("signed", "co_signed"),
            same=repeats.no_content,
        ),
        Action(
            "reply",
            _l("答复"),
            N_("答复已提交，等待中心审核。"),
            ReplyIn,
            _reply,
            events=("replied",),
            same=repeats.reply,
        ),
        Action(
            "extension",
            _l("申请延期"),
            N_("延期申请已提交。"),
            ExtensionIn,
            _extension,
            events=("extension_requested",),
            same=repeats.fields(days="days", reason="reason"),
        ),
        Action(
            "contribute",
            _l("协办意见"),
            N_("协办意见已提交。"),
            ContributeIn,
            _contribute,
            events=("contributed",),
            events_before=("co_signed",),
            same=repeats.fields(text="text"),
        ),
        Action(
            "return",
            _l("申请退单"),
            N_("退单申请已提交，等待中心审核。"),
            ReturnIn,
            _return,
            events=("return_requested",),
            same=repeats.fields(reason="reason", basis="basis"),
        ),
    )
}
