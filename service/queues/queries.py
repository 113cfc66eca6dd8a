"""The work lists as data: which appeals each list holds, who may read it, in which order.

Every list is one query over `appeals` filtered by stored, indexed columns (status, the due
timestamps, the lead unit, the assignments of a unit), plus one count: nothing is computed per
appeal in Python, so "a unit's overdue appeals" costs the same for ten appeals or ten thousand.
Unit staff read their own unit's part of a list (an active assignment, lead or co), on their own
sign-for clock: a co-unit's is its assignment's `sign_due_at` until it signed for its part in
this round (a reopen starts a new one; the appeal's own `sign_due_at` is the lead unit's), in
`overdue` and in the order of `to_sign`.

Indexes used: ix_appeals_status / ix_appeals_status_received (status), ix_appeals_reply_due_at,
ix_appeals_sign_due_at, ix_appeal_assignments_unit_active (a unit's appeals),
ix_appeal_assignments_appeal_id (a co-unit's own part of an appeal, and its deadline),
ix_duplicate_candidates_status (open flags); pending extensions read extension_requests by
`decision` (see the report: an index on it is wanted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.sql.functions import FunctionElement

from service.appeals import status as st
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.appeals.queries import visible_to
from service.auth.models import User
from service.errors import Forbidden, NotFound
from service.handling.models import DuplicateCandidate, ExtensionRequest
from service.handling.workflow import IN_UNIT
from service.queues.clocks import CO_SIGN_CLOCK, REPLY_CLOCK, SIGN_CLOCK
from service.text import t

CENTRE = frozenset({"dispatcher", "reviewer", "admin", "leader"})
OPERATOR = frozenset({"operator"})
UNIT = frozenset({"unit_staff"})


class epoch(FunctionElement[float]):
    """Seconds since 1970 of a timestamp column, on PostgreSQL and on SQLite (stored as UTC text)."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def _start() -> sa.ColumnElement[Any]:
    """`clocks.reply_clock_start` in SQL."""
    return sa.func.coalesce(Appeal.reply_started_at, Appeal.dispatched_at, Appeal.received_at)


def _lead_sign_overdue(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Appeal.status.in_(SIGN_CLOCK), Appeal.signed_at.is_(None), Appeal.sign_due_at < now)


def overdue(now: datetime) -> sa.ColumnElement[bool]:
    """Red: the reply deadline passed with the reply still owed, or the sign-for deadline unsigned
    (the lead unit's; unit staff: `_unit_overdue`)."""
    return sa.or_(sa.and_(Appeal.status.in_(REPLY_CLOCK), Appeal.reply_due_at < now), _lead_sign_overdue(now))


def due_soon(now: datetime) -> sa.ColumnElement[bool]:
    """Yellow on the reply deadline: not yet due, under a quarter of the time (start → due) left.

    Exactly `dispatch.deadlines.warning_level`: left·4 < total ⇔ 3·due + start < 4·now, on the
    stored timestamps. The range `reply_due_at >= now` is the indexed part; the quarter is a
    filter on those rows.
    """
    due, start = epoch(Appeal.reply_due_at), epoch(_start())
    return sa.and_(
        Appeal.status.in_(REPLY_CLOCK),
        Appeal.reply_due_at >= now,
        sa.or_(3 * due + start < sa.literal(4 * now.timestamp(), sa.Float), Appeal.reply_due_at <= _start()),
    )


def _pending_extension() -> sa.ColumnElement[bool]:
    return sa.and_(
        Appeal.status.in_(IN_UNIT),  # where extension-review may act
        Appeal.id.in_(sa.select(ExtensionRequest.appeal_id).where(ExtensionRequest.decision == "pending")),
    )


def _lead_unsigned() -> sa.ColumnElement[bool]:
    return sa.and_(Appeal.status == st.DISPATCHED, Appeal.signed_at.is_(None))


def _unsigned_co_assignment(unit: str) -> sa.ColumnElement[bool]:
    """Correlated to the appeal: `unit` co-handles it (an active co assignment) and has not signed
    for that part in this round: no co_signed event names the assignment since the appeal's last
    reopen (重办) that started a new round for the co-units (service/handling/unit_actions.py)."""
    co = AppealAssignment
    reopen = aliased(AppealEvent)
    last_reopen = (
        sa.select(sa.func.max(reopen.id))
        .where(
            reopen.appeal_id == AppealEvent.appeal_id,
            reopen.action == "reopened",
            # one that started a new round for the co-units too (unit_actions.co_round_restarted)
            reopen.payload["co_units"].as_string().is_not(None),
        )
        .scalar_subquery()
    )
    signed = sa.select(AppealEvent.id).where(
        AppealEvent.appeal_id == co.appeal_id,
        AppealEvent.action == "co_signed",
        AppealEvent.payload["assignment_id"].as_integer() == co.id,
        AppealEvent.id > sa.func.coalesce(last_reopen, 0),
    )
    return sa.and_(
        co.appeal_id == Appeal.id,
        co.unit_code == unit,
        co.role == "co",
        co.active.is_(True),
        ~signed.exists(),
    )


def _co_part_unsigned(unit: str, before: datetime | None = None) -> sa.ColumnElement[bool]:
    """`unit` co-handles the appeal (and does not lead it), while units work on it, and has not
    signed for its part; with `before`, its own sign-for deadline (the assignment's) passed then."""
    co = AppealAssignment
    part = _unsigned_co_assignment(unit)
    if before is not None:
        part = sa.and_(part, co.sign_due_at < before)
    return sa.and_(Appeal.status.in_(CO_SIGN_CLOCK), Appeal.lead_unit_code != unit, sa.exists().where(part))


def _co_sign_due(unit: str) -> sa.ScalarSelect[Any]:
    """The co-unit's own sign-for deadline: its unsigned part's (the earliest, of several)."""
    return (
        sa.select(sa.func.min(AppealAssignment.sign_due_at))
        .where(_unsigned_co_assignment(unit))
        .scalar_subquery()
    )


def _unit_overdue(unit: str, now: datetime) -> sa.ColumnElement[bool]:
    """`overdue` as the unit's staff see it: the reply deadline passed; or the sign-for deadline of
    their own part, unsigned: the appeal's as the lead unit, the assignment's as a co-unit."""
    return sa.or_(
        sa.and_(Appeal.status.in_(REPLY_CLOCK), Appeal.reply_due_at < now),
        sa.and_(Appeal.lead_unit_code == unit, _lead_sign_overdue(now)),
        _co_part_unsigned(unit, before=now),
    )


def _open_duplicates() -> sa.ColumnElement[bool]:
    return sa.and_(
        Appeal.status.in_(st.OPEN_STATUSES),  # merged or closed appeals need no decision
        Appeal.id.in_(sa.select(DuplicateCandidate.appeal_id).where(DuplicateCandidate.status == "open")),
    )


def _by_deadline() -> list[Any]:
    return [Appeal.reply_due_at.asc().nulls_last(), Appeal.id.asc()]


def _by_sign_deadline() -> list[Any]:
    return [Appeal.sign_due_at.asc().nulls_last(), Appeal.id.asc()]


def _by_own_sign_deadline(unit: str) -> list[Any]:
    """The unit's own sign-for deadline first: the appeal's where it leads, its part's where it co-handles."""
    due = sa.case((Appeal.lead_unit_code == unit, Appeal.sign_due_at), else_=_co_sign_due(unit))
    return [due.asc().nulls_last(), Appeal.id.asc()]


def _by_arrival() -> list[Any]:
    return [Appeal.received_at.asc(), Appeal.id.asc()]


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    roles: frozenset[str]
    condition: Callable[[datetime], sa.ColumnElement[bool]]
    order: Callable[[], list[Any]]
    # Unit staff: their unit's part of the list, in place of `condition` (which is the centre's),
    # and its order where their own part decides it (a co-unit's own sign-for deadline).
    unit_condition: Callable[[str, datetime], sa.ColumnElement[bool]] | None = None
    unit_order: Callable[[str], list[Any]] | None = None


QUEUES: dict[str, Queue] = {
    q.name: q
    for q in (
        Queue(
            "to_dispatch",
            "待分拨",
            CENTRE | OPERATOR,
            lambda now: Appeal.status == st.PENDING_DISPATCH,
            _by_arrival,
        ),
        Queue("returns", "退单待审", CENTRE, lambda now: Appeal.status == st.RETURN_REQUESTED, _by_deadline),
        Queue("extensions", "延期待审", CENTRE, lambda now: _pending_extension(), _by_deadline),
        Queue(
            "replies_to_review",
            "答复待审",
            CENTRE,
            lambda now: Appeal.status == st.REPLY_REVIEW,
            _by_deadline,
        ),
        Queue("overdue", "已超期", CENTRE | UNIT, overdue, _by_deadline, unit_condition=_unit_overdue),
        Queue("due_soon", "即将超期", CENTRE | UNIT, due_soon, _by_deadline),
        Queue(
            "possible_duplicates",
            "疑似重复",
            CENTRE | OPERATOR,
            lambda now: _open_duplicates(),
            _by_arrival,
        ),
        # 待签收, as the unit's 待签收 badge says (service/web/appeal_page.py unit_parts): dispatched
        # (or reopened, 重办) to the unit as lead, which has not signed for it yet; or handed to it
        # as co-unit, which has not signed for its part (协办单位签收); the unit's own sign-for
        # deadline first (a co-unit's: its assignment's).
        Queue(
            "to_sign",
            "待签收",
            UNIT,
            lambda now: _lead_unsigned(),
            _by_sign_deadline,
            unit_condition=lambda unit, now: sa.or_(
                sa.and_(_lead_unsigned(), Appeal.lead_unit_code == unit), _co_part_unsigned(unit)
            ),
            unit_order=_by_own_sign_deadline,
        ),
        Queue("my_unit", "本单位在办", UNIT, lambda now: Appeal.status.in_(st.OPEN_STATUSES), _by_deadline),
    )
}


def queues_for(user: User) -> list[Queue]:
    return [q for q in QUEUES.values() if user.role in q.roles]


def get_queue(name: str, user: User) -> Queue:
    """The list by name: 404 when there is no such list, 403 when it is not the caller's."""
    queue = QUEUES.get(name)
    if queue is None:
        raise NotFound(t("No work list {name!r}; one of: {names}.", name=name, names=list(QUEUES)))
    if user.role not in queue.roles:
        raise Forbidden(t("The work list {name} is not for the role {role}.", name=name, role=user.role))
    return queue


def _unit_of(user: User) -> str | None:
    return user.unit_code if user.role == "unit_staff" else None


def _where(queue: Queue, user: User, now: datetime) -> sa.ColumnElement[bool]:
    # Unit staff: their unit's part only (centre roles: visible_to is true).
    if queue.unit_condition is not None and (unit := _unit_of(user)):
        return sa.and_(queue.unit_condition(unit, now), visible_to(user))
    return sa.and_(queue.condition(now), visible_to(user))


def _order(queue: Queue, user: User) -> list[Any]:
    if queue.unit_order is not None and (unit := _unit_of(user)):
        return queue.unit_order(unit)
    return queue.order()


def counts(s: Session, user: User, now: datetime) -> dict[str, int]:
    """Every list of the caller with its size, in one statement (one scalar subquery per list)."""
    queues = queues_for(user)
    row = s.execute(
        sa.select(
            *(
                sa.select(sa.func.count(Appeal.id))
                .where(_where(q, user, now))
                .scalar_subquery()
                .label(q.name)
                for q in queues
            )
        )
    ).one()
    return {q.name: int(row._mapping[q.name]) for q in queues}


def page_of(
    s: Session, queue: Queue, user: User, now: datetime, *, page: int, per_page: int
) -> tuple[list[Appeal], int]:
    """One page of the list and its total: two statements, plus the contacts and assignments of the page."""
    where = _where(queue, user, now)
    total = s.scalar(sa.select(sa.func.count(Appeal.id)).where(where)) or 0
    rows = s.scalars(
        sa.select(Appeal)
        .where(where)
        .order_by(*_order(queue, user))
        .options(selectinload(Appeal.contact), selectinload(Appeal.assignments))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total
