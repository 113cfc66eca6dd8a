"""The worker's notice jobs: relay outbox rows into deliveries, send them, retry the transient
failures, and sweep up whatever a dead Redis or a killed worker left behind.

Every job takes ids only and is harmless to run twice: an outbox row is expanded once (it is marked
relayed in the same transaction), a delivery is sent only by the worker that claimed it, and a sent
delivery is never claimed again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from dispatch.calendar import WorkCalendar
from service.appeals.models import Appeal
from service.db import utcnow
from service.jobs import QUEUES, enqueue_in, job_session, queue
from service.lists.models import Category, Unit
from service.lists.operations import active_context
from service.notices import models as m
from service.notices import operations as ops
from service.notices import relay
from service.notices.channels import senders_from_config
from service.notices.models import NoticeDelivery, OutboxMessage
from service.notices.senders import DeliveryError, OutgoingMessage, Sender, TransientDeliveryError
from service.text import t

log = logging.getLogger(__name__)

DELIVER = "service.notices.jobs.deliver_notices"
#: An outbox row younger than this is left to the relay that follows its commit.
RELAY_GRACE = timedelta(seconds=10)


def process_outbox(outbox_ids: Sequence[int]) -> dict[str, int]:
    """Turn outbox rows into deliveries (one transaction), then send those that may go now."""
    with job_session() as s:
        messages = s.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.id.in_(list(outbox_ids)), OutboxMessage.relayed_at.is_(None))
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        ).all()
        if not messages:
            return {"deliveries": 0, "sent": 0}
        _preload(s, messages)
        ctx = active_context(s)
        calendar = ctx.calendar if ctx is not None else WorkCalendar()
        now = utcnow()
        channels = set(_senders())
        tz = current_app.config["TZ"]
        made = [
            d
            for message in messages
            for d in ops.expand(s, message, now=now, calendar=calendar, tz=tz, channels=channels)
        ]
        s.flush()
        deliverable = [d.id for d in made if d.not_before <= now]
    sent = deliver_notices(deliverable)["sent"] if deliverable else 0
    if made:
        log.info("outbox %s: %d deliveries, %d sent now", list(outbox_ids)[:5], len(made), sent)
    return {"deliveries": len(made), "sent": sent}


def _preload(s: Any, messages: Sequence[OutboxMessage]) -> None:
    """The appeals, units and categories the rows need, in three reads (then from the identity map)."""
    appeal_ids = {m_.appeal_id for m_ in messages if m_.appeal_id is not None}
    appeals = s.scalars(sa.select(Appeal).where(Appeal.id.in_(appeal_ids))).all() if appeal_ids else []
    codes = {a.lead_unit_code for a in appeals if a.lead_unit_code}
    for message in messages:
        for recipient in message.recipient.split("|"):
            group, _, rest = recipient.partition(":")
            if group in ("unit", "ladder"):
                codes.add(rest.rpartition(":")[0] if group == "ladder" else rest)
    if codes:
        s.scalars(sa.select(Unit).where(Unit.code.in_(codes))).all()
    categories = {a.category_code for a in appeals if a.category_code}
    if categories:
        s.scalars(sa.select(Category).where(Category.code.in_(categories))).all()


#: Deliveries sent at once by one job (each to its own peer connection).
SEND_THREADS = 8


def chunk_size(config: Any) -> int:
    """Deliveries claimed together: as many as the send threads surely finish within the lease even
    if every send ran into the timeout (with a margin of a half), so no other worker takes them over
    while they are still being sent. With the defaults (8 threads, 120 s lease, 5 s timeout): 128.
    """
    lease = float(config.get("NOTICE_LEASE_SECONDS", 120))
    timeout = max(float(config.get("NOTICE_TIMEOUT", 5)), 0.1)
    return max(1, int(SEND_THREADS * lease / (timeout * 1.5)))


def deliver_notices(delivery_ids: Sequence[int]) -> dict[str, int]:
    """Send the deliveries that may be tried now; retry transient failures later, record the rest.

    A chunk at a time: claimed in one statement and committed before sending (a worker that dies
    mid-send leaves them to be claimed again when the lease ends), sent in parallel, the outcomes
    recorded together.
    """
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    ids = list(delivery_ids)
    chunk = chunk_size(current_app.config)
    for k in range(0, len(ids), chunk):
        for key, value in _deliver_chunk(ids[k : k + chunk]).items():
            totals[key] += value
    return totals


def _deliver_chunk(delivery_ids: list[int]) -> dict[str, int]:
    lease = timedelta(seconds=float(current_app.config.get("NOTICE_LEASE_SECONDS", 120)))
    with job_session() as s:
        claimed_at = utcnow()
        claimed = ops.claim(s, delivery_ids, now=claimed_at, lease=lease)
        messages = [(d.id, d.channel, _outgoing(d)) for d in claimed]
    if not messages:
        return {}
    senders = _senders()

    def attempt(item: tuple[int, str, OutgoingMessage]) -> tuple[int, dict[str, Any]]:
        delivery_id, channel, message = item
        sender = senders.get(channel)
        try:
            if sender is None:
                raise DeliveryError(f"channel {channel} is not configured")
            return delivery_id, {"provider_id": sender.send(message)}
        except TransientDeliveryError as exc:
            return delivery_id, {"error": exc.reason, "transient": True}
        except DeliveryError as exc:
            return delivery_id, {"error": exc.reason, "transient": False}

    if len(messages) == 1:
        outcomes = dict(map(attempt, messages))
    else:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(messages))) as pool:
            outcomes = dict(pool.map(attempt, messages))
    return _record(outcomes, claimed_at)


def _record(outcomes: dict[int, dict[str, Any]], claimed_at: datetime) -> dict[str, int]:
    results = {"sent": 0, "retrying": 0, "failed": 0}
    retries: list[tuple[str, timedelta, int]] = []
    with job_session() as s:
        now = utcnow()
        rows = s.scalars(
            sa.select(NoticeDelivery).where(NoticeDelivery.id.in_(list(outcomes))).with_for_update()
        ).all()
        for delivery in rows:
            outcome = outcomes[delivery.id]
            if delivery.status != m.SENDING or delivery.last_attempt_at != claimed_at:
                continue  # no longer ours: a person retried it, or our lease ran out and another took it
            if "error" not in outcome:
                ops.record_sent(delivery, now=now, provider_id=outcome["provider_id"])
                results["sent"] += 1
                continue
            wait = ops.record_failure(
                delivery, now=now, reason=outcome["error"], transient=outcome["transient"]
            )
            if wait is None:
                log.warning("notice %s failed for good: %s", delivery.id, outcome["error"])
                results["failed"] += 1
            else:
                results["retrying"] += 1
                retries.append((delivery.priority, wait, delivery.id))
    # If Redis is down, the relay sweep finds them when their time comes.
    with contextlib.suppress(RedisError, OSError):
        for priority, wait, delivery_id in retries:
            enqueue_in(priority, wait, DELIVER, [delivery_id], job_id=f"deliver-{delivery_id}-retry")
    return results


def _outgoing(d: NoticeDelivery) -> OutgoingMessage:
    return OutgoingMessage(
        channel=d.channel,
        destination=d.destination,
        subject=d.subject,
        body=d.body,
        payload={
            "event": d.template,
            "notice_id": d.id,
            "appeal_id": d.appeal_id,
            "recipient": d.recipient,
            "subject": d.subject,
            "text": d.body,
        },
        idempotency_key=f"minyi-notice-{d.id}",
    )


def _senders() -> dict[str, Sender]:
    """The app's configured senders, built once per app (a bad setting fails the first job)."""
    extensions = current_app.extensions
    if "minyi.senders" not in extensions:
        extensions["minyi.senders"] = senders_from_config(current_app.config)
    return extensions["minyi.senders"]


def relay_sweep() -> dict[str, int]:
    """Hand over what the relay after commit could not (Redis was down) and what is due again.

    Runs every few seconds on the worker's scheduler: outbox rows older than a grace period and not
    yet relayed, routine deliveries whose working hours came, retries whose wait is over, and
    deliveries whose worker died while sending (their lease ran out).
    """
    now = utcnow()
    outbox = relay_outbox(older_than=now - RELAY_GRACE)
    with job_session() as s:
        due = ops.claimable_due(s, now=now)
    by_priority: dict[str, list[int]] = {}
    for delivery_id, priority in due:
        by_priority.setdefault(priority, []).append(delivery_id)
    for priority, ids in by_priority.items():
        for k in range(0, len(ids), relay.BATCH):
            queue(priority).enqueue(
                DELIVER, ids[k : k + relay.BATCH], result_ttl=0, failure_ttl=7 * 24 * 3600
            )
    return {"outbox": outbox, "deliveries": len(due)}


def relay_outbox(*, older_than: datetime, limit: int = 500) -> int:
    """Hand the outbox rows not relayed yet (written before `older_than`) to the queue; how many."""
    with job_session() as s:
        rows = ops.unrelayed(s, older_than=older_than, limit=limit)
    relay.enqueue_outbox(rows, force=True)
    return len(rows)


# --- What failed for good ------------------------------------------------------------------------


def retry_failed_notice(s: Any, delivery_id: int) -> NoticeDelivery:
    """A person retries a failed notice: it is pending again, and handed to the worker once the
    session commits; if Redis cannot take it then, the worker's relay sweep sends it when it can."""
    delivery = mark_for_retry(s, delivery_id)
    priority = delivery.priority
    relay.after_commit(s, lambda: _enqueue_quietly(priority, [delivery_id]))
    return delivery


def commit_retry(s: Any, delivery_id: int) -> NoticeDelivery:
    """`retry_failed_notice` for a caller that says what happened (`minyi jobs retry`, the failed
    notices page): the notice is marked for sending again and committed (a boundary's own step),
    then handed to the worker. Raises one of REDIS_DOWN (service/redis_conn.py) when Redis cannot
    take it: stored pending all the same, the worker's relay sweep sends it once it reaches Redis.
    NotFound and Conflict come before the commit, with nothing changed."""
    delivery = mark_for_retry(s, delivery_id)
    s.commit()  # stored before Redis is asked: if it cannot take it, the relay sweep sends it
    enqueue_deliveries(delivery.priority, [delivery_id])
    return delivery


def mark_for_retry(s: Any, delivery_id: int) -> NoticeDelivery:
    """A failed notice pending again, not handed to the worker: its relay sweep sends it, or
    `commit_retry` after its commit, to say whether Redis took it."""
    from service.errors import NotFound

    delivery = s.get(NoticeDelivery, delivery_id)
    if delivery is None:
        raise NotFound(t("No notice {id}.", id=delivery_id))
    ops.retry_delivery(s, delivery, now=utcnow())
    return delivery


def enqueue_deliveries(priority: str, ids: list[int]) -> None:
    """Hand deliveries to the worker now; RedisError, OSError or RedisNotConfigured when Redis
    cannot take them (they stay pending for the relay sweep)."""
    queue(priority).enqueue(DELIVER, ids, result_ttl=0, failure_ttl=7 * 24 * 3600)


def _enqueue_quietly(priority: str, ids: list[int]) -> None:
    with contextlib.suppress(RedisError, OSError):
        enqueue_deliveries(priority, ids)


def failed_rq_jobs(limit: int = 50) -> list[dict[str, Any]]:
    """Worker jobs in the failed registries of every queue (a sweep that crashed, say), newest first."""
    from rq.job import Job

    found = []
    for name in QUEUES:
        registry = queue(name).failed_job_registry
        for job in Job.fetch_many(registry.get_job_ids(), connection=registry.connection):
            if job is None:
                continue
            result = job.latest_result()
            error = (result.exc_string or "").strip().splitlines()[-1:] if result is not None else []
            found.append(
                {
                    "id": job.id,
                    "queue": name,
                    "function": job.func_name,
                    "ended_at": job.ended_at.isoformat() if job.ended_at else None,
                    "error": error[0] if error else "",
                }
            )
    found.sort(key=lambda j: j["ended_at"] or "", reverse=True)
    return found[:limit]


def requeue_failed_rq_job(job_id: str) -> bool:
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    for name in QUEUES:
        registry = queue(name).failed_job_registry
        if job_id in registry.get_job_ids():
            try:
                registry.requeue(job_id)
            except (InvalidJobOperation, NoSuchJobError):
                return False
            return True
    return False
