"""The dispatch centre's actions on an appeal's page (分拨中心): dispatch (派单/改派), the reviews of
a return, an extension and a reply, press (催办) and raise (督办), merge, reopen, the call-back rating,
close, excluding a rating and dismissing a duplicate flag; each the API's operation with the API's
schema (the few form variants of a schema are here). What an action is: `appeal_actions.Action`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import fields, pre_load
from sqlalchemy.orm import Session

from service import validate
from service.appeals.dispatching import DISPATCHABLE, dispatch_by_hand
from service.appeals.models import Appeal, AppealEvent
from service.appeals.schemas import DispatchIn
from service.auth.models import User
from service.handling import centre_review, closing, duplicates, merging, reopening
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
from service.handling.rating_exclusion import set_rating_exclusion
from service.handling.schemas import ExtensionReviewIn, ReturnReviewIn, ReviewIn
from service.text import t
from service.web import centre_confirm, repeats
from service.web.appeal_actions import Action, Runner
from service.web.labels import N_

#: Who may dispatch by hand (the API's `@blp.requires("dispatcher", "admin")`).
DISPATCHERS = frozenset({"dispatcher", "admin"})


def _tz() -> Any:
    return current_app.config["TZ"]


def _dispatch(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | tuple[str, dict[str, Any]]:
    """派单/改派; "co_units_changed" when the lead unit's part was kept (a re-dispatch to the unit the
    appeal is with, correcting nothing, changes only the co-units), else the unit it went to: the
    form starts from the lead unit the appeal is with, so a category corrected with that unit left
    chosen stays with it, and the page says so (已派单至赣县公安分局)."""
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
    if lead is not None and lead.active:
        return "co_units_changed"
    return _went_to(appeal, "dispatched_to")


def _dispatch_recalled(appeal: Appeal, own: Sequence[AppealEvent]) -> str | tuple[str, dict[str, Any]]:
    """What a dispatch form sent twice did the first time: the co-units changed, or the unit it went
    to (nobody acted since, so the one the appeal is with)."""
    if own[0].action == "co_units_changed":
        return "co_units_changed"
    return _went_to(appeal, "dispatched_to")


def _went_to(appeal: Appeal, outcome: str) -> tuple[str, dict[str, Any]]:
    """`outcome` with the lead unit the appeal is with now, for the message that names it."""
    s = Session.object_session(appeal)
    if s is not None:
        s.expire(appeal, ["lead_unit"])  # the lead unit just changed: not the one loaded before
    return outcome, {"unit": appeal.lead_unit.name if appeal.lead_unit else ""}


def _return_review(
    s: Session, appeal: Appeal, user: User, d: dict[str, Any]
) -> str | tuple[str, dict[str, Any]]:
    """退单审核; what became of the appeal: back to the unit, re-dispatched (to which unit), or waiting
    in the dispatch queue."""
    event = centre_review.review_return(
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
    return _return_outcome(appeal, event)


def _return_outcome(appeal: Appeal, event: AppealEvent) -> str | tuple[str, dict[str, Any]]:
    """What the return review recorded as `event` did (for its message): the event, or on approval
    re-dispatched (to which unit) or back in the dispatch queue."""
    if event.action != "return_approved":
        return event.action
    if (event.payload or {}).get("redispatch_to"):
        return _went_to(appeal, "return_redispatched")
    return "return_to_dispatch"


def _extension_review(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str:
    """延期审核; approved or refused (what the flash says)."""
    event = centre_review.review_extension(
        s, appeal, user, decision=d["decision"], note=d["note"], tz=_tz(), expected_version=d["version"]
    )
    return event.action


def _review(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str:
    """答复审核; released to the citizen or sent back to the unit (what the flash says)."""
    event = centre_review.review_reply(
        s,
        appeal,
        user,
        decision=d["decision"],
        reasons=d["reasons"],
        note=d["note"],
        rating_window=timedelta(days=current_app.config["RATING_WINDOW_DAYS"]),
        expected_version=d["version"],
    )
    return event.action


def _merge(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """并案; the page names the appeal it joined (已并入 GX20261121-0042)."""
    merging.merge(
        s, appeal, user, master_number=d["master"], reason=d["reason"], expected_version=d["version"]
    )
    return _merged_into(appeal)


def _merged_into(appeal: Appeal, _own: Sequence[AppealEvent] = ()) -> tuple[str, dict[str, Any]]:
    """What a merge did (the first time, for a form sent twice): the appeal it joined."""
    return "merged", {"master": appeal.master.number if appeal.master is not None else ""}


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
    return _reopen_outcome(event)


def _reopen_outcome(event: AppealEvent) -> str | None:
    """What the reopen recorded as `event` did when it sent an inactive unit nothing (see `_reopen`)."""
    if (event.payload or {}).get("inactive_lead"):
        return "to_dispatch"
    return "co_dropped" if (event.payload or {}).get("dropped_co_units") else None


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
            recall=lambda appeal, own: _return_outcome(appeal, own[0]),
            done_by_event={
                "return_approved": N_("已同意退单。"),
                "return_redispatched": N_("已同意退单，已改派至%(unit)s。"),
                "return_to_dispatch": N_("已同意退单，诉求回到待分拨，请重新派单。"),
                "return_rejected": N_("已驳回退单，诉求退回原承办单位继续办理。"),
            },
        ),
        Action(
            "extension-review",
            _l("延期审核"),
            N_("延期审核已提交。"),
            ExtensionReviewIn,
            _extension_review,
            events=("extension_approved", "extension_refused"),
            same=repeats.extension_review,
            done_by_event={
                "extension_approved": N_("已批准延期，答复时限已顺延。"),
                "extension_refused": N_("未批准延期，答复时限不变。"),
            },
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
            done_by_event={
                "reply_released": N_("答复已审核通过，已发布给群众。"),
                "reply_sent_back": N_("答复已退回承办单位修改。"),
            },
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
            recall=_dispatch_recalled,
            done_by_event={
                "co_units_changed": N_("已调整协办单位。"),
                "dispatched_to": N_("已派单至%(unit)s。"),
            },
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
            confirm=centre_confirm.raise_level,
        ),
        Action(
            "merge",
            _l("并案"),
            N_("已并案。"),
            MergeIn,
            _merge,
            events=("merged",),
            same=repeats.fields(master="master", reason="reason"),
            recall=_merged_into,
            done_by_event={"merged": N_("已并入 %(master)s。")},
            confirm=centre_confirm.merge,
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
            recall=lambda _appeal, own: _reopen_outcome(own[0]),
            confirm=centre_confirm.reopen,
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
            confirm=centre_confirm.close,
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
