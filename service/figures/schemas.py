"""marshmallow schemas of the leaders' figures."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates

from dispatch.figures import RATES
from service import validate
from service.fields import Label
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
    label = Label()
    numerator = fields.Float(metadata={"description": "weighted for the satisfaction rates"})
    denominator = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "0 to 1; null when nothing was counted"})


class TallyOut(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rates = fields.Dict(keys=fields.String(), values=fields.Nested(RateOut))


class UnitFiguresOut(TallyOut):
    code = fields.String()
    name = fields.String()


class OverallOut(TallyOut):
    appeals_dispatched = fields.Integer(
        metadata={
            "description": "appeals dispatched this month, each once; counts.dispatched counts dispatches "
            "(a re-dispatched appeal once per unit: the return rate's base)"
        }
    )


class RankedOut(Schema):
    code = fields.String()
    name = fields.String()
    rate = fields.Float()
    sample = fields.Integer(metadata={"description": "the count the rate stands on"})


class GroupOut(Schema):
    kind = fields.String(metadata={"description": "township | department | other"})
    label = Label()
    units = fields.List(fields.Nested(UnitFiguresOut), metadata={"description": "best first by rank_by"})
    best = fields.List(fields.Nested(RankedOut), metadata={"description": "top five"})
    worst = fields.List(
        fields.Nested(RankedOut),
        metadata={
            "description": "bottom five, worst first, of the units not in `best`: shorter, or empty, "
            "when fewer than ten units are ranked"
        },
    )


class RulesOut(Schema):
    basic_weight = fields.Float(metadata={"description": "how much 基本满意 counts of 满意"})
    excluded = fields.List(fields.String(), metadata={"description": "exclusion reasons left out"})
    min_ranked = fields.Integer()


class ChangeOut(Schema):
    """A count this month against the month before (环比)."""

    count = fields.Integer(metadata={"description": "this month"})
    previous = fields.Integer(metadata={"description": "the month before"})
    change = fields.Integer(metadata={"description": "count - previous"})
    change_rate = fields.Float(
        allow_none=True,
        metadata={"description": "change / previous (0.25 = +25%); null when the month before had none"},
    )


class SharedChangeOut(ChangeOut):
    share = fields.Float(
        allow_none=True,
        metadata={"description": "count / the month's received count (0 to 1); null when none"},
    )


class SplitOut(SharedChangeOut):
    code = fields.String(metadata={"description": "the value as the appeal records it"})
    label = Label()


class PlaceCountOut(Schema):
    code = fields.String(metadata={"description": "the 9-digit division code"})
    name = fields.String()
    count = fields.Integer()


class CategoryRefOut(Schema):
    code = fields.String()
    name = fields.String()


class HotCategoryOut(SharedChangeOut):
    code = fields.String()
    name = fields.String()
    top_level = fields.Nested(
        CategoryRefOut, metadata={"description": "its level-1 category (only in hot_categories)"}
    )
    township = fields.Nested(
        PlaceCountOut,
        allow_none=True,
        metadata={
            "description": "the township where it was most frequent this month (equal counts: the "
            "lowest division code); null when none of its appeals was placed in a township"
        },
    )


class TownshipOut(SharedChangeOut):
    code = fields.String(metadata={"description": "the 9-digit division code; villages counted in it"})
    name = fields.String()


class VolumesOut(Schema):
    """诉求量与热点: the appeals received in the month, against the month before."""

    month = fields.String()
    previous_month = fields.String(metadata={"description": "the month the changes (环比) compare with"})
    received = fields.Nested(
        ChangeOut,
        metadata={
            "description": "受理量: appeals received in the month, each merged group (并案) once, in "
            "the appeal the others joined"
        },
    )
    merged = fields.Nested(
        ChangeOut,
        metadata={"description": "appeals received in the month and merged into another: not in received"},
    )
    channels = fields.List(fields.Nested(SplitOut), metadata={"description": "by channel, every channel"})
    appeal_types = fields.List(fields.Nested(SplitOut), metadata={"description": "by appeal type"})
    urgencies = fields.List(fields.Nested(SplitOut), metadata={"description": "by urgency"})
    dispositions = fields.List(
        fields.Nested(SplitOut),
        metadata={
            "description": "direct (closed at first contact, 直接办结), dispatched (to a unit), pending "
            "(still waiting for dispatch)"
        },
    )
    hot_categories = fields.List(
        fields.Nested(HotCategoryOut),
        metadata={
            "description": "热点问题: the ten categories with the most appeals, as filed (the list's "
            "most specific level); most first, equal counts by category code"
        },
    )
    hot_top_categories = fields.List(
        fields.Nested(HotCategoryOut),
        metadata={"description": "the same rolled up to the level-1 categories"},
    )
    uncategorised = fields.Nested(
        SharedChangeOut, metadata={"description": "appeals filed under no category"}
    )
    townships = fields.List(
        fields.Nested(TownshipOut),
        metadata={
            "description": "every township (乡镇/街道) with appeals this month or the one before, villages "
            "rolled up by division code; most first, equal counts by code"
        },
    )
    hot_townships = fields.List(
        fields.Nested(TownshipOut),
        metadata={"description": "the first ten townships with appeals this month"},
    )
    unplaced = fields.Nested(
        SharedChangeOut, metadata={"description": "appeals placed in no township (county-wide, or no place)"}
    )
    days = fields.List(
        fields.Integer(),
        metadata={"description": "appeals received on each day of the month (28 to 31 counts, day 1 first)"},
    )


class FiguresOut(Schema):
    month = fields.String()
    from_ = fields.DateTime(data_key="from", attribute="from")
    to = fields.DateTime()
    generated_at = fields.DateTime()
    rank_by = fields.String()
    rules = fields.Nested(RulesOut)
    overall = fields.Nested(OverallOut)
    groups = fields.List(fields.Nested(GroupOut))
    volumes = fields.Nested(VolumesOut)
