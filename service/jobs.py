"""The job boundary: what every RQ job of the service shares.

Jobs take ids, never ORM objects or personal data. Each runs in the worker's app context (pushed
once by `minyi worker`) or in a test's, in a session of its own that commits when the job ends
and rolls back when it fails, like a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import Queue
from sqlalchemy.orm import Session

#: The worker's RQ queues, in the order it takes jobs from them.
QUEUES = ("urgent", "default", "low")

_worker_app: Flask | None = None


def set_worker_app(app: Flask) -> None:
    """`minyi worker` registers its app: jobs run in its context."""
    global _worker_app
    _worker_app = app


@contextmanager
def job_session() -> Iterator[Session]:
    """A session for one job (or one step of it): committed at the end, rolled back on an error."""
    if has_app_context():
        with _session() as s:
            yield s
        return
    app = _worker_app
    if app is None:
        from service import create_app

        app = create_app()
        set_worker_app(app)
    with app.app_context(), _session() as s:
        yield s


@contextmanager
def _session() -> Iterator[Session]:
    factory = current_app.extensions["minyi.sessionmaker"]
    s: Session = factory()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


#: How long a periodic job's lock lives if its run dies without releasing it.
LOCK_SECONDS = 300


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """A Redis lock named after the job; yields False when another run holds it."""
    from service.redis_conn import get_redis

    lock = get_redis().lock(f"minyi:lock:{name}", timeout=LOCK_SECONDS, blocking=False)
    acquired = lock.acquire()
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def queue(name: str) -> Queue:
    from service.redis_conn import get_redis

    return Queue(name, connection=get_redis())


def enqueue_in(name: str, delay: timedelta, func: str, *args: Any, job_id: str | None = None) -> None:
    queue(name).enqueue_in(delay, func, *args, job_id=job_id, result_ttl=0, failure_ttl=7 * 24 * 3600)


def config(key: str, default: Any = None) -> Any:
    return current_app.config.get(key, default) if has_app_context() else default
