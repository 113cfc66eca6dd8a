"""The centre's view of likely duplicates (重复件) of an appeal, and their dismissal.

Merging is the merge action's (`POST /api/v1/appeals/<number>/merge`); it marks the flag merged.
Duplicates are a centre matter: unit staff get 403 here, whatever the appeal.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service import db
from service.appeals.api import visible_appeal
from service.appeals.models import Appeal
from service.auth.models import User
from service.extensions import Blueprint
from service.handling import duplicates
from service.handling.duplicate_schemas import DismissIn, DuplicateOut

blp = Blueprint(
    "duplicates", __name__, url_prefix="/api/v1/appeals", description="Likely duplicates (重复件)"
)

READERS = ("operator", "dispatcher", "reviewer", "leader", "admin")
DECIDERS = ("dispatcher", "admin")


@blp.route("/<number>/duplicates")
class AppealDuplicates(MethodView):
    @blp.requires(*READERS, load=visible_appeal)
    @blp.response(200, DuplicateOut(many=True))
    def get(self, number: str, user: User, appeal: Appeal) -> list[dict[str, Any]]:
        """The appeal's duplicate flags, either way (earlier appeals it may repeat, later ones repeating it)."""
        return duplicates.candidates_of(db.session(), appeal, user)


def flagged(user: User, number: str, other: str) -> dict[str, Any]:
    """`Blueprint.requires`' loader of a dismissal: the appeal <number> the caller may see, and its
    flag with the appeal <other> (404 without one), both named by the URL: found before the body
    is read."""
    appeal = visible_appeal(user, number)["appeal"]
    return {"appeal": appeal, "flag": duplicates.flag_between(db.session(), appeal, other)}


@blp.route("/<number>/duplicates/<other>/dismiss")
class DismissDuplicate(MethodView):
    @blp.requires(*DECIDERS, load=flagged)
    @blp.arguments(DismissIn)
    @blp.response(200, DuplicateOut)
    def post(
        self,
        data: dict[str, Any],
        number: str,
        other: str,
        user: User,
        appeal: Appeal,
        flag: duplicates.Flag,
    ) -> dict[str, Any]:
        """Not a duplicate: dismiss the flag between the two appeals (recorded on the appeal's timeline)."""
        return duplicates.dismiss(
            db.session(), appeal, flag, actor=user, note=data["note"], expected_version=data["version"]
        )
