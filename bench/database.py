"""The benchmarks' database: a fresh PostgreSQL database with the service's schema, the default
list, the demo users and an API token (`bench_database`), created for a run and dropped at its
end, with the environment the service's processes run in."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import sqlalchemy as sa

from bench.baseline_app import intake_table, psycopg_url
from bench.common import ROOT

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def _database_urls(name: str, server_url: str | None = None) -> tuple[str, str]:
    """(URL of the server's maintenance database, URL of the bench database), both postgresql://."""
    parts = urlsplit(server_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER_URL)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    bench = urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))
    return admin, bench


def _cli(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"minyi {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout


@dataclass
class BenchDatabase:
    name: str
    url: str
    env: dict[str, str]  # for the service's processes
    token: str  # an API token of the demo operator
    pg_version: str
    tmp: Path


@contextmanager
def bench_database(
    name: str | None = None,
    server_url: str | None = None,
    redis_url: str | None = None,
    baseline: bool = True,
) -> Iterator[BenchDatabase]:
    """A fresh database with the service's schema, the default list, the demo users and a token;
    plus the baseline's table (unless `baseline` is False). Dropped at the end, whatever happens.
    The other benchmarks pass their own name, server and Redis URL."""
    name = name or f"minyi_bench_{os.getpid()}"
    admin_url, url = _database_urls(name, server_url)
    redis_url = redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    with psycopg.connect(admin_url, autocommit=True) as admin:
        version = admin.info.server_version
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # left by a killed run
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="minyi-bench-") as tmp:
            redis.Redis.from_url(redis_url).flushdb()
            env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
            env.update(
                DATABASE_URL=url,
                REDIS_URL=redis_url,
                MINYI_VAR_DIR=tmp,
                SECRET_KEY="bench",
                PYTHONUNBUFFERED="1",
            )
            _cli(["db", "upgrade"], env)
            _cli(["demo", "load"], env)
            token = _cli(["tokens", "create", "operator", "--label", "bench"], env).strip().splitlines()[-1]
            if baseline:
                engine = sa.create_engine(psycopg_url(url))
                intake_table.metadata.create_all(engine)
                engine.dispose()
            yield BenchDatabase(name, url, env, token, f"{version // 10000}.{version % 10000}", Path(tmp))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
