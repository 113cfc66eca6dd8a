"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from rq import Queue

from service import db, errors
from service.db import utcnow
from service.jobs import QUEUES
from service.lists.calendar_cover import active_calendar_gap
from service.notices.operations import oldest_unrelayed_at
from service.redis_conn import get_redis
from service.text import t

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and Redis are reachable (503 otherwise), with the worker's backlog.

    `queues` gives the jobs waiting in each queue; `outbox.oldest_unrelayed_age_seconds` how long the
    oldest notice has waited to be handed to the worker (null when none waits): a growing age means
    the worker or Redis is not keeping up. `calendar.uncovered_years` names the years deadlines can
    reach (this one and the next) that the active list's working-day calendar does not know: their
    holidays count as working days until someone adds them (service/lists/calendar_cover.py); a
    warning for monitoring, not a reason to be unready.
    """
    checks: dict[str, str] = {}
    backlog: dict[str, object] = {}
    try:
        # The request's session, asked for a read-only transaction (SQLite: a deferred one, never waiting).
        s = db.session()
        s.connection(execution_options={"read_only": True}).execute(sa.text("SELECT 1"))
        oldest = oldest_unrelayed_at(s)
        checks["database"] = "ok"
        age = (utcnow() - oldest).total_seconds() if oldest is not None else None
        backlog["outbox"] = {"oldest_unrelayed_age_seconds": round(age, 1) if age is not None else None}
    except Exception as exc:  # any failure means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    if checks["database"] == "ok":
        try:  # a warning, never a reason to be unready
            gap = active_calendar_gap(s, current_app.config["TZ"])
            backlog["calendar"] = {
                "list_version": gap.version if gap else None,
                "uncovered_years": gap.years if gap else [],
            }
        except Exception as exc:
            current_app.logger.warning("readyz: the calendar check failed", exc_info=True)
            backlog["calendar"] = {"error": type(exc).__name__}
    try:
        conn = get_redis()
        conn.ping()
        checks["redis"] = "ok"
        with conn.pipeline() as pipe:
            for name in QUEUES:
                pipe.llen(Queue(name, connection=conn).key)
            backlog["queues"] = dict(zip(QUEUES, pipe.execute(), strict=True))
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    failed = {k: [v] for k, v in checks.items() if v != "ok"}
    if failed:
        return errors.error_response(
            503, t("Not ready: {checks}", checks=sorted(failed)), failed, checks=checks
        )
    return jsonify(status="ready", checks=checks, **backlog)
