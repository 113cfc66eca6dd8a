"""The benchmarks' processes: a process of the project with its output in a log file
(`LoggedProcess`), gunicorn on a free loopback port with the settings of `minyi web`, and one
`minyi worker`; each started, waited for until ready, tailed and stopped the same way."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoggedProcess:
    """A process of the project run from its root, its output kept in a log file; `stop` ends it."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.log = command, log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )

    def tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


class Gunicorn(LoggedProcess):
    """One gunicorn master for `app`, its log kept in a file, stopped on exit."""

    def __init__(self, app: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", *args, app]
        super().__init__(command, env, log)

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(p) for p in children]

    def wait_ready(self, workers: int, timeout: float = 90) -> None:
        """Until /healthz answers and every worker has started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); log:\n{self.tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(self.worker_pids()) >= workers:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become ready in {timeout:.0f} s; log:\n{self.tail()}")


def gunicorn_settings(workers: int, threads: int) -> list[str]:
    """The settings `minyi web` runs gunicorn with, without its access log."""
    return [
        "--workers", str(workers), "--threads", str(threads),
        "--log-level", "warning", "--no-control-socket",
    ]  # fmt: skip


class Worker(LoggedProcess):
    """One `minyi worker` process (with its scheduler and periodic jobs), its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__([sys.executable, "-m", "service.cli", "worker"], env, log)

    def wait_ready(self, redis_url: str, timeout: float = 60) -> None:
        import redis
        from rq import Worker as RqWorker

        conn = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.proc.returncode}); log:\n{self.tail()}")
            if any(w.name.endswith(f"-{self.proc.pid}") for w in RqWorker.all(connection=conn)):
                return
            time.sleep(0.2)
        raise RuntimeError(f"the worker did not start in {timeout:.0f} s; log:\n{self.tail()}")
