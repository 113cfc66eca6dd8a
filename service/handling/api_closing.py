"""Closing actions on an appeal (`POST /api/v1/appeals/<number>/<action>`) and the citizen's rating
(`POST /api/v1/public/appeals/<number>/evaluate`).

Each answers like the dispatch endpoint: the appeal as the caller sees it. Roles and states are
checked by the state machine: 403 role and 404 not yours before the body is read (`acting`), 409
state or stale `version` after.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from service import db
from service.appeals.citizen_codes import guess_limit
from service.appeals.models import Appeal
from service.appeals.public_api import GUESSES_LIMITED, WRONG_NUMBER_OR_CODE, citizen_view, find_for_citizen
from service.appeals.public_schemas import PublicAppealOut
from service.appeals.schemas import AppealOut
from service.auth.models import User
from service.extensions import Blueprint, limiter
from service.handling import closing, merging, reopening
from service.handling.api import acting, appeal_out
from service.handling.closing_schemas import (
    CallbackRatingIn,
    CloseDirectlyIn,
    CloseIn,
    MergeIn,
    PublicRatingIn,
    RatingExclusionIn,
    ReopenIn,
    SuperviseIn,
)
from service.handling.rating_exclusion import set_rating_exclusion
from service.i18n import response_language

blp = Blueprint(
    "closing",
    __name__,
    url_prefix="/api/v1/appeals",
    description="Closing an appeal: direct close, rating, reopen, merge, supervision, close",
)
public_blp = Blueprint(
    "public_evaluate", __name__, url_prefix="/api/v1/public", description="Citizens' portal (no login)"
)


def _lookup_limit() -> str:
    return current_app.config["PUBLIC_LOOKUP_RATE_LIMIT"]


@blp.route("/<number>/close-directly")
class CloseDirectly(MethodView):
    @acting("close-directly")
    @blp.arguments(CloseDirectlyIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """直接办结: a consultation answered at first contact (operator), with the article used, if any."""
        s = db.session()
        closing.close_directly(
            s,
            appeal,
            user,
            answer=data["answer"],
            kb_article_id=data["kb_article"],
            tz=current_app.config["TZ"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/evaluate")
class Evaluate(MethodView):
    @acting("evaluate")
    @blp.arguments(CallbackRatingIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """回访: the citizen's rating taken on a call-back (operator, reviewer). Once per round."""
        s = db.session()
        closing.evaluate(s, appeal, user, data, expected_version=data["version"])
        return appeal_out(appeal, user)


@blp.route("/<number>/exclude-rating")
class ExcludeRating(MethodView):
    @acting("exclude-rating")
    @blp.arguments(RatingExclusionIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """评价剔除 (centre): set the latest rating aside for the figures, or count it again (null)."""
        s = db.session()
        set_rating_exclusion(
            s, appeal, user, reason=data["reason"], note=data["note"], expected_version=data["version"]
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/reopen")
class Reopen(MethodView):
    @acting("reopen")
    @blp.arguments(ReopenIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """重办: after an unsatisfied rating that is the unit's fault; same unit, new deadlines.

        A unit the responsibility list in force deactivated since the dispatch is not sent the
        appeal again: a co-unit's part ends (its `ended_reason` says why; the `reopened` event's
        payload names it in `dropped_co_units`); an inactive lead unit sends the appeal to the
        dispatch queue instead (status `pending_dispatch`, the reopen still counted; the event's
        `inactive_lead`), for a dispatcher to dispatch it to the unit now responsible."""
        s = db.session()
        reopening.reopen(
            s,
            appeal,
            user,
            reason=data["reason"],
            attributable=data["attributable"],
            tz=current_app.config["TZ"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/merge")
class Merge(MethodView):
    @acting("merge")
    @blp.arguments(MergeIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """并案: merge this appeal into a master appeal (centre). Its citizen follows the master."""
        s = db.session()
        merging.merge(
            s,
            appeal,
            user,
            master_number=data["master"],
            reason=data["reason"],
            expected_version=data["version"],
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/supervise")
class Supervise(MethodView):
    @acting("supervise")
    @blp.arguments(SuperviseIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """催办 (kind press) or 督办 (kind raise: one level up, at most 3), with a note."""
        s = db.session()
        merging.supervise(
            s, appeal, user, kind=data["kind"], note=data["note"], expected_version=data["version"]
        )
        return appeal_out(appeal, user)


@blp.route("/<number>/close")
class Close(MethodView):
    @acting("close")
    @blp.arguments(CloseIn)
    @blp.response(200, AppealOut)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """办结: after the rating, or once the rating window passed without one (centre)."""
        s = db.session()
        closing.close(
            s, appeal, user, tz=current_app.config["TZ"], note=data["note"], expected_version=data["version"]
        )
        return appeal_out(appeal, user)


@public_blp.route("/appeals/<number>/evaluate")
class PublicEvaluate(MethodView):
    decorators = [limiter.limit(_lookup_limit), guess_limit]

    @public_blp.arguments(PublicRatingIn)
    @public_blp.response(200, PublicAppealOut)
    @public_blp.refusal(404, WRONG_NUMBER_OR_CODE)
    @public_blp.rate_limited(GUESSES_LIMITED)
    @public_blp.conflict("Rated already, or the appeal has no released reply to rate now.")
    def post(self, data: dict[str, Any], number: str) -> dict[str, Any]:
        """Rate the reply once, with the number and the query code: contacted? resolved? satisfied?"""
        appeal = find_for_citizen(number, data["code"])
        closing.evaluate(db.session(), appeal, None, data)
        return citizen_view(appeal, response_language())
