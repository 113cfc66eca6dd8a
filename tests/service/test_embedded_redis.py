"""The embedded Redis server (make run, and the tests without REDIS_URL) stops when told to."""

from __future__ import annotations

import psutil
import redis

from service.redis_conn import EmbeddedRedis


def test_shutdown_stops_the_server_though_clients_are_still_connected(tmp_path):
    server = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(server.url)
    client.set("queued", "job-1")  # a client of the app's, still connected
    pid = server._server.pid
    assert psutil.Process(pid).is_running()

    server.shutdown()

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    again = EmbeddedRedis(tmp_path)  # the data file was saved: a restart finds the job
    try:
        assert redis.Redis.from_url(again.url).get("queued") == b"job-1"
    finally:
        again.shutdown()
