"""Running the service: `minyi run` (everything, for a newcomer), `minyi web`, `minyi worker`."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from redis.exceptions import RedisError

from service.jobs import QUEUES
from service.redis_conn import get_redis, worker_redis
from service.startup import READY_TIMEOUT_SECONDS, Readiness, exit_text, wait_until_ready

if TYPE_CHECKING:
    from rq.cron import CronJob

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="process what is queued, then exit")
@click.option("--no-cron", is_flag=True, help="do not enqueue the periodic jobs (sweeps, relay)")
def worker_command(burst: bool, no_cron: bool) -> None:
    """Run one RQ worker with its scheduler and the periodic jobs, inside the app's context.

    A SimpleWorker runs jobs in its own process, without a fork per job: notices go out within
    milliseconds of their commit and jobs reuse the database pool. A crashed job cannot take state
    with it anyway: every job is harmless to run twice, and deliveries a dead worker held are claimed
    again once their lease runs out.
    """
    from rq import Queue

    from service import create_app
    from service.jobs import set_worker_app
    from service.worker import Worker, cron_loop

    # rq logs every job at INFO: the relay sweep alone would write a line a second. Our jobs log
    # what they did when they did something.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("rq").setLevel(logging.WARNING)
    app = create_app()
    set_worker_app(app)
    with app.app_context():
        if not burst:
            wait_for_redis(get_redis())
        # Its own connection, not the app's: a quiet queue's blocking dequeue outlasts the app's
        # 5-s read timeout (service.redis_conn.worker_redis).
        conn = worker_redis()
        queues = [Queue(name, connection=conn) for name in QUEUES]
        stop = threading.Event()
        if not (burst or no_cron):
            # The periodic jobs are built here, in the main thread, before the worker forks its
            # scheduler: importing rq.cron runs a subprocess (croniter asks `platform.architecture()`),
            # and a subprocess started in a thread while another thread forks can wait until the
            # forked child exits (it inherits the pipe the subprocess reports through).
            jobs = cron_jobs(app.config)
            threading.Thread(
                target=cron_loop, args=(get_redis(), jobs, stop), name="minyi-cron", daemon=True
            ).start()
        try:
            Worker(queues, connection=conn, name=worker_name(os.getpid())).work(
                with_scheduler=True, burst=burst, logging_level="WARNING"
            )
        finally:
            stop.set()


def worker_name(pid: int) -> str:
    """The RQ worker's name for the worker process `pid` (`minyi run` looks for it in Redis)."""
    return f"minyi-{socket.gethostname()}-{pid}"


#: The longest pause between two attempts of a worker waiting for Redis at its start.
REDIS_WAIT_MAX_SECONDS = 5.0


def wait_for_redis(conn: Any) -> None:
    """Return once Redis answers; until then, say so and try again.

    A worker started while Redis is down or restarting (the hosts booting in another order, a
    deploy) waits for it, as rq's worker does when Redis goes away mid-run, instead of dying at its
    first command with a traceback. Meanwhile intake goes on and notices wait in the outbox.
    """
    pause = 0.5
    while True:
        try:
            conn.ping()
            return
        except (RedisError, OSError) as exc:
            log.warning("worker: Redis unreachable (%s); waiting for it, next try in %.1f s", exc, pause)
        time.sleep(pause)
        pause = min(pause * 2, REDIS_WAIT_MAX_SECONDS)


def periodic_jobs(config: Mapping[str, Any]) -> list[tuple[Callable[[], Any], str, int]]:
    """(job, queue, interval in seconds) of the worker's periodic jobs."""
    from service.appeals.retention import erase_expired_job
    from service.escalation.jobs import close_unrated, run_sweeps
    from service.notices.jobs import relay_sweep

    return [
        (relay_sweep, "urgent", int(config["RELAY_SWEEP_SECONDS"])),
        (run_sweeps, "default", int(config["ESCALATION_SWEEP_SECONDS"])),
        (close_unrated, "low", int(config["CLOSE_UNRATED_SECONDS"])),
        (erase_expired_job, "low", int(config["RETENTION_SWEEP_SECONDS"])),
    ]


def cron_jobs(config: Mapping[str, Any]) -> list[CronJob]:
    """The periodic jobs as rq CronJobs. Call from the main thread (rq.cron's import runs a subprocess)."""
    from rq.cron import CronJob

    return [
        CronJob(queue, func=func, interval=seconds, result_ttl=0, ttl=max(seconds * 4, 60))
        for func, queue, seconds in periodic_jobs(config)
    ]


def web_workers() -> int:
    """gunicorn worker processes: WEB_CONCURRENCY, else gunicorn's rule of thumb, 2 x CPUs + 1."""
    return int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)


def web_threads() -> int:
    """Threads per worker: WEB_THREADS, else 1, which makes gunicorn's synchronous workers.

    Requests are CPU-bound Python (validation, routing, the ORM): the threads of one process only
    take turns on the interpreter lock, and with keep-alive (threaded workers) a client's
    connection stays with one worker, so a busy worker queues requests while another idles.
    Synchronous workers take each request from the shared socket. They expect a buffering
    reverse proxy in front (nginx) against slow clients, as a production deployment has anyway.
    `make bench-intake` on 2 CPUs, one run: 2 workers x 4 threads 39.7 appeals/s with the CPUs
    61% busy, 5 x 1 threaded 38.1/s (53% busy), 5 synchronous 62.2/s (99% busy).
    """
    return int(os.environ.get("WEB_THREADS") or 1)


#: gunicorn's access log line without the query string (`%(q)s`, or the request line `%(r)s` that
#: holds it) and without the referrer (`%(f)s`, a page's URL with its own): the caller look-up
#: (?contact.phone=), the search (?q=) and the citizen's tracking (?code=) carry personal data
#: there, and DOMAIN.md wants none in logs. Otherwise gunicorn's default (Apache's combined format).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


@click.command("web")
@click.option("--bind", default=None, help="host:port (default 0.0.0.0:$MINYI_PORT or 8000)")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes (default 2 x CPUs + 1)")
def web_command(bind: str | None, workers: int | None) -> None:
    """Run the web service under gunicorn (what the container runs)."""
    bind = bind or f"0.0.0.0:{os.environ.get('MINYI_PORT', '8000')}"
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers or web_workers()),
            "--threads",
            str(web_threads()),
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            # No shared control socket under ~/.gunicorn: several servers may run on one machine.
            "--no-control-socket",
            "--graceful-timeout",
            "10",
            # worker_exit: a worker asked to stop skips the interpreter's slow tear-down.
            "--config",
            "python:service.gunicorn_hooks",
            "service.wsgi:app",
        ],
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@click.command("run")
@click.option("--port", default=None, type=int, help="default $MINYI_PORT or 8000")
def run_command(port: int | None) -> None:
    """Start everything on the embedded defaults: migrations, demo data, Redis, web and worker."""
    from service import create_app, migrate
    from service.cli_context import app_session
    from service.demo import (
        DEMO_PASSWORD,
        create_demo_articles,
        create_demo_users,
        default_list_path,
        load_default_list,
    )
    from service.redis_conn import EmbeddedRedis, announce_embedded

    port = port or int(os.environ.get("MINYI_PORT", "8000"))
    if not _port_free(port):
        raise click.ClickException(f"Port {port} is in use; set MINYI_PORT to another port.")
    # From the start, Ctrl-C (or SIGTERM, a hang-up, Ctrl-\) stops the run as one step, said once
    # ("stopped"). While the migrations run or the demo data loads, the step it came in finishes
    # first (interrupted, a migration may leave the database half changed; SQLite's DDL is not all
    # transactional) and the run stops after it, never starting the children; a second Ctrl-C
    # then stops at once. Once the children are starting, it stops them: never orphans them.
    stopping = False
    setting_up = True

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        if stopping and setting_up and signum == signal.SIGINT:
            signal.default_int_handler(signum, frame)  # the second Ctrl-C: KeyboardInterrupt now
        if setting_up and not stopping:
            # Said at once: the step may take a while, and a silent Ctrl-C is pressed again.
            click.echo("stopping once this step is done (Ctrl-C again to stop at once)", err=True)
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # The terminal closed (SIGHUP), or Ctrl-\ (SIGQUIT): they reach this process only (the children
    # are in groups of their own), which would die of them and leave the children running, holding
    # the port and the queue.
    signal.signal(signal.SIGHUP, stop)
    signal.signal(signal.SIGQUIT, stop)
    app = create_app()
    click.echo(f"database: {_redacted(app.config['DATABASE_URL'])}")
    if not stopping:
        migrate.upgrade(app.config["DATABASE_URL"])
    if not stopping:
        with app_session() as s:
            click.echo(load_default_list(s, default_list_path(app.config.get("DEFAULT_LIST"))))
            logins = create_demo_users(s)
            if added := create_demo_articles(s):
                click.echo(f"knowledge base: {added} demo articles added")
    setting_up = False
    if stopping:
        click.echo("stopped")
        return

    embedded = announced = None
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(app.config["VAR_DIR"])
        announced = announce_embedded(app.config["VAR_DIR"], embedded.url)
        env["REDIS_URL"] = embedded.url
        click.echo(f"redis: embedded ({embedded.url})")
    else:
        click.echo(f"redis: {_redacted(env['REDIS_URL'])}")

    minyi = [sys.executable, "-m", "service.cli"]
    # Each child in a process group of its own: what it starts (the worker's scheduler) is stopped
    # with it, even when the child itself died first (a killed worker leaves its scheduler behind).
    # Ctrl-C (or a hang-up) reaches this process only; it stops each child once, with SIGTERM.
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    gateway_port = None
    if not env.get("MINYI_SMS_URL"):
        # No SMS gateway configured: a recording fake one, so that notices can be seen going out.
        gateway_port = _free_port()
        record = Path(app.config["VAR_DIR"]) / "fake-gateway.jsonl"
        children.append(
            (
                "fake gateway",
                subprocess.Popen(
                    [*minyi, "fake-gateway", "--port", str(gateway_port), "--record", str(record)],
                    env=env,
                    process_group=0,
                ),
            )
        )
        env["MINYI_SMS_URL"] = f"http://127.0.0.1:{gateway_port}/sms"
    click.echo("starting the web server and the worker… (a minute or two on a busy machine)")
    children += [
        (
            "web server",
            subprocess.Popen([*minyi, "web", "--bind", f"127.0.0.1:{port}"], env=env, process_group=0),
        ),
        ("worker", subprocess.Popen([*minyi, "worker"], env=env, process_group=0)),
    ]
    processes = [child for _, child in children]
    worker = children[-1][1]
    readiness = Readiness(port, env["REDIS_URL"], worker_name(worker.pid))
    try:
        ready = wait_until_ready(readiness, children, stopped=lambda: stopping)
        if stopping:
            return
        if not ready:
            click.echo(
                f"Still starting after {READY_TIMEOUT_SECONDS:.0f} s: {'; '.join(readiness.pending())}. "
                "The machine may be busy; it says so here once everything answers.",
                err=True,
            )
        click.echo("")
        click.echo(f"Minyi is running at http://127.0.0.1:{port}")
        click.echo(f"  API docs: http://127.0.0.1:{port}/api/docs")
        if gateway_port is not None:
            click.echo(f"  SMS sent (fake gateway): http://127.0.0.1:{gateway_port}/messages")
        click.echo(f"  demo logins (password {DEMO_PASSWORD}):")
        for username, description in logins:
            click.echo(f"    {username:<11} {description}")
        click.echo("Press Ctrl-C to stop.")
        next_probe = time.monotonic()
        while not stopping and all(child.poll() is None for child in processes):
            if not readiness.ready and time.monotonic() >= next_probe:
                if readiness.check():
                    click.echo("Minyi is ready now: the web server answers and the worker is up.")
                next_probe = time.monotonic() + 2
            time.sleep(0.5)
        if not stopping:
            for name, child in children:
                if child.poll() is not None:
                    click.echo(
                        f"The {name} stopped unexpectedly ({exit_text(child.returncode)}); "
                        "stopping everything. Nothing is lost: run it again to go on.",
                        err=True,
                    )
    finally:
        readiness.close()
        _stop_groups(processes)
        if announced is not None:
            announced.unlink(missing_ok=True)
        if embedded is not None:
            embedded.shutdown()
        click.echo("stopped")
    failed = [c for c in processes if c.returncode not in (0, -signal.SIGTERM, None)]
    if failed and not stopping:
        sys.exit(1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_groups(children: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM to each child's process group (the child and what it started), SIGKILL after
    `timeout` to whatever is left of them."""
    for child in children:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        # The group outlives its leader while what it started is still stopping.
        while _group_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    for child in children:
        if child.poll() is None or _group_alive(child.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def _redacted(url: str) -> str:
    """Hide a password in a URL before printing it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url
