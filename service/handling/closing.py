"""The end of an appeal's life: 直接办结, 评价 / 回访 and 办结 (重办, the way back: reopening.py).
Operations flush, never commit.

Decisions:
- A rating without 不满意 (for attitude and for result) closes the appeal at once ("after the
  rating"): nothing is left to decide. An unsatisfied rating leaves it replied for the centre, who
  reopens it (the unit's fault) or closes it.
- One rating per round: the round is the appeal's reopen count, so a reopened appeal is rated again.
  A citizen's rating and an operator's call-back are the same rating: whichever comes first counts.
- A rating ends the rating window (`rating_due_at` is cleared): only unrated appeals close by
  themselves when the window passes (`close_unrated`).
- The second unsatisfied rating (a reopened appeal rated unsatisfied again) raises supervision by
  itself, one level up the lead unit's ladder.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dispatch.deadlines import deadline_text
from service.appeals import status as st
from service.appeals.guards import current_state
from service.appeals.models import Appeal
from service.appeals.operations import register_appeal
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling.merging import TOP_LEVEL, notify_merged_citizens, press, raise_level
from service.handling.models import Evaluation
from service.handling.operations import begin, move
from service.knowledge.operations import usable_article
from service.lists.operations import ListContext
from service.notices.operations import queue_notice
from service.text import t

#: What the citizen reads on the timeline when the appeal closes, by close reason.
CLOSED_MESSAGES = {
    "rated": "诉求已办结，感谢您的评价。",
    "rating_window": "诉求已办结。",
}
#: The citizen's answer to a second rating: in the language they read (the errors catalogue has the Chinese).
ALREADY_RATED_CITIZEN = t("You have already rated this result; thank you for your feedback.")


# ---- 直接办结 --------------------------------------------------------------------------------


#: Appeal types that are never closed at first contact, each named as the refusal says it.
NEEDS_A_UNIT = {"投诉": t("complaint"), "举报": t("report")}


def close_directly(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    answer: str,
    tz: ZoneInfo,
    kb_article_id: int | None = None,
    expected_version: int | None = None,
) -> Appeal:
    """A consultation answered at first contact, from the knowledge base or not: closed, not dispatched.

    Complaints and reports (投诉, 举报) need a unit to act, and urgent appeals a unit at once: they
    are dispatched, never closed on the phone.
    """
    begin(appeal, "close-directly", actor, expected_version=expected_version)
    if appeal.appeal_type in NEEDS_A_UNIT:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="appeal_type"),
            {
                "appeal_type": [
                    t(
                        "A {appeal_type} needs a unit to act: dispatch it.",
                        appeal_type=NEEDS_A_UNIT[appeal.appeal_type],
                    )
                ]
            },
        )
    if appeal.urgency != "一般":
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="urgency"),
            {"urgency": [t("An urgent appeal needs a unit at once: dispatch it.")]},
        )
    now = utcnow()
    article = (
        usable_article(s, kb_article_id, now.astimezone(tz).date()) if kb_article_id is not None else None
    )
    appeal.direct_answer = answer
    appeal.kb_article_id = article.id if article else None
    appeal.closed_at = now
    appeal.close_reason = "direct"
    move(
        s,
        appeal,
        "closed_directly",
        actor,
        to_status=st.CLOSED,
        public_message=answer,
        payload={
            "kb_article": article.id if article else None,
            "kb_title": article.title if article else None,
        },
        at=now,
    )
    notify_merged_citizens(s, appeal, "appeal_closed_directly", key="closed-directly")
    return appeal


def register_closed_directly(
    s: Session,
    data: dict[str, Any],
    *,
    actor: User,
    answer: str,
    tz: ZoneInfo,
    prefix: str,
    kb_article_id: int | None = None,
    ctx: ListContext | None = None,
    channels: Collection[str] = (),
) -> Appeal:
    """登记并直接办结: a call answered on the phone, registered and closed in one step (the console's
    "close" and the intake's `close_directly`). Not dispatched, and no receipt (受理回执) is sent:
    the caller heard the answer, and is told the number on the line."""
    appeal = register_appeal(
        s,
        data,
        actor=actor,
        prefix=prefix,
        tz=tz,
        ctx=ctx,
        dispatch=False,  # only an appeal still waiting for dispatch closes directly
        channels=channels,
        closing_at_first_contact=True,
    )
    return close_directly(s, appeal, actor, answer=answer, kb_article_id=kb_article_id, tz=tz)


# ---- 评价 / 回访 -----------------------------------------------------------------------------


def current_rating(s: Session, appeal: Appeal) -> Evaluation | None:
    """The rating of the appeal's current round (its reopen count), if given."""
    return s.scalar(
        sa.select(Evaluation)
        .where(Evaluation.appeal_id == appeal.id, Evaluation.round == appeal.reopen_count)
        .order_by(Evaluation.id)
        .limit(1)
    )


def latest_rating(s: Session, appeal: Appeal) -> Evaluation | None:
    return s.scalar(
        sa.select(Evaluation).where(Evaluation.appeal_id == appeal.id).order_by(Evaluation.id.desc()).limit(1)
    )


def evaluate(
    s: Session,
    appeal: Appeal,
    actor: User | None,
    rating: dict[str, Any],
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """评价: the citizen's rating (`actor` None) or an operator's call-back, once per round."""
    citizen = actor is None
    role = "citizen" if citizen else None
    try:
        begin(appeal, "evaluate", actor, role=role, expected_version=expected_version)
    except Conflict:
        if current_rating(s, appeal) is not None:
            _already_rated(appeal, citizen)
        raise
    if current_rating(s, appeal) is not None:
        _already_rated(appeal, citizen)
    now = now or utcnow()
    evaluation = Evaluation(
        appeal_id=appeal.id,
        source="citizen" if citizen else "callback",
        operator_id=None if citizen else actor.id,  # type: ignore[union-attr]
        round=appeal.reopen_count,
        unit_code=appeal.lead_unit_code,
        contacted=rating["contacted"],
        resolved=rating["resolved"],
        attitude=rating["attitude"],
        result=rating["result"],
        comment=rating.get("comment") or "",
        at=now,
    )
    s.add(evaluation)
    appeal.rating_due_at = None  # rated: the window no longer closes it
    move(
        s,
        appeal,
        "evaluated",
        actor,
        actor_role=role,
        note=evaluation.comment,
        public_message="您的评价已收到。" if citizen else "已完成回访评价。",
        payload={
            "source": evaluation.source,
            "round": evaluation.round,
            "contacted": evaluation.contacted,
            "resolved": evaluation.resolved,
            "attitude": evaluation.attitude,
            "result": evaluation.result,
            "unsatisfied": evaluation.unsatisfied,
        },
        at=now,
    )
    if not evaluation.unsatisfied:
        _close(s, appeal, actor, "rated", actor_role=role, at=now)
        return evaluation
    queue_notice(
        s,
        appeal,
        "centre",
        "rating_unsatisfied",
        {"round": evaluation.round},
        key=f"unsatisfied:{evaluation.round}",
    )
    if _earlier_unsatisfied(s, appeal, evaluation):
        note = f"第{evaluation.round + 1}轮评价仍不满意，自动督办"
        if appeal.supervision_level >= TOP_LEVEL:
            press(s, appeal, None, note=note, at=now)
        else:
            raise_level(s, appeal, None, note=note, at=now)
    return evaluation


def citizen_rating_state(s: Session, appeal: Appeal) -> dict[str, Any]:
    """For the citizen's view: may they rate now, and their latest rating (without the comment)."""
    latest = latest_rating(s, appeal)
    return {
        "can_evaluate": appeal.status == st.REPLIED
        and (latest is None or latest.round != appeal.reopen_count),
        "evaluation": None
        if latest is None
        else {
            "round": latest.round,
            "contacted": latest.contacted,
            "resolved": latest.resolved,
            "attitude": latest.attitude,
            "result": latest.result,
            "at": latest.at,
        },
    }


def _already_rated(appeal: Appeal, citizen: bool) -> None:
    message = (
        ALREADY_RATED_CITIZEN
        if citizen
        else t("Appeal {number} is already rated for this round.", number=appeal.number)
    )
    raise Conflict(message, current=current_state(appeal))


def _earlier_unsatisfied(s: Session, appeal: Appeal, evaluation: Evaluation) -> bool:
    earlier = s.scalars(
        sa.select(Evaluation).where(Evaluation.appeal_id == appeal.id, Evaluation.round < evaluation.round)
    )
    return any(e.unsatisfied for e in earlier)


# ---- 办结 -------------------------------------------------------------------------------------


def close(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    tz: ZoneInfo,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Appeal:
    """办结 by the centre: after the rating, or once the rating window passed without one."""
    begin(appeal, "close", actor, expected_version=expected_version)
    now = now or utcnow()
    rated = current_rating(s, appeal) is not None
    if not rated and appeal.rating_due_at is not None and now < appeal.rating_due_at:
        raise Conflict(
            t(
                "Not rated yet: the rating window is open until {until} ({tz}).",
                until=deadline_text(appeal.rating_due_at, tz),
                tz=tz.key,
            ),
            current=current_state(appeal),
            rating_due_at=appeal.rating_due_at.isoformat(),
        )
    _close(s, appeal, actor, "rated" if rated else "rating_window", note=note, at=now)
    return appeal


def close_unrated(s: Session, now: datetime | None = None) -> list[int]:
    """Close the replied appeals whose rating window passed without a rating. Returns their ids.

    Harmless to run twice: a closed appeal is no longer replied. Each appeal closes in a savepoint
    of its own, so one that changed meanwhile (someone rated it) is skipped, not the whole run.
    """
    now = now or utcnow()
    due = s.scalars(
        sa.select(Appeal.id)
        .where(Appeal.rating_due_at <= now, Appeal.status == st.REPLIED)
        .order_by(Appeal.rating_due_at, Appeal.id)
    ).all()
    closed = []
    for appeal_id in due:
        try:
            with s.begin_nested():
                appeal = s.get(Appeal, appeal_id)
                if appeal is None or not _window_passed(s, appeal, now):
                    continue
                begin(appeal, "close", None)
                _close(s, appeal, None, "rating_window", actor_role="system", at=now)
        except (StaleDataError, Conflict):
            continue
        closed.append(appeal_id)
    return closed


def _window_passed(s: Session, appeal: Appeal, now: datetime) -> bool:
    return (
        appeal.status == st.REPLIED
        and appeal.rating_due_at is not None
        and appeal.rating_due_at <= now
        and current_rating(s, appeal) is None
    )


def _close(
    s: Session,
    appeal: Appeal,
    actor: User | None,
    reason: str,
    *,
    actor_role: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> None:
    at = at or utcnow()
    appeal.closed_at = at
    appeal.close_reason = reason
    move(
        s,
        appeal,
        "closed",
        actor,
        to_status=st.CLOSED,
        actor_role=actor_role,
        note=note,
        public_message=CLOSED_MESSAGES[reason],
        payload={"reason": reason, "round": appeal.reopen_count},
        at=at,
    )
    notify_merged_citizens(s, appeal, "appeal_closed", key=f"closed:{appeal.reopen_count}")
