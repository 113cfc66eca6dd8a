"""The worker's connection to Redis outlasts its blocking dequeue on a quiet queue; the web
requests' and the jobs' connection keeps its short timeouts."""

from __future__ import annotations

import time

import pytest
from rq import Queue, SimpleWorker
from rq.exceptions import DequeueTimeout

from service.redis_conn import SOCKET_TIMEOUT, get_redis, worker_redis


def test_a_quiet_queue_is_no_error_for_the_worker(app):
    """rq's worker waits for a job with BLPOP; over the app's connection (5-s reads) a wait longer
    than that failed with "Timeout reading from socket", logged as "could not connect to Redis"."""
    with app.app_context():
        conn = worker_redis()
        worker = SimpleWorker([Queue("minyi-test-quiet", connection=conn)], connection=conn)
        assert worker.dequeue_timeout > SOCKET_TIMEOUT
        wait = SOCKET_TIMEOUT + 1
        started = time.monotonic()
        # As the worker dequeues: nothing came within the wait, which is not a connection error.
        with pytest.raises(DequeueTimeout):
            Queue.dequeue_any(worker.queues, wait, connection=worker.connection)
        assert time.monotonic() - started >= wait - 0.5
        # The app's connection, the same Redis, still gives up after 5 s.
        assert get_redis().connection_pool.connection_kwargs["socket_timeout"] == SOCKET_TIMEOUT
        assert get_redis().ping()
