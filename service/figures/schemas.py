"""marshmallow schemas of the leaders' figures."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates

from dispatch.figures import RATES
from service import validate
from service.figures.queries import parse_month
from service.text import t


class FiguresArgs(Schema):
    month = fields.String(
        load_default=None, metadata={"description": "YYYY-MM, in the service's time zone; default this month"}
    )
    rank_by = fields.String(
        load_default="satisfaction_rate",
        validate=validate.OneOf(RATES),
        metadata={"description": "the rate the rankings and the tables are ordered by"},
    )

    @validates("month")
    def _month(self, value: str | None, **_kw: object) -> None:
        if value is not None and parse_month(value) is None:
            raise ValidationError(t("A month as YYYY-MM, from 2000-01 to 2099-12."))


class RateOut(Schema):
    label = fields.String()
    numerator = fields.Float(metadata={"description": "weighted for the satisfaction rates"})
    denominator = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "0 to 1; null when nothing was counted"})


class TallyOut(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rates = fields.Dict(keys=fields.String(), values=fields.Nested(RateOut))


class UnitFiguresOut(TallyOut):
    code = fields.String()
    name = fields.String()


class RankedOut(Schema):
    code = fields.String()
    name = fields.String()
    rate = fields.Float()
    sample = fields.Integer(metadata={"description": "the count the rate stands on"})


class GroupOut(Schema):
    kind = fields.String(metadata={"description": "township | department | other"})
    label = fields.String()
    units = fields.List(fields.Nested(UnitFiguresOut), metadata={"description": "best first by rank_by"})
    best = fields.List(fields.Nested(RankedOut), metadata={"description": "top five"})
    worst = fields.List(fields.Nested(RankedOut), metadata={"description": "bottom five, worst first"})


class RulesOut(Schema):
    basic_weight = fields.Float(metadata={"description": "how much 基本满意 counts of 满意"})
    excluded = fields.List(fields.String(), metadata={"description": "exclusion reasons left out"})
    min_ranked = fields.Integer()


class FiguresOut(Schema):
    month = fields.String()
    from_ = fields.DateTime(data_key="from", attribute="from")
    to = fields.DateTime()
    generated_at = fields.DateTime()
    rank_by = fields.String()
    rules = fields.Nested(RulesOut)
    overall = fields.Nested(TallyOut)
    groups = fields.List(fields.Nested(GroupOut))
