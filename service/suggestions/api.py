from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from service import db, validate
from service.extensions import Blueprint
from service.fields import CleanText
from service.suggestions.operations import suggest

blp = Blueprint("suggest", __name__, url_prefix="/api/v1", description="Suggestions for operators")

#: Who is offered suggestions: the roles that take in and dispatch appeals.
SUGGESTED_TO = ("operator", "dispatcher", "reviewer", "admin")


class SuggestArgs(Schema):
    text = CleanText(required=True, min_length=1, max_length=5000, multiline=True)
    address = CleanText(load_default="", max_length=200)
    k = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))


class CategorySuggestionOut(Schema):
    code = fields.String()
    name = fields.String()
    path = fields.String()
    score = fields.Float()
    keyword_score = fields.Float()
    model_score = fields.Float(allow_none=True)
    matched = fields.List(fields.String())


class AreaSuggestionOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    township_code = fields.String()
    township_name = fields.String()
    village_code = fields.String(allow_none=True)
    village_name = fields.String(allow_none=True)
    matched = fields.List(fields.String())
    score = fields.Float()
    ambiguous = fields.List(fields.String())


class ModelOut(Schema):
    trained_at = fields.DateTime()
    accuracy = fields.Float()
    top3_accuracy = fields.Float()


class SuggestOut(Schema):
    categories = fields.List(fields.Nested(CategorySuggestionOut))
    area = fields.Nested(AreaSuggestionOut, allow_none=True)
    model = fields.Nested(ModelOut, allow_none=True)
    list_version = fields.String(allow_none=True)


@blp.get("/suggest")
@blp.requires(*SUGGESTED_TO)
@blp.arguments(SuggestArgs, location="query")
@blp.response(200, SuggestOut)
def suggest_view(args: dict[str, Any]) -> dict[str, Any]:
    """The three likeliest categories for the text, and the area named in the address (or the text).

    A long text does not fit in a URL (servers cut the request line at about 4 KB, some 450 Chinese
    characters): POST the same fields as JSON instead."""
    return _suggest(args)


@blp.post("/suggest")
@blp.requires(*SUGGESTED_TO)
@blp.arguments(SuggestArgs)
@blp.response(200, SuggestOut)
def suggest_posted(args: dict[str, Any]) -> dict[str, Any]:
    """The same as GET, the fields in a JSON body: for texts of any allowed length (5000)."""
    return _suggest(args)


def _suggest(args: dict[str, Any]) -> dict[str, Any]:
    return suggest(db.session(), args["text"], args["address"], args["k"])
