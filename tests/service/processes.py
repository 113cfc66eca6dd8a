"""`minyi` commands run as real processes, for the tests of the entry points and of the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINYI = [sys.executable, "-m", "service.cli"]
#: The settings a child must not inherit from the test run: each test gives its own.
SERVICE_SETTINGS = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "WEB_CONCURRENCY", "WEB_THREADS"}


def child_env(var_dir: Path, **values: str) -> dict[str, str]:
    """Our environment without any service setting, plus `values` (DATABASE_URL, REDIS_URL, ...)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS and not k.startswith("MINYI_")}
    env.update(MINYI_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", **values)
    return env


def run_minyi(env: dict[str, str], *args: str) -> str:
    """Run one `minyi` command to its end; its output, or the test fails showing it."""
    result = subprocess.run(
        [*MINYI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (
        f"minyi {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


@contextmanager
def started(env: dict[str, str], log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running `minyi` command, its output going to `log`.

    It gets a process group of its own, so that whatever it started (gunicorn's workers, `minyi run`'s
    children) is stopped with it if the test ends while it still runs: SIGTERM first, so that
    `minyi run` stops its embedded Redis, then SIGKILL for what is left.
    """
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*MINYI, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started: no chance to finish what it was doing.

    Its whole session, not only its process group: `minyi run` puts each child in a group of its
    own, and a child whose runner died (a failing test) would otherwise outlive the test run."""
    import psutil

    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for other in psutil.process_iter():
        with suppress(psutil.Error, OSError):
            if os.getsid(other.pid) == proc.pid:
                other.kill()
    proc.wait(timeout=10)
