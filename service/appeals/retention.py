"""Personal data kept only as long as needed (个人信息保护法 art. 19).

When a closed appeal has been closed for MINYI_PERSONAL_DATA_RETENTION_DAYS (default 1095, three
years; 0 keeps everything), the worker erases what identifies the citizen: the contact (name,
phone, ID number, e-mail), the personal keys of the channel metadata (`status.PERSONAL_META_FIELDS`:
the caller's number, a sender's address, an account or device id), the addresses its notices to
the citizen went to, and what of the citizen the free text holds (`TEXTS`: the citizen's name and
any phone number, ID number or e-mail address written into the title, the content, the address,
the direct answer, the replies and the rating comments become `redact.REMOVED`; service/appeals/redact.py).
A merged appeal goes with its master. The appeal itself stays whole otherwise (what was asked,
where, the handling, the reply, the rating): it is the government's record, and the figures read
it. The event log is append-only, except for this: its notes and citizen messages lose the same
personal data (a rating's comment is copied into its event's note). The appeal records when
(`personal_data_erased_at`) and its staff timeline says so; it can no longer be reopened (the unit
could not reach the citizen: service/handling/reopening.py).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from service.appeals import privacy, redact
from service.appeals import status as st
from service.appeals.events import record_event
from service.appeals.models import Appeal, AppealContact, AppealEvent
from service.db import utcnow
from service.handling.models import Evaluation, Reply
from service.jobs import config, exclusive, job_session
from service.notices.models import NoticeDelivery

#: Appeals erased per transaction, and how long one run of the job goes on (well inside RQ's
#: 180-second job timeout and the lock's 300 seconds); the next run takes the rest.
BATCH = 500
RUN_SECONDS = 120
#: The free text searched for the citizen's personal data at erasure: the appeal's own columns,
#: and rows of other tables (by `appeal_id`) with theirs.
APPEAL_TEXTS = ("title", "content", "address", "direct_answer")
TEXTS = ((Reply, ("citizen_text", "reason", "internal_note")), (Evaluation, ("comment",)))


def retention_cutoff(now: datetime, days: int) -> datetime | None:
    """Appeals closed before this instant are past retention; None when data is kept (days 0)."""
    return now - timedelta(days=days) if days > 0 else None


def due_for_erasure(s: Session, cutoff: datetime, limit: int | None = BATCH) -> list[int]:
    """Closed appeals closed before `cutoff`, and appeals merged into them, not yet erased."""
    master = aliased(Appeal)
    closed = sa.select(Appeal.id).where(
        Appeal.status == st.CLOSED, Appeal.closed_at < cutoff, Appeal.personal_data_erased_at.is_(None)
    )
    merged = (
        sa.select(Appeal.id)
        .join(master, master.id == Appeal.master_id)
        .where(
            Appeal.status == st.MERGED,
            master.status == st.CLOSED,
            master.closed_at < cutoff,
            Appeal.personal_data_erased_at.is_(None),
        )
    )
    return list(s.scalars(sa.union(closed, merged).order_by("id").limit(limit)))


def erase_personal_data(s: Session, appeal: Appeal, now: datetime) -> list[str]:
    """Erase what identifies the citizen of `appeal`; returns what was erased (nothing twice)."""
    if appeal.personal_data_erased_at is not None:
        return []
    erased = []
    contact = s.scalar(sa.select(AppealContact).where(AppealContact.appeal_id == appeal.id))
    erased += _remove_from_texts(s, appeal, [contact.name] if contact is not None else [])
    if contact is not None:
        contact.name, contact.phone, contact.id_number, contact.email = "", "", None, None
        erased.append("contact")
    personal = sorted(set(appeal.channel_meta or {}) & st.PERSONAL_META_FIELDS)
    if personal:
        appeal.channel_meta = {k: v for k, v in appeal.channel_meta.items() if k not in personal}
        erased += [f"channel_meta.{key}" for key in personal]
    notices = s.execute(
        sa.update(NoticeDelivery)
        .where(NoticeDelivery.appeal_id == appeal.id, NoticeDelivery.recipient == "citizen")
        .values(destination="")
        .execution_options(synchronize_session="fetch")
    )
    if notices.rowcount:
        erased.append("notice_destinations")
    appeal.personal_data_erased_at = now
    appeal.restricted_text = privacy.restricted_text(appeal)
    record_event(
        s,
        appeal,
        "personal_data_erased",
        None,
        from_status=appeal.status,
        to_status=appeal.status,
        actor_role="system",
        payload={"erased": erased},
        at=now,
    )
    s.flush()
    return erased


def _remove_from_texts(s: Session, appeal: Appeal, names: list[str]) -> list[str]:
    """Remove the citizen's personal data from the free text about `appeal`; what changed."""
    changed = []
    for column in APPEAL_TEXTS:
        text = getattr(appeal, column) or ""
        if (cleaned := redact.remove(text, names)) != text:
            setattr(appeal, column, cleaned)
            changed.append(column)
    # The event log is append-only, but not against the law: the erasure is the one change it
    # takes (a Core UPDATE, past the ORM's guard), to notes and citizen messages only; the citizen's
    # own rating comment is copied into the note of its "evaluated" event.
    events = s.execute(
        sa.select(AppealEvent.id, AppealEvent.note, AppealEvent.public_message).where(
            AppealEvent.appeal_id == appeal.id
        )
    ).all()
    for event_id, note, public_message in events:
        cleaned = {
            column: redact.remove(text, names)
            for column, text in (("note", note), ("public_message", public_message))
            if text and redact.remove(text, names) != text
        }
        if cleaned:
            s.execute(
                sa.update(AppealEvent)
                .where(AppealEvent.id == event_id)
                .values(**cleaned)
                .execution_options(synchronize_session=False)
            )
            changed += [f"appeal_events.{column}" for column in cleaned]
    for model, columns in TEXTS:
        for row in s.scalars(sa.select(model).where(model.appeal_id == appeal.id)):
            for column in columns:
                text = getattr(row, column) or ""
                if (cleaned := redact.remove(text, names)) != text:
                    setattr(row, column, cleaned)
                    changed.append(f"{model.__tablename__}.{column}")
    return sorted(set(changed))


def _still_due(s: Session, appeal: Appeal, cutoff: datetime) -> bool:
    """`due_for_erasure`'s test, on the row as read now: its batch was chosen before."""
    closed = appeal
    if appeal.status == st.MERGED and appeal.master_id is not None:
        closed = s.get(Appeal, appeal.master_id)
    return (
        closed is not None
        and closed.status == st.CLOSED
        and closed.closed_at is not None
        and closed.closed_at < cutoff
        and appeal.personal_data_erased_at is None
    )


def erase_expired(s: Session, now: datetime, days: int, limit: int = BATCH) -> list[int]:
    """Erase the personal data of every appeal past retention (up to `limit`); returns their ids.

    Harmless to run twice: an erased appeal is not due again. Each appeal in a savepoint of its own,
    so one that changed meanwhile is skipped (the next run takes it), not the whole run.
    """
    cutoff = retention_cutoff(now, days)
    if cutoff is None:
        return []
    done = []
    for appeal_id in due_for_erasure(s, cutoff, limit):
        try:
            with s.begin_nested():
                appeal = s.get(Appeal, appeal_id)
                if appeal is None or not _still_due(s, appeal, cutoff):
                    continue  # reopened (or merged into a reopened master) since it was chosen
                erase_personal_data(s, appeal, now)
        except StaleDataError:
            continue
        done.append(appeal_id)
    return done


def erase_expired_job() -> dict[str, int | str]:
    """The worker's periodic job: batch after batch of appeals past retention, each committed on
    its own, until none is left or RUN_SECONDS have passed (the next run goes on): a first run over
    years of old appeals does not take one batch an hour. Takes no personal data, holds a lock so
    that two runs never overlap, harmless to run twice."""
    with exclusive("erase_personal_data") as mine:
        if not mine:
            return {"skipped": "another run holds the lock"}
        days, started, total = int(config("PERSONAL_DATA_RETENTION_DAYS", 0)), time.monotonic(), 0
        while True:
            with job_session() as s:
                erased = len(erase_expired(s, utcnow(), days, BATCH))
            total += erased
            # A batch that erased nothing found none due (or only appeals changed meanwhile, left
            # to the next run); one that erased some may have skipped a few: go on either way.
            if erased == 0 or time.monotonic() - started > RUN_SECONDS:
                return {"erased": total}
