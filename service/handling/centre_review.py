"""What the centre decides on a unit's requests: a return (退单审核), an extension (延期审核), and
the reply before it reaches the citizen (答复审核). Operations flush and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.deadlines import extend, last_day_and_time
from service.appeals import status as st
from service.appeals.dispatching import dispatch_by_hand
from service.appeals.guards import current_state
from service.appeals.models import Appeal, AppealEvent
from service.appeals.unit_choice import unit_errors
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling.letters import chinese_date
from service.handling.merging import notify_merged_citizens
from service.handling.models import Reply, ReturnRequest
from service.handling.operations import active_assignments, begin, move
from service.handling.unit_requests import pending_extension, withdraw_pending_extensions
from service.lists.operations import calendar_of
from service.notices.operations import queue_notice
from service.text import t


def pending_return(s: Session, appeal: Appeal) -> ReturnRequest | None:
    return s.scalar(
        sa.select(ReturnRequest)
        .where(ReturnRequest.appeal_id == appeal.id, ReturnRequest.decision == "pending")
        .order_by(ReturnRequest.id.desc())
        .limit(1)
    )


def pending_reply(s: Session, appeal: Appeal) -> Reply | None:
    return s.scalar(
        sa.select(Reply)
        .where(Reply.appeal_id == appeal.id, Reply.review == "pending")
        .order_by(Reply.id.desc())
        .limit(1)
    )


#: The decisions that need a reason, as the Chinese messages name them.
DECISIONS = {"reject": "驳回", "refuse": "不予批准", "send_back": "退回"}


def _require(decision: str, choices: tuple[str, ...], note_needed_for: str, note: str, field: str) -> None:
    """The decision is one of `choices`, and the one that needs a reason has it."""
    if decision not in choices:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="decision"),
            {"decision": [t("One of: {choices}.", choices=list(choices))]},
        )
    if decision == note_needed_for and not note.strip():
        required = t(
            "Required to {decision}.", decision=decision.replace("_", " "), decision_label=DECISIONS[decision]
        )
        raise ValidationFailed(t("Invalid input: {fields}", fields=field), {field: [required]})


def review_return(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    decision: str,
    note: str,
    tz: tzinfo,
    unit: str | None = None,
    co_units: list[str] | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AppealEvent:
    """退单审核: approve (re-dispatch to `unit` now, or without a unit back to the dispatch queue),
    or reject (back to the same unit in the status it came from; its deadlines keep running).
    """
    begin(appeal, "return-review", actor, expected_version=expected_version)
    _require(decision, ("approve", "reject"), "reject", note, "note")
    request = pending_return(s, appeal)
    if request is None:
        raise Conflict(t("No return request is waiting for a decision."), current=current_state(appeal))
    if decision == "approve" and unit is not None:
        _check_new_units(s, request.unit_code, unit, co_units or [])
    now = now or utcnow()
    count = (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(ReturnRequest)
            .where(ReturnRequest.appeal_id == appeal.id, ReturnRequest.unit_code == request.unit_code)
        )
        or 0
    )
    payload = {"return_id": request.id, "unit": request.unit_code, "count": count}
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, now, note
    if decision == "reject":
        request.decision = "rejected"
        return move(
            s,
            appeal,
            "return_rejected",
            actor,
            to_status=request.from_status,
            note=note,
            payload=payload,
            at=now,
        )
    note = note or "退单审核通过"
    request.decision = "approved"
    withdraw_pending_extensions(s, appeal, "退单已同意", now)
    if unit is not None:
        event = move(
            s, appeal, "return_approved", actor, note=note, payload={**payload, "redispatch_to": unit}, at=now
        )
        dispatch_by_hand(s, appeal, actor=actor, reason=note, tz=tz, unit=unit, co_units=co_units or [])
        appeal.signed_at = None  # the new lead unit has not signed yet
        s.flush()
        return event
    for assignment in active_assignments(appeal):
        assignment.active, assignment.ended_at = False, now
        assignment.ended_reason = f"退单：{request.reason}"[:500]
    appeal.lead_unit_code = None
    appeal.sign_due_at = appeal.reply_due_at = appeal.signed_at = None
    appeal.dispatch_note = f"退单待重新分拨：{request.reason}"[:500]
    event = move(
        s, appeal, "return_approved", actor, to_status=st.PENDING_DISPATCH, note=note, payload=payload, at=now
    )
    s.expire(appeal, ["lead_unit"])
    return event


def _check_new_units(s: Session, returned_by: str, unit: str, co_units: list[str]) -> None:
    errors = unit_errors(s, unit, co_units)
    if unit == returned_by:
        errors.setdefault("unit", []).insert(
            0, t("This unit returned the appeal; reject the return to send it back to it.")
        )
    if errors:
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def due_date_label(due: datetime, tz: tzinfo) -> str:
    """The last day of a deadline, in Chinese: a deadline at local midnight closes the day before."""
    day, _clock = last_day_and_time(due, tz)
    return chinese_date(day)


def review_extension(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    decision: str,
    note: str,
    tz: tzinfo,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AppealEvent:
    """延期审核: approve (the reply deadline moves by the working days asked; the citizen is told)
    or refuse (nothing changes)."""
    begin(appeal, "extension-review", actor, expected_version=expected_version)
    _require(decision, ("approve", "refuse"), "refuse", note, "note")
    request = pending_extension(s, appeal)
    if request is None:
        raise Conflict(t("No extension request is waiting for a decision."), current=current_state(appeal))
    if decision == "approve" and (request.unit_code != appeal.lead_unit_code or appeal.reply_due_at is None):
        raise Conflict(
            t("The request came from {unit}, which no longer leads this appeal.", unit=request.unit_code),
            current=current_state(appeal),
        )
    now = now or utcnow()
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, now, note
    payload = {"extension_id": request.id, "unit": request.unit_code, "days": request.days}
    if decision == "refuse":
        request.decision = "refused"
        return move(s, appeal, "extension_refused", actor, note=note, payload=payload, at=now)
    old_due = appeal.reply_due_at
    new_due = extend(old_due, request.days, calendar_of(s, appeal.list_version_id), tz)
    appeal.reply_due_at = new_due
    for assignment in active_assignments(appeal, "lead"):
        assignment.reply_due_at = new_due
    request.decision, request.new_due_at = "approved", new_due
    event = move(
        s,
        appeal,
        "extension_approved",
        actor,
        note=note,
        public_message=f"办理时限延长至{due_date_label(new_due, tz)}",
        payload={**payload, "old_due_at": old_due.isoformat(), "new_due_at": new_due.isoformat()},
        at=now,
    )
    queue_notice(
        s,
        appeal,
        "citizen",
        "extension_approved",
        {"new_due": new_due.isoformat()},
        key=f"extension:{request.id}",
    )
    s.flush()
    return event


def standing_reply(s: Session, appeal: Appeal) -> Reply | None:
    """The reply released to the citizen that stands: the latest the centre approved, once the
    appeal is replied or closed. None before, and while the appeal is handled again after a reopen
    (重办): the citizen did not accept that reply, and a new one is on its way. Nor after a reopen
    whose round ended without a reply (closed at first contact): a reply of an earlier round never
    stands again."""
    if appeal.status not in (st.REPLIED, st.CLOSED):
        return None
    query = sa.select(Reply).where(Reply.appeal_id == appeal.id, Reply.review == "approved")
    if appeal.reopen_count and appeal.reply_started_at is not None:  # the round began at the reopen
        query = query.where(Reply.reviewed_at > appeal.reply_started_at)
    return s.scalar(query.order_by(Reply.reviewed_at.desc(), Reply.id.desc()).limit(1))


def reply_to_correct(s: Session, appeal: Appeal) -> Reply | None:
    """The reply the centre sent back to the lead unit to correct (答复退回重办): the newest of the
    appeal's replies, once sent back, while the unit that wrote it handles the appeal in the same
    round. None after a re-dispatch or a reopen (a new round starts afresh) and once a new reply
    is submitted."""
    if appeal.status != st.HANDLING:
        return None
    reply = s.scalar(sa.select(Reply).where(Reply.appeal_id == appeal.id).order_by(Reply.id.desc()).limit(1))
    if reply is None or reply.review != "sent_back" or reply.unit_code != appeal.lead_unit_code:
        return None
    if appeal.reply_started_at is not None and reply.submitted_at < appeal.reply_started_at:
        return None
    return reply


def review_reply(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    decision: str,
    rating_window: timedelta,
    reasons: list[str] | None = None,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AppealEvent:
    """答复审核: approve (the reply is released to the citizen, a notice is queued and the rating
    window opens; the citizens of appeals merged into it are told too) or send back with reasons
    (the lead unit handles it again and replies anew, correcting the reply sent back).

    The reasons are for the lead unit: they are the event's note and the reply's `review_note`.
    The reviewer's `note` is the centre's own (内部备注): kept in the event's payload as
    `centre_note`, which only the centre's roles read (privacy.event_payload), on either decision.
    """
    begin(appeal, "review", actor, expected_version=expected_version)
    reasons = [r for r in (reasons or []) if r.strip()]
    _require(decision, ("approve", "send_back"), "send_back", "\n".join(reasons), "reasons")
    reply = pending_reply(s, appeal)
    if reply is None:
        raise Conflict(t("No reply is waiting for review."), current=current_state(appeal))
    now = now or utcnow()
    reply.reviewed_by_id, reply.reviewed_at = actor.id, now
    centre_note = {"centre_note": note} if note.strip() else {}
    if decision == "send_back":
        reply.review, reply.review_note = "sent_back", "\n".join(reasons)
        return move(
            s,
            appeal,
            "reply_sent_back",
            actor,
            to_status=st.HANDLING,
            note="；".join(reasons),
            payload={"reply_id": reply.id, "reasons": reasons, **centre_note},
            at=now,
        )
    reply.review, reply.review_note = "approved", note
    appeal.replied_at = now
    appeal.rating_due_at = now + rating_window
    event = move(
        s,
        appeal,
        "reply_released",
        actor,
        to_status=st.REPLIED,
        public_message=reply.citizen_text,
        payload={
            "reply_id": reply.id,
            "result": reply.result,
            "rating_due_at": appeal.rating_due_at.isoformat(),
            **centre_note,
        },
        at=now,
    )
    queue_notice(s, appeal, "citizen", "reply_released", {"reply_id": reply.id}, key=f"reply:{reply.id}")
    # 并案: the citizens of the appeals merged into this one are told too.
    notify_merged_citizens(s, appeal, "reply_released", key=f"reply-released:{reply.id}")
    s.flush()
    return event
