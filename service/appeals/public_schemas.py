"""marshmallow schemas of the citizens' side of the appeal API (service/appeals/public_api.py): what a
citizen submits on the web portal and what they may see of their appeal with its query code (the
status, a timeline without staff names, internal notes or anyone's personal data, the released
reply and their rating). The staff's schemas: service/appeals/schemas.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from service import validate
from service.appeals.citizen_codes import QueryCode
from service.appeals.schemas import AREA_CODE, CATEGORY_CODE, RECORDED_TEXT, ContactIn, ReceiptOut
from service.appeals.status import APPEAL_TYPES
from service.fields import CleanText, Label, Phone
from service.text import t


class PublicContactIn(ContactIn):
    name = CleanText(required=True, min_length=1, max_length=50)
    phone = Phone(required=True)


class PublicAppealIn(Schema):
    """What a citizen submits on the web portal (the channel is `web`)."""

    appeal_type = fields.String(required=True, validate=validate.OneOf(APPEAL_TYPES))
    title = CleanText(required=True, min_length=1, max_length=100)
    content = CleanText(required=True, min_length=5, max_length=5000, multiline=True)
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    area = fields.String(load_default=None, allow_none=True, validate=AREA_CODE)
    address = CleanText(max_length=200, load_default="")
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    contact = fields.Nested(PublicContactIn, required=True)
    confidential = fields.Boolean(load_default=False)
    consent_publish = fields.Boolean(load_default=False)

    # Also when other fields are wrong: every wrong field in one 422, as the staff intake says it.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_place(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """Half a coordinate is no place: refused as the staff intake refuses it (`AppealIn`),
        once both coordinates sent are valid numbers (one message about a coordinate at a time)."""
        sent = original if isinstance(original, Mapping) else {}
        given = [sent.get(k) is not None for k in ("latitude", "longitude")]
        loaded = [data.get(k) is not None for k in ("latitude", "longitude")]
        if given == loaded and given[0] != given[1]:
            raise ValidationError({"latitude": [t("Give latitude and longitude together, or neither.")]})


class PublicEventOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    label = Label()
    superseded = fields.Boolean(
        metadata={
            "description": "a reply or an extension of a round the appeal was reopened after (重办): "
            "history, not the answer nor the deadline now (its label says so)"
        }
    )
    status = fields.String(allow_none=True)
    status_label = Label(allow_none=True)
    message = fields.String(
        allow_none=True,
        metadata={"description": f"what happened, for the citizen: {RECORDED_TEXT}"},
    )


class PublicReplyOut(Schema):
    result = Label(metadata={"description": "已解决, 正在解决 or 暂无法解决"})
    text = fields.String()
    released_at = fields.DateTime()


class PublicEvaluationOut(Schema):
    round = fields.Integer(metadata={"description": "0, or how many times the appeal was reopened before"})
    contacted = fields.Boolean()
    resolved = fields.String()
    attitude = fields.String()
    result = fields.String()
    at = fields.DateTime()


class PublicAppealOut(Schema):
    number = fields.String()
    status = fields.String()
    status_label = Label(
        metadata={
            "description": "where the appeal stands for the citizen: 已受理, 已转办, 办理中 (a return or "
            "a reply under review included), 已答复, 已办结 or 已并案; 重新办理中 after a reopen (重办) "
            "until the new reply"
        }
    )
    round = fields.Integer(metadata={"description": "how many times the appeal was reopened (重办)"})
    reopened = fields.Boolean(
        metadata={"description": "handled again after a reopen; the earlier reply is on the timeline only"}
    )
    reply_due_at = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "the reply deadline of the round under way, while a unit handles the "
            "appeal; null before dispatch and once replied"
        },
    )
    appeal_type = fields.String()
    title = fields.String()
    content = fields.String()
    category = fields.String(allow_none=True)
    handling_unit = fields.String(allow_none=True)
    received_at = fields.DateTime()
    timeline = fields.List(fields.Nested(PublicEventOut))
    reply = fields.Nested(
        PublicReplyOut,
        allow_none=True,
        metadata={
            "description": "null until released, and after a reopen until the new one is (an earlier round's reply never again)"
        },
    )
    merged_into = fields.String(
        allow_none=True,
        metadata={"description": "the master's number when merged (并案): its progress is shown"},
    )
    can_evaluate = fields.Boolean(metadata={"description": "the reply may be rated now"})
    evaluation = fields.Nested(
        PublicEvaluationOut, allow_none=True, metadata={"description": "the latest rating"}
    )


class PublicIntakeOut(Schema):
    number = fields.String()
    query_code = fields.String()
    status = fields.String()
    status_label = Label()
    receipt = fields.Nested(
        ReceiptOut,
        allow_none=True,
        metadata={
            "description": "whether the number and the query code are also sent by text (to the "
            "mobile given, masked) and if not why: a landline, or SMS not set up. Show the citizen "
            "the number and the code in any case"
        },
    )


class PublicLookupArgs(Schema):
    code = QueryCode(required=True)
