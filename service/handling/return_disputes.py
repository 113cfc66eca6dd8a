"""Repeated returns (退单) of one appeal: how often, by which units, and the centre's arbitration.

A unit may return an appeal; the centre approves or rejects. A unit that returns it again after a
rejection disputes the centre's decision: that second review is the arbitration (仲裁), the
centre's final decision for this dispatch. After it rejects such a repeated return, the unit may
not return the appeal again until it is dispatched anew (`refuse_after_arbitration`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals.guards import current_state
from service.appeals.models import Appeal
from service.errors import Conflict
from service.handling.models import ReturnRequest
from service.lists.models import Unit
from service.text import t


@dataclass
class UnitReturns:
    """One unit's returns of the appeal: all of them, the rejected ones, and those of this dispatch."""

    unit_code: str
    count: int = 0
    rejected: int = 0
    rejected_now: int = 0  # rejected while the unit leads the appeal in this dispatch


@dataclass
class ReturnHistory:
    total: int = 0
    units: list[UnitReturns] = field(default_factory=list)

    def of(self, unit_code: str) -> UnitReturns:
        return next((u for u in self.units if u.unit_code == unit_code), UnitReturns(unit_code))


def _lead_since(appeal: Appeal, unit_code: str) -> datetime | None:
    """When the unit's current lead part began (this dispatch), or None when it does not lead."""
    lead = next(
        (a for a in appeal.assignments if a.active and a.role == "lead" and a.unit_code == unit_code), None
    )
    return lead.assigned_at if lead is not None else None


def history(s: Session, appeal: Appeal) -> ReturnHistory:
    """Every return of the appeal, counted by unit in the order they first returned it."""
    rows = s.execute(
        sa.select(ReturnRequest.unit_code, ReturnRequest.decision, ReturnRequest.requested_at)
        .where(ReturnRequest.appeal_id == appeal.id)
        .order_by(ReturnRequest.id)
    ).all()
    found: dict[str, UnitReturns] = {}
    for unit_code, decision, requested_at in rows:
        unit = found.setdefault(unit_code, UnitReturns(unit_code))
        unit.count += 1
        if decision == "rejected":
            unit.rejected += 1
            since = _lead_since(appeal, unit_code)
            if since is not None and requested_at >= since:
                unit.rejected_now += 1
    return ReturnHistory(total=len(rows), units=list(found.values()))


def is_repeat(s: Session, appeal: Appeal, request: ReturnRequest) -> bool:
    """Does this return dispute a rejection of the same unit's return in this dispatch (仲裁 due)?"""
    return history(s, appeal).of(request.unit_code).rejected_now > 0


def arbitrated(s: Session, appeal: Appeal, unit_code: str) -> bool:
    """Has the centre rejected a repeated return of this unit in this dispatch (its final decision)?"""
    return history(s, appeal).of(unit_code).rejected_now >= 2


def refuse_after_arbitration(s: Session, appeal: Appeal, unit_code: str | None) -> None:
    """退单 after the centre's arbitration: refused (409), saying why."""
    if unit_code is not None and arbitrated(s, appeal, unit_code):
        unit = s.get(Unit, unit_code)
        raise Conflict(
            t(
                "The centre has arbitrated this appeal's returns: {unit} returned it again after a "
                "rejection, and the centre rejected it once more. Its decision is final for this "
                "dispatch; handle the appeal, or ask the centre by phone.",
                unit=unit.name if unit is not None else unit_code,
            ),
            current=current_state(appeal),
        )
