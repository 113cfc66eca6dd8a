"""重复件: likely duplicates flagged at intake, listed for the centre, then merged or dismissed.

At intake (`flag_duplicates`, called by `register_appeal` before its one flush) two bounded,
indexed queries load the earlier appeals that could match: the caller's (by phone, over the
last year, which also gives the repeat-caller count) and the place's (same village or township,
the week around the appeal). The pure rule in `dispatch.duplicates` picks the candidates.

A candidate row links the new appeal (`appeal`) to an earlier one (`candidate`). Both appeals
see the row: the new one lists it as "earlier", the earlier one as "later". The centre dismisses
a row here; the merge action marks it merged through `resolve_candidates`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from dispatch.duplicates import SAME_AREA_WINDOW, Subject, find_candidates
from service.appeals import redact
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.guards import check_version
from service.appeals.models import Appeal, AppealContact
from service.appeals.privacy import free_text
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, NotFound
from service.handling.models import DuplicateCandidate
from service.text import t

#: The repeat-caller count covers the caller's appeals of the last 365 days: the figures leaders
#: read are monthly and yearly, and an all-time count would grow (and cost) without bound.
CALLER_HISTORY_WINDOW = timedelta(days=365)
#: Bounds on the rows the intake reads: the caller's newest appeals, the place's newest ones.
PHONE_ROWS = 50
AREA_ROWS = 200
#: Only the beginning of a long text is compared: it says what the appeal is about.
COMPARED_CHARS = 500

OPEN, MERGED, DISMISSED = "open", "merged", "dismissed"
#: A flag's states as people read them (the messages, the pages: service/web/labels.py).
FLAG_STATES = {OPEN: "待处理", MERGED: "已并案", DISMISSED: "已排除"}
APPEALS, CONTACTS = Appeal.__table__, AppealContact.__table__


# The intake's reads, built once: building these statements cost more CPU than running them
# (about 0.4 ms an intake); each execution binds its values.
_a, _c = APPEALS.c, CONTACTS.c
_AREA = _a.area_code.type
_COLUMNS = (
    _a.id,
    _a.number,
    _a.area_code,
    _a.title,
    sa.func.substr(_a.content, 1, COMPARED_CHARS),
    _a.received_at,
    _a.status,
)
_NEWEST = (_a.received_at.desc(), _a.id.desc())
#: The caller's appeals, newest first, counted before the LIMIT (the repeat-caller count).
_BY_PHONE = (
    sa.select(*_COLUMNS, sa.func.count().over().label("history"))
    .join_from(APPEALS, CONTACTS, _c.appeal_id == _a.id)
    .where(_c.phone == sa.bindparam("phone"), _a.received_at >= sa.bindparam("since"))
    .order_by(*_NEWEST)
    .limit(PHONE_ROWS)
)


def _in_place(place: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The place's appeals received in the window around the new one, unmerged, newest first."""
    return (
        sa.select(*_COLUMNS)
        .where(
            place,
            _a.received_at.between(sa.bindparam("start"), sa.bindparam("end")),
            _a.status != st.MERGED,
        )
        .order_by(*_NEWEST)
        .limit(AREA_ROWS)
    )


_IN_VILLAGE = _in_place(
    _a.area_code.in_([sa.bindparam("village", type_=_AREA), sa.bindparam("township", type_=_AREA)])
)
# Only a code of digits reaches the LIKE (`_same_area`): nothing to escape, no wildcard typed.
_IN_TOWNSHIP = _in_place(_a.area_code.startswith(sa.bindparam("township")))


def _text(title: Any, content: Any) -> str:
    return f"{title}\n{str(content)[:COMPARED_CHARS]}"


def flag_duplicates(s: Session, appeal: Appeal, now: datetime) -> list[DuplicateCandidate]:
    """Flag the likely duplicates of a new appeal and set its `caller_history`.

    Runs before the appeal is flushed (it has no id yet): the queries are Core statements on the
    session's connection, which do not autoflush, and the rows are attached through their
    relationship, so intake still flushes once.
    """
    at = appeal.received_at or now
    phone = appeal.contact.phone if appeal.contact is not None else ""
    earlier: list[Subject] = []
    seen: dict[int, Any] = {}  # the rows read, by id: the intake response shows them without a query
    conn = s.connection()
    if phone:
        rows = conn.execute(_BY_PHONE, {"phone": phone, "since": at - CALLER_HISTORY_WINDOW}).all()
        appeal.caller_history = rows[0].history if rows else 0
        earlier += [_subject(r, phone) for r in rows]
        seen.update((r.id, r) for r in rows)
    else:
        appeal.caller_history = 0
    if (place := _same_area(appeal.area_code)) is not None:
        statement, places = place
        window = {"start": at - SAME_AREA_WINDOW, "end": at + SAME_AREA_WINDOW}
        rows = conn.execute(statement, {**places, **window}).all()
        earlier += [_subject(r, "") for r in rows]  # after the caller's: same_phone wins
        seen.update((r.id, r) for r in rows)
    new = Subject(
        key=0,
        phone=phone,
        area_code=appeal.area_code,
        text=_text(appeal.title, appeal.content),
        received_at=at,
    )
    flagged = [
        DuplicateCandidate(appeal=appeal, candidate_id=c.key, reason=c.reason, score=c.score, status=OPEN)
        for c in find_candidates(new, earlier)
    ]
    s.add_all(flagged)
    # What intake answers the operator with, from the rows already read (re-reading the new flags
    # would cost a query over the whole flag table on every intake).
    appeal.flagged_duplicates = [
        candidate_view(
            row,
            number=seen[row.candidate_id].number,
            title=redact.mask(seen[row.candidate_id].title),  # as in lists (no name at hand here)
            status=seen[row.candidate_id].status,
            received_at=seen[row.candidate_id].received_at,
            direction="earlier",
            decided_by=None,
        )
        for row in flagged
    ]
    return flagged


def _subject(row: Any, phone: str) -> Subject:
    return Subject(
        key=row.id,
        phone=phone,
        area_code=row.area_code,
        text=_text(row.title, row[4]),
        received_at=row.received_at,
        merged=row.status == st.MERGED,
    )


def _same_area(code: str | None) -> tuple[sa.Select[Any], dict[str, str]] | None:
    """The SQL twin of `dispatch.duplicates.in_area`: a village and its township, or a township
    and its villages; the statement and the values of its places."""
    if not code or len(code) < 9 or not (code.isascii() and code.isdigit()):
        return None  # not a township or a village (the console's preview passes what was typed)
    if len(code) >= 12:
        return _IN_VILLAGE, {"village": code, "township": code[:9]}
    return _IN_TOWNSHIP, {"township": code}


# ---- reading ---------------------------------------------------------------------------------


def candidates_of(s: Session, appeal: Appeal, user: User) -> list[dict[str, Any]]:
    """Every candidate row touching the appeal, either way, best score first, as plain dicts; each
    other appeal's title as `user` reads it in a list (personal data masked, none of a
    confidential appeal's reporter for units and leaders: privacy.free_text)."""
    other = aliased(Appeal)
    decider = aliased(User)
    earlier = DuplicateCandidate.appeal_id == appeal.id
    rows = s.execute(
        sa.select(DuplicateCandidate, other, decider)
        .join(
            other,
            other.id
            == sa.case((earlier, DuplicateCandidate.candidate_id), else_=DuplicateCandidate.appeal_id),
        )
        .outerjoin(decider, decider.id == DuplicateCandidate.decided_by_id)
        .where(sa.or_(earlier, DuplicateCandidate.candidate_id == appeal.id))
        .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
        .options(selectinload(other.contact))  # free_text reads each one's name: one query, not one each
    ).all()
    return [
        candidate_view(
            row,
            number=found.number,
            title=free_text(found.title, found, user, masked=True),
            status=found.status,
            received_at=found.received_at,
            direction="earlier" if row.appeal_id == appeal.id else "later",
            decided_by=by,
        )
        for row, found, by in rows
    ]


def candidate_view(
    row: DuplicateCandidate,
    *,
    number: str,
    title: str,
    status: str,
    received_at: datetime,
    direction: str,
    decided_by: User | None,
) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "status": status,
        "status_label": st.STATUS_LABELS.get(status, status),
        "received_at": received_at,
        "direction": direction,
        "reason": row.reason,
        "score": row.score,
        "decision": row.status,
        "decided_at": row.decided_at,
        "decided_by": (
            {
                "username": decided_by.username,
                "display_name": decided_by.display_name,
                "role": decided_by.role,
            }
            if decided_by is not None
            else None
        ),
    }


# ---- deciding --------------------------------------------------------------------------------


def _row_between(s: Session, appeal: Appeal, other: Appeal) -> DuplicateCandidate | None:
    return s.scalar(
        sa.select(DuplicateCandidate).where(
            sa.or_(
                sa.and_(
                    DuplicateCandidate.appeal_id == appeal.id, DuplicateCandidate.candidate_id == other.id
                ),
                sa.and_(
                    DuplicateCandidate.appeal_id == other.id, DuplicateCandidate.candidate_id == appeal.id
                ),
            )
        )
    )


class Flag(NamedTuple):
    """The flag between an appeal and `other`, as `flag_between` finds it."""

    other: Appeal
    row: DuplicateCandidate


def flag_between(s: Session, appeal: Appeal, other_number: str) -> Flag:
    """The flag between `appeal` and the appeal `other_number`, either way (404 without one)."""
    other = s.scalar(sa.select(Appeal).where(Appeal.number == other_number))
    row = _row_between(s, appeal, other) if other is not None else None
    if other is None or row is None:
        raise NotFound(
            t("Appeal {number} has no duplicate candidate {other}.", number=appeal.number, other=other_number)
        )
    return Flag(other, row)


def dismiss(
    s: Session,
    appeal: Appeal,
    flag: Flag,
    *,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Not a duplicate: the centre dismisses the `flag` between `appeal` and another (`flag_between`).

    Recorded as `duplicate_dismissed` on `appeal`. A flag already decided answers 409; two
    people dismissing at once: the row is updated only while still open, so one of them gets 409.
    """
    check_version(appeal, expected_version)
    other, row = flag
    now = now or utcnow()
    decided = s.execute(
        sa.update(DuplicateCandidate)
        .where(DuplicateCandidate.id == row.id, DuplicateCandidate.status == OPEN)
        .values(status=DISMISSED, decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    s.refresh(row)
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            t(
                "The candidate {other} of {number} is already {status}.",
                other=other.number,
                number=appeal.number,
                status=row.status,
                status_label=FLAG_STATES.get(row.status, row.status),
            ),
            current={"decision": row.status},
        )
    record_event(
        s,
        appeal,
        "duplicate_dismissed",
        actor,
        from_status=appeal.status,
        to_status=appeal.status,
        note=note,
        payload={"candidate": other.number, "reason": row.reason, "score": row.score},
        at=now,
    )
    s.flush()
    return candidate_view(
        row,
        number=other.number,
        title=other.title,
        status=other.status,
        received_at=other.received_at,
        direction="earlier" if row.appeal_id == appeal.id else "later",
        decided_by=actor,
    )


def resolve_candidates(
    s: Session,
    appeal: Appeal,
    master: Appeal,
    *,
    actor: User | None,
    status: str = MERGED,
    now: datetime | None = None,
) -> int:
    """Mark the open flag(s) between `appeal` and `master` decided (merged, by default).

    For the merge action (并案): call it when `appeal` is merged into `master`. Flags of `appeal`
    with other appeals stay open (they may be duplicates of the master too); the work list of
    possible duplicates leaves merged appeals out. Returns the number of rows changed; no flag
    between the two (a merge the intake did not suggest) is fine.
    """
    if status not in (MERGED, DISMISSED):
        raise ValueError(f"status must be {MERGED!r} or {DISMISSED!r}, got {status!r}")
    result = s.execute(
        sa.update(DuplicateCandidate)
        .where(
            DuplicateCandidate.status == OPEN,
            sa.or_(
                sa.and_(
                    DuplicateCandidate.appeal_id == appeal.id, DuplicateCandidate.candidate_id == master.id
                ),
                sa.and_(
                    DuplicateCandidate.appeal_id == master.id, DuplicateCandidate.candidate_id == appeal.id
                ),
            ),
        )
        .values(status=status, decided_by_id=actor.id if actor else None, decided_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
