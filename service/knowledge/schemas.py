"""marshmallow schemas of the knowledge-base API."""

from __future__ import annotations

from marshmallow import Schema, fields

from service import validate
from service.appeals.schemas import CATEGORY_CODE, RefOut
from service.fields import CleanText


class ArticleIn(Schema):
    title = CleanText(required=True, min_length=1, max_length=200)
    body = CleanText(required=True, min_length=1, max_length=20000, multiline=True)
    categories = fields.List(
        fields.String(validate=CATEGORY_CODE),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "category codes of the active list"},
    )
    keywords = fields.List(
        CleanText(min_length=1, max_length=50), load_default=list, validate=validate.Length(max=30)
    )
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    owner_unit = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "the owning unit's code; unit staff: their own unit (the default) only"},
    )


class ArticlePatch(Schema):
    """Only the fields given change."""

    title = CleanText(min_length=1, max_length=200)
    body = CleanText(min_length=1, max_length=20000, multiline=True)
    categories = fields.List(fields.String(validate=CATEGORY_CODE), validate=validate.Length(max=20))
    keywords = fields.List(CleanText(min_length=1, max_length=50), validate=validate.Length(max=30))
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    owner_unit = fields.String(
        allow_none=True, validate=validate.Length(max=32), metadata={"description": "the centre only"}
    )
    active = fields.Boolean(
        metadata={"description": "false withdraws; true brings a withdrawn article back (the centre only)"}
    )


class ArticleOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    categories = fields.List(fields.String())
    keywords = fields.List(fields.String())
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    owner_unit = fields.Nested(RefOut, allow_none=True)
    active = fields.Boolean()
    valid_today = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    score = fields.Integer(metadata={"description": "search relevance (title > keywords > body)"})


class ArticleSearchArgs(Schema):
    q = CleanText(max_length=100, load_default="", metadata={"description": "words to look for"})
    category = fields.String(load_default=None, validate=CATEGORY_CODE)
    all = fields.Boolean(
        load_default=False,
        metadata={"description": "the centre only: include withdrawn and expired articles"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ArticlePage(Schema):
    items = fields.List(fields.Nested(ArticleOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
