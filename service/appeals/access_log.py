"""Who saw a citizen's personal data (个人信息查看记录): the record `privacy.log_access` keeps, read back.

Every unmasked view of a citizen's contact is logged with who, when and why; this is how the
administrator answers "who could have passed this on?" for one appeal, or "what did this account
look at?" for one person. `GET /api/v1/admin/personal-data-access` (admins only) and the page
/admin/access (service/web/admin_access.py) read the same query.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from service import db, validate
from service.appeals.citizen_codes import normal_number
from service.appeals.models import Appeal, PersonalDataAccess
from service.auth.models import User, username_key
from service.extensions import Blueprint
from service.fields import CleanText
from service.paging import LogArgs, page_of, page_schema, within

blp = Blueprint(
    "access_log",
    __name__,
    url_prefix="/api/v1/admin",
    description="Personal-data access log (个人信息查看记录)",
)

AUDITORS = ("admin",)
#: view: the contact shown unmasked; export: a file with personal data; print: the reply letter
#: (答复函) printed with the citizen's name and address (service/web/centre_letter.py);
#: print_receipt: the receipt (受理回执) printed with them (service/web/centre_receipt.py).
ACTIONS = ("view", "export", "print", "print_receipt")


class AccessArgs(LogArgs):
    appeal = CleanText(max_length=32, metadata={"description": "an appeal's number"})
    user = CleanText(max_length=64, metadata={"description": "a username (any case)"})
    action = fields.String(validate=validate.OneOf(ACTIONS))


class AccessUserOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    unit_code = fields.String(allow_none=True)


class AccessOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user = fields.Nested(AccessUserOut)
    appeal_number = fields.String()
    action = fields.String()
    reason = fields.String()


AccessPageOut = page_schema(AccessOut, "AccessPage")


def records(args: dict[str, Any], tz: tzinfo) -> sa.Select[Any]:
    """The access records matching `args` (AccessArgs), with their user and appeal number."""
    query = (
        sa.select(PersonalDataAccess, User, Appeal.number)
        .join(User, User.id == PersonalDataAccess.user_id)
        .join(Appeal, Appeal.id == PersonalDataAccess.appeal_id)
    )
    if v := args.get("appeal"):
        query = query.where(Appeal.number == normal_number(v))
    if v := args.get("user"):
        query = query.where(User.username_key == username_key(v.strip()))
    if v := args.get("action"):
        query = query.where(PersonalDataAccess.action == v)
    return within(query, PersonalDataAccess.at, args, tz)


def _view(row: Any) -> dict[str, Any]:
    access, user, number = row
    return {
        "id": access.id,
        "at": access.at,
        "user": {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit_code": user.unit_code,
        },
        "appeal_number": number,
        "action": access.action,
        "reason": access.reason,
    }


def access_page(s: Session, args: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """One page of the records matching `args`, newest first, with the total."""
    order = (PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc())
    return page_of(s, records(args, tz), order, args["page"], args["per_page"], _view)


@blp.route("/personal-data-access")
class AccessLog(MethodView):
    @blp.requires(*AUDITORS)
    @blp.arguments(AccessArgs, location="query")
    @blp.response(200, AccessPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every view of a citizen's unmasked personal data, newest first: who, when, which appeal,
        why. Filter by appeal number, username, action and time. Administrators only."""
        return access_page(db.session(), args, current_app.config["TZ"])
