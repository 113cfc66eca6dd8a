"""Escalation benchmark: `python -m bench.escalation` (`make bench-escalation`).

Three figures, on PostgreSQL and Redis, with the real processes (`minyi web` under gunicorn, one
`minyi worker`) and the recording fake SMS gateway (`service.notices.fake_gateway`, in this
process, as MINYI_SMS_URL of web and worker):

1. Urgent notice latency: under a steady intake load (clients posting appeals at a fixed total
   rate, a fraction of them 特急), the time from each urgent appeal's 201 response to its first
   SMS reaching the gateway (matched by the appeal's number in the SMS text; both clocks are
   time.time() of this process). p50 and p99; target p99 <= 1000 ms.
2. Sweep: one `sweep(s, "reply_overdue", now=..., limit=1000)` + commit, in this process, over
   1,000,000 open appeals (seeded with SQL, two pending alarms each) of which 1,000 are due;
   target <= 1000 ms. Then the same sweep again (finds nothing), and the plan of its alarm query.
3. End to end: 10,000 urgent appeals whose first escalation step falls due at one moment (seeded
   with SQL); from the sweep job being enqueued then to the last SMS reaching the gateway, with
   the real worker. The issue compares it with a helpdesk peer's 152 s for the same count.

The order of the run is 1, 3, 2: the million rows come last, after the web server and the worker
have stopped, so they do not slow the other figures down.

Options (or environment): --seconds (BENCH_SECONDS, 15) of load, --rate (BENCH_RATE, 40) appeals/s
in all, --urgent (1 in 4 of them), --concurrency (8 clients), --open (1,000,000), --due (1,000),
--escalate (10,000), --quick (a smoke run: 5 s, 20,000 open, 100 due, 500 to escalate),
--profile (run the timed sweep under cProfile, CPU time, and print where it goes).
BENCH_DATABASE_URL (else DATABASE_URL): only its server part is used; the benchmark creates a
fresh database `minyi_bench_escalation` there and drops it at the end. REDIS_URL: default
redis://127.0.0.1:6379/11, flushed first (never give it a Redis database that holds anything).

Exit status: 0 when every request got its 201 and every notice expected reached the gateway,
whether or not the targets are met (they are measurements); 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench.cpu import load_average
from bench.database import bench_database
from bench.escalation_end_to_end import measure_escalation, profile_outbox
from bench.escalation_latency import measure_latency
from bench.escalation_sweep import measure_sweep
from bench.processes import Worker

DB_NAME = "minyi_bench_escalation"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"


def run(args: argparse.Namespace) -> int:
    from service.notices.fake_gateway import start_in_thread

    problems: list[str] = []
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    gateway = start_in_thread()
    try:
        with bench_database(DB_NAME, server_url, redis_url, baseline=False) as db:
            print(
                f"bench-escalation: PostgreSQL {db.pg_version} (database {db.name}), Redis {redis_url}, "
                f"one `minyi worker`, fake SMS gateway {gateway.url}; {os.cpu_count()} CPUs shared by "
                f"everything, load average {load_average()}"
            )
            sys.stdout.flush()
            db.env["MINYI_SMS_URL"] = f"{gateway.url}/sms"
            worker = Worker(db.env, db.tmp / "worker.log")
            try:
                worker.wait_ready(redis_url)
                if not args.skip_latency:
                    measure_latency(db, gateway, args, problems)
                if args.escalate:
                    measure_escalation(db, gateway, redis_url, args, problems)
                if worker.proc.poll() is not None:
                    problems.append(f"the worker exited; log:\n{worker.tail()}")
            finally:
                worker.stop()
            if args.open:
                measure_sweep(db, args, problems)
            if args.profile:
                profile_outbox(db, args)
            print(f"load average now {load_average()}")
    finally:
        gateway.stop()
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.escalation", description=(__doc__ or "").split("\n\n")[0]
    )
    env = os.environ.get
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument(
        "--seconds", type=float, default=float(env("BENCH_SECONDS", 15)), help="of intake load"
    )
    parser.add_argument("--rate", type=float, default=float(env("BENCH_RATE", 40)), help="appeals/s, in all")
    parser.add_argument("--concurrency", type=int, default=8, help="intake clients")
    parser.add_argument("--urgent", type=int, default=4, metavar="K", help="every K-th appeal is 特急")
    parser.add_argument("--payloads", type=int, default=2000, help="distinct appeals, sent in turn")
    parser.add_argument("--open", type=int, default=1_000_000, help="open appeals for the sweep (0: skip)")
    parser.add_argument("--due", type=int, default=1000, help="of them due")
    parser.add_argument(
        "--escalate", type=int, default=10_000, help="due appeals escalated end to end (0: skip)"
    )
    parser.add_argument("--escalate-timeout", type=float, default=1200, help="seconds")
    parser.add_argument("--skip-latency", action="store_true", help="no latency measurement")
    parser.add_argument("--marks", action="store_true", help="print the progress of the end-to-end run")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the timed sweep under cProfile, then profile the notice job",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.open, args.due, args.escalate = min(args.seconds, 5), 20_000, 100, 500
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
