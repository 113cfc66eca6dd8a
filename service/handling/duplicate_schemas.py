"""marshmallow schemas of the duplicate flags (重复件): the flag as listed, and a dismissal."""

from __future__ import annotations

from marshmallow import Schema, fields

from service.fields import CleanText, Label


class DecidedByOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()


class DuplicateOut(Schema):
    number = fields.String(metadata={"description": "the other appeal"})
    title = fields.String()
    status = fields.String(metadata={"description": "the other appeal's status"})
    status_label = Label()
    received_at = fields.DateTime()
    direction = fields.String(
        metadata={
            "description": "earlier: flagged at this appeal's intake; later: a later appeal flagged this one"
        }
    )
    reason = fields.String(metadata={"description": "same_phone | similar_text"})
    score = fields.Float(metadata={"description": "0..1; same_phone: 0.5 + 0.5 × text similarity"})
    decision = fields.String(metadata={"description": "open | merged | dismissed"})
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.Nested(DecidedByOut, allow_none=True)


class DismissIn(Schema):
    note = CleanText(max_length=500, load_default="", metadata={"description": "why it is not a duplicate"})
    version = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "the appeal version you saw (optimistic lock)"},
    )
