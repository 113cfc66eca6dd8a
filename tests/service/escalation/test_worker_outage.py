"""Redis goes away and comes back while the worker runs: its log says so once each way, its
periodic jobs and its scheduler keep trying and go on once Redis is back (a redis-server of the
test's own, stopped and started again; it comes back empty). The whole worker process through an
outage: `test_worker.py`."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import rq
from rq import Queue
from rq.cron import CronJob
from rq.job import Job, JobStatus

import service.worker
from service.worker import Backoff, RedisOutage, Scheduler, Worker, cron_loop
from tests.service.escalation.live import RedisServer, wait_until
from tests.service.processes import ROOT, kill_group

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


def test_the_worker_is_checked_against_the_rq_it_was_written_for() -> None:
    """`service.worker` overrides rq's internals: another rq may call them differently, or not at all."""
    assert rq.VERSION == "3.0.0", (
        "service/worker.py subclasses rq internals written for rq 3.0.0: re-check it against the new version"
    )


#: A worker of `service.worker` on the queue "minyi-test-stop" of the Redis at argv[1], with its
#: scheduler, logging as `minyi worker` does.
STOPPED_WORKER = """
import logging, sys
import redis
from rq import Queue
from service.worker import Worker
logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
logging.getLogger("rq").setLevel(logging.WARNING)
conn = redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1)
queue = Queue("minyi-test-stop", connection=conn)
Worker([queue], connection=conn, name=sys.argv[2]).work(with_scheduler=True, logging_level="WARNING")
"""


def test_a_worker_stopped_while_redis_is_down_stops_cleanly(server: RedisServer, conn: redis.Redis) -> None:
    """A deploy or Ctrl-C during an outage: rq's shutdown tells Redis it leaves, which failed with a
    traceback and exit code 1 (the operator's scripts take that for a crash)."""
    name = f"minyi-test-stop-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-c", STOPPED_WORKER, server.url, name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: proc.poll() is None and conn.exists(f"{rq.Worker.redis_worker_namespace_prefix}{name}"),
            30,
            "the worker listening",
        )
        server.stop()
        time.sleep(1)  # the worker and its command listener find Redis gone
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            kill_group(proc)  # type: ignore[arg-type]
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "Traceback" not in text, text
    assert "worker: Redis unreachable" in text, text


def answer() -> int:
    """The job of the next test: it ran if its result is there."""
    return 42


@pytest.mark.parametrize("kept", [True, False], ids=["redis-kept-its-data", "redis-back-empty"])
def test_a_job_redis_lost_before_it_ran_runs_once_redis_is_back(
    server: RedisServer, conn: redis.Redis, kept: bool
) -> None:
    """Redis goes away just as the worker records that it starts a job. rq left that job aside (in
    its queue's "intermediate" list, later marked failed without running it; lost altogether with a
    Redis back empty): it is queued again and runs."""
    queue = Queue("minyi-test-lost-start", connection=conn)
    job = queue.enqueue(answer)
    restarted = threading.Event()

    def restart() -> None:
        time.sleep(1)
        server.start()
        restarted.set()

    class RedisGoneAtStart(Worker):
        outage = RedisOutage("worker", "jobs wait")  # not the process's own
        gone = False

        def prepare_execution(self, job: Job) -> object:
            if not self.gone:
                self.gone = True
                if kept:
                    conn.save()  # the server loads it when started again
                server.stop()
                threading.Thread(target=restart, daemon=True).start()
            return super().prepare_execution(job)

    worker_conn = redis.Redis.from_url(server.url, socket_connect_timeout=1)
    worker = RedisGoneAtStart([Queue(queue.name, connection=worker_conn)], connection=worker_conn)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.work(burst=True, logging_level="WARNING")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        worker_conn.close()

    assert worker.gone and restarted.is_set()
    job = Job.fetch(job.id, connection=conn)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == 42
    assert conn.llen(queue.intermediate_queue_key) == 0
    assert queue.failed_job_registry.count == 0 and queue.started_job_registry.count == 0


def test_the_scheduler_gives_up_on_a_redis_that_does_not_answer(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote Redis host gone without a word (no reset): the scheduler's commands waited as long as
    the worker's blocking dequeue may (minutes), the jobs planned for later with them. Here the
    worker's connection is pointed, once the worker is made, at a listening socket that never answers."""
    monkeypatch.setattr(service.worker, "SCHEDULER_SOCKET_TIMEOUT", 0.3)
    # As `worker_redis()` makes it: no read timeout of its own.
    conn = redis.Redis.from_url(server.url, socket_connect_timeout=1)
    worker = Worker([Queue("minyi-test-silent", connection=conn)], connection=conn)
    conn.close()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        host, port = silent.getsockname()
        worker.connection = redis.Redis(host=host, port=port, socket_connect_timeout=1)
        raised: list[BaseException] = []

        def start() -> None:
            try:
                worker._start_scheduler()
            except BaseException as exc:  # (the test reads it)
                raised.append(exc)

        starting = threading.Thread(target=start, daemon=True)
        starting.start()
        starting.join(20)
        assert not starting.is_alive(), "the scheduler still waits for an answer after 20 s"
    assert len(raised) == 1 and isinstance(raised[0], redis.TimeoutError), raised
