"""The intake benchmark proper (`python -m bench.intake` without --profile): the baseline, then the
service, each under gunicorn with the same settings, warmed up and measured with the load generator;
then the rates, latencies and CPU per request, the ratio to the target, and the checks of the
stored rows against the responses."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

import psycopg

from bench.common import INTAKE_PATH
from bench.cpu import load_average
from bench.database import BenchDatabase, bench_database
from bench.loadgen import Client, Result, run_phase
from bench.payloads import make_bodies, request_headers
from bench.processes import Gunicorn, gunicorn_settings

TARGET_RATIO = 0.60


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


def run_bench(args: argparse.Namespace) -> int:
    # The same settings for both targets, those `minyi web` uses (synchronous workers by default).
    # No access log for either: `minyi web` logs to stdout, which is not part of intake.
    gunicorn_args = gunicorn_settings(args.workers, args.threads)
    failed = False
    with bench_database() as db:
        bodies = make_bodies(args.payloads)
        # Both targets get identical requests, the token included (the baseline ignores it).
        headers = request_headers(db.token)
        print(
            f"bench-intake: gunicorn {' '.join(gunicorn_args[:4])}, {args.concurrency} clients, "
            f"{args.seconds:g} s each after {args.warmup:g} s warm-up, PostgreSQL {db.pg_version}, "
            f"same machine ({os.cpu_count()} CPUs, load average {load_average()})"
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
            f"baseline {base_ok} responses 201, {stored_base} rows; load average now {load_average()}"
        )
        if dispatched != total:
            print(f"  warning: {total - dispatched} appeal(s) were not dispatched automatically")
        if problems:
            failed = True
            print("FAILED: " + "; ".join(problems))
            print_errors("baseline", base_warm, base)
            print_errors("service", svc_warm, svc)
    return 1 if failed else 0
