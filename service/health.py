"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from service import db, errors
from service.redis_conn import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and Redis are reachable; 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with db.engine().connect() as conn:
            conn.execution_options(read_only=True).execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    failed = {k: [v] for k, v in checks.items() if v != "ok"}
    if failed:
        return errors.error_response(503, "Not ready: " + ", ".join(sorted(failed)), failed, checks=checks)
    return jsonify(status="ready", checks=checks)
