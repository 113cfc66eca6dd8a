"""`minyi run` waiting until the service really answers before it tells the newcomer so.

The web server listens long before its workers answer: each gunicorn worker loads the app, and on
a busy machine that takes tens of seconds, as does the RQ worker's start. The banner (the URL, the
demo logins) is printed once GET /healthz answers 200 and the worker has registered with Redis; a
newcomer who opens the URL at once then gets the page, not a browser spinning.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import click
import redis
from redis.exceptions import RedisError

#: How long `minyi run` waits for the service to answer before it says what is still starting.
READY_TIMEOUT_SECONDS = 120.0
#: The longest wait of one probe (for the answer to GET /healthz, for Redis): short, so that Ctrl-C
#: stops the wait at once.
PROBE_TIMEOUT_SECONDS = 1.0
#: The pause between two probes.
PROBE_PAUSE_SECONDS = 0.5


def exit_text(returncode: int) -> str:
    """How a child ended, in words: "exit code 1", "killed by SIGKILL"."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class Readiness:
    """The web server answering GET /healthz on `port`, and the RQ worker `worker_name` registered."""

    port: int
    redis_url: str
    worker_name: str
    web_up: bool = False
    worker_up: bool = False
    _redis: redis.Redis | None = field(default=None, repr=False)
    _web: socket.socket | None = field(default=None, repr=False)
    _answer: bytes = field(default=b"", repr=False)

    @property
    def ready(self) -> bool:
        return self.web_up and self.worker_up

    def check(self) -> bool:
        """Probe what is not up yet (once each); whether everything is up now."""
        if not self.web_up:
            self.web_up = self._web_answers()
        if not self.worker_up:
            self.worker_up = self._worker_registered()
        return self.ready

    def pending(self) -> list[str]:
        """What is still starting, in words, for the terminal."""
        left = []
        if not self.web_up:
            left.append(f"the web server (http://127.0.0.1:{self.port}/healthz does not answer yet)")
        if not self.worker_up:
            left.append("the worker (not registered with Redis yet)")
        return left

    def close(self) -> None:
        self._close_web()
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    def _web_answers(self) -> bool:
        """Whether GET /healthz answered 200. One request at a time, awaited across calls: gunicorn
        queues a connection until a worker has loaded the app, and a request given up and sent
        again would still be answered, and logged, once the workers are up."""
        if self._web is None:
            try:
                self._web = socket.create_connection(("127.0.0.1", self.port), timeout=PROBE_TIMEOUT_SECONDS)
                self._web.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            except OSError:  # not listening yet
                self._close_web()
                return False
            self._answer = b""
        try:
            chunk = self._web.recv(4096)
        except TimeoutError:  # no worker has taken the request yet: wait on at the next check
            return False
        except OSError:
            self._close_web()
            return False
        self._answer += chunk
        if b"\r\n" not in self._answer and chunk:
            return False
        status_line = self._answer.split(b"\r\n", 1)[0].split()
        self._close_web()
        return len(status_line) >= 2 and status_line[1] == b"200"

    def _close_web(self) -> None:
        if self._web is not None:
            self._web.close()
            self._web = None

    def _worker_registered(self) -> bool:
        from rq import Worker

        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self.redis_url,
                socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                socket_timeout=PROBE_TIMEOUT_SECONDS,
            )
        key = f"{Worker.redis_worker_namespace_prefix}{self.worker_name}"
        try:
            return Worker.find_by_key(key, connection=self._redis) is not None
        except (RedisError, OSError):
            return False


def wait_until_ready(
    readiness: Readiness,
    children: Sequence[tuple[str, subprocess.Popen[bytes]]],
    *,
    timeout: float = READY_TIMEOUT_SECONDS,
    stopped: Callable[[], bool] = lambda: False,
) -> bool:
    """Probe until everything is up (True), `timeout` passed or `stopped()` (False).

    Raises a ClickException naming the child that exited meanwhile: nothing works without it.
    """
    deadline = time.monotonic() + timeout
    while not stopped():
        for name, child in children:
            if child.poll() is not None:
                raise click.ClickException(
                    f"The {name} stopped while starting ({exit_text(child.returncode)}); "
                    "see the messages above."
                )
        if readiness.check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(PROBE_PAUSE_SECONDS)
    return False
