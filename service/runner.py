"""Running the service: `minyi run` (everything, for a newcomer), `minyi web`, `minyi worker`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import click

QUEUES = ("urgent", "default", "low")


@click.command("worker")
@click.option("--burst", is_flag=True, help="process what is queued, then exit")
def worker_command(burst: bool) -> None:
    """Run one RQ worker with its scheduler, inside the app's context."""
    from rq import Queue, Worker

    from service import create_app
    from service.redis_conn import get_redis

    app = create_app()
    with app.app_context():
        conn = get_redis()
        queues = [Queue(name, connection=conn) for name in QUEUES]
        Worker(queues, connection=conn, name=f"minyi-{socket.gethostname()}-{os.getpid()}").work(
            with_scheduler=True, burst=burst
        )


@click.command("web")
@click.option("--bind", default=None, help="host:port (default 0.0.0.0:$MINYI_PORT or 8000)")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes (default 2)")
def web_command(bind: str | None, workers: int | None) -> None:
    """Run the web service under gunicorn (what the container runs)."""
    bind = bind or f"0.0.0.0:{os.environ.get('MINYI_PORT', '8000')}"
    workers = workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            # No shared control socket under ~/.gunicorn: several servers may run on one machine.
            "--no-control-socket",
            "--graceful-timeout",
            "10",
            "service.wsgi:app",
        ],
    )


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
    from service.demo import DEMO_PASSWORD, create_demo_users, default_list_path, load_default_list
    from service.redis_conn import EmbeddedRedis

    port = port or int(os.environ.get("MINYI_PORT", "8000"))
    if not _port_free(port):
        raise click.ClickException(f"Port {port} is in use; set MINYI_PORT to another port.")
    app = create_app()
    click.echo(f"database: {_redacted(app.config['DATABASE_URL'])}")
    migrate.upgrade(app.config["DATABASE_URL"])
    with app_session() as s:
        click.echo(load_default_list(s, default_list_path(app.config.get("DEFAULT_LIST"))))
        logins = create_demo_users(s)

    embedded = None
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(app.config["VAR_DIR"])
        env["REDIS_URL"] = embedded.url
        click.echo(f"redis: embedded ({embedded.url})")
    else:
        click.echo(f"redis: {_redacted(env['REDIS_URL'])}")

    minyi = [sys.executable, "-m", "service.cli"]
    children = [
        subprocess.Popen([*minyi, "web", "--bind", f"127.0.0.1:{port}"], env=env),
        subprocess.Popen([*minyi, "worker"], env=env),
    ]
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    _wait_until_up(port, children)
    click.echo("")
    click.echo(f"Minyi is running at http://127.0.0.1:{port}")
    click.echo(f"  API docs: http://127.0.0.1:{port}/api/docs")
    click.echo(f"  demo logins (password {DEMO_PASSWORD}):")
    for username, description in logins:
        click.echo(f"    {username:<11} {description}")
    click.echo("Press Ctrl-C to stop.")
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.shutdown()
        click.echo("stopped")
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    if failed and not stopping:
        sys.exit(1)


def _wait_until_up(port: int, children: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise click.ClickException("A process stopped while starting; see the messages above.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise click.ClickException(f"The web server did not start on port {port} within {timeout:.0f} s.")


def _redacted(url: str) -> str:
    """Hide a password in a URL before printing it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url
