"""The handling loop between units and the centre: `POST /api/v1/appeals/<number>/<action>`.

Each action answers with the appeal as the caller may see it (like the dispatch endpoint).
Errors: 403 for a role that may not act, 404 for unit staff on an appeal not their unit's (both
before the body is read: `acting`), then 400/422 for the body, then 409 with the current status and
version for a wrong state or a stale `version`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from flask import current_app
from flask.views import MethodView

from service import db
from service.appeals import queries
from service.appeals.api import STAFF, STATE_CONFLICT, visible_appeal
from service.appeals.models import Appeal
from service.appeals.privacy import free_text, reads_unit_reply, sees_unmasked
from service.appeals.schemas import AppealOut
from service.auth.models import ROLES, User
from service.errors import NotFound
from service.extensions import Blueprint, View
from service.handling import centre_review, operations, unit_actions, unit_requests, workflow
from service.handling.schemas import (
    ContributeIn,
    ExtensionIn,
    ExtensionReviewIn,
    ReplyIn,
    ReplyToCorrectOut,
    ReturnIn,
    ReturnReviewIn,
    ReviewIn,
    SignIn,
)
from service.text import t

blp = Blueprint(
    "handling",
    __name__,
    url_prefix="/api/v1/appeals",
    description="Handling: sign-for, return, extension, contribution, reply and review",
)


def acting(action: str) -> Callable[[View], View]:
    """`Blueprint.requires` for an action of the state machine (workflow.py), before the body is
    read: the roles its transition allows (else 403 naming the action); then the appeal <number> if
    the caller may see it (404), and for a unit, if it holds the part the action needs (404 not
    assigned; 403 the other part). The view gets the caller as `user` and the appeal as `appeal`;
    the operation checks again, with the appeal's status and version (409)."""
    transition = workflow.TRANSITIONS[action]
    admitted = blp.requires(
        *sorted(transition.roles & ROLES.keys()),
        refusal=workflow.needs_roles(transition.doing, transition.roles),
        load=partial(_appeal_to_act_on, action),
    )

    def decorator(view: View) -> View:
        return blp.conflict(STATE_CONFLICT)(admitted(view))

    return decorator


def _appeal_to_act_on(action: str, user: User, number: str, **_: Any) -> dict[str, Appeal]:
    appeal = queries.get_visible(db.session(), number, user)
    operations.admit(appeal, action, user)
    return {"appeal": appeal}


def appeal_out(appeal: Appeal, user: User) -> dict[str, Any]:
    return queries.appeal_view(appeal, user, masked=True)


@blp.route("/<number>/sign")
class AppealSign(MethodView):
    @acting("sign")
    @blp.arguments(SignIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """签收 (lead or co unit): the time is compared with the sign-for deadline; the lead's starts handling."""
        s = db.session()
        unit_actions.sign_for(s, appeal, user, expected_version=data["version"])
        return appeal_out(appeal, user)


@blp.route("/<number>/return")
class AppealReturn(MethodView):
    @acting("return")
    @blp.arguments(ReturnIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """退单 (lead unit): not ours, with a reason and a basis; the centre reviews it."""
        s = db.session()
        unit_requests.request_return(
            s, appeal, user, reason=data["reason"], basis=data["basis"], expected_version=data["version"]
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/return-review")
class AppealReturnReview(MethodView):
    @acting("return-review")
    @blp.arguments(ReturnReviewIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """退单审核 (centre): approve, re-dispatching to `unit` or back to the dispatch queue; or reject,
        back to the same unit with its deadlines running on."""
        s = db.session()
        centre_review.review_return(
            s,
            appeal,
            user,
            decision=data["decision"],
            note=data["note"],
            unit=data["unit"],
            co_units=data["co_units"],
            tz=current_app.config["TZ"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/extension")
class AppealExtension(MethodView):
    @acting("extension")
    @blp.arguments(ExtensionIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """延期 (lead unit): more working days, asked before the reply deadline; one request at a time."""
        s = db.session()
        unit_requests.request_extension(
            s, appeal, user, days=data["days"], reason=data["reason"], expected_version=data["version"]
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/extension-review")
class AppealExtensionReview(MethodView):
    @acting("extension-review")
    @blp.arguments(ExtensionReviewIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """延期审核 (centre): approve (new reply deadline in working days; the citizen is told) or refuse."""
        s = db.session()
        centre_review.review_extension(
            s,
            appeal,
            user,
            decision=data["decision"],
            note=data["note"],
            tz=current_app.config["TZ"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/contribute")
class AppealContribute(MethodView):
    @acting("contribute")
    @blp.arguments(ContributeIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """协办意见 (co unit): input for the lead unit, shown in the appeal's events."""
        s = db.session()
        unit_actions.contribute(s, appeal, user, text=data["text"], expected_version=data["version"])
        return appeal_out(appeal, user)


@blp.route("/<number>/reply")
class AppealReply(MethodView):
    @acting("reply")
    @blp.arguments(ReplyIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """答复 (lead unit, after signing): the result and the text for the citizen, for the centre to review."""
        s = db.session()
        unit_actions.submit_reply(
            s,
            appeal,
            user,
            result=data["result"],
            reason=data["reason"],
            citizen_text=data["citizen_text"],
            internal_note=data["internal_note"],
            contacted_citizen=data["contacted_citizen"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/review")
class AppealReview(MethodView):
    @acting("review")
    @blp.arguments(ReviewIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """答复审核 (reviewer): approve, releasing the reply to the citizen; or send back with reasons."""
        s = db.session()
        centre_review.review_reply(
            s,
            appeal,
            user,
            decision=data["decision"],
            reasons=data["reasons"],
            note=data["note"],
            rating_window=timedelta(days=current_app.config["RATING_WINDOW_DAYS"]),
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/reply-to-correct")
class AppealReplyToCorrect(MethodView):
    @blp.requires(*STAFF, load=visible_appeal)
    @blp.response(200, ReplyToCorrectOut)
    def get(self, number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """The reply the centre sent back (答复退回重办) while the lead unit corrects it: what to start the
        new reply from, with the reviewer's reasons; for the centre and the lead unit's staff, who
        read what the unit wrote with the citizen's personal data masked (as the appeal's content).
        404 when none waits to be corrected (no reply sent back, a new one submitted since, or the
        appeal re-dispatched or reopened), and for co-units and leaders, whether one waits or not."""
        s = db.session()
        reply = centre_review.reply_to_correct(s, appeal) if reads_unit_reply(user, appeal) else None
        if reply is None:
            raise NotFound(t("No reply of appeal {number} is waiting to be corrected.", number=number))

        def shown(text: str) -> str:
            return text if sees_unmasked(user) else free_text(text, appeal, user, masked=True)

        return {
            "result": reply.result,
            "reason": shown(reply.reason),
            "citizen_text": shown(reply.citizen_text),
            "internal_note": shown(reply.internal_note),
            "contacted_citizen": reply.contacted_citizen,
            "submitted_at": reply.submitted_at,
            "sent_back_at": reply.reviewed_at,
            "reasons": [shown(line) for line in reply.review_note.splitlines() if line.strip()],
        }
