"""受理回执: whether a newly registered appeal's citizen is sent its number and query code, and
how; and, when not, what the operator does instead. Pure: no I/O.

One decision (`decide_receipt`) serves both sides: the intake queues the notice only when it says
so, and tells the operator (the API's answer, the console) the same; the worker's expansion reaches
the citizen through `citizen_addresses` and the channels this installation has configured, the
same two inputs. So what the operator is told and what the citizen receives cannot differ.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: How long after its arrival an appeal registered still sends its citizen a receipt: a letter
#: registered the week it came does, an appeal carried over from an older system does not.
RECEIPT_WITHIN = timedelta(days=30)

# Why no receipt goes out (the API's `receipt.reason`).
NO_CONTACT = "no_contact"  # no contact given
LANDLINE_ONLY = "landline_only"  # a landline, which takes no SMS, and no e-mail address
CLOSED_AT_FIRST_CONTACT = "closed_at_first_contact"  # answered on the phone and closed (直接办结)
HISTORY = "history"  # received over RECEIPT_WITHIN before it was registered (carried over)
NO_CHANNEL = "no_channel"  # a mobile or an e-mail, but this installation sends neither SMS nor e-mail
REASONS: tuple[str, ...] = (NO_CONTACT, LANDLINE_ONLY, CLOSED_AT_FIRST_CONTACT, HISTORY, NO_CHANNEL)

# What the operator does when no receipt goes out (the console's advice).
READ_BACK = "read_back"  # a call: tell the caller the number and the query code
PRINT_AND_MAIL = "print_and_mail"  # a written appeal with a postal address: print the receipt, mail it
CONTACT_BY_HAND = "contact_by_hand"  # a written appeal with a landline, or a contact no channel here reaches
UNREACHABLE = "unreachable"  # a written appeal with no way back to its citizen

#: The channels where the citizen is on the line while the operator registers the appeal.
SPOKEN_CHANNELS = frozenset({"hotline"})

#: A mainland mobile number (with or without +86): the only numbers an SMS reaches.
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")


def sms_number(phone: str | None) -> str | None:
    """The number an SMS is sent to (spaces and hyphens dropped), or None for a landline."""
    compact = re.sub(r"[\s-]", "", phone or "")
    return compact if _MOBILE.match(compact) else None


#: What an e-mail address looks like, enough to tell it from a postal address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def citizen_email(contact_email: str | None, channel_meta: Mapping[str, Any] | None) -> str | None:
    """The e-mail address notices to the citizen go to: the contact's, else the address an e-mail
    appeal came from (its `sender_address`, the From address); None without either."""
    if given := (contact_email or "").strip():
        return given
    sender = str((channel_meta or {}).get("sender_address") or "").strip()
    return sender if _EMAIL.match(sender) else None


def citizen_addresses(phone: str | None, email: str | None) -> list[tuple[str, str]]:
    """Where a notice to the citizen can go, as (channel, destination): SMS to a mobile, e-mail to
    the address given. Before the installation's channels are applied."""
    found = []
    if number := sms_number(phone):
        found.append(("sms", number))
    if address := (email or "").strip():
        found.append(("email", address))
    return found


@dataclass(frozen=True)
class Receipt:
    """The decision: the channels the receipt goes by (in `citizen_addresses` order), or why none."""

    channels: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def sent(self) -> bool:
        return self.reason is None

    def as_record(self) -> dict[str, Any]:
        """As kept in the registration event: channel names and a reason code, no personal data."""
        return {"channels": list(self.channels), "reason": self.reason}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> Receipt | None:
        """The decision kept by `as_record`; None for an appeal registered before it was kept."""
        if not isinstance(record, Mapping) or ("reason" not in record and "channels" not in record):
            return None
        reason = record.get("reason")
        return cls(
            channels=tuple(str(c) for c in record.get("channels") or ()),
            reason=str(reason) if reason is not None else None,
        )


def decide_receipt(
    *,
    phone: str | None,
    email: str | None,
    channels: Collection[str],
    received_at: datetime,
    registered_at: datetime,
    closed_at_first_contact: bool = False,
) -> Receipt:
    """Whether the citizen is sent the receipt, by which of the installation's `channels`.

    `phone` is the contact's, `email` as `citizen_email` finds it (both None without either). None, with the reason,
    for a call answered and closed at first contact (the caller heard the answer), for history
    carried over (received more than `RECEIPT_WITHIN` before it was registered: its citizen is not
    waiting for a text), and when no channel configured here reaches the contact.
    """
    if closed_at_first_contact:
        return Receipt(reason=CLOSED_AT_FIRST_CONTACT)
    if registered_at - received_at > RECEIPT_WITHIN:
        return Receipt(reason=HISTORY)
    if phone is None and email is None:
        return Receipt(reason=NO_CONTACT)
    reachable = citizen_addresses(phone, email)
    if not reachable:
        return Receipt(reason=LANDLINE_ONLY)
    usable = tuple(channel for channel, _ in reachable if channel in channels)
    if not usable:
        return Receipt(reason=NO_CHANNEL)
    return Receipt(channels=usable)


def postal_address(channel_meta: Mapping[str, Any] | None) -> str:
    """The citizen's postal address the channel recorded (a letter's `sender_address`), or "".

    An e-mail's `sender_address` is its From address, not a place a letter can go.
    """
    address = str((channel_meta or {}).get("sender_address") or "").strip()
    return "" if "@" in address else address


def advice(channel: str, receipt: Receipt, postal: str) -> str | None:
    """What the operator does when no receipt goes out: read the number back to a caller, print and
    mail the receipt to a postal address, ring the landline or write to the e-mail address the
    citizen gave, or nothing can be done. None when the receipt went, or for history carried over
    (its citizen is not waiting for one)."""
    if receipt.sent or receipt.reason == HISTORY:
        return None
    if channel in SPOKEN_CHANNELS:
        return READ_BACK
    if postal:
        return PRINT_AND_MAIL
    if receipt.reason in (LANDLINE_ONLY, NO_CHANNEL):
        return CONTACT_BY_HAND
    return UNREACHABLE
