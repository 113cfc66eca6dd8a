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
import os
import sys

from bench.intake_profile import run_profile
from bench.intake_run import run_bench
from service.runner import web_threads, web_workers


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
