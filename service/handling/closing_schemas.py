"""Bodies of the closing actions: direct close, rating, reopen, merge, supervision, close."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates

from dispatch.figures import EXCLUSION_REASONS
from service import validate
from service.appeals.citizen_codes import AppealNumber, QueryCode
from service.fields import CleanText
from service.text import t

SATISFACTION = ("满意", "基本满意", "不满意")
RESOLVED = ("yes", "partly", "no")
#: The words of RESOLVED, as the rating forms offer them (service/web/intake_form.py RESOLVED_LABELS).
RESOLVED_WORDS = ("已解决", "部分解决", "未解决")


def version_field() -> fields.Integer:
    return fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "the appeal version you saw (optimistic lock): 409 if it changed"},
    )


class DirectAnswerIn(Schema):
    """直接办结: a consultation answered at first contact (also the intake's `close_directly`)."""

    answer = CleanText(
        required=True,
        min_length=1,
        max_length=2000,
        multiline=True,
        metadata={"description": "the answer given to the citizen (shown to them)"},
    )
    kb_article = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),  # an id: beyond it the database cannot look
        metadata={"description": "the knowledge-base article used"},
    )


class CloseDirectlyIn(DirectAnswerIn):
    """直接办结 of an appeal registered earlier and still waiting for dispatch."""

    version = version_field()


class RatingIn(Schema):
    """评价: the form of the call-back (回访) and of the citizen's rating."""

    contacted = fields.Boolean(required=True, metadata={"description": "did the unit contact the citizen?"})
    resolved = fields.String(required=True, validate=validate.OneOf(RESOLVED, labels=RESOLVED_WORDS))
    attitude = fields.String(
        required=True, validate=validate.OneOf(SATISFACTION), metadata={"description": "办理态度"}
    )
    result = fields.String(
        required=True, validate=validate.OneOf(SATISFACTION), metadata={"description": "办理结果"}
    )
    comment = CleanText(max_length=500, multiline=True, load_default="")


class CallbackRatingIn(RatingIn):
    """An operator's or reviewer's call-back: the citizen's answers, recorded by staff."""

    version = version_field()


class PublicRatingIn(RatingIn):
    code = QueryCode(required=True, metadata={"description": "the appeal's query code (6 digits)"})


class ReopenIn(Schema):
    """重办: an unsatisfied rating the unit is answerable for."""

    reason = CleanText(
        required=True, min_length=1, max_length=500, multiline=True, metadata={"description": "why (kept)"}
    )
    attributable = fields.Boolean(
        required=True, metadata={"description": "the dissatisfaction is the unit's fault (must be true)"}
    )
    version = version_field()

    @validates("attributable")
    def _attributable(self, value: bool, **_: Any) -> None:
        if not value:
            raise ValidationError(
                t(
                    "A reopen sends the appeal back to the unit for its own failing. "
                    "If the unit is not at fault, close the appeal instead (POST …/close)."
                )
            )


class MergeIn(Schema):
    """并案: into a master appeal."""

    master = AppealNumber(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "the master's number (any case, spaces and full-width digits read as typed)"
        },
    )
    reason = CleanText(required=True, min_length=1, max_length=500, multiline=True)
    version = version_field()


class SuperviseIn(Schema):
    """催办 (press) or 督办 (raise a level)."""

    kind = fields.String(required=True, validate=validate.OneOf(("press", "raise")))
    note = CleanText(required=True, min_length=1, max_length=500, multiline=True)
    version = version_field()


class RatingExclusionIn(Schema):
    """评价剔除: set the latest rating aside for the figures, or (reason null) count it again."""

    reason = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(tuple(EXCLUSION_REASONS), labels=tuple(EXCLUSION_REASONS.values())),
        metadata={"description": "malicious (恶意评价), unreachable (无法联系), invalid (无效评价), or null"},
    )
    note = CleanText(required=True, min_length=1, max_length=500, multiline=True)
    version = version_field()


class CloseIn(Schema):
    note = CleanText(max_length=500, multiline=True, load_default="")
    version = version_field()
