"""Intake throughput benchmark: `python -m bench.intake` (`make bench-intake`).

Measures POST /api/v1/appeals of the real service under gunicorn with PostgreSQL, next to a
baseline measured in the same run: a bare Flask endpoint (bench/baseline_app.py) that parses the
same JSON and does one INSERT. Both run under gunicorn with the same settings, one after the
other (never at the same time), each warmed up first, against a fresh database created for the
run and dropped at its end. Prints req/s for both, the ratio, and p50/p99 latency.

Target: the service takes in at least 60% of the baseline's requests per second.

The load generator is in this process: threads, each with its own keep-alive `http.client`
connection (opened again whenever the server closes it, as synchronous gunicorn workers do).
Chosen over wrk or an asyncio client because it needs nothing installed, is easy to read, and
can check every status and keep exact per-request latencies; its cost (about 0.5 ms of CPU per
request, well under one core at the rates measured here) is the same for both targets. It runs
on the same machine, so it takes CPU from the servers: the output says how much.

Options (or environment): --seconds (BENCH_SECONDS, 10) and --warmup (BENCH_WARMUP, 2) per
target, --concurrency (BENCH_CONCURRENCY, 16) clients, --workers (BENCH_WORKERS) and --threads
(BENCH_THREADS) for gunicorn, by default those of `minyi web` (2 x CPUs + 1 synchronous
workers). BENCH_DATABASE_URL: a PostgreSQL URL whose server part is used
(the database name is replaced; default postgresql://postgres@127.0.0.1:5432/postgres); REDIS_URL
(default redis://127.0.0.1:6379/5, flushed first). Besides the rates, the output gives the CPU per
request of gunicorn, of the PostgreSQL backends (when PostgreSQL is local) and of the generator.

`--profile N` runs N intakes through the Flask test client in this process against the same kind
of database instead, and prints the SQL of one intake and where the CPU goes (cProfile).

Exit status: 0 when every request succeeded and the stored rows match, whether or not the target
is met (it is a measurement); 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import sqlalchemy as sa

from bench.baseline_app import intake_table, psycopg_url
from service.runner import web_threads, web_workers

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.60
INTAKE_PATH = "/api/v1/appeals"
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


# -- the payloads ------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅兰志文斌辉林玲春燕"
ROADS = ("光明路", "建设路", "人民路", "胜利路", "解放路", "新华街", "文化路", "和平路", "中山路", "滨江大道")
PLACES = ("小区门口", "菜市场旁", "学校附近", "十字路口", "公交站台", "村委会前", "河堤边", "商铺门前")
OPENINGS = ("市民来电反映：", "群众反映：", "来电人称：", "网友留言：")
DETAILS = (
    "该问题已持续一周以上，多次向有关方面反映未得到解决，",
    "附近居民出行和生活受到较大影响，",
    "夜间尤其明显，老人和小孩安全存在隐患，",
    "之前拨打过热线，暂未收到处理结果，",
    "周边商户和住户意见较大，",
)
ASKS = ("请相关部门尽快核实处理。", "希望尽快派人到现场查看并答复。", "请尽快处理并回复来电人。")


def make_payloads(n: int, seed: int = 20261121) -> list[dict[str, Any]]:
    """`n` realistic appeals whose (category, area) the default list routes, so each is dispatched."""
    from dispatch.routing import Decision, Router
    from responsibility_lists.loader import load_file
    from service.demo import default_list_path

    lst = load_file(default_list_path())
    router = Router(lst)
    rnd = random.Random(seed)
    categories = {c.code: c for c in lst.categories}
    areas = [a for a in lst.areas if a.level in ("township", "village")]
    by_code = {a.code: a for a in lst.areas}
    types = ("咨询", "求助", "投诉", "举报", "建议")
    payloads: list[dict[str, Any]] = []
    attempts = 0
    while len(payloads) < n:
        attempts += 1
        if attempts > n * 50:
            raise RuntimeError("could not find enough routable (category, area) pairs in the default list")
        rule = rnd.choice(lst.rules)
        category = categories[rule.category]
        area = rnd.choice(areas)
        urgency = rnd.choices(("一般", "紧急", "特急"), weights=(90, 8, 2))[0]
        appeal_type = rnd.choice(category.usual_types or types)
        if not isinstance(router.route(category.code, area.code, urgency, appeal_type), Decision):
            continue
        township = area if area.level == "township" else by_code.get(area.parent or "", area)
        place = f"{township.name}{rnd.choice(ROADS)}{rnd.randint(1, 300)}号"
        where = area.name if area is township else f"{township.name}{area.name}"
        title = f"{where}{category.name}问题"[:100]
        content = (
            f"{rnd.choice(OPENINGS)}{place}{rnd.choice(PLACES)}存在{category.name}方面的问题。"
            + "".join(rnd.sample(DETAILS, rnd.randint(1, 3)))
            + rnd.choice(ASKS)
            + f"（编号{len(payloads) + 1:05d}）"
        )
        name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.randint(1, 2)))
        phone = f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"
        channel, meta = rnd.choices(
            (
                (
                    "hotline",
                    {"call_id": f"CALL-{len(payloads) + 1:06d}", "seat": f"A{rnd.randint(1, 40):02d}"},
                ),
                (
                    "app",
                    {"app_user_id": f"u{rnd.randrange(10**6)}", "platform": rnd.choice(("ios", "android"))},
                ),
                ("wechat", {"openid": f"o{rnd.randrange(10**12):012d}"}),
            ),
            weights=(70, 15, 15),
        )[0]
        payloads.append(
            {
                "channel": channel,
                "channel_meta": meta,
                "appeal_type": appeal_type,
                "title": title,
                "content": content,
                "category": category.code,
                "area": area.code,
                "address": place,
                "urgency": urgency,
                "contact": {"name": name, "phone": phone},
            }
        )
    return payloads


# -- the load generator ------------------------------------------------------------------------


@dataclass
class Result:
    """What the clients saw in one phase, and the CPU each side used meanwhile."""

    ok: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    generator_cpu: float = 0.0  # this process's CPU seconds during the phase
    gunicorn_cpu: float = 0.0  # the gunicorn master and workers
    postgres_cpu: float | None = None  # the PostgreSQL backends serving the bench database

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Client:
    """One concurrent client: a keep-alive connection, requests back to back until the deadline."""

    def __init__(self, port: int, bodies: list[bytes], headers: dict[str, str], offset: int, stride: int):
        self.bodies, self.headers = bodies, headers
        self.index, self.stride = offset, stride
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.start_at = self.deadline = 0.0
        self.ok = 0
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    def reset(self, start_at: float, deadline: float) -> None:
        self.start_at, self.deadline = start_at, deadline
        self.ok, self.latencies, self.errors = 0, [], Counter()

    def run(self) -> None:
        clock, bodies, n = time.perf_counter, self.bodies, len(self.bodies)
        while clock() < self.start_at:
            time.sleep(0.0005)
        while clock() < self.deadline:
            body = bodies[self.index % n]
            self.index += self.stride
            t0 = clock()
            try:
                self.conn.request("POST", INTAKE_PATH, body, self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors[f"{type(exc).__name__}: {exc}"] += 1
                self.conn.close()  # reopened by the next request
                continue
            elapsed = clock() - t0
            if response.status == 201:
                self.ok += 1
                self.latencies.append(elapsed)
            else:
                self.errors[f"HTTP {response.status}: {data[:300].decode('utf-8', 'replace')}"] += 1
            if response.will_close:
                self.conn.close()


def run_phase(clients: list[Client], seconds: float, server_pids: list[int], db_name: str) -> Result:
    start = time.perf_counter() + 0.05
    for c in clients:
        c.reset(start, start + seconds)
    # A thread per client and phase; the client (its connection) carries over from warm-up.
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    own0, gunicorn0, pg0 = _own_cpu(), _cpu_of(server_pids), _postgres_cpu(db_name)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.perf_counter()
    pg1 = _postgres_cpu(db_name)
    result = Result(
        elapsed=end - start,
        generator_cpu=_own_cpu() - own0,
        gunicorn_cpu=sum(_cpu_of(server_pids).values()) - sum(gunicorn0.values()),
        postgres_cpu=sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items()) if pg1 else None,
    )
    for c in clients:
        result.ok += c.ok
        result.latencies.extend(c.latencies)
        result.errors.update(c.errors)
    return result


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _cpu_of(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds (from /proc; missing where unavailable)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields_ = stat.rsplit(")", 1)[1].split()
        found[pid] = (int(fields_[11]) + int(fields_[12])) / tick  # fields 14 and 15 of stat(5)
    return found


def _postgres_cpu(db_name: str) -> dict[int, float]:
    """CPU of the local PostgreSQL backends connected to the bench database (none if PG is remote)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {db_name} ".encode() in title:
            pids.append(int(entry.name))
    return _cpu_of(pids)


def _load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- processes ---------------------------------------------------------------------------------


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


# -- the benchmark -----------------------------------------------------------------------------


def measure(
    app: str,
    gunicorn_args: list[str],
    db: BenchDatabase,
    log: Path,
    bodies: list[bytes],
    headers: dict[str, str],
    args: argparse.Namespace,
) -> tuple[Result, Result]:
    """Start gunicorn for `app`, wait until it is up, warm up, measure. Returns (warm-up, measured)."""
    server = Gunicorn(app, gunicorn_args, db.env, log)
    try:
        server.wait_ready(args.workers)
        pids = [server.proc.pid, *server.worker_pids()]
        clients = [
            Client(server.port, bodies, headers, offset=i, stride=args.concurrency)
            for i in range(args.concurrency)
        ]
        warm = run_phase(clients, args.warmup, pids, db.name)
        result = run_phase(clients, args.seconds, pids, db.name)
        for c in clients:
            c.conn.close()
        if server.proc.poll() is not None:
            result.errors[f"gunicorn exited during the run; log:\n{server.tail()}"] += 1
        return warm, result
    finally:
        server.stop()


def describe(label: str, unit: str, r: Result) -> str:
    def per_request(cpu: float | None) -> str:
        return f"{cpu / r.ok * 1000:.2f} ms" if r.ok and cpu is not None else "n/a"

    return (
        f"{label}: {r.rate:.1f} {unit}/s  p50 {r.percentile(50) * 1000:.1f} ms  "
        f"p99 {r.percentile(99) * 1000:.1f} ms\n"
        f"  {r.ok} in {r.elapsed:.1f} s; CPU per request: gunicorn {per_request(r.gunicorn_cpu)}, "
        f"PostgreSQL {per_request(r.postgres_cpu)}, load generator {per_request(r.generator_cpu)}"
    )


def print_errors(label: str, *results: Result) -> None:
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    if errors:
        print(f"  {label}: {sum(errors.values())} failed request(s):")
        for message, count in errors.most_common(10):
            print(f"    {count} x {message}")


def make_bodies(n: int) -> list[bytes]:
    return [json.dumps(p, ensure_ascii=False).encode() for p in make_payloads(n)]


def run_bench(args: argparse.Namespace) -> int:
    # The same settings for both targets, those `minyi web` uses (synchronous workers by default).
    # No access log for either: `minyi web` logs to stdout, which is not part of intake.
    gunicorn_args = gunicorn_settings(args.workers, args.threads)
    failed = False
    with bench_database() as db:
        bodies = make_bodies(args.payloads)
        # Both targets get identical requests, the token included (the baseline ignores it).
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {db.token}",
        }
        print(
            f"bench-intake: gunicorn {' '.join(gunicorn_args[:4])}, {args.concurrency} clients, "
            f"{args.seconds:g} s each after {args.warmup:g} s warm-up, PostgreSQL {db.pg_version}, "
            f"same machine ({os.cpu_count()} CPUs, load average {_load_average()})"
        )
        print(
            "  the load generator (threads in this process) shares the CPUs with gunicorn and PostgreSQL, "
            "equally for both targets"
        )
        sys.stdout.flush()

        base_warm, base = measure(
            "bench.baseline_app:app", gunicorn_args, db, db.tmp / "baseline.log", bodies, headers, args
        )
        print(describe("baseline (bare Flask + 1 INSERT)", "req", base))
        sys.stdout.flush()
        svc_warm, svc = measure(
            "service.wsgi:app", gunicorn_args, db, db.tmp / "service.log", bodies, headers, args
        )
        print(describe(f"minyi intake (POST {INTAKE_PATH})", "appeals", svc))

        ratio = svc.rate / base.rate if base.rate else 0.0
        print(
            f"ratio: {ratio * 100:.1f}% of baseline (target ≥ {TARGET_RATIO * 100:.0f}%): "
            f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
        )

        # -- checks ----------------------------------------------------------------------------
        with psycopg.connect(db.url) as conn:
            stored_base = conn.execute("SELECT count(*) FROM bench_baseline_intake").fetchone()[0]  # type: ignore[index]
            total, distinct, dispatched = conn.execute(  # type: ignore[misc]
                "SELECT count(*), count(DISTINCT number), "
                "count(*) FILTER (WHERE status = 'dispatched') FROM appeals"
            ).fetchone()
        base_ok, svc_ok = base_warm.ok + base.ok, svc_warm.ok + svc.ok
        problems = []
        if base_warm.error_count + base.error_count:
            problems.append(f"baseline: {base_warm.error_count + base.error_count} failed request(s)")
        if svc_warm.error_count + svc.error_count:
            problems.append(f"service: {svc_warm.error_count + svc.error_count} response(s) other than 201")
        if stored_base != base_ok:
            problems.append(f"baseline: {stored_base} rows stored for {base_ok} responses 201")
        if total != svc_ok:
            problems.append(f"service: {total} appeals stored for {svc_ok} responses 201")
        if distinct != total:
            problems.append(f"service: {total - distinct} duplicate public number(s)")
        print(
            f"checks: {svc_ok} responses 201 (warm-up included), {total} appeals stored, "
            f"{distinct} distinct numbers, {dispatched} dispatched on intake; "
            f"baseline {base_ok} responses 201, {stored_base} rows; load average now {_load_average()}"
        )
        if dispatched != total:
            print(f"  warning: {total - dispatched} appeal(s) were not dispatched automatically")
        if problems:
            failed = True
            print("FAILED: " + "; ".join(problems))
            print_errors("baseline", base_warm, base)
            print_errors("service", svc_warm, svc)
    return 1 if failed else 0


# -- profiling ---------------------------------------------------------------------------------


def run_profile(args: argparse.Namespace) -> int:
    """The intake path in this process (Flask test client, same database setup), under cProfile:
    the SQL statements of one request, CPU per request, CPU by package, the top functions."""
    import cProfile
    import pstats

    with bench_database() as db:
        os.environ.update(db.env)
        from service import create_app

        app = create_app()
        client = app.test_client()
        n = args.profile
        bodies = make_bodies(2 * n + 21)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {db.token}"}

        def post(body: bytes) -> None:
            r = client.post(INTAKE_PATH, data=body, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"HTTP {r.status_code}: {r.get_data(as_text=True)[:500]}")

        for body in bodies[:20]:  # warm-up: the routing context is compiled once per process
            post(body)
        statements: list[str] = []
        engine = app.extensions["minyi.engine"]

        def log_statement(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            statements.append(" ".join(statement.split()))

        sa.event.listen(engine, "before_cursor_execute", log_statement)
        post(bodies[20])
        sa.event.remove(engine, "before_cursor_execute", log_statement)
        print(f"SQL statements in one intake: {len(statements)} (plus BEGIN/COMMIT)")
        for st in statements:
            print(f"  {st[:150]}{'...' if len(st) > 150 else ''}")

        wall, cpu = time.perf_counter(), time.process_time()
        for body in bodies[21 : 21 + n]:
            post(body)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"without profiler: {wall / n * 1000:.2f} ms/request wall, {cpu / n * 1000:.2f} ms CPU")

        profiler = cProfile.Profile(time.process_time)  # CPU time: waits on PostgreSQL do not count
        profiler.enable()
        for body in bodies[21 + n : 21 + 2 * n]:
            post(body)
        profiler.disable()
        engine.dispose()

        stats = pstats.Stats(profiler)
        by_package: Counter[str] = Counter()
        for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if "site-packages/" in filename:
                key = filename.split("site-packages/")[1].split("/")[0]
            elif _is_project(filename):
                key = filename[len(str(ROOT)) + 1 :].split("/")[0] + " (project)"
            elif filename == "~":
                key = "builtins"
            else:
                key = f"stdlib {Path(filename).name}"
            by_package[key] += tottime
        total = sum(by_package.values())
        print(f"CPU under cProfile ({n} requests; the profiler inflates code made of many small calls):")
        for key, seconds in by_package.most_common(12):
            print(f"  {key:<28} {seconds / n * 1000:7.2f} ms/request  {seconds / total * 100:5.1f}%")
        print("project functions by cumulative CPU:")
        rows = [
            (cumtime, nc, func)
            for func, (_cc, nc, _tt, cumtime, _callers) in stats.stats.items()  # type: ignore[attr-defined]
            if _is_project(func[0]) and not func[0].startswith(str(ROOT / "bench"))
        ]
        for cumtime, calls, (filename, line, name) in sorted(rows, reverse=True)[:25]:
            where = f"{filename[len(str(ROOT)) + 1 :]}:{line}({name})"
            print(f"  {cumtime / n * 1000:7.2f} ms/request  {calls / n:5.1f} calls  {where}")
    return 0


def _is_project(filename: str) -> bool:
    return filename.startswith(str(ROOT)) and "site-packages" not in filename


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.intake", description=(__doc__ or "").split("\n\n")[0]
    )
    env = os.environ.get
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", 10)), help="per target")
    parser.add_argument("--warmup", type=float, default=float(env("BENCH_WARMUP", 2)), help="per target")
    parser.add_argument("--concurrency", type=int, default=int(env("BENCH_CONCURRENCY", 16)), help="clients")
    parser.add_argument(
        "--workers", type=int, default=int(env("BENCH_WORKERS") or web_workers()), help="gunicorn workers"
    )
    parser.add_argument(
        "--threads", type=int, default=int(env("BENCH_THREADS") or web_threads()), help="per worker"
    )
    parser.add_argument("--payloads", type=int, default=2000, help="distinct appeals, sent in turn")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="instead of the benchmark: profile N intakes in this process (Flask test client)",
    )
    args = parser.parse_args(argv)
    return run_profile(args) if args.profile else run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
