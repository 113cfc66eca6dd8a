"""marshmallow schemas of the work lists."""

from __future__ import annotations

from marshmallow import Schema, fields

from service import validate
from service.appeals.schemas import AppealOut
from service.fields import Label


class QueuePageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class QueueCountOut(Schema):
    name = fields.String()
    label = Label()
    count = fields.Integer()


class QueueCountsOut(Schema):
    queues = fields.List(fields.Nested(QueueCountOut))


class QueuePageOut(Schema):
    name = fields.String()
    label = Label()
    items = fields.List(fields.Nested(AppealOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
