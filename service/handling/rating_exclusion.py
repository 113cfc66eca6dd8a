"""评价剔除: the centre sets a rating aside (malicious, the citizen unreachable, invalid), or takes
that back. The rating itself is never changed; the figures leave it out when the configured
exclusions name its reason (`dispatch.figures.FigureRules.excluded`). Flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.figures import EXCLUSION_REASONS
from service.appeals.guards import current_state
from service.appeals.models import Appeal
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling.closing import latest_rating
from service.handling.models import Evaluation
from service.handling.operations import begin, move
from service.text import t


def set_rating_exclusion(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    reason: str | None,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Mark the appeal's latest rating with `reason` (one of EXCLUSION_REASONS), or clear the mark
    (`reason` None). The note says why; both are on the appeal's timeline, never the citizen's."""
    begin(appeal, "exclude-rating", actor, expected_version=expected_version)
    if reason is not None and reason not in EXCLUSION_REASONS:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="reason"),
            {"reason": [t("One of: {choices}.", choices=list(EXCLUSION_REASONS))]},
        )
    if not note.strip():
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="note"), {"note": [t("Say why the rating is set aside.")]}
        )
    rating = latest_rating(s, appeal)
    if rating is None:
        raise Conflict(
            t("Appeal {number} has no rating to set aside.", number=appeal.number),
            current=current_state(appeal),
        )
    if rating.exclusion == reason:
        raise Conflict(
            t("The rating of appeal {number} is marked so already.", number=appeal.number),
            current=current_state(appeal),
        )
    now = now or utcnow()
    previous = rating.exclusion
    rating.exclusion = reason
    rating.exclusion_note = note
    rating.excluded_by_id = actor.id
    rating.excluded_at = now
    excluded = reason is not None
    move(
        s,
        appeal,
        "rating_excluded" if excluded else "rating_counted",
        actor,
        note=f"评价剔除：{EXCLUSION_REASONS[reason]}。{note}" if excluded else f"评价恢复计入。{note}",
        payload={"evaluation_id": rating.id, "round": rating.round, "reason": reason, "previous": previous},
        at=now,
    )
    return rating
