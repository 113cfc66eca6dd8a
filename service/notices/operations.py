"""Notices: queued with the change (outbox), turned into deliveries after the commit, sent by the
worker. Operations flush, never commit; the jobs in `service.notices.jobs` are the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch import receipts
from dispatch.calendar import WorkCalendar
from dispatch.deadlines import last_day_and_time
from dispatch.escalation import notice_urgent, send_not_before
from service.appeals import privacy
from service.appeals import status as st
from service.appeals.models import Appeal, AppealContact
from service.lists.models import Category, Unit
from service.notices import models as m
from service.notices import relay, texts
from service.notices.models import NoticeDelivery, OutboxMessage
from service.text import t

#: Routine notices that still go out at any hour: the answer to what the citizen has just done
#: (the 受理回执 of a call made or a form sent at night) finds them awake and waiting for it.
AT_ANY_HOUR = frozenset({"appeal_registered"})


def queue_notice(
    s: Session,
    appeal: Appeal,
    recipient: str,
    template: str,
    data: dict[str, Any] | None = None,
    *,
    key: str,
    priority: str | None = None,
    check_existing: bool = True,
) -> OutboxMessage | None:
    """Queue a notice about `appeal` unless one with the same dedup key exists.

    `key` names the occasion (e.g. "reply-released:3"); with the appeal's number it makes the dedup
    key, so repeating an operation never queues the notice twice. `recipient` is a group: "citizen",
    "unit:<code>" (its duty contacts), "centre" (the centre's duty contacts and duty leader) or
    "ladder:<unit>:<level>" (that level of the unit's escalation ladder). `priority` "urgent" goes
    out at any hour, on the urgent queue; routine notices wait for working hours. Left out, it is
    the appeal's (`priority_of`): every notice about an urgent appeal is urgent.
    `check_existing=False` skips the lookup when the key cannot have been used (a sweep's alarm id).
    """
    dedup_key = f"{appeal.number}:{recipient}:{template}:{key}"
    if relay.is_pending(s, dedup_key) or (
        check_existing
        and appeal.id is not None
        and s.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)) is not None
    ):
        return None
    message = OutboxMessage(
        kind="notice",
        appeal=appeal,
        recipient=recipient,
        template=template,
        data=data or {},
        dedup_key=dedup_key,
        priority=priority or priority_of(appeal),
    )
    s.add(message)
    relay.track(s, message)
    return message


def priority_of(*appeals: Appeal) -> str:
    """The priority of a notice about `appeals` (a merged appeal's notice about its master names
    both): urgent, at any hour, when one of them is urgent (`dispatch.escalation.notice_urgent`)."""
    return m.URGENT if notice_urgent(*(a.urgency for a in appeals)) else m.DEFAULT


# --- Expanding an outbox row into deliveries --------------------------------------------------


@dataclass(frozen=True)
class Address:
    group: str  # the recipient group it belongs to, e.g. unit:GXQ-CGJ
    name: str  # who, e.g. 值班室 or 市民
    channel: str
    destination: str


def addresses(s: Session, message: OutboxMessage, appeal: Appeal | None) -> list[Address]:
    """Every channel and address of the message's recipient groups ("a|b" names several), each once."""
    found: list[Address] = []
    for recipient in message.recipient.split("|"):
        group, _, rest = recipient.partition(":")
        contacts: list[Mapping[str, Any]] = []
        if group == "citizen" and appeal is not None:
            contact = s.scalar(sa.select(AppealContact).where(AppealContact.appeal_id == appeal.id))
            # The addresses the receipt's decision counted on (dispatch/receipts.py); an e-mail
            # appeal's sender is answered at its From address when no other e-mail was given.
            phone = contact.phone if contact is not None else None
            email = receipts.citizen_email(
                contact.email if contact is not None else None, appeal.channel_meta
            )
            for channel, destination in receipts.citizen_addresses(phone, email):
                found.append(Address(recipient, "市民", channel, destination))
        elif group == "unit":
            unit = s.get(Unit, rest)
            contacts += unit.contacts if unit else ()
        elif group == "centre":
            for unit in _centre_units(s):
                contacts += unit.contacts
        elif group == "ladder":
            code, _, level = rest.rpartition(":")
            unit = s.get(Unit, code)
            step = next((st for st in (unit.escalation if unit else ()) if str(st.get("level")) == level), {})
            contacts += step.get("contacts", ())
            for other in step.get("units", ()):
                if (other_unit := s.get(Unit, other)) is not None:
                    contacts += other_unit.contacts
        for contact in contacts:
            found += _contact_addresses(recipient, contact)
    unique: dict[tuple[str, str], Address] = {}
    for address in found:
        unique.setdefault((address.channel, address.destination), address)
    return list(unique.values())


_CENTRE_UNITS = "minyi.centre_units"


def _centre_units(s: Session) -> list[Unit]:
    """The centre's units, read once per session (a job expands many rows)."""
    if _CENTRE_UNITS not in s.info:
        s.info[_CENTRE_UNITS] = list(
            s.scalars(sa.select(Unit).where(Unit.kind == "centre", Unit.active).order_by(Unit.code))
        )
    return s.info[_CENTRE_UNITS]


def _contact_addresses(group: str, contact: Mapping[str, Any]) -> list[Address]:
    name = str(contact.get("title") or contact.get("name") or "")
    found = []
    # Only a mobile receives SMS (a duty room's landline cannot).
    if phone := receipts.sms_number(str(contact.get("phone") or "")):
        found.append(Address(group, name, "sms", phone))
    if email := str(contact.get("email") or "").strip():
        found.append(Address(group, name, "email", email))
    if webhook := str(contact.get("webhook") or "").strip():
        found.append(Address(group, name, "webhook", webhook))
    return found


def expand(
    s: Session,
    message: OutboxMessage,
    *,
    now: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    channels: set[str] | None = None,
) -> list[NoticeDelivery]:
    """Turn an outbox row into its deliveries, rendered now; marks the row relayed. Adds, no flush.

    Only the `channels` this installation has configured get deliveries (a county without an SMTP
    server sends no e-mail, rather than piling up failures). Harmless to run twice: a relayed row
    gives nothing, and a delivery per channel and address is unique.
    """
    if message.relayed_at is not None:
        return []
    appeal = s.get(Appeal, message.appeal_id) if message.appeal_id is not None else None
    at_once = message.priority == m.URGENT or message.template in AT_ANY_HOUR
    not_before = send_not_before(now, urgent=at_once, calendar=calendar, tz=tz)
    deliveries = []
    texts_by_group: dict[str, texts.RenderedText] = {}
    for address in addresses(s, message, appeal):
        if channels is not None and address.channel not in channels:
            continue
        text = texts_by_group.get(address.group)
        if text is None:
            context = render_context(s, appeal, message, tz, for_citizen=address.group == "citizen")
            text = texts_by_group[address.group] = texts.render(
                message.template, context, recipient=_audience(address.group)
            )
        deliveries.append(
            NoticeDelivery(
                outbox_id=message.id,
                appeal_id=message.appeal_id,
                template=message.template,
                recipient=address.group,
                recipient_name=address.name[:100],
                channel=address.channel,
                destination=address.destination[:300],
                subject=text.subject[:200],
                body=text.body,
                priority=message.priority,
                status=m.PENDING,
                attempts=0,
                not_before=not_before,
                created_at=now,
            )
        )
    s.add_all(deliveries)
    message.relayed_at = now
    return deliveries


def render_context(
    s: Session, appeal: Appeal | None, message: OutboxMessage, tz: ZoneInfo, *, for_citizen: bool
) -> dict[str, Any]:
    """What a template may use: the appeal's number and title, its unit, and the message's data.

    The query code goes only to the citizen; nothing of the citizen goes to anyone else: personal
    data the citizen wrote into the title is masked, or left out on a confidential appeal
    (service/appeals/redact.py).
    """
    context: dict[str, Any] = {}
    if appeal is not None:
        unit = s.get(Unit, appeal.lead_unit_code) if appeal.lead_unit_code else None
        category = s.get(Category, appeal.category_code) if appeal.category_code else None
        signing = appeal.status == st.DISPATCHED  # not signed for yet: the sign-for deadline is next
        due = appeal.sign_due_at if signing else appeal.reply_due_at
        context.update(
            number=appeal.number,
            title=privacy.restricted(appeal.title, appeal),
            unit_name=unit.name if unit else "",
            category_name=category.name if category else "",
            urgency=appeal.urgency,
            due_at_local=local_time_text(due, tz),
            due_label="签收时限" if signing else "答复时限",
        )
        if for_citizen:
            context["query_code"] = appeal.query_code
    context.update(message.data or {})
    return context


def _audience(recipient: str) -> str:
    """Ladder levels read the units' texts."""
    group, _, rest = recipient.partition(":")
    return f"unit:{rest.rpartition(':')[0]}" if group == "ladder" else recipient


def local_time_text(at: datetime | None, tz: ZoneInfo) -> str:
    """A deadline in a notice: "12月23日 24:00" (see `dispatch.deadlines.last_day_and_time`)."""
    if at is None:
        return ""
    day, clock = last_day_and_time(at, tz)
    return f"{day.month}月{day.day}日 {clock}"


# --- Sending -----------------------------------------------------------------------------------

#: How long a claimed delivery belongs to its worker; after that, another may claim it again.
LEASE = timedelta(minutes=2)


def claim(s: Session, ids: Iterable[int], *, now: datetime, lease: timedelta = LEASE) -> list[NoticeDelivery]:
    """Claim the deliveries that may be tried now (one statement); the caller commits before sending.

    A delivery being sent by another worker is left alone until its lease runs out; a worker killed
    while sending leaves one whose lease runs out, and the next claim sends it again (with the same
    Idempotency-Key, so the peer drops a repeat).
    """
    ids = list(ids)
    if not ids:
        return []
    table = NoticeDelivery.__table__
    claimed = s.execute(
        table.update()
        .where(table.c.id.in_(ids), table.c.status.in_(m.CLAIMABLE), table.c.not_before <= now)
        .values(
            status=m.SENDING,
            attempts=table.c.attempts + 1,
            last_attempt_at=now,
            not_before=now + lease,
        )
        .returning(table.c.id)
    ).scalars()
    claimed_ids = sorted(claimed)
    if not claimed_ids:
        return []
    rows = s.scalars(
        sa.select(NoticeDelivery)
        .where(NoticeDelivery.id.in_(claimed_ids))
        .order_by(NoticeDelivery.id)
        .execution_options(populate_existing=True)
    ).all()
    return list(rows)


def record_sent(delivery: NoticeDelivery, *, now: datetime, provider_id: str | None) -> None:
    delivery.status = m.SENT
    delivery.sent_at = now
    delivery.provider_id = provider_id[:100] if provider_id else None
    delivery.last_error = ""


def record_failure(
    delivery: NoticeDelivery, *, now: datetime, reason: str, transient: bool
) -> timedelta | None:
    """A failed attempt: retried later if transient and attempts remain, else failed. Returns the wait."""
    from dispatch.escalation import retry_after

    delivery.last_error = reason[:500]
    wait = retry_after(delivery.attempts) if transient else None
    if wait is None:
        delivery.status = m.FAILED
        delivery.not_before = now
        return None
    delivery.status = m.RETRYING
    delivery.not_before = now + wait
    return wait


def claimable_due(s: Session, *, now: datetime, limit: int = 500) -> list[tuple[int, str]]:
    """Deliveries (ids and priorities) whose time has come and that no worker holds (or whose
    worker's lease ran out), the longest waiting first."""
    rows = s.execute(
        sa.select(NoticeDelivery.id, NoticeDelivery.priority)
        .where(NoticeDelivery.status.in_(m.CLAIMABLE), NoticeDelivery.not_before <= now)
        .order_by(NoticeDelivery.not_before, NoticeDelivery.id)
        .limit(limit)
    ).all()
    return [(row.id, row.priority) for row in rows]


def unrelayed(s: Session, *, older_than: datetime, limit: int = 500) -> list[tuple[int, str]]:
    """Outbox rows the relay has not turned into deliveries yet (ids and priorities), oldest first."""
    rows = s.execute(
        sa.select(OutboxMessage.id, OutboxMessage.priority)
        .where(OutboxMessage.relayed_at.is_(None), OutboxMessage.created_at <= older_than)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return [(row.id, row.priority) for row in rows]


def oldest_unrelayed_at(s: Session) -> datetime | None:
    return s.scalar(
        sa.select(OutboxMessage.created_at)
        .where(OutboxMessage.relayed_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(1)
    )


def retry_delivery(s: Session, delivery: NoticeDelivery, *, now: datetime) -> None:
    """A person asks for a failed delivery to be tried again (`minyi jobs retry`, the admin API)."""
    from service.errors import Conflict

    if delivery.status != m.FAILED:
        raise Conflict(
            t(
                "Notice {id} is {status}; only a failed notice can be retried.",
                id=delivery.id,
                status=delivery.status,
            ),
            current={"id": delivery.id, "status": delivery.status},
        )
    delivery.status = m.PENDING
    delivery.attempts = 0
    delivery.not_before = now
    delivery.last_error = ""
    s.flush()
