"""What a unit asks of the centre about an appeal assigned to it: to return it (退单, "not ours",
with a reason and a basis) and for more time (延期, more working days before the reply deadline).
The centre decides both in `centre_review`; signing for, contributing and replying are in
`unit_actions`.

An appeal has at most one extension request waiting. The lead unit's return or reply withdraws
it, and the timeline says so (`withdraw_extension_by`); a re-dispatch settles it too
(service/appeals/assigning.py). Every action goes through `begin` and records its event with
`move`, which bumps the appeal's version. Like the unit's other actions, both hold the appeal's
row first (`lock`) and accept a version older only by escalation steps (a 催办 since the page was
loaded: `unchanged_for_the_unit`). Operations flush and never commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.guards import current_state
from service.appeals.models import Appeal
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from service.handling import return_disputes
from service.handling.models import ExtensionRequest, ReturnRequest
from service.handling.operations import begin, lock, move, unchanged_for_the_unit
from service.handling.return_basis import basis_needed, says_nothing
from service.text import t


def request_return(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    reason: str,
    basis: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """退单: the lead unit says "not ours", with a reason and a basis, for the centre to review.

    A unit may return the same appeal again after a rejection; the count is in the event's
    payload (`count`, `repeated`) so that repeated disputes go to arbitration. A page older only by
    escalation steps (a 催办 while the unit was writing) still asks.
    """
    lock(s, appeal)
    expected_version = unchanged_for_the_unit(s, appeal, expected_version)
    begin(appeal, "return", actor, expected_version=expected_version)
    return_disputes.refuse_after_arbitration(s, appeal, actor.unit_code)  # 仲裁: final for this dispatch
    if not reason.strip() or not basis.strip():
        raise ValidationFailed(
            t("A return needs a reason and a basis."),
            {k: [t("Required.")] for k, v in (("reason", reason), ("basis", basis)) if not v.strip()},
        )
    if says_nothing(basis):
        raise ValidationFailed(t("Invalid input: {fields}", fields="basis"), {"basis": [basis_needed()]})
    now = now or utcnow()
    earlier = (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(ReturnRequest)
            .where(ReturnRequest.appeal_id == appeal.id, ReturnRequest.unit_code == actor.unit_code)
        )
        or 0
    )
    request = ReturnRequest(
        appeal_id=appeal.id,
        unit_code=actor.unit_code,
        reason=reason,
        basis=basis,
        from_status=appeal.status,
        requested_by_id=actor.id,
        requested_at=now,
    )
    s.add(request)
    s.flush()
    move(
        s,
        appeal,
        "return_requested",
        actor,
        to_status=st.RETURN_REQUESTED,
        note=reason,
        payload={
            "return_id": request.id,
            "unit": actor.unit_code,
            "reason": reason,
            "basis": basis,
            "count": earlier + 1,
            "repeated": earlier > 0,
        },
        at=now,
    )
    withdraw_extension_by(s, appeal, actor, "return", now)
    return request


def pending_extension(s: Session, appeal: Appeal) -> ExtensionRequest | None:
    return s.scalar(
        sa.select(ExtensionRequest)
        .where(ExtensionRequest.appeal_id == appeal.id, ExtensionRequest.decision == "pending")
        .order_by(ExtensionRequest.id.desc())
        .limit(1)
    )


def withdraw_pending_extensions(
    s: Session, appeal: Appeal, why: str, now: datetime
) -> list[ExtensionRequest]:
    """A pending extension request is moot once the unit replied or the appeal left it."""
    withdrawn = list(
        s.scalars(
            sa.select(ExtensionRequest).where(
                ExtensionRequest.appeal_id == appeal.id, ExtensionRequest.decision == "pending"
            )
        )
    )
    for request in withdrawn:
        request.decision, request.decided_at, request.decision_note = "withdrawn", now, why
    return withdrawn


#: Why the unit's own step withdraws its pending extension request, as the timeline says it.
WITHDRAWN_BY = {"reply": "已提交答复", "return": "已申请退单"}


def withdraw_extension_by(s: Session, appeal: Appeal, actor: User, step: str, now: datetime) -> None:
    """The lead unit replied (答复) or asked to return the appeal (退单) while its extension request
    (延期) waited: the request is withdrawn, and the timeline says so (延期申请已撤回：…), to the
    unit and to the centre, whose 延期待审 list no longer shows it. A reply makes the extension
    moot; a return says the appeal is not the unit's to extend. Recorded after the step's own
    event, in the status the step left."""
    why = WITHDRAWN_BY[step]
    for request in withdraw_pending_extensions(s, appeal, why, now):
        record_event(
            s,
            appeal,
            "extension_withdrawn",
            actor,
            from_status=appeal.status,
            to_status=appeal.status,
            note=f"延期申请已撤回：{why}",
            payload={"extension_id": request.id, "days": request.days, "withdrawn_by": step},
            at=now,
        )
    s.flush()


def request_extension(
    s: Session,
    appeal: Appeal,
    actor: User,
    *,
    days: int,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ExtensionRequest:
    """延期: the lead unit asks for `days` more working days, before the reply deadline passes;
    not while its return (退单) waits for the centre, which would leave one of the two stranded. A
    page older only by escalation steps (a 催办 while the unit was writing) still asks."""
    lock(s, appeal)
    expected_version = unchanged_for_the_unit(s, appeal, expected_version)
    try:
        begin(appeal, "extension", actor, expected_version=expected_version)
    except Conflict:
        if appeal.status == st.RETURN_REQUESTED and expected_version in (None, appeal.version):
            raise Conflict(
                t(
                    "Your unit's return of this appeal is waiting for the centre's decision: no extension"
                    " can be asked meanwhile. If the centre rejects the return, ask for it then."
                ),
                current=current_state(appeal),
            ) from None
        raise
    if not 1 <= days <= 30:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields="days"), {"days": [t("From 1 to 30 working days.")]}
        )
    now = now or utcnow()
    if (waiting := pending_extension(s, appeal)) is not None:
        raise Conflict(
            t(
                "An extension of {days} working day(s) asked at {at} is waiting for the centre's decision;"
                " ask again after it.",
                days=waiting.days,
                at=waiting.requested_at,
            ),
            current=current_state(appeal),
        )
    due = appeal.reply_due_at
    if due is None or now >= due:
        raise Conflict(
            t(
                "An extension must be asked before the reply deadline, which passed at {due}."
                " Reply now, with the result so far if it is not resolved.",
                due=due,
            )
            if due is not None
            else t("An extension must be asked before the reply deadline; this appeal has none."),
            current=current_state(appeal),
        )
    request = ExtensionRequest(
        appeal_id=appeal.id,
        unit_code=actor.unit_code,
        days=days,
        reason=reason,
        old_due_at=due,
        requested_by_id=actor.id,
        requested_at=now,
    )
    s.add(request)
    s.flush()
    move(
        s,
        appeal,
        "extension_requested",
        actor,
        note=reason,
        payload={"extension_id": request.id, "days": days, "reason": reason, "old_due_at": due.isoformat()},
        at=now,
    )
    return request
