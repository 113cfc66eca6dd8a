"""Notice records as the admin API shows them (addresses masked)."""

from __future__ import annotations

from marshmallow import Schema, fields

from service import validate
from service.notices.models import DELIVERY_STATUSES


class NoticeArgs(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    appeal = fields.String(metadata={"description": "an appeal number"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NoticeOut(Schema):
    id = fields.Integer()
    appeal_number = fields.String(allow_none=True)
    template = fields.String()
    recipient = fields.String(
        metadata={"description": "citizen | unit:<code> | centre | ladder:<unit>:<level>"}
    )
    recipient_name = fields.String()
    channel = fields.String()
    destination = fields.String(metadata={"description": "masked"})
    subject = fields.String()
    body = fields.String()
    priority = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    last_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String()


class NoticePageOut(Schema):
    items = fields.List(fields.Nested(NoticeOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class FailedJobOut(Schema):
    id = fields.String()
    queue = fields.String()
    function = fields.String()
    ended_at = fields.String(allow_none=True)
    error = fields.String()


class FailedJobsOut(Schema):
    items = fields.List(fields.Nested(FailedJobOut))
