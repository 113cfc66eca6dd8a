"""受理回执 as the operator is told of it: the decision kept at registration (dispatch/receipts.py),
with the addresses it goes to masked as the staff views mask contacts, or why none goes. The
intake's answer (`receipt` of POST /api/v1/appeals) and the console's result page read it here;
what the operator does instead is `dispatch.receipts.advice`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch import receipts as decision
from dispatch.receipts import Receipt, citizen_email, sms_number
from service.appeals.models import Appeal
from service.appeals.operations import receipt_of
from service.appeals.redact import mask_email, mask_phone
from service.text import Text, t

#: Why no receipt goes out, as the operator reads it (the API says it in the request's language).
REASON_MESSAGES: dict[str, Text] = {
    decision.NO_CONTACT: t("No receipt is sent: no phone number or e-mail address was given."),
    decision.LANDLINE_ONLY: t(
        "No receipt is sent: a landline cannot receive text messages and no e-mail address was given."
    ),
    decision.CLOSED_AT_FIRST_CONTACT: t(
        "No receipt is sent: the call was answered and closed at first contact."
    ),
    decision.HISTORY: t(
        "No receipt is sent: the appeal arrived more than {days} days before it was registered "
        "(history carried over).",
        days=decision.RECEIPT_WITHIN.days,
    ),
    decision.NO_CHANNEL: t(
        "No receipt is sent: this service sends no text messages or e-mail that would reach the citizen's contact."
    ),
}


def receipt_view(appeal: Appeal, receipt: Receipt | None) -> dict[str, Any] | None:
    """{"sent", "sms", "email", "reason", "message"}: where the receipt went (masked), or why it did
    not (`message` a `Text`, to be said in the reader's language); None when nothing was kept."""
    if receipt is None:
        return None
    kept = appeal.personal_data_erased_at is None
    contact = appeal.contact if kept else None
    phone = sms_number(contact.phone) if contact is not None and "sms" in receipt.channels else None
    email = (
        citizen_email(contact.email if contact is not None else None, appeal.channel_meta)
        if kept and "email" in receipt.channels
        else None
    )
    return {
        "sent": receipt.sent,
        "sms": mask_phone(phone) if phone else None,
        "email": mask_email(email) if email else None,
        "reason": receipt.reason,
        "message": REASON_MESSAGES.get(receipt.reason) if receipt.reason else None,
    }


def receipt_of_appeal(s: Session, appeal: Appeal) -> dict[str, Any] | None:
    """`receipt_view` of what was decided when `appeal` was registered."""
    return receipt_view(appeal, receipt_of(s, appeal))


def receipt_answer(s: Session, appeal: Appeal) -> dict[str, Any] | None:
    """`receipt_of_appeal` as the API answers it: the message in the request's language."""
    from service.errors import said
    from service.i18n import api_language

    view = receipt_of_appeal(s, appeal)
    if view is not None and view["message"] is not None:
        view["message"] = said(view["message"], api_language())
    return view
