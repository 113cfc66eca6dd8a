"""Redis goes away and comes back while the worker runs: its log says so once each way, its
periodic jobs and its scheduler keep trying and go on once Redis is back (a redis-server of the
test's own, stopped and started again; it comes back empty). The whole worker process through an
outage: `test_worker.py`."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.cron import CronJob

from service.worker import Backoff, RedisOutage, Scheduler, cron_loop
from tests.service.escalation.live import RedisServer, wait_until

#: A job of the service that nothing here runs: the tests watch it being queued.
JOB = "service.escalation.jobs.close_unrated"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def conn(server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=2)
    yield client
    client.close()


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "service.worker" and words in r.getMessage()]


def test_the_periodic_jobs_say_once_that_redis_is_gone_and_once_that_it_is_back(
    server: RedisServer, conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.worker")
    queue = Queue("minyi-test-periodic", connection=conn)
    from service.escalation.jobs import close_unrated

    jobs = [CronJob("minyi-test-periodic", func=close_unrated, interval=1)]
    outage = RedisOutage("worker", "the sweeps wait")
    stop = threading.Event()
    loop = threading.Thread(target=cron_loop, args=(conn, jobs, stop, outage, Backoff(0.1, 0.4)), daemon=True)
    loop.start()
    try:
        wait_until(lambda: queue.count >= 1, 5, "the periodic job queued")
        server.stop()
        time.sleep(2)  # a job due every second: a dozen tries while Redis is gone
        assert loop.is_alive()
        assert outage.down
        server.start()  # empty: what was queued is gone
        wait_until(lambda: queue.count >= 1, 5, "the periodic job queued again")
    finally:
        stop.set()
        loop.join(5)

    gone = _lines(caplog, "Redis unreachable")
    assert len(gone) == 1, gone
    assert gone[0].startswith("worker: Redis unreachable (") and "the sweeps wait" in gone[0]
    assert "Retrying by itself" in gone[0]
    back = _lines(caplog, "reachable again")
    assert len(back) == 1 and back[0].startswith("worker: Redis reachable again after"), back
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_scheduler_lives_through_an_outage_and_queues_jobs_planned_for_later_once_redis_is_back(
    server: RedisServer, conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """rq's own scheduler died here with a traceback, until the worker's next maintenance."""
    caplog.set_level(logging.INFO, logger="service.worker")
    name = "minyi-test-later"
    scheduler = Scheduler([name], connection=conn, interval=1, logging_level="WARNING")
    scheduler.retry_first, scheduler.retry_max = 0.1, 0.4
    seen: dict[str, object] = {}

    def outage() -> None:
        try:
            time.sleep(1.5)
            server.stop()
            time.sleep(2.5)
            server.start()  # empty: the scheduler's lock on the queue is gone
            queue = Queue(name, connection=conn)
            queue.enqueue_in(timedelta(seconds=1), JOB)
            seen["queued"] = wait_until(lambda: queue.count >= 1, 10, "the job planned for later queued")
        finally:
            scheduler.request_stop()

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    helper = threading.Thread(target=outage, daemon=True)
    helper.start()
    try:
        scheduler.work()  # until the helper stops it (it installs its signal handlers: main thread)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        helper.join(15)

    assert seen.get("queued") is True
    gone = _lines(caplog, "Redis unreachable")
    assert len(gone) == 1 and gone[0].startswith("scheduler: Redis unreachable ("), gone
    assert "jobs planned for later" in gone[0] and "Retrying by itself" in gone[0]
    back = _lines(caplog, "reachable again")
    assert len(back) == 1 and back[0].startswith("scheduler: Redis reachable again after"), back
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
