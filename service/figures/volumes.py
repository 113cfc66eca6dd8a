"""诉求量与热点: the month's volumes for the figures (`volumes` in `GET /api/v1/figures`), counted
by the database and shaped by `dispatch.volumes`.

What is counted: the appeals received (`received_at`) in the month, in the service's time zone.
An appeal merged into another (并案, status merged) is the same matter: it is counted once, in
the appeal it joined, and its own arrival is reported apart as `merged` (so every appeal that
came in is `received` + `merged`). An appeal's place and category are those it has now (the
centre may correct them after intake).

Five queries whatever the volume, each grouped in the database: the splits (channel, type,
urgency, what became of it) of this month and the one before, the (category, place) groups of
both months, the days of this month, and the category tree and the townships' names.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch import volumes as vol
from service.appeals import status as st
from service.appeals.models import Appeal
from service.figures.queries import Period, local_midnight, period, within
from service.lists.models import Area, Category

#: What became of an appeal received, in the order shown: closed at first contact (直接办结),
#: dispatched to a unit, or still waiting in the dispatch queue.
DISPOSITIONS: dict[str, str] = {
    "direct": "直接办结",
    "dispatched": "已派单",
    "pending": "待分拨",
}


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def period_before(p: Period, tz: tzinfo) -> Period:
    """The month before `p`, whatever its year (2000-01 is a month the figures take; 1999-12 is
    not one they show, yet it is the one it compares with)."""
    month = previous_month(p.month)
    return Period(month, local_midnight(date(int(month[:4]), int(month[5:]), 1), tz), p.start)


def day_starts(month: str, tz: tzinfo) -> list[datetime]:
    """The UTC instant each local day of `month` begins, and the next month's first (days + 1)."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    return [local_midnight(first + timedelta(days=i), tz) for i in range(monthrange(year, number)[1] + 1)]


def _counted(p: Period, before: Period) -> sa.ColumnElement[bool]:
    return sa.and_(Appeal.received_at >= before.start, Appeal.received_at < p.end)


def _which(p: Period) -> sa.ColumnElement[str]:
    return sa.case((Appeal.received_at >= p.start, "current"), else_="previous")


def _grouped(inner: sa.Select[Any]) -> sa.Select[Any]:
    """Each distinct row of `inner` with how many appeals it stands for. Grouped over a subquery so
    that the CASE expressions (whose bound values PostgreSQL sees as new parameters each time they
    are written) appear once."""
    sub = inner.subquery()
    return sa.select(*sub.c, sa.func.count().label("n")).group_by(*sub.c)


def _splits(s: Session, p: Period, before: Period) -> dict[str, dict[str, dict[str, int]]]:
    """{dimension: {"current"|"previous": {value: count}}}, and {"merged": {...: {"": count}}}."""
    disposition = sa.case(
        (Appeal.close_reason == "direct", "direct"),
        (Appeal.dispatched_at.is_not(None), "dispatched"),
        else_="pending",
    )
    rows = s.execute(
        _grouped(
            sa.select(
                _which(p).label("which"),
                (Appeal.status == st.MERGED).label("merged"),
                Appeal.channel,
                Appeal.appeal_type,
                Appeal.urgency,
                disposition.label("disposition"),
            ).where(_counted(p, before))
        )
    )
    out: dict[str, dict[str, dict[str, int]]] = {
        key: {"current": {}, "previous": {}}
        for key in ("merged", "received", "channel", "appeal_type", "urgency", "disposition")
    }
    for which, merged, channel, appeal_type, urgency, disposition_, n in rows:
        if merged:
            out["merged"][which][""] = out["merged"][which].get("", 0) + n
            continue
        for key, value in (
            ("received", ""),
            ("channel", channel),
            ("appeal_type", appeal_type),
            ("urgency", urgency),
            ("disposition", disposition_),
        ):
            out[key][which][value] = out[key][which].get(value, 0) + n
    return out


def _placed(s: Session, p: Period, before: Period) -> dict[str, list[vol.Placed]]:
    rows = s.execute(
        _grouped(
            sa.select(_which(p).label("which"), Appeal.category_code, Appeal.area_code).where(
                _counted(p, before), Appeal.status != st.MERGED
            )
        )
    )
    out: dict[str, list[vol.Placed]] = {"current": [], "previous": []}
    for which, category, area, n in rows:
        out[which].append(vol.Placed(category, area, n))
    return out


def _days(s: Session, p: Period, tz: tzinfo) -> list[int]:
    starts = day_starts(p.month, tz)
    day = sa.case(*((Appeal.received_at < end, i) for i, end in enumerate(starts[1:], start=1)))
    rows = s.execute(
        _grouped(sa.select(day.label("day")).where(within(Appeal.received_at, p), Appeal.status != st.MERGED))
    )
    return vol.daily({d: n for d, n in rows}, len(starts) - 1)


def _change(c: vol.Change, total: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "count": c.count,
        "previous": c.previous,
        "change": c.change,
        "change_rate": None if c.change_rate is None else round(c.change_rate, 4),
    }
    if total is not None:
        share = vol.share(c.count, total)
        out["share"] = None if share is None else round(share, 4)
    return out


def monthly(s: Session, month: str, tz: tzinfo) -> dict[str, Any]:
    """The month's volumes and hot spots, against the month before."""
    p = period(month, tz)
    before = period_before(p, tz)
    splits = _splits(s, p, before)
    placed = _placed(s, p, before)
    categories = {
        code: (name, parent)
        for code, name, parent in s.execute(sa.select(Category.code, Category.name, Category.parent_code))
    }
    parent_of = {code: parent for code, (_name, parent) in categories.items()}
    towns = dict(s.execute(sa.select(Area.code, Area.name).where(sa.func.length(Area.code) == 9)).all())
    days = _days(s, p, tz)

    def total(key: str) -> vol.Change:
        return vol.Change(splits[key]["current"].get("", 0), splits[key]["previous"].get("", 0))

    received = total("received")

    def split(key: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        counts = splits[key]
        # Every known value in its usual order, then any other the records hold (an older list's).
        keys = list(labels) + sorted((set(counts["current"]) | set(counts["previous"])) - set(labels))
        return [
            {"code": k, "label": labels.get(k, k), **_change(c, received.count)}
            for k, c in vol.changes(counts["current"], counts["previous"], keys)
        ]

    spots = vol.hot_spots(placed["current"], placed["previous"], parent_of)

    def township(code: str, count: int) -> dict[str, Any]:
        return {"code": code, "name": towns.get(code, code), "count": count}

    def category(hot: vol.Hot, *, leaf: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"code": hot.code, "name": categories.get(hot.code, (hot.code, None))[0]}
        if leaf:
            top = vol.top_level_of(hot.code, parent_of)
            out["top_level"] = {"code": top, "name": categories.get(top, (top, None))[0]}
        out.update(_change(hot.change, received.count))
        out["township"] = township(*hot.township) if hot.township else None
        return out

    townships = [
        {**township(h.code, h.change.count), **_change(h.change, received.count)} for h in spots.townships
    ]
    return {
        "month": p.month,
        "previous_month": before.month,
        "received": _change(received),
        "merged": _change(total("merged")),
        "channels": split("channel", st.CHANNELS),
        "appeal_types": split("appeal_type", {t: t for t in st.APPEAL_TYPES}),
        "urgencies": split("urgency", {u: u for u in st.URGENCIES}),
        "dispositions": split("disposition", DISPOSITIONS),
        "hot_categories": [category(h, leaf=True) for h in spots.categories],
        "hot_top_categories": [category(h, leaf=False) for h in spots.top_categories],
        "uncategorised": _change(spots.uncategorised, received.count),
        "townships": townships,
        "hot_townships": [t for t in townships if t["count"] > 0][: vol.TOP],
        "unplaced": _change(spots.unplaced, received.count),
        "days": days,
    }
