"""The actions on an appeal's page (centre and unit), each the same domain operation and schema as
`POST /api/v1/appeals/<number>/<action>`.

An `Action` names the API's schema, the operation to call with the loaded data, and the roles and
statuses that may use it (read from the state machine, `service.handling.workflow`, so a form is
shown exactly when the operation would accept it; the operation still guards itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_load
from sqlalchemy.orm import Session

from service import validate
from service.appeals.dispatching import DISPATCHABLE, dispatch_by_hand
from service.appeals.models import Appeal, AppealEvent
from service.appeals.schemas import DispatchIn
from service.auth.models import User
from service.handling import centre_review, closing, duplicates, merging, reopening, unit_actions
from service.handling.api_duplicates import DECIDERS
from service.handling.closing_schemas import (
    CallbackRatingIn,
    CloseIn,
    MergeIn,
    RatingExclusionIn,
    ReopenIn,
    SuperviseIn,
)
from service.handling.duplicate_schemas import DismissIn
from service.handling.operations import relations_of
from service.handling.rating_exclusion import set_rating_exclusion
from service.handling.schemas import (
    ContributeIn,
    ExtensionIn,
    ExtensionReviewIn,
    ReplyIn,
    ReturnIn,
    ReturnReviewIn,
    ReviewIn,
    SignIn,
)
from service.handling.workflow import TRANSITIONS
from service.text import Text, t
from service.web import repeats
from service.web.helpers import form_numbers
from service.web.labels import N_

#: Runs the operation; returns the event it recorded where the action has more than one outcome to
#: tell (`Action.done_for`), else None.
Runner = Callable[[Session, Appeal, User, dict[str, Any]], str | None]

#: Is the submitted form's content (the loaded data) what this user's own action just recorded (the
#: events since their page, the first being the action's)? Then the form was sent twice (a double
#: click); otherwise it is another decision from a page that was stale (two tabs): a conflict.
SameAs = Callable[[Session, Appeal, Sequence[AppealEvent], dict[str, Any]], bool]

#: Who may dispatch by hand (the API's `@blp.requires("dispatcher", "admin")`).
DISPATCHERS = frozenset({"dispatcher", "admin"})


@dataclass(frozen=True)
class Action:
    name: str  # the API's path segment (or `transition`'s), also the form's id
    label: Any  # lazy, translated when shown
    done: str  # flashed once it worked: a page text's msgid (`N_`), said on the next page
    schema: type[Schema]
    run: Runner
    many: tuple[str, ...] = ()  # multi-selects: every value kept as a list
    lines: tuple[str, ...] = ()  # textareas whose lines become a list (one reason a line)
    # For an action outside the state machine (dispatch, dismissing a duplicate flag): who may use
    # it, and in which statuses (None: any). State-machine actions read both from TRANSITIONS.
    allowed: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    # The events its operation records first (one of them): how a second submission of the same
    # form (a double click) recognises that this user's first one was done meanwhile; `same` then
    # tells the same form from another one sent from an older page (None: never the same).
    events: tuple[str, ...] = ()
    # Events the operation may record (by the same user) before one of `events`, skipped to find it:
    # a co-unit's 协办意见 signs for its part first (co_signed).
    events_before: tuple[str, ...] = ()
    same: SameAs | None = None
    # The state-machine action behind a form named otherwise (催办 and 督办: two forms, one action).
    transition: str | None = None
    # What to flash instead of `done` for an outcome the operation records as another event, by event
    # (派单 that only changed the co-units: 调整协办单位).
    done_by_event: dict[str, str] = field(default_factory=dict, hash=False)
    # The action as a refusal names it (`workflow.Transition.doing`), for an action outside the state machine.
    doing: Text | None = None

    def done_for(self, event: str | None) -> str:
        """The message to flash once the action worked and recorded `event` (None: not known)."""
        return self.done_by_event.get(event or "", self.done)

    def in_words(self) -> Text:
        """The action as the refusals name it: "request an extension" (in Chinese its label, 申请延期)."""
        return self.doing or TRANSITIONS[self.transition or self.name].doing

    def roles(self) -> frozenset[str]:
        if self.allowed is not None:
            return self.allowed
        return TRANSITIONS[self.transition or self.name].roles

    def open_to(self, appeal: Appeal, user: User) -> bool:
        """Would the operation accept this user on this appeal now (role, unit's part, status)?"""
        if user.role not in self.roles():
            return False
        if self.allowed is not None:
            return self.statuses is None or appeal.status in self.statuses
        transition = TRANSITIONS[self.transition or self.name]
        if transition.relation is not None:
            needed = {"lead", "co"} if transition.relation == "unit" else {transition.relation}
            if not needed & relations_of(appeal, user):
                return False
        return appeal.status in transition.sources

    def load(self, schema_input: dict[str, Any]) -> dict[str, Any]:
        data = dict(schema_input)
        for name in self.lines:
            if isinstance(data.get(name), str):
                data[name] = [line.strip() for line in data[name].splitlines() if line.strip()]
        schema = self.schema()
        return schema.load(form_numbers(schema, data))


def _tz() -> Any:
    return current_app.config["TZ"]


def _dispatch(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | None:
    """派单/改派; "co_units_changed" when the lead unit's part was kept (a re-dispatch to the unit the
    appeal is with, correcting nothing, changes only the co-units), else None."""
    lead = next((a for a in appeal.assignments if a.active and a.role == "lead"), None)
    dispatch_by_hand(
        s,
        appeal,
        actor=user,
        reason=d["reason"],
        tz=_tz(),
        unit=d["unit"],
        co_units=d["co_units"],
        category=d["category"],
        area=d["area"],
        urgency=d["urgency"],
        expected_version=d["version"],
    )
    # A re-dispatch ends the lead's assignment and makes a new one; a co-unit change keeps it.
    return "co_units_changed" if lead is not None and lead.active else None


def _return_review(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    centre_review.review_return(
        s,
        appeal,
        user,
        decision=d["decision"],
        note=d["note"],
        unit=d["unit"],
        co_units=d["co_units"],
        tz=_tz(),
        expected_version=d["version"],
    )


def _extension_review(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    centre_review.review_extension(
        s, appeal, user, decision=d["decision"], note=d["note"], tz=_tz(), expected_version=d["version"]
    )


def _review(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    centre_review.review_reply(
        s,
        appeal,
        user,
        decision=d["decision"],
        reasons=d["reasons"],
        note=d["note"],
        rating_window=timedelta(days=current_app.config["RATING_WINDOW_DAYS"]),
        expected_version=d["version"],
    )


def _merge(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    merging.merge(
        s, appeal, user, master_number=d["master"], reason=d["reason"], expected_version=d["version"]
    )


class SupervisionForm(SuperviseIn):
    """The API's SuperviseIn without `kind`: the form says it (催办 and 督办 are two forms)."""

    class Meta:
        exclude = ("kind",)


def _supervise(kind: str) -> Runner:
    def run(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
        merging.supervise(s, appeal, user, kind=kind, note=d["note"], expected_version=d["version"])

    return run


class ReopenForm(ReopenIn):
    """The API's ReopenIn; the form's checkbox posts nothing when left unticked, which is "no" (the
    schema then says why a reopen needs it) rather than a missing field."""

    @pre_load
    def _unticked(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        return {"attributable": "false", **data}


def _reopen(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | None:
    """重办; what it did when a unit a newer list deactivated was not sent it again (see `Action`'s
    `done_by_event`): "to_dispatch" (the lead unit: back to the dispatch queue) or "co_dropped"."""
    event = reopening.reopen(
        s,
        appeal,
        user,
        reason=d["reason"],
        attributable=d["attributable"],
        tz=_tz(),
        expected_version=d["version"],
    )
    if event.payload.get("inactive_lead"):
        return "to_dispatch"
    return "co_dropped" if event.payload.get("dropped_co_units") else None


def _evaluate(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    """回访: the citizen's answers on a call-back, recorded by the reviewer (once per round)."""
    closing.evaluate(s, appeal, user, d, expected_version=d["version"])


def _close(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    closing.close(s, appeal, user, tz=_tz(), note=d["note"], expected_version=d["version"])


class DismissDuplicateForm(DismissIn):
    """The API's DismissIn, plus the other appeal of the flag (in the API's path)."""

    other = fields.String(required=True, validate=validate.Length(min=1, max=32))


def _dismiss_duplicate(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    flag = duplicates.flag_between(s, appeal, d["other"])
    duplicates.dismiss(s, appeal, flag, actor=user, note=d["note"], expected_version=d["version"])


class RatingExclusionForm(RatingExclusionIn):
    """The API's RatingExclusionIn; the form's "count" choice is the API's null (count it again)."""

    @pre_load
    def _count_again(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if data.get("reason") == "count":
            return {**data, "reason": None}
        return data


def _exclude_rating(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    set_rating_exclusion(s, appeal, user, reason=d["reason"], note=d["note"], expected_version=d["version"])


def _sign(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.sign_for(s, appeal, user, expected_version=d["version"])


def _return(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.request_return(
        s, appeal, user, reason=d["reason"], basis=d["basis"], expected_version=d["version"]
    )


def _extension(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> None:
    unit_actions.request_extension(
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


CENTRE_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "return-review",
            _l("退单审核"),
            N_("退单审核已提交。"),
            ReturnReviewIn,
            _return_review,
            many=("co_units",),
            events=("return_approved", "return_rejected"),
            same=repeats.return_review,
        ),
        Action(
            "extension-review",
            _l("延期审核"),
            N_("延期审核已提交。"),
            ExtensionReviewIn,
            _extension_review,
            events=("extension_approved", "extension_refused"),
            same=repeats.extension_review,
        ),
        Action(
            "review",
            _l("答复审核"),
            N_("答复审核已提交。"),
            ReviewIn,
            _review,
            lines=("reasons",),
            events=("reply_released", "reply_sent_back"),
            same=repeats.reply_review,
        ),
        Action(
            "dispatch",
            _l("派单 / 改派"),
            N_("已派单。"),
            DispatchIn,
            _dispatch,
            many=("co_units",),
            allowed=DISPATCHERS,
            statuses=DISPATCHABLE,
            doing=t("dispatch or re-dispatch the appeal"),
            events=("dispatched", "redispatched", "co_units_changed"),
            same=repeats.dispatch,
            done_by_event={"co_units_changed": N_("已调整协办单位。")},
        ),
        Action(
            "press",
            _l("催办"),
            N_("已催办，已提醒承办单位。"),
            SupervisionForm,
            _supervise("press"),
            events=("pressed",),
            same=repeats.fields(note="note"),
            transition="supervise",
        ),
        Action(
            "raise",
            _l("督办（提升一级）"),
            N_("已督办，督办级别已提升一级。"),
            SupervisionForm,
            _supervise("raise"),
            events=("supervised",),
            same=repeats.fields(note="note"),
            transition="supervise",
        ),
        Action(
            "merge",
            _l("并案"),
            N_("已并案。"),
            MergeIn,
            _merge,
            events=("merged",),
            same=repeats.fields(master="master", reason="reason"),
        ),
        Action(
            "reopen",
            _l("重办"),
            N_("已重办，退回原承办单位。"),
            ReopenForm,
            _reopen,
            events=("reopened",),
            done_by_event={
                "to_dispatch": N_("已重办。原承办单位已停用，诉求已回到待分拨，请重新派单。"),
                "co_dropped": N_("已重办，退回原承办单位；已停用的协办单位不再协办。"),
            },
            same=repeats.fields(reason="reason"),
        ),
        Action(
            "evaluate",
            _l("回访评价"),
            N_("回访评价已记录。"),
            CallbackRatingIn,
            _evaluate,
            events=("evaluated",),
            same=repeats.fields(
                contacted="contacted",
                resolved="resolved",
                attitude="attitude",
                result="result",
                comment="note",
            ),
        ),
        Action(
            "close",
            _l("办结"),
            N_("已办结。"),
            CloseIn,
            _close,
            events=("closed",),
            same=repeats.fields(note="note"),
        ),
        Action(
            "exclude-rating",
            _l("评价剔除"),
            N_("已更新评价的计入情况。"),
            RatingExclusionForm,
            _exclude_rating,
            events=("rating_excluded", "rating_counted"),
            same=repeats.rating_exclusion,
        ),
        Action(
            "dismiss-duplicate",
            _l("排除疑似重复"),
            N_("已确认不是重复件。"),
            DismissDuplicateForm,
            _dismiss_duplicate,
            allowed=frozenset(DECIDERS),
            events=("duplicate_dismissed",),
            doing=t("dismiss the duplicate flag"),
            same=repeats.fields(other="candidate", note="note"),
        ),
    )
}

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


def open_actions(actions: dict[str, Action], appeal: Appeal, user: User) -> list[Action]:
    return [a for a in actions.values() if a.open_to(appeal, user)]
