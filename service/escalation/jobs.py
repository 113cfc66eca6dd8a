"""The worker's periodic jobs: the escalation sweeps and the automatic close of unrated appeals.

Each takes no personal data, holds a Redis lock so that two never overlap (a run that finds the
lock taken does nothing), commits per batch, and is harmless to run twice.
"""

from __future__ import annotations

import logging
from typing import Any

from dispatch import escalation as esc
from service.db import utcnow
from service.escalation.sweeps import sweep
from service.handling.closing import close_unrated as close
from service.jobs import config, exclusive, job_session, queue
from service.notices.jobs import relay_outbox

log = logging.getLogger(__name__)

#: Alarms fired per job: the next batch is a job of its own, queued behind this one's notices.
BATCH = 1000


def notify_only() -> bool:
    return config("ESCALATION_MODE", "act") == "notify_only"


def run_sweep(kind: str) -> dict[str, Any]:
    """Fire one batch of the due alarms of one kind, unless another run of it is under way.

    The batch's notices are handed to the queue right after its commit; if more alarms may be due,
    the sweep queues itself again behind them, so notices go out between batches instead of after
    the whole backlog.
    """
    # The kinds swept together share one lock: two runs must not split an appeal's units between them.
    with exclusive(f"sweep:{esc.swept_together(kind)[0]}") as mine:
        if not mine:
            return {"kind": kind, "skipped": "another run holds the lock"}
        with job_session() as s:
            result = sweep(s, kind, now=utcnow(), notify_only=notify_only(), limit=BATCH)
    totals = {"kind": kind, "fired": len(result.fired), "skipped": result.skipped, "notices": result.notices}
    if result.seen:
        log.info("sweep %s: %s", kind, totals)
        # The sweep writes its outbox rows without reading their ids back: relay whatever waits.
        relay_outbox(older_than=utcnow(), limit=100_000)
    if result.seen >= BATCH:
        queue("default").enqueue(RUN_SWEEP, kind, result_ttl=0, failure_ttl=7 * 24 * 3600)
    return totals


RUN_SWEEP = "service.escalation.jobs.run_sweep"


def run_sweeps() -> list[dict[str, Any]]:
    """Every kind in turn, in the order an appeal's alarms fall due (`dispatch.escalation.SWEEP_ORDER`):
    a sign-for reminder and the ladder's first step both due after an outage show on the appeal's
    timeline in that order, the reminder first."""
    return [run_sweep(kind) for kind in esc.SWEEP_ORDER]


def close_unrated() -> dict[str, Any]:
    """Close the replied appeals whose rating window passed without a rating."""
    with exclusive("close_unrated") as mine:
        if not mine:
            return {"skipped": "another run holds the lock"}
        with job_session() as s:
            closed = close(s, now=utcnow())
        return {"closed": len(closed)}
