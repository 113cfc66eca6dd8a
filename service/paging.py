"""One page of a filtered list, as every listing of the API answers it: the items, the total, the
page and its size; and the filters the audit logs share (page, size, a time range)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from service import validate
from service.fields import DayOrInstant, range_end, range_start


class PageArgs(Schema):
    """Which page of a listing, and its size. A listing's own schema adds its filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LogArgs(PageArgs):
    """The filters every log shares: a time range and the page. A log's own schema adds its fields."""

    since = DayOrInstant(metadata={"description": "from this instant, or a date: from that day's start"})
    until = DayOrInstant(metadata={"description": "before this instant, or a date: through that day's end"})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of `item`s as `page_of` answers it (named `name` in the API document)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
        name=name,
    )


def within(query: sa.Select[Any], column: Any, args: dict[str, Any], tz: tzinfo) -> sa.Select[Any]:
    """`query` limited to `column` in the range of `args` (LogArgs); a plain date is a whole day
    in `tz`, both ends included."""
    if v := args.get("since"):
        query = query.where(column >= range_start(v, tz))
    if v := args.get("until"):
        query = query.where(column < range_end(v, tz))
    return query


def page_of(
    s: Session,
    query: sa.Select[Any],
    order_by: Sequence[Any],
    page: int,
    per_page: int,
    view: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Page `page` of `query` in the order given, each row as `view` shows it, with the total."""
    total = s.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = s.execute(query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page))
    return {"items": [view(row) for row in rows], "total": total, "page": page, "per_page": per_page}
