"""Nothing lost, nothing sent twice: a real `minyi worker` against a real Redis.

Urgent appeals are taken in through the API of an app in this process; their notices go out
through a separate worker process to the recording fake SMS gateway. The worker sees only committed
data, so the module uses a database of its own (a new PostgreSQL database on the server of
DATABASE_URL, else an SQLite file), and each test a redis-server of its own (see `live.py`).

"Delivered exactly once" is what the citizen or duty officer gets: one accepted, non-duplicate
message per notice. A worker that dies after the gateway took a message but before it recorded
that sends it again with the same Idempotency-Key, which a real gateway drops (its client message
id) and the fake marks `duplicate`; the tests count those requests too, so that a repeat without
a reason (or with a new key) fails them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from rq.job import JobStatus
from sqlalchemy.orm import Session

from service.appeals.models import Appeal
from service.db import utcnow
from service.notices import models as m
from service.notices import relay
from service.notices.jobs import DELIVER, RELAY_GRACE
from service.notices.models import NoticeDelivery, OutboxMessage
from service.notices.operations import LEASE
from service.redis_conn import get_redis
from tests.service.escalation.live import (
    RedisServer,
    WatchedGateway,
    accepted_by_key,
    wait_for_jobs,
    wait_until,
)
from tests.service.handling_steps import garbage_in_meilin
from tests.service.helpers import appeal_payload
from tests.service.processes import child_env, kill_group, run_minyi, started

pytestmark = pytest.mark.slow

#: How often the worker's relay sweep runs here (default 5 s): the tests wait on it.
SWEEP_SECONDS = 1


# --- a database, a Redis and a gateway of the tests' own ---------------------------------------------


def _prepare(url: str) -> None:
    """The schema from the migrations, the default list (active) and the demo users, committed."""
    from service import create_app, db, migrate
    from service.demo import create_demo_users, default_list_path, load_default_list

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "SECRET_KEY": "test"})
    with app.app_context():
        s = db.session()
        load_default_list(s, default_list_path())
        create_demo_users(s)
        s.commit()
    app.extensions["minyi.engine"].dispose()


@pytest.fixture(scope="module")
def committed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from service.config import normalise_database_url

    configured = normalise_database_url(os.environ.get("DATABASE_URL", ""))
    if not configured.startswith("postgresql"):
        # A file, not the suite's database: the worker process opens it too.
        url = f"sqlite:///{tmp_path_factory.mktemp('worker-db') / 'minyi.db'}"
        _prepare(url)
        yield url
        return
    server = sa.make_url(configured)
    name = f"minyi_worker_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        _prepare(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway() -> Iterator[WatchedGateway]:
    gateway = WatchedGateway().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def site(committed_url: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The web app on the committed database and the test's Redis: intake relays to that Redis."""
    from service import create_app
    from service.extensions import limiter

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": committed_url,
            "REDIS_URL": redis_server.url,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    )
    limiter.reset()
    # The relay's pause after a Redis failure is process-wide: start without one, leave none behind.
    monkeypatch.setattr(relay, "_quiet_until", 0.0)
    yield app
    app.extensions["minyi.engine"].dispose()
    if (conn := app.extensions.get("minyi.redis")) is not None:
        conn.close()


@pytest.fixture
def operator(site: Flask) -> FlaskClient:
    client = site.test_client()
    r = client.post("/api/v1/auth/login", json={"username": "operator", "password": "demo1234"})
    assert r.status_code == 200, r.json
    return client


def _env(
    tmp_path: Path, committed_url: str, redis_server: RedisServer, gateway: WatchedGateway
) -> dict[str, str]:
    return child_env(
        tmp_path / "var",
        DATABASE_URL=committed_url,
        REDIS_URL=redis_server.url,
        MINYI_SMS_URL=f"{gateway.url}/sms",
        MINYI_RELAY_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )


# --- steps ---------------------------------------------------------------------------------------------


def register_urgent(client: FlaskClient, n: int = 0) -> str:
    """An urgent (特急) appeal dispatched on intake to 区城管局; its number. Reported without a
    contact: its notices are the unit's and the centre's alerts alone (no citizen's receipt)."""
    payload = appeal_payload(**garbage_in_meilin(), urgency="特急", title=f"垃圾站起火冒烟 {n}")
    del payload["contact"]
    r = client.post("/api/v1/appeals", json=payload)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "dispatched", r.json
    return str(r.json["number"])


@contextmanager
def session(app: Flask) -> Iterator[Session]:
    s: Session = app.extensions["minyi.sessionmaker"]()
    try:
        yield s
    finally:
        s.close()


def notices(app: Flask, numbers: list[str]) -> list[dict[str, Any]]:
    """The deliveries of these appeals' notices, as stored."""
    with session(app) as s:
        rows = s.scalars(
            sa.select(NoticeDelivery)
            .join(Appeal, Appeal.id == NoticeDelivery.appeal_id)
            .where(Appeal.number.in_(numbers))
            .order_by(NoticeDelivery.id)
        )
        return [
            {
                "id": d.id,
                "key": f"minyi-notice-{d.id}",
                "recipient": d.recipient,
                "channel": d.channel,
                "status": d.status,
                "attempts": d.attempts,
                "not_before": d.not_before,
                "last_attempt_at": d.last_attempt_at,
                "sent_at": d.sent_at,
                "provider_id": d.provider_id,
            }
            for d in rows
        ]


def outbox_rows(app: Flask, numbers: list[str]) -> list[tuple[int, Any]]:
    """(id, relayed_at) of these appeals' outbox rows."""
    with session(app) as s:
        return [
            (row.id, row.relayed_at)
            for row in s.execute(
                sa.select(OutboxMessage.id, OutboxMessage.relayed_at)
                .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
                .where(Appeal.number.in_(numbers))
                .order_by(OutboxMessage.id)
            )
        ]


def all_sent(app: Flask, numbers: list[str]) -> list[dict[str, Any]]:
    """The deliveries once there are some and every one is sent; [] until then."""
    found = notices(app, numbers)
    return found if found and all(d["status"] == m.SENT for d in found) else []


def assert_each_delivered_once(
    gateway: WatchedGateway, sent: list[dict[str, Any]], numbers: list[str]
) -> None:
    """One accepted, non-duplicate message per notice, carrying its appeal's number; no other repeat."""
    by_key = accepted_by_key(gateway, {d["key"] for d in sent})
    for d in sent:
        originals = [r for r in by_key[d["key"]] if not r["duplicate"]]
        assert len(originals) == 1, (d, by_key[d["key"]])
        # The gateway's id for the message is what the notice records (a dropped repeat answers it too).
        assert d["provider_id"] == originals[0]["id"], d
        assert originals[0]["body"]["to"].startswith("1")  # a mobile
        assert any(number in originals[0]["body"]["text"] for number in numbers)


# --- the tests -------------------------------------------------------------------------------------------


def test_a_worker_killed_while_sending_leaves_its_notices_to_the_next_worker_sent_once(
    committed_url: str,
    redis_server: RedisServer,
    sms_gateway: WatchedGateway,
    operator: FlaskClient,
    site: Flask,
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, committed_url, redis_server, sms_gateway)
    sms_gateway.set_delay(3)  # the gateway holds the requests: the worker dies waiting for them

    first_log = tmp_path / "worker-1.log"
    with started(env, first_log, "worker") as first:
        wait_for_jobs(redis_server.url, first, first_log)
        number = register_urgent(operator)
        assert sms_gateway.arrived.wait(20), first_log.read_text(errors="replace")
        claimed = notices(site, [number])
        # The job sends its notices in parallel: every one of them is in flight before the kill.
        wait_until(lambda: sms_gateway.arrivals == len(claimed), 2, "every claimed notice in flight")
        kill_group(first)
        killed_at = time.time()
    # The worker had claimed the notices (committed) and was sending: each is held by its lease.
    assert claimed, "an urgent appeal notifies someone by SMS"
    for d in claimed:
        assert (d["status"], d["attempts"]) == (m.SENDING, 1), d
        assert d["not_before"] - d["last_attempt_at"] == LEASE, d

    # The gateway still took the message the dead worker sent: it answers it after its delay, to
    # nobody. That notice reached its reader; the worker never learned it.
    sms_gateway.set_delay(0)
    in_flight = sms_gateway.wait_for(len(claimed), timeout=10)
    assert all(r["received_at"] < killed_at and not r["duplicate"] for r in in_flight)
    assert {r["headers"]["idempotency-key"] for r in in_flight} == {d["key"] for d in claimed}

    second_log = tmp_path / "worker-2.log"
    with started(env, second_log, "worker") as second:
        wait_for_jobs(redis_server.url, second, second_log)
        # While the lease holds, the new worker's relay sweeps leave the notices alone: the dead
        # worker might only be slow. Besides relay sweeps (one a second), the workers' cron queued
        # at most four other jobs (the escalation sweeps and the close of unrated appeals, each on
        # start): six jobs done, at least two relay sweeps among them.
        wait_for_jobs(redis_server.url, second, second_log, count=6)
        # Nor does the delivery job itself, run again for them (another worker's sweep, say).
        with site.app_context():
            again = Queue(m.URGENT, connection=get_redis()).enqueue(DELIVER, [d["id"] for d in claimed])
        wait_until(lambda: again.get_status(refresh=True) == JobStatus.FINISHED, 15, "the delivery job run")
        assert len(sms_gateway.requests) == len(claimed)
        assert [(d["status"], d["attempts"]) for d in notices(site, [number])] == [(m.SENDING, 1)] * len(
            claimed
        )

        # The lease runs out (two minutes: moved back here rather than waited for).
        with session(site) as s:
            s.execute(
                sa.update(NoticeDelivery)
                .where(NoticeDelivery.id.in_([d["id"] for d in claimed]), NoticeDelivery.status == m.SENDING)
                .values(not_before=utcnow() - timedelta(seconds=1))
            )
            s.commit()
        sent = wait_until(
            lambda: all_sent(site, [number]),
            15,
            f"every notice sent:\n{second_log.read_text(errors='replace')}",
        )

    assert [d["id"] for d in sent] == [d["id"] for d in claimed]
    assert all(d["attempts"] == 2 for d in sent), sent  # the dead worker's attempt, then this one
    assert_each_delivered_once(sms_gateway, sent, [number])
    # Requests: one per notice from the new worker, plus those the dead worker had in flight. Their
    # repeats carried the same keys, so the gateway dropped them (a real one does, by client message id).
    requests = sms_gateway.requests
    assert len(requests) == len(sent) + len(in_flight), requests
    repeats = [r for r in requests if r["duplicate"]]
    assert sorted(r["headers"]["idempotency-key"] for r in repeats) == sorted(
        r["headers"]["idempotency-key"] for r in in_flight
    )


def test_intake_goes_on_while_redis_is_down_and_every_notice_goes_out_once_it_is_back(
    committed_url: str,
    redis_server: RedisServer,
    sms_gateway: WatchedGateway,
    operator: FlaskClient,
    site: Flask,
    tmp_path: Path,
) -> None:
    redis_server.stop()
    began = time.monotonic()
    numbers = [register_urgent(operator, n) for n in range(3)]
    intake_seconds = time.monotonic() - began

    # Every appeal is stored, and its notices wait in the outbox, unrelayed.
    for number in numbers:
        r = operator.get(f"/api/v1/appeals/{number}")
        assert r.status_code == 200, r.json
    waiting = outbox_rows(site, numbers)
    assert len(waiting) >= 2 * len(numbers)  # the unit and the centre, for each
    assert all(relayed_at is None for _, relayed_at in waiting)
    assert intake_seconds < 5 * len(numbers), "intake must not hang on a dead Redis"

    r = operator.get("/readyz")
    assert r.status_code == 503, r.json
    assert r.json["checks"]["redis"].startswith("error"), r.json
    assert r.json["checks"]["database"] == "ok"

    redis_server.start()  # empty: nothing of these appeals was ever queued
    back = time.monotonic()
    r = operator.get("/readyz")
    assert r.status_code == 200, r.json
    age = r.json["outbox"]["oldest_unrelayed_age_seconds"]
    assert age is not None and age >= back - began - 1, r.json

    log = tmp_path / "worker.log"
    ages: list[float] = []

    def relayed() -> bool:
        r = operator.get("/readyz")
        assert r.status_code == 200, r.json
        age = r.json["outbox"]["oldest_unrelayed_age_seconds"]
        if age is None:
            return True
        ages.append(age)
        return False

    with started(env := _env(tmp_path, committed_url, redis_server, sms_gateway), log, "worker") as proc:
        assert env["REDIS_URL"] == redis_server.url
        wait_until(relayed, 30, f"the outbox relayed:\n{log.read_text(errors='replace')}", interval=0.5)
        sent = wait_until(
            lambda: all_sent(site, numbers), 15, f"every notice sent:\n{log.read_text(errors='replace')}"
        )
        assert proc.poll() is None

    # The row waited from its intake until the sweep took it: the age shown counted that wait.
    assert ages and max(ages) >= RELAY_GRACE.total_seconds() - 1, ages
    assert all(relayed_at is not None for _, relayed_at in outbox_rows(site, numbers))
    assert {d["channel"] for d in sent} == {"sms"}
    assert all(d["attempts"] == 1 for d in sent), sent
    assert_each_delivered_once(sms_gateway, sent, numbers)
    # No worker died and the gateway never failed: one request per notice, no repeat at all.
    assert len(sms_gateway.requests) == len(sent), sms_gateway.requests


def test_a_worker_started_while_redis_is_down_waits_for_it_then_sends_each_notice_once(
    committed_url: str,
    redis_server: RedisServer,
    sms_gateway: WatchedGateway,
    operator: FlaskClient,
    site: Flask,
    tmp_path: Path,
) -> None:
    """The hosts boot in another order, or Redis restarts during a deploy: the worker comes up first."""
    redis_server.stop()
    numbers = [register_urgent(operator, n) for n in range(2)]
    log = tmp_path / "worker.log"

    with started(_env(tmp_path, committed_url, redis_server, sms_gateway), log, "worker") as proc:
        wait_until(
            lambda: "waiting for it" in log.read_text(errors="replace"),
            30,
            f"the worker saying it waits for Redis:\n{log.read_text(errors='replace')}",
        )
        assert proc.poll() is None, log.read_text(errors="replace")  # waiting, not dead
        redis_server.start()

        def every_row_relayed_and_sent() -> list[dict[str, Any]]:
            # Deliveries exist only for the rows relayed so far: all of them sent is not enough while
            # a row waits for the next relay sweep (the next test would find it still waiting).
            rows = outbox_rows(site, numbers)
            return all_sent(site, numbers) if rows and all(at is not None for _, at in rows) else []

        sent = wait_until(
            every_row_relayed_and_sent, 45, f"every notice sent:\n{log.read_text(errors='replace')}"
        )
        assert proc.poll() is None

    assert_each_delivered_once(sms_gateway, sent, numbers)
    assert len(sms_gateway.requests) == len(sent), sms_gateway.requests


def test_a_burst_worker_sends_what_is_queued_and_the_same_jobs_again_send_nothing(
    committed_url: str,
    redis_server: RedisServer,
    sms_gateway: WatchedGateway,
    operator: FlaskClient,
    site: Flask,
    tmp_path: Path,
) -> None:
    numbers = [register_urgent(operator, n) for n in range(2)]
    ids = [outbox_id for outbox_id, _ in outbox_rows(site, numbers)]
    r = operator.get("/readyz")
    assert r.status_code == 200, r.json
    assert r.json["queues"]["urgent"] >= 1, r.json  # the relay handed them over after the commit
    with site.app_context():
        queued = Queue("urgent", connection=get_redis()).get_jobs()
    assert {job.func_name for job in queued} == {relay.PROCESS_OUTBOX}
    assert sorted(i for job in queued for i in job.args[0]) == ids  # ids only, nothing personal
    env = _env(tmp_path, committed_url, redis_server, sms_gateway)

    run_minyi(env, "worker", "--burst")

    sent = notices(site, numbers)
    assert sent and {d["status"] for d in sent} == {m.SENT}
    assert all(d["attempts"] == 1 for d in sent), sent
    assert_each_delivered_once(sms_gateway, sent, numbers)
    assert len(sms_gateway.requests) == len(sent)
    r = operator.get("/readyz")
    assert r.json["queues"] == {"urgent": 0, "default": 0, "low": 0}, r.json
    assert r.json["outbox"]["oldest_unrelayed_age_seconds"] is None, r.json

    # Later, past any lease, the same jobs again for the same ids: the outbox rows and the deliveries.
    with session(site) as s:
        s.execute(
            sa.update(NoticeDelivery)
            .where(NoticeDelivery.id.in_([d["id"] for d in sent]))
            .values(not_before=utcnow() - timedelta(seconds=1))
        )
        s.commit()
    sent = notices(site, numbers)
    with site.app_context():
        assert relay.enqueue_outbox([(i, m.URGENT) for i in ids], force=True)
        Queue("urgent", connection=get_redis()).enqueue(DELIVER, [d["id"] for d in sent])
    assert operator.get("/readyz").json["queues"]["urgent"] >= 2

    run_minyi(env, "worker", "--burst")

    assert operator.get("/readyz").json["queues"]["urgent"] == 0
    assert notices(site, numbers) == sent
    assert len(sms_gateway.requests) == len(sent), sms_gateway.requests


def test_a_worker_through_a_redis_outage_says_so_once_and_goes_on_once_it_is_back(
    committed_url: str,
    redis_server: RedisServer,
    sms_gateway: WatchedGateway,
    operator: FlaskClient,
    site: Flask,
    tmp_path: Path,
) -> None:
    """What the duty operator reads in the worker's log while Redis is down: one line saying what
    waits and that it retries by itself, one when Redis is back; then everything goes on."""
    log = tmp_path / "worker.log"
    with started(_env(tmp_path, committed_url, redis_server, sms_gateway), log, "worker") as proc:
        wait_for_jobs(redis_server.url, proc, log)
        redis_server.stop()
        number = register_urgent(operator)  # its notices wait in the outbox
        time.sleep(4)  # the relay sweep (every second here) and the scheduler try again and again
        assert proc.poll() is None, log.read_text(errors="replace")
        redis_server.start()  # empty: the scheduler's locks are gone too

        # A job planned for later, queued by the scheduler when due: the scheduler runs again.
        with site.app_context():
            later = Queue("low", connection=get_redis()).enqueue_in(
                timedelta(seconds=1), "service.escalation.jobs.close_unrated"
            )
        wait_until(
            lambda: later.get_status(refresh=True) == JobStatus.FINISHED,
            30,
            f"the job planned for later run:\n{log.read_text(errors='replace')}",
        )
        # The periodic relay sweep takes the notices that waited, and they go out.
        sent = wait_until(
            lambda: all_sent(site, [number]), 30, f"every notice sent:\n{log.read_text(errors='replace')}"
        )
        assert proc.poll() is None

    text = log.read_text(errors="replace")
    lines = text.splitlines()
    down = [line for line in lines if "Redis unreachable" in line]
    assert len([line for line in down if "worker: Redis unreachable" in line]) == 1, text
    assert len([line for line in down if "scheduler: Redis unreachable" in line]) == 1, text
    assert all("Retrying by itself" in line for line in down), text
    assert len([line for line in lines if "worker: Redis reachable again" in line]) == 1, text
    assert len([line for line in lines if "scheduler: Redis reachable again" in line]) == 1, text
    assert "Traceback" not in text
    assert "could not connect to Redis" not in text and "not enqueued" not in text
    assert_each_delivered_once(sms_gateway, sent, [number])
