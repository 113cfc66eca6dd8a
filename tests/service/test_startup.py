"""`minyi run` waits until the service answers (service/startup.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import click
import pytest
import redis
from rq import Queue, Worker
from werkzeug.serving import make_server

from service.startup import Readiness, wait_until_ready


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def web_port(database_url: str, redis_url: str) -> Iterator[int]:
    """The app's real /healthz served on a port of its own, as a started gunicorn would."""
    from service import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["minyi.engine"].dispose()


@pytest.fixture
def registered_worker(redis_url: str) -> Iterator[str]:
    """An RQ worker registered with Redis, as `minyi worker` registers once it has started."""
    conn = redis.Redis.from_url(redis_url)
    name = f"test-startup-{uuid.uuid4().hex[:8]}"
    worker = Worker([Queue("low", connection=conn)], connection=conn, name=name)
    worker.register_birth()
    yield name
    worker.register_death()
    conn.close()


@pytest.fixture
def running_child() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait(timeout=10)


def test_ready_once_the_web_server_answers_and_the_worker_is_registered(
    web_port, registered_worker, redis_url, running_child
):
    readiness = Readiness(web_port, redis_url, registered_worker)
    try:
        assert wait_until_ready(readiness, [("web server", running_child)], timeout=10) is True
    finally:
        readiness.close()

    assert readiness.pending() == []


def test_a_port_that_does_not_answer_and_an_unregistered_worker_are_named_at_the_timeout(
    redis_url, running_child
):
    port = _closed_port()
    readiness = Readiness(port, redis_url, f"not-started-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    try:
        assert wait_until_ready(readiness, [("worker", running_child)], timeout=1) is False
    finally:
        readiness.close()

    assert time.monotonic() - started < 10
    assert readiness.pending() == [
        f"the web server (http://127.0.0.1:{port}/healthz does not answer yet)",
        "the worker (not registered with Redis yet)",
    ]


def test_the_worker_still_starting_is_named_while_the_web_server_answers(web_port, redis_url, running_child):
    readiness = Readiness(web_port, redis_url, f"not-started-{uuid.uuid4().hex[:8]}")
    try:
        assert wait_until_ready(readiness, [("worker", running_child)], timeout=1) is False
    finally:
        readiness.close()

    assert readiness.pending() == ["the worker (not registered with Redis yet)"]


def test_a_web_server_whose_workers_are_still_loading_gets_one_request_awaited(redis_url, running_child):
    """gunicorn listens before its workers answer; the request waits in its queue. The wait sends
    one request and waits for its answer, rather than a new one at each probe that the workers
    would all answer (and log) once they are up."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(16)
        port = listening.getsockname()[1]
        readiness = Readiness(port, redis_url, f"not-started-{uuid.uuid4().hex[:8]}")
        try:
            assert wait_until_ready(readiness, [("web server", running_child)], timeout=3) is False
            assert readiness.pending()[0].startswith("the web server")

            # A worker is up: it takes the queued request and answers it; nothing else was queued.
            listening.settimeout(1)
            conn, _ = listening.accept()
            with conn:
                assert conn.recv(4096).startswith(b"GET /healthz HTTP/1.0\r\n")
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"status":"ok"}')
                readiness.check()
            listening.settimeout(0.5)
            with pytest.raises(TimeoutError):
                listening.accept()
        finally:
            readiness.close()

    assert readiness.web_up is True
    assert readiness.pending() == ["the worker (not registered with Redis yet)"]


def test_a_web_server_answering_503_is_not_up(redis_url, running_child):
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(4)
        readiness = Readiness(listening.getsockname()[1], redis_url, "minyi-any")
        try:
            readiness.check()  # sends the request
            conn, _ = listening.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 503 SERVICE UNAVAILABLE\r\nContent-Length: 0\r\n\r\n")
                readiness.check()
        finally:
            readiness.close()

    assert readiness.web_up is False


def test_unreachable_redis_means_the_worker_is_not_up_yet(web_port):
    readiness = Readiness(web_port, "redis://127.0.0.1:1/0", "minyi-any")
    try:
        assert readiness.check() is False
    finally:
        readiness.close()

    assert readiness.pending() == ["the worker (not registered with Redis yet)"]


def test_a_child_that_exits_while_starting_is_named(redis_url):
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    child.wait(timeout=30)
    readiness = Readiness(_closed_port(), redis_url, "minyi-any")

    with pytest.raises(click.ClickException, match=r"The worker stopped while starting \(exit code 3\)"):
        wait_until_ready(readiness, [("worker", child)], timeout=10)
    readiness.close()


def test_ctrl_c_ends_the_wait_at_once(redis_url, running_child):
    readiness = Readiness(_closed_port(), redis_url, "minyi-any")
    stop_at = time.monotonic() + 0.5
    started = time.monotonic()
    try:
        ready = wait_until_ready(
            readiness, [("web server", running_child)], timeout=60, stopped=lambda: time.monotonic() > stop_at
        )
    finally:
        readiness.close()

    assert ready is False
    assert time.monotonic() - started < 5
