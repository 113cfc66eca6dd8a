"""The leaders' figures for one month: the facts read from the database, the formulas of
`dispatch.figures` applied, per unit, grouped by kind, with rankings.

Each kind of fact is one query over an indexed time column of the period (a lead assignment's
`assigned_at`, with the other lead assignments of its appeal; a return's `requested_at`, a reply's
`reviewed_at`, a rating's `at`, the `reopened` events by action and time, an appeal's
`received_at`), plus the sign and reply events of the appeals concerned (by `appeal_id`). A
county's month is thousands of rows.

Who a fact counts for: a dispatch (a change of lead unit), the unit it was assigned to; a return
and a reply, the unit that made it; a reopen, the unit it went back to; a rating, the unit whose
reply was rated (the lead unit when the citizen rated, stored with the rating: a reopened appeal
may be re-dispatched since); an intake, the appeal's lead unit now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch import figures as fig
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.handling.models import Evaluation, Reply, ReturnRequest
from service.lists.models import Unit

#: The groups of the monthly tables (townships apart from departments), in the order shown.
GROUPS: tuple[tuple[str, str], ...] = (
    ("township", "乡镇（街道）"),
    ("department", "区直部门"),
    ("other", "其他单位"),
)

RATE_LABELS: dict[str, str] = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "attitude_satisfaction_rate": "态度满意率",
    "sign_on_time_rate": "按时签收率",
    "return_rate": "退单率",
    "completion_on_time_rate": "按时办结率",
    "reopen_rate": "重办率",
    "repeat_call_rate": "重复来电率",
}

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    month: str  # YYYY-MM
    start: datetime  # UTC, inclusive: the first day's local midnight
    end: datetime  # UTC, exclusive


def parse_month(text: str) -> tuple[int, int] | None:
    """(year, month) of "YYYY-MM", or None when it is not one (2000-01 to 2099-12)."""
    m = MONTH.match(text)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (2000 <= year <= 2099 and 1 <= month <= 12):
        return None
    return year, month


def month_of(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m")


def period(month: str, tz: tzinfo) -> Period:
    """The month as a UTC interval, its days counted in the service's time zone."""
    parsed = parse_month(month)
    if parsed is None:
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    year, number = parsed
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(month, local_midnight(date(year, number, 1), tz), local_midnight(following, tz))


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant `day` begins in the service's time zone."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def within(column: Any, p: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= p.start, column < p.end)


def _payloads(s: Session, appeal_ids: sa.Select[Any], action: str) -> list[tuple[datetime, dict[str, Any]]]:
    rows = s.execute(
        sa.select(AppealEvent.at, AppealEvent.payload).where(
            AppealEvent.appeal_id.in_(appeal_ids), AppealEvent.action == action
        )
    )
    return [(at, payload or {}) for at, payload in rows]


def collect(s: Session, p: Period) -> fig.Facts:
    """Every fact of the period, read in eight queries."""
    lead = sa.and_(AppealAssignment.role == "lead", within(AppealAssignment.assigned_at, p))
    # Each dispatch's first signing: the unit signing again after a reopen (重办) is not counted
    # again (the reopen is, in the reopen rate), nor does it replace the first.
    signed_at: dict[Any, datetime] = {}
    for at, payload in sorted(
        _payloads(s, sa.select(AppealAssignment.appeal_id).where(lead), "signed"), key=lambda row: row[0]
    ):
        signed_at.setdefault(payload.get("assignment_id"), at)
    a = AppealAssignment
    # Every lead part of those appeals, earlier ones too: a re-dispatch that kept the unit continues
    # the dispatch before it, wherever that began (`fig.lead_dispatches`).
    parts = s.execute(
        sa.select(a.id, a.appeal_id, a.unit_code, a.assigned_at, a.sign_due_at, a.ended_at).where(
            a.role == "lead",
            a.appeal_id.in_(sa.select(AppealAssignment.appeal_id).where(lead).correlate(None)),
        )
    )
    dispatches = fig.lead_dispatches(
        (
            fig.LeadPart(appeal_id, unit, assigned, due, signed_at.get(assignment_id), ended)
            for assignment_id, appeal_id, unit, assigned, due, ended in parts
        ),
        p.start,
        p.end,
    )
    returns = tuple(
        s.scalars(sa.select(ReturnRequest.unit_code).where(within(ReturnRequest.requested_at, p)))
    )
    approved = sa.and_(Reply.review == "approved", within(Reply.reviewed_at, p))
    reply_due = {
        payload.get("reply_id"): payload.get("reply_due_at")
        for _at, payload in _payloads(s, sa.select(Reply.appeal_id).where(approved), "replied")
    }
    replies = tuple(
        fig.ApprovedReply(unit, submitted, _instant(reply_due.get(reply_id)))
        for reply_id, unit, submitted in s.execute(
            sa.select(Reply.id, Reply.unit_code, Reply.submitted_at).where(approved)
        )
    )
    ratings = tuple(
        fig.Rating(unit, contacted, resolved, attitude, result, exclusion)
        for unit, contacted, resolved, attitude, result, exclusion in s.execute(
            sa.select(
                Evaluation.unit_code,
                Evaluation.contacted,
                Evaluation.resolved,
                Evaluation.attitude,
                Evaluation.result,
                Evaluation.exclusion,
            ).where(within(Evaluation.at, p), Evaluation.unit_code.is_not(None))
        )
    )
    reopens = tuple(
        str(payload["unit"])
        for payload in s.scalars(
            sa.select(AppealEvent.payload).where(AppealEvent.action == "reopened", within(AppealEvent.at, p))
        )
        if payload and payload.get("unit")
    )
    intakes = tuple(
        fig.Intake(unit, history > 0)
        for unit, history in s.execute(
            sa.select(Appeal.lead_unit_code, Appeal.caller_history).where(within(Appeal.received_at, p))
        )
    )
    return fig.Facts(dispatches, returns, replies, ratings, reopens, intakes)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _rates_out(tally: fig.Tally, rules: fig.FigureRules) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "label": RATE_LABELS[name],
            "numerator": round(rate.numerator, 4),
            "denominator": rate.denominator,
            "rate": None if rate.value is None else round(rate.value, 4),
        }
        for name, rate in tally.rates(rules).items()
    }


def monthly(
    s: Session,
    month: str,
    tz: tzinfo,
    rules: fig.FigureRules,
    now: datetime,
    rank_by: str = "satisfaction_rate",
) -> dict[str, Any]:
    """The month's figures: everyone's, then per group of units a table and the top/bottom five."""
    p = period(month, tz)
    facts = collect(s, p)
    tallies = fig.tally(facts, now, rules)
    every = s.execute(sa.select(Unit.code, Unit.name, Unit.kind, Unit.active).order_by(Unit.code)).all()
    names = {code: name for code, name, _kind, _active in every}
    # The active list's units, and any other unit with facts this month (e.g. one a newer list
    # version dropped), so that nothing counted goes missing from the tables.
    rows = [(code, kind) for code, _name, kind, active in every if active or code in tallies]
    rows += [(code, "other") for code in sorted(set(tallies) - set(names))]
    empty = fig.Tally()
    groups = []
    for kind, label in GROUPS:
        members = [code for code, k in rows if (k if k in ("township", "department") else "other") == kind]
        if not members:
            continue
        best, worst = fig.ranking(tallies, rank_by, rules, units=members)
        groups.append(
            {
                "kind": kind,
                "label": label,
                "units": [
                    {
                        "code": code,
                        "name": names.get(code, code),
                        "counts": tallies.get(code, empty).counts(),
                        "rates": _rates_out(tallies.get(code, empty), rules),
                    }
                    for code in fig.ordered(tallies, rank_by, rules, units=members)
                ],
                "best": [_ranked(r, names) for r in best],
                "worst": [_ranked(r, names) for r in worst],
            }
        )
    total = fig.overall(facts, now, rules)
    return {
        "month": p.month,
        "from": p.start,
        "to": p.end,
        "generated_at": now,
        "rank_by": rank_by,
        "rules": {
            "basic_weight": rules.basic_weight,
            "excluded": sorted(rules.excluded),
            "min_ranked": rules.min_ranked,
        },
        "overall": {
            "counts": total.counts(),
            "rates": _rates_out(total, rules),
            "appeals_dispatched": fig.appeals_dispatched(facts.dispatches),
        },
        "groups": groups,
    }


def _ranked(r: fig.Ranked, names: dict[str, str]) -> dict[str, Any]:
    return {"code": r.unit, "name": names.get(r.unit, r.unit), "rate": round(r.rate, 4), "sample": r.sample}
