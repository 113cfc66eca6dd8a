"""The commands the Docker image and docker-compose.yml run, run here as real processes.

Docker cannot run here, so these test the entry points it calls instead: `minyi db upgrade` and
`minyi demo load` (the migrate service), `minyi web` (gunicorn), `minyi worker`, and `minyi run`, the
newcomer's single command. Each test uses its own var directory and, on PostgreSQL, its own database.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service import migrate
from service.demo import default_list_path
from service.startup import READY_TIMEOUT_SECONDS
from tests.service.helpers import appeal_payload
from tests.service.processes import child_env, run_minyi, started

pytestmark = pytest.mark.slow

START_TIMEOUT = 30.0
#: `minyi run` up to its banner: migrations and demo data, then the service answering, which it
#: awaits for up to READY_TIMEOUT_SECONDS (its workers load the app: slow on a loaded machine).
RUN_START_TIMEOUT = READY_TIMEOUT_SECONDS + 60
#: One request to the started service: generous, since a loaded machine (other test runs) slows
#: the first answers; this test is about what runs, not how fast.
REQUEST_TIMEOUT = 30.0


# --- processes -------------------------------------------------------------------------------------


def _stop(proc: subprocess.Popen[bytes], sig: signal.Signals, timeout: float = 30) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_line(
    log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        assert proc.poll() is None, f"exited {proc.returncode} before printing {text!r}:\n{log.read_text()}"
        time.sleep(0.2)
    pytest.fail(f"{text!r} not printed within {timeout:.0f} s:\n{log.read_text()}")


# --- HTTP ------------------------------------------------------------------------------------------


class Http:
    """urllib with a cookie jar (for the session log-in) that returns (status, body) for any status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(
        self, path: str, json_body: Any = None, timeout: float = REQUEST_TIMEOUT
    ) -> tuple[int, bytes, str]:
        data = None if json_body is None else json.dumps(json_body).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST" if data else "GET")
        if data:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read(), exc.headers.get("Content-Type", "")

    def get_json(self, path: str) -> tuple[int, Any]:
        status, body, _ = self.request(path)
        return status, json.loads(body)

    def post_json(self, path: str, payload: Any) -> tuple[int, Any]:
        status, body, _ = self.request(path, payload)
        return status, json.loads(body)

    def wait_ok(self, path: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        """Poll `path` until it answers 200 (the process must stay up meanwhile)."""
        deadline = time.monotonic() + START_TIMEOUT
        last: object = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"exited {proc.returncode} while starting:\n{log.read_text()}"
            try:
                status, body, _ = self.request(path)
            except OSError as exc:  # not listening yet
                last = exc
            else:
                if status == 200:
                    return
                last = (status, body)
            time.sleep(0.2)
        pytest.fail(f"{path} not 200 within {START_TIMEOUT:.0f} s (last: {last!r}):\n{log.read_text()}")

    def login(self, username: str, password: str = "demo1234") -> None:
        status, body = self.post_json("/api/v1/auth/login", {"username": username, "password": password})
        assert status == 200, body


# --- a database of the tests' own --------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database: a new one on the PostgreSQL server of DATABASE_URL, else an SQLite file.

    Not the suite's shared database, so the migrations run from nothing, as on a first deployment.
    """
    from service.config import normalise_database_url

    configured = normalise_database_url(os.environ.get("DATABASE_URL", ""))
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('entrypoints-db') / 'minyi.db'}"
        return
    server = sa.make_url(configured)
    name = f"minyi_entrypoints_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _counts(database_url: str) -> dict[str, int]:
    from service.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                for table in ("list_versions", "units", "users")
            }
    finally:
        engine.dispose()


# --- the tests ---------------------------------------------------------------------------------------


def test_migrate_then_demo_load_twice(fresh_database_url: str, tmp_path: Path) -> None:
    """The compose `migrate` service, then demo data; loading it again changes nothing."""
    env = child_env(tmp_path / "var", DATABASE_URL=fresh_database_url)

    assert "database at head" in run_minyi(env, "db", "upgrade")
    first = run_minyi(env, "demo", "load")
    after_first = _counts(fresh_database_url)
    second = run_minyi(env, "demo", "load")

    assert "activated" in first.splitlines()[0]
    assert "already stored" in second.splitlines()[0]
    for username in ("operator", "dispatcher", "cgj", "meilin"):
        assert username in second
    assert after_first["list_versions"] == 1
    assert after_first["users"] >= 8
    assert _counts(fresh_database_url) == after_first

    # A later edition of the file under the same label (a pulled update): the data is kept.
    shipped = default_list_path()
    edited = tmp_path / "lists"
    edited.mkdir()
    for f in shipped.parent.glob("ganxian*"):
        (edited / f.name).write_bytes(f.read_bytes())
    text = (edited / shipped.name).read_text(encoding="utf-8")
    (edited / shipped.name).write_text(
        text.replace("default_limits: standard", "default_limits: complex"), "utf-8"
    )
    third = run_minyi({**env, "MINYI_DEFAULT_LIST": str(edited / shipped.name)}, "demo", "load")
    assert "another edition is stored under this label" in third.splitlines()[0]
    assert _counts(fresh_database_url) == after_first


def test_web_serves_health_api_and_offline_docs(
    fresh_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """What the image's default command (`minyi web`) serves, under gunicorn."""
    port = _free_port()
    env = child_env(tmp_path / "var", DATABASE_URL=fresh_database_url, REDIS_URL=redis_url)
    log = tmp_path / "web.log"
    web = Http(f"http://127.0.0.1:{port}")

    with started(env, log, "web", "--bind", f"127.0.0.1:{port}", "--workers", "1") as proc:
        web.wait_ok("/healthz", proc, log)
        web.wait_ok("/readyz", proc, log)

        status, spec = web.get_json("/api/openapi.json")
        assert status == 200
        assert spec["openapi"].startswith("3.")
        assert "/api/v1/appeals" in spec["paths"]

        status, body, content_type = web.request("/api/docs")
        html = body.decode()
        assert status == 200 and content_type.startswith("text/html")
        assert "/api/docs/assets/" in html
        assert not re.search(r"https?://", html), "the docs page must not load anything from a CDN"
        assets = set(re.findall(r"/api/docs/assets/([\w.-]+)", html))
        assert "swagger-ui-bundle.js" in assets
        for asset in sorted(assets):
            status, body, _ = web.request(f"/api/docs/assets/{asset}")
            assert status == 200 and body, asset

        assert _stop(proc, signal.SIGTERM) == 0, log.read_text()


def test_the_access_log_format_leaves_out_query_strings_and_referrers() -> None:
    from service.runner import ACCESS_LOG_FORMAT

    for atom in ("%(q)s", "%(r)s", "%(f)s", "%({referer}i)s"):
        assert atom not in ACCESS_LOG_FORMAT
    assert "%(U)s" in ACCESS_LOG_FORMAT  # the path is still there


def test_the_web_access_log_keeps_no_phone_number_or_query_code(
    fresh_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """The caller look-up, the search and the citizen's tracking carry personal data in the query
    string (and a page's address in the Referer): the access log of `minyi web` shows the path only."""
    port = _free_port()
    env = child_env(tmp_path / "var", DATABASE_URL=fresh_database_url, REDIS_URL=redis_url)
    log = tmp_path / "web.log"
    web = Http(f"http://127.0.0.1:{port}")
    run_minyi(env, "db", "upgrade")

    with started(env, log, "web", "--bind", f"127.0.0.1:{port}", "--workers", "1") as proc:
        web.wait_ok("/healthz", proc, log)
        for path in (
            "/api/v1/public/appeals/GX20261207-0002?code=009910",
            "/console/caller?contact.phone=13911119999",
            "/api/v1/appeals?q=13987654321",
        ):
            request = urllib.request.Request(
                f"{web.base}{path}", headers={"Referer": f"{web.base}/centre/search?q=13555556666"}
            )
            try:
                urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT).close()
            except urllib.error.HTTPError as exc:
                exc.close()  # 401, 404: logged all the same
        _wait_for_line(log, "/api/v1/appeals HTTP", proc)

        assert _stop(proc, signal.SIGTERM) == 0, log.read_text()
    text = log.read_text()
    assert '"GET /api/v1/public/appeals/GX20261207-0002 HTTP/1.1" 404' in text
    assert "/console/caller HTTP" in text
    for secret in ("009910", "13911119999", "13987654321", "13555556666", "code=", "contact.phone"):
        assert secret not in text, secret


def test_worker_burst_runs_queued_jobs_and_exits(
    fresh_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """`minyi worker --burst` against the suite's Redis: it runs what is queued, then exits 0."""
    import redis
    from rq import Queue

    conn = redis.Redis.from_url(redis_url)
    try:
        job = Queue("low", connection=conn).enqueue("builtins.len", "民意速办")
        env = child_env(tmp_path / "var", DATABASE_URL=fresh_database_url, REDIS_URL=redis_url)
        run_minyi(env, "worker", "--burst")
        job.refresh()
        assert job.is_finished
        assert job.return_value() == 4
    finally:
        conn.close()


def test_minyi_run_starts_everything_and_keeps_its_data(tmp_path: Path) -> None:
    """`make run`: embedded SQLite and Redis under the var dir; Ctrl-C stops it; a restart keeps the data."""
    port = _free_port()
    # No DATABASE_URL / REDIS_URL: the embedded defaults. One gunicorn worker: it stops sooner.
    env = child_env(tmp_path / "var", MINYI_PORT=str(port), WEB_CONCURRENCY="1")
    web = Http(f"http://127.0.0.1:{port}")

    log = tmp_path / "run-1.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, f"running at http://127.0.0.1:{port}", proc, timeout=RUN_START_TIMEOUT)
        text = log.read_text()
        assert "redis: embedded" in text
        assert text.index("starting the web server and the worker") < text.index("running at")
        # Said once the service answers: at once, and with the worker up (registered with Redis).
        status, body, _ = web.request("/healthz", timeout=5)
        assert status == 200, body
        worker = _the_worker(proc.pid)
        assert f"minyi-{socket.gethostname()}-{worker.pid}" in _registered_workers(tmp_path / "var")
        status, ready = web.get_json("/readyz")
        assert status == 200, ready
        web.login("operator")
        status, created = web.post_json("/api/v1/appeals", appeal_payload())
        assert status == 201, created

        # Someone guesses meilin's password: locked out. The admin, at the shell of the same machine
        # and with no REDIS_URL, sees the lock and lifts it (the locks live in the embedded Redis).
        guesser = Http(f"http://127.0.0.1:{port}")
        for n in range(5):
            guesser.post_json("/api/v1/auth/login", {"username": "meilin", "password": f"wrong-{n}"})
        status, _ = guesser.post_json("/api/v1/auth/login", {"username": "meilin", "password": "demo1234"})
        assert status == 429
        listed = run_minyi(env, "users", "list", "--role", "unit_staff")
        [line] = [row for row in listed.splitlines() if row.startswith("meilin\t")]
        assert line.endswith("LOCKED (minyi users unlock)"), listed
        assert "lifted 1 log-in lock(s) of meilin" in run_minyi(env, "users", "unlock", "meilin")
        status, _ = guesser.post_json("/api/v1/auth/login", {"username": "meilin", "password": "demo1234"})
        assert status == 200

        assert _stop(proc, signal.SIGINT) == 0, log.read_text()
    assert "stopped" in log.read_text()
    assert not (tmp_path / "var" / "redis.url").exists()  # stopped: no command looks for its Redis

    log = tmp_path / "run-2.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, f"running at http://127.0.0.1:{port}", proc, timeout=RUN_START_TIMEOUT)
        web = Http(f"http://127.0.0.1:{port}")
        web.login("operator")
        status, appeal = web.get_json(f"/api/v1/appeals/{created['number']}")
        assert status == 200, appeal
        status, versions = web.get_json("/api/v1/responsibility-lists")
        assert status == 200, versions
        assert [v["active"] for v in versions] == [True], "the second start stored the list again"
        assert _stop(proc, signal.SIGINT) == 0, log.read_text()
    assert "stopped" in log.read_text()


def _children_named(pid: int, text: str) -> list[Any]:
    import psutil

    return [p for p in psutil.Process(pid).children(recursive=True) if text in " ".join(p.cmdline())]


def _the_worker(pid: int) -> Any:
    """The RQ worker `minyi run` (process `pid`) started, not the scheduler it forked."""
    [worker] = [p for p in _children_named(pid, "service.cli worker") if p.ppid() == pid]
    return worker


def _registered_workers(var_dir: Path) -> set[str]:
    """The names of the RQ workers registered with the embedded Redis of `minyi run`."""
    import redis
    from rq import Worker

    conn = redis.Redis.from_url((var_dir / "redis.url").read_text().strip())
    try:
        return {w.name for w in Worker.all(connection=conn)}
    finally:
        conn.close()


def test_minyi_run_stopped_by_ctrl_c_while_starting_stops_cleanly(tmp_path: Path) -> None:
    """Ctrl-C while the web server and the worker are still starting: no banner, everything stops,
    nothing left running, no traceback."""
    import psutil

    port = _free_port()
    env = child_env(tmp_path / "var", MINYI_PORT=str(port), WEB_CONCURRENCY="1")
    log = tmp_path / "run.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, "starting the web server and the worker", proc, timeout=RUN_START_TIMEOUT)
        # The fake gateway, gunicorn and the worker, started right after that line.
        deadline = time.monotonic() + 10
        while len(everything := psutil.Process(proc.pid).children()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(everything) == 3, [p.cmdline() for p in everything]
        everything += [c for p in everything for c in p.children(recursive=True)]
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()

        _, alive = psutil.wait_procs(everything, timeout=10)
        assert alive == [], [p.cmdline() for p in alive]
    text = log.read_text()
    assert text.rstrip().endswith("stopped"), text
    assert "running at" not in text and "Press Ctrl-C" not in text, text
    assert "Traceback" not in text, text
    assert not (tmp_path / "var" / "redis.url").exists()


def test_minyi_run_stopped_by_ctrl_c_during_its_migrations_stops_after_them(tmp_path: Path) -> None:
    """Ctrl-C while the migrations run (a fresh database: they take a while): they finish, the rest
    is not started, and it says "stopped" as later, not a traceback nor click's "Aborted!"."""
    env = child_env(tmp_path / "var", MINYI_PORT=str(_free_port()))
    log = tmp_path / "run.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, "database: sqlite:", proc, timeout=RUN_START_TIMEOUT)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()

    text = log.read_text()
    # Said at once, while the step goes on; then, once it is done, "stopped".
    assert "stopping once this step is done (Ctrl-C again to stop at once)" in text, text
    assert text.splitlines()[-1] == "stopped" and text.splitlines().count("stopped") == 1, text
    assert "Traceback" not in text and "Aborted" not in text, text
    assert "starting the web server" not in text and not (tmp_path / "var" / "redis.url").exists(), text
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'minyi.db'}")
    try:
        with engine.connect() as conn:  # not left half migrated
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == migrate.newest()
    finally:
        engine.dispose()


def test_minyi_run_stopped_by_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    """Ctrl-C in the terminal (SIGINT to the whole foreground group): everything stops, said once, no
    traceback, no worker killed."""
    port = _free_port()
    env = child_env(tmp_path / "var", MINYI_PORT=str(port), WEB_CONCURRENCY="2")
    log = tmp_path / "run.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, f"running at http://127.0.0.1:{port}", proc, timeout=RUN_START_TIMEOUT)
        status, ready = Http(f"http://127.0.0.1:{port}").get_json("/readyz")  # the workers are up
        assert status == 200, ready
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()
    text = log.read_text()
    assert text.rstrip().endswith("stopped"), text
    assert "Traceback" not in text and "SIGKILL" not in text and "[ERROR]" not in text, text


def test_minyi_run_says_which_process_stopped_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """The worker killed under `minyi run`: it says so and stops everything, the worker's scheduler
    (which a killed worker leaves behind) included, without a traceback."""
    import psutil

    port = _free_port()
    env = child_env(tmp_path / "var", MINYI_PORT=str(port), WEB_CONCURRENCY="1")
    log = tmp_path / "run.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, f"running at http://127.0.0.1:{port}", proc, timeout=RUN_START_TIMEOUT)
        worker = _the_worker(proc.pid)
        # Its scheduler, forked once the worker has loaded the app: slow on a loaded machine.
        deadline = time.monotonic() + 120
        while not worker.children() and time.monotonic() < deadline:
            time.sleep(0.2)
        left_behind = worker.children()
        assert left_behind, "the worker started no scheduler"
        everything = psutil.Process(proc.pid).children(recursive=True)

        worker.kill()
        assert proc.wait(timeout=60) == 1, log.read_text()

        text = log.read_text()
        assert "The worker stopped unexpectedly (killed by SIGKILL); stopping everything." in text, text
        assert text.rstrip().endswith("stopped") and "Traceback" not in text, text
        _, alive = psutil.wait_procs(everything, timeout=10)
        assert alive == [], [p.cmdline() for p in alive]


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGQUIT], ids=["terminal closed", "ctrl-backslash"])
def test_minyi_run_stops_everything_when_its_terminal_closes(tmp_path: Path, sig: signal.Signals) -> None:
    """The terminal window closed (SIGHUP), or Ctrl-\\ (SIGQUIT): it reaches `minyi run` only, its
    children being in process groups of their own; it stops them as at Ctrl-C, none left running."""
    import psutil

    port = _free_port()
    env = child_env(tmp_path / "var", MINYI_PORT=str(port), WEB_CONCURRENCY="1")
    log = tmp_path / "run.log"
    with started(env, log, "run") as proc:
        _wait_for_line(log, f"running at http://127.0.0.1:{port}", proc, timeout=RUN_START_TIMEOUT)
        everything = psutil.Process(proc.pid).children(recursive=True)

        assert _stop(proc, sig, timeout=60) == 0, log.read_text()

        assert log.read_text().rstrip().endswith("stopped"), log.read_text()
        _, alive = psutil.wait_procs(everything, timeout=10)
        assert alive == [], [p.cmdline() for p in alive]
