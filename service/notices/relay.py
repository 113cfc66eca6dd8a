"""The relay: outbox rows are handed to the worker queue after their transaction commits.

A session remembers the rows it queued (`track`); when it commits, their ids go to RQ. If Redis
cannot be reached, nothing is lost: the rows stay unrelayed in the database and the worker's relay
sweep (`service.notices.jobs.relay_sweep`) hands them over once Redis is back. The request never
waits on a dead Redis twice in a row: after a failure, the relay stays quiet for a few seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PENDING = "minyi.outbox.pending"
PENDING_KEYS = "minyi.outbox.pending_keys"
PROCESS_OUTBOX = "service.notices.jobs.process_outbox"
#: After Redis failed, how long the relay leaves the work to the sweep instead of trying again.
QUIET_AFTER_FAILURE = 5.0
_quiet_until = 0.0


def track(s: Session, message: Any) -> None:
    """Remember a row queued in this transaction, to relay it after the commit."""
    s.info.setdefault(PENDING, []).append(message)
    s.info.setdefault(PENDING_KEYS, set()).add(message.dedup_key)


def pending(s: Session) -> list[Any]:
    """The rows queued in this transaction so far."""
    return list(s.info.get(PENDING, ()))


def rekey(s: Session, old: str, new: str) -> None:
    """A queued row's de-duplication key changed (the appeal's provisional number was replaced)."""
    keys = s.info.setdefault(PENDING_KEYS, set())
    keys.discard(old)
    keys.add(new)


def is_pending(s: Session, dedup_key: str) -> bool:
    """Whether this transaction already queued a row with the key (not flushed yet, perhaps)."""
    return dedup_key in s.info.get(PENDING_KEYS, ())


AFTER_COMMIT = "minyi.after_commit"


def after_commit(s: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction commits (never if it rolls back)."""
    s.info.setdefault(AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _relay_after_commit(s: Session) -> None:
    messages = s.info.pop(PENDING, None)
    s.info.pop(PENDING_KEYS, None)
    for callback in s.info.pop(AFTER_COMMIT, ()):
        callback()
    if not messages or not has_app_context() or not current_app.config.get("RELAY_AFTER_COMMIT", True):
        return
    items = []
    for message in messages:
        state = inspect(message)
        if state.identity is not None and not state.deleted and not state.was_deleted:
            items.append((state.identity[0], message.priority))
    enqueue_outbox(items)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(s: Session) -> None:
    if not s.in_transaction():
        s.info.pop(PENDING, None)
        s.info.pop(PENDING_KEYS, None)
        s.info.pop(AFTER_COMMIT, None)


def enqueue_outbox(items: Iterable[tuple[int, str]], *, force: bool = False) -> bool:
    """Hand outbox rows (id, priority) to the queue; False (and logged) when Redis is unreachable."""
    global _quiet_until
    items = list(items)
    if not items or (time.monotonic() < _quiet_until and not force):
        return False
    from rq import Queue

    from service.redis_conn import RedisNotConfigured, get_redis

    try:
        conn = get_redis()
        with conn.pipeline() as pipe:
            for priority in sorted({p for _, p in items}):
                queue = Queue(priority, connection=conn)
                ids = [i for i, p in items if p == priority]
                queue.enqueue_many(
                    [
                        Queue.prepare_data(
                            PROCESS_OUTBOX,
                            args=(ids[k : k + BATCH],),
                            job_id=f"outbox-{ids[k]}-{len(ids[k : k + BATCH])}",
                            result_ttl=0,
                            failure_ttl=7 * 24 * 3600,
                        )
                        for k in range(0, len(ids), BATCH)
                    ],
                    pipeline=pipe,
                )
            pipe.execute()
    except (RedisError, OSError, RedisNotConfigured) as exc:
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE
        log.warning(
            "outbox relay: Redis unreachable (%s); the relay sweep will hand over %d row(s)", exc, len(items)
        )
        return False
    return True


#: Outbox rows per job: one job for a single notice (fast), a few for a sweep's thousands.
BATCH = 200
