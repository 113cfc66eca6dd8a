"""What a unit does on an appeal assigned to it: sign for it (签收), contribute as a co-unit
(协办意见), and reply as the lead unit (答复); and which of its parts it has signed for, in this
round (a reopen, 重办, starts a new one). Returning the appeal (退单) and asking for more time (延期)
are the unit's requests to the centre: `unit_requests`.

Every action goes through `begin` (role, unit, status, the version the caller saw) and records
its event with `move`, which bumps the appeal's version: of two actions racing on one appeal,
exactly one commits. Signing for, contributing and replying hold the appeal's row first (`lock`)
and accept a version older only by escalation steps (a 催办 since the page was loaded).
Operations flush and never commit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals import status as st
from service.appeals.guards import current_state
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling.models import Contribution, Reply
from service.handling.operations import active_assignments, begin, lock, move, unchanged_for_the_unit
from service.handling.unit_requests import withdraw_extension_by
from service.text import t

SIGN_EVENTS = ("signed", "co_signed")


def _own_assignments(appeal: Appeal, actor: User) -> list[AppealAssignment]:
    """The caller's unit's active assignments, the lead one first."""
    mine = [a for a in active_assignments(appeal) if a.unit_code == actor.unit_code]
    return sorted(mine, key=lambda a: (a.role != "lead", a.id))


def signed_assignment_ids(s: Session, appeal: Appeal) -> set[int]:
    """Assignments signed for now (the sign time is kept in the event, per assignment).

    A reopen (重办) starts a new round for every unit still on the appeal: the lead unit and each
    co-unit sign for their part again, and their earlier signatures no longer count here (the
    figures still count each dispatch's first signing: service/figures/queries.py).
    """
    return signed_assignments_of(s, [appeal.id]).get(appeal.id, set())


def signed_assignments_of(s: Session, appeal_ids: Collection[int]) -> dict[int, set[int]]:
    """`signed_assignment_ids` of several appeals in one statement (a work list's page), by appeal id."""
    if not appeal_ids:
        return {}
    rows = s.execute(
        sa.select(AppealEvent.appeal_id, AppealEvent.action, AppealEvent.payload)
        .where(
            AppealEvent.appeal_id.in_(list(appeal_ids)),
            AppealEvent.action.in_((*SIGN_EVENTS, "reopened")),
        )
        .order_by(AppealEvent.id)
    )
    lead: dict[int, set[int]] = {}
    co: dict[int, set[int]] = {}
    for appeal_id, action, payload in rows:
        if action == "reopened":  # a new round: to sign for again
            lead.pop(appeal_id, None)
            if co_round_restarted(payload):
                co.pop(appeal_id, None)
        elif payload:
            (lead if action == "signed" else co).setdefault(appeal_id, set()).add(
                payload.get("assignment_id")
            )
    return {i: lead.get(i, set()) | co.get(i, set()) for i in {*lead, *co}}


def co_round_restarted(reopen_payload: dict[str, Any] | None) -> bool:
    """Whether a reopen (重办) started a new round for the co-units too: every reopen does now, and
    its event names them (`co_units`). An earlier one gave the lead unit alone a new round; its
    co-units kept their parts, deadlines and signatures, and were never told to sign again."""
    return "co_units" in (reopen_payload or {})


def _ever_signed(s: Session, assignment: AppealAssignment) -> bool:
    return any(
        (p or {}).get("assignment_id") == assignment.id
        for p in s.scalars(
            sa.select(AppealEvent.payload).where(
                AppealEvent.appeal_id == assignment.appeal_id, AppealEvent.action.in_(SIGN_EVENTS)
            )
        )
    )


def _duration(seconds: float) -> str:
    minutes = int(abs(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分钟"]
    return "".join(p for p in parts if p)


def sign_for(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AppealEvent:
    """签收: the unit acknowledges the appeal; the time is compared with its sign-for deadline.

    The lead unit's signing starts the handling (dispatched → handling) and sets `signed_at`;
    a co-unit's signing is recorded as `co_signed` and leaves the status alone. A unit signs once
    per assignment, and once more after each reopen (重办), the lead unit and each co-unit, by the
    reopen's sign-for deadline: signing again is a conflict. A page older only by escalation steps
    still signs.
    """
    lock(s, appeal)
    expected_version = unchanged_for_the_unit(s, appeal, expected_version)
    begin(appeal, "sign", actor, expected_version=expected_version)
    signed = signed_assignment_ids(s, appeal)
    pending = [a for a in _own_assignments(appeal, actor) if a.id not in signed]
    if not pending:
        raise Conflict(
            t("Your unit has signed for appeal {number} already.", number=appeal.number),
            current=current_state(appeal),
        )
    return _record_signing(s, appeal, actor, pending[0], now or utcnow())


def _record_signing(
    s: Session,
    appeal: Appeal,
    actor: User,
    assignment: AppealAssignment,
    now: datetime,
    **extra: Any,
) -> AppealEvent:
    """The signing of `assignment` at `now`, compared with its sign-for deadline: `signed` for the
    lead's part (handling starts), `co_signed` for a co-unit's; `extra` goes into the payload."""
    # The lead's assignment keeps its dispatch's deadline (the figures count that first signing);
    # the lead unit signing again after a reopen meets the reopen's, the appeal's own. A co part
    # holds the deadline of its current round (the reopen gives it the reopen's).
    again = _ever_signed(s, assignment)
    due = appeal.sign_due_at if again and assignment.role == "lead" else assignment.sign_due_at
    margin = (due - now).total_seconds() if due is not None else None
    payload: dict[str, Any] = {
        "assignment_id": assignment.id,
        "unit": assignment.unit_code,
        "role": assignment.role,
        "signed_at": now.isoformat(),
        "sign_due_at": due.isoformat() if due is not None else None,
        # Positive: signed that many seconds before the deadline; negative: that late.
        "margin_seconds": int(margin) if margin is not None else None,
        "on_time": margin >= 0 if margin is not None else None,
        "round": appeal.reopen_count,
        "again": again,  # after a reopen: not counted again in the on-time sign-for rate
        **extra,
    }
    if margin is None:
        note = "签收"
    elif margin >= 0:
        note = f"按时签收（距签收时限{_duration(margin)}）"
    else:
        note = f"超时签收（超出签收时限{_duration(margin)}）"
    if assignment.role == "lead":
        appeal.signed_at = now
        to_status = st.HANDLING if appeal.status == st.DISPATCHED else None
        return move(s, appeal, "signed", actor, to_status=to_status, note=note, payload=payload, at=now)
    return move(s, appeal, "co_signed", actor, note=note, payload=payload, at=now)


def contribute(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    text: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Contribution:
    """协办意见: a co-unit's input to the lead unit, shown to it in the appeal's events.

    A co-unit that contributes is working the appeal: if it has not signed for its part yet, the
    contribution signs for it first (its own `co_signed` event at this moment, compared with its
    sign-for deadline as any signing), so that the sweeps stop reminding it and its work lists no
    longer show it 待签收 (the figures' on-time sign-for rate counts the lead's signings only).
    Like a signing, a page older only by escalation steps (a 催办 while the co-unit was writing)
    still contributes.
    """
    lock(s, appeal)
    expected_version = unchanged_for_the_unit(s, appeal, expected_version)
    begin(appeal, "contribute", actor, expected_version=expected_version)
    now = now or utcnow()
    signed = signed_assignment_ids(s, appeal)
    unsigned = [a for a in _own_assignments(appeal, actor) if a.role == "co" and a.id not in signed]
    if unsigned:
        _record_signing(s, appeal, actor, unsigned[0], now, by="contribution")
    contribution = Contribution(
        appeal_id=appeal.id, unit_code=actor.unit_code, text=text, by_id=actor.id, at=now
    )
    s.add(contribution)
    s.flush()
    move(
        s,
        appeal,
        "contributed",
        actor,
        payload={"contribution_id": contribution.id, "unit": actor.unit_code, "text": text},
        at=now,
    )
    return contribution


def submit_reply(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    result: str,
    citizen_text: str,
    contacted_citizen: bool,
    reason: str = "",
    internal_note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Reply:
    """答复: the lead unit's result and its text for the citizen, for the centre to review.

    Only from handling, so the lead unit has signed. The citizen sees nothing until the review
    approves it; `internal_note` never reaches the citizen. A page older only by escalation steps
    (a 催办 while the unit was writing) still replies.
    """
    lock(s, appeal)
    expected_version = unchanged_for_the_unit(s, appeal, expected_version)
    begin(appeal, "reply", actor, expected_version=expected_version)
    if result not in st.REPLY_RESULTS:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="result"),
            {"result": [t("One of: {choices}.", choices=list(st.REPLY_RESULTS))]},
        )
    if result == "unresolvable" and not reason.strip():
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="reason"),
            {"reason": [t("Say why it cannot be resolved now.")]},
        )
    now = now or utcnow()
    reply = Reply(
        appeal_id=appeal.id,
        unit_code=actor.unit_code,
        result=result,
        reason=reason,
        citizen_text=citizen_text,
        internal_note=internal_note,
        contacted_citizen=contacted_citizen,
        submitted_by_id=actor.id,
        submitted_at=now,
    )
    s.add(reply)
    s.flush()
    due = appeal.reply_due_at
    move(
        s,
        appeal,
        "replied",
        actor,
        to_status=st.REPLY_REVIEW,
        note=internal_note,
        payload={
            "reply_id": reply.id,
            "result": result,
            "reason": reason,
            "contacted_citizen": contacted_citizen,
            "reply_due_at": due.isoformat() if due is not None else None,
            "on_time": now <= due if due is not None else None,
        },
        at=now,
    )
    withdraw_extension_by(s, appeal, actor, "reply", now)
    return reply
