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
import http.client
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.intake import (
    INTAKE_PATH,
    ROOT,
    BenchDatabase,
    Gunicorn,
    LoggedProcess,
    _load_average,
    bench_database,
    gunicorn_settings,
    make_payloads,
)
from service.runner import web_threads, web_workers

DB_NAME = "minyi_bench_escalation"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
LATENCY_TARGET_MS = 1000.0
SWEEP_TARGET_MS = 1000.0
HELPDESK_PEER_SECONDS = 152
URGENT = "特急"
ROUTINE = "一般"
SWEEP_KIND = "reply_overdue"
#: Public numbers of the seeded appeals: prefixes the service never gives (it uses GX...).
ESCALATE_PREFIX = "BE"
SWEEP_PREFIX = "SW"
NUMBER = re.compile(r"[A-Z]{2}\d{8}-\d{4,}")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def first_arrivals(messages: list[dict[str, Any]]) -> dict[str, float]:
    """The first time (received_at) each appeal number appears in an SMS text the gateway accepted."""
    first: dict[str, float] = {}
    for record in messages:
        body = record.get("body")
        text = body.get("text", "") if isinstance(body, dict) else record.get("raw", "")
        for number in set(NUMBER.findall(str(text))):
            if record["received_at"] < first.get(number, float("inf")):
                first[number] = record["received_at"]
    return first


def with_urgency(payloads: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """The payloads with every `every`-th one 特急 and the others 一般 (categories urgent by nature
    are still raised to 紧急 by dispatch: the responses say which appeals ended up urgent)."""
    return [{**p, "urgency": URGENT if every and i % every == 0 else ROUTINE} for i, p in enumerate(payloads)]


# -- 1. latency under load ---------------------------------------------------------------------


@dataclass
class Posted:
    """What one client saw: per appeal (number, urgency, status, time.time() of the 201)."""

    appeals: list[tuple[str, str, str, float]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # of the 201s, seconds
    errors: Counter[str] = field(default_factory=Counter)


def paced_client(
    port: int, bodies: list[bytes], headers: dict[str, str], start: float, end: float, interval: float
) -> Posted:
    """POST the bodies in turn, one every `interval` seconds (at once when running late), until `end`."""
    out = Posted()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    next_at, i = start, 0
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if next_at > now:
            time.sleep(next_at - now)
        next_at += interval
        body = bodies[i % len(bodies)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", INTAKE_PATH, body, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            out.errors[f"{type(exc).__name__}: {exc}"] += 1
            conn.close()
            continue
        done = time.time()
        if response.status != 201:
            out.errors[f"HTTP {response.status}: {data[:300].decode('utf-8', 'replace')}"] += 1
            continue
        out.latencies.append(time.perf_counter() - t0)
        appeal = json.loads(data)
        out.appeals.append((appeal["number"], appeal["appeal"]["urgency"], appeal["status"], done))
    conn.close()
    return out


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


def measure_latency(db: BenchDatabase, gateway: Any, args: argparse.Namespace, problems: list[str]) -> None:
    payloads = with_urgency(make_payloads(args.payloads), args.urgent)
    bodies = [json.dumps(p, ensure_ascii=False).encode() for p in payloads]
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f"Bearer {db.token}",
    }
    workers = web_workers()
    server = Gunicorn(
        "service.wsgi:app", gunicorn_settings(workers, web_threads()), db.env, db.tmp / "web.log"
    )
    try:
        server.wait_ready(workers)
        # Warm-up: every gunicorn worker compiles its routing context on its first intake.
        warm = paced_client(
            server.port, bodies[-50:], headers, time.perf_counter(), time.perf_counter() + 2, 0.05
        )
        problems += [f"warm-up: {n} x {e}" for e, n in warm.errors.items()]
        gateway.reset()
        start = time.perf_counter() + 0.1
        end = start + args.seconds
        interval = args.concurrency / args.rate
        results: list[Posted] = [Posted() for _ in range(args.concurrency)]

        def run(k: int) -> None:
            # Each client its own share of the bodies, and its own phase, so the load is even.
            mine = bodies[k :: args.concurrency]
            results[k] = paced_client(
                server.port, mine, headers, start + k * interval / args.concurrency, end, interval
            )

        threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        if server.proc.poll() is not None:
            problems.append(f"gunicorn exited during the run; log:\n{server.tail()}")
    finally:
        server.stop()

    appeals = [a for r in results for a in r.appeals]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    urgent = {
        number: at
        for number, urgency, status, at in appeals
        if urgency in ("紧急", "特急") and status == "dispatched"
    }
    arrivals: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        arrivals = first_arrivals(gateway.messages)
        if all(n in arrivals for n in urgent):
            break
        time.sleep(0.2)
    latencies = [(arrivals[n] - at) * 1000 for n, at in urgent.items() if n in arrivals]
    intake_ms = [x * 1000 for r in results for x in r.latencies]
    p99 = percentile(latencies, 99)
    print(
        f"intake load: {len(appeals)} appeals in {elapsed:.1f} s ({len(appeals) / elapsed:.1f}/s, "
        f"{args.concurrency} clients at {args.rate:g}/s in all), {len(urgent)} of them urgent and dispatched; "
        f"201 in p50 {percentile(intake_ms, 50):.0f} ms  p99 {percentile(intake_ms, 99):.0f} ms"
    )
    print(
        f"urgent notice latency: p50 {percentile(latencies, 50):.0f} ms  p99 {p99:.0f} ms  "
        f"max {max(latencies, default=float('nan')):.0f} ms  (n={len(latencies)}, "
        f"target p99 <= {LATENCY_TARGET_MS:.0f} ms: {'met' if p99 <= LATENCY_TARGET_MS else 'NOT met'})"
    )
    sys.stdout.flush()
    if errors:
        problems.append(f"intake: {sum(errors.values())} request(s) without 201: {errors.most_common(3)}")
    if missing := [n for n in urgent if n not in arrivals]:
        problems.append(
            f"latency: {len(missing)} urgent appeal(s) without an SMS within 60 s, e.g. {missing[:3]}"
        )


# -- 3. escalating many due appeals end to end --------------------------------------------------


def ladder_units(conn: psycopg.Connection[Any]) -> list[tuple[str, int]]:
    """(code, minutes of ladder level 1) of the units whose level 1 has someone to text."""
    found = []
    for code, escalation in conn.execute("SELECT code, escalation FROM units WHERE active ORDER BY code"):
        steps = json.loads(escalation) if isinstance(escalation, str) else escalation
        level1 = next((s for s in steps or () if int(s.get("level", 0)) == 1), None)
        if level1 and any(c.get("phone", "").startswith("1") for c in level1.get("contacts", ())):
            found.append((code, int(level1.get("after_minutes", 30))))
    return found


def seed_escalations(
    conn: psycopg.Connection[Any], count: int, due_at: datetime, prefix: str = ESCALATE_PREFIX
) -> tuple[int, int]:
    """`count` urgent appeals, dispatched and unsigned, whose ladder level 1 falls due at `due_at`;
    each with that pending alarm (and only it). Returns the range of their ids."""
    units = ladder_units(conn)
    if not units:
        raise RuntimeError("no unit of the default list has a level-1 ladder contact with a mobile number")
    codes = [c for c, _ in units]
    minutes = [m for _, m in units]
    conn.execute(
        """
        INSERT INTO appeals (number, query_code, channel, channel_meta, appeal_type, title, content,
            address, urgency, confidential, consent_publish, status, status_changed_at, received_at,
            lead_unit_code, list_version_id, dispatched_at, sign_due_at, reply_due_at, dispatch_note,
            reopen_count, supervision_level, caller_history, close_reason, direct_answer, updated_at, version)
        SELECT %(prefix)s || '20260101-' || lpad(g::text, 6, '0'), '000000', 'hotline', '{}', '求助',
            '升级基准工单' || g, '升级基准工单内容', '', '特急', false, false, 'dispatched',
            d.dispatched, d.dispatched, u.code, (SELECT id FROM list_versions WHERE active LIMIT 1),
            d.dispatched, d.sign_due, d.sign_due + interval '1 day', '', 0, 0, 0, '', '', d.dispatched, 1
        FROM generate_series(1, %(count)s) AS g
        CROSS JOIN LATERAL (SELECT (%(codes)s::text[])[1 + g %% %(n)s] AS code,
                                   (%(minutes)s::int[])[1 + g %% %(n)s] AS minutes) AS u
        CROSS JOIN LATERAL (SELECT %(due)s - make_interval(mins => u.minutes) AS sign_due,
                                   %(due)s - make_interval(mins => u.minutes) - interval '30 minutes'
                                       AS dispatched) AS d
        """,
        {
            "prefix": prefix,
            "count": count,
            "codes": codes,
            "minutes": minutes,
            "n": len(codes),
            "due": due_at,
        },
    )
    lo, hi = conn.execute(
        "SELECT min(id), max(id) FROM appeals WHERE number LIKE %s", (f"{prefix}2026%",)
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        """
        INSERT INTO appeal_alarms (appeal_id, kind, level, due_at, created_at, done_at, outcome)
        SELECT a.id, 'escalate', 1, %(due)s, a.dispatched_at, NULL, ''
        FROM appeals a WHERE a.id BETWEEN %(lo)s AND %(hi)s
        """,
        {"due": due_at, "lo": lo, "hi": hi},
    )
    return lo, hi


def measure_escalation(
    db: BenchDatabase, gateway: Any, redis_url: str, args: argparse.Namespace, problems: list[str]
) -> None:
    import redis
    from rq import Queue

    lead = 3.0  # seconds between the commit of the seed and the alarms falling due
    with psycopg.connect(db.url) as conn:
        due_at = datetime.now(UTC) + timedelta(seconds=lead)
        seed_start = time.perf_counter()
        lo, hi = seed_escalations(conn, args.escalate, due_at)
        conn.commit()
        conn.execute("ANALYZE appeals")
        conn.execute("ANALYZE appeal_alarms")
        conn.commit()
        seeded_in = time.perf_counter() - seed_start
    gateway.reset()
    wait = (due_at - datetime.now(UTC)).total_seconds()
    if wait < 0:
        problems.append(f"escalation: seeding took {seeded_in:.1f} s, longer than the {lead:g} s lead")
    time.sleep(max(wait, 0) + 0.01)
    # The moment the alarms are due: a sweep starts now. The worker's own periodic run (every
    # ESCALATION_SWEEP_SECONDS) may come first; whichever runs holds the lock, the other does nothing.
    t0 = time.time()
    Queue("default", connection=redis.Redis.from_url(redis_url)).enqueue(
        "service.escalation.jobs.run_sweep", "escalate", result_ttl=600
    )
    pending_sql = """
        SELECT (SELECT count(*) FROM appeal_alarms WHERE appeal_id BETWEEN %(lo)s AND %(hi)s
                  AND kind = 'escalate' AND done_at IS NULL),
               (SELECT count(*) FROM outbox WHERE appeal_id BETWEEN %(lo)s AND %(hi)s),
               (SELECT count(*) FROM outbox WHERE appeal_id BETWEEN %(lo)s AND %(hi)s AND relayed_at IS NULL),
               (SELECT count(*) FROM notice_deliveries WHERE appeal_id BETWEEN %(lo)s AND %(hi)s
                  AND status IN ('pending', 'sending', 'retrying')),
               (SELECT count(*) FROM notice_deliveries WHERE appeal_id BETWEEN %(lo)s AND %(hi)s
                  AND channel = 'sms' AND status = 'sent'),
               (SELECT count(*) FROM notice_deliveries WHERE appeal_id BETWEEN %(lo)s AND %(hi)s
                  AND status = 'failed')
    """
    deadline = time.monotonic() + args.escalate_timeout
    marks: list[tuple[float, tuple[int, ...]]] = []
    with psycopg.connect(db.url, autocommit=True) as conn:
        while True:
            state: tuple[int, ...] = conn.execute(pending_sql, {"lo": lo, "hi": hi}).fetchone()  # type: ignore[assignment]
            marks.append((time.time() - t0, state))
            alarms, outbox, unrelayed, in_flight, _sent, _failed = state
            if alarms == 0 and outbox and not unrelayed and not in_flight:
                break
            if time.monotonic() > deadline:
                problems.append(f"escalation: not done after {args.escalate_timeout:.0f} s: {state}")
                break
            time.sleep(0.5)
    _, _, _, _, sent_sms, failed = marks[-1][1]
    ours = [
        m for m in gateway.messages if f"{ESCALATE_PREFIX}2026" in str((m.get("body") or {}).get("text", ""))
    ]
    last = max((m["received_at"] for m in ours), default=float("nan"))
    total = last - t0
    swept = next((t for t, s in marks if s[0] == 0), float("nan"))
    relayed = next((t for t, s in marks if s[0] == 0 and s[1] and not s[2]), float("nan"))
    print(
        f"escalate {args.escalate} due: {total:.1f} s (helpdesk peer: {HELPDESK_PEER_SECONDS} s for 10000)  "
        f"{len(ours)} SMS, {len(ours) / total:.0f}/s"
    )
    print(
        f"  from the sweep being enqueued: every alarm fired by {swept:.1f} s, every outbox row "
        f"expanded by {relayed:.1f} s, last SMS at {total:.1f} s (seeded with SQL in {seeded_in:.1f} s)"
    )
    sys.stdout.flush()
    if len(ours) != sent_sms:
        problems.append(f"escalation: the gateway got {len(ours)} SMS, the database says {sent_sms} sent")
    if failed:
        problems.append(f"escalation: {failed} delivery(ies) failed")
    if args.marks:
        for t, s in marks[:: max(len(marks) // 20, 1)]:
            print(
                f"    {t:6.1f} s  pending alarms {s[0]}, outbox {s[1]} ({s[2]} unrelayed), in flight {s[3]}, SMS sent {s[4]}"
            )


# -- 2. one sweep over a million open appeals ---------------------------------------------------


def seed_open(conn: psycopg.Connection[Any], count: int, due: int, now: datetime) -> None:
    """`count` appeals being handled (signed), each with its two pending reply alarms; `due` of them,
    spread evenly through the table, past their reply deadline (their reply_overdue alarm is due;
    the earlier yellow warning already fired)."""
    units = [
        c for (c,) in conn.execute("SELECT code FROM units WHERE active AND kind <> 'centre' ORDER BY code")
    ]
    every = max(count // due, 1)
    conn.execute(
        """
        INSERT INTO appeals (number, query_code, channel, channel_meta, appeal_type, title, content,
            address, urgency, confidential, consent_publish, status, status_changed_at, received_at,
            lead_unit_code, list_version_id, dispatched_at, sign_due_at, signed_at, reply_due_at,
            dispatch_note, reopen_count, supervision_level, caller_history, close_reason, direct_answer,
            updated_at, version)
        SELECT %(prefix)s || '20260101-' || lpad(g::text, 7, '0'), '000000', 'hotline', '{}', '求助',
            '扫描基准工单' || g, '扫描基准工单内容', '', '一般', false, false, 'handling',
            t.dispatched + interval '1 hour', t.dispatched, (%(units)s::text[])[1 + g %% %(n)s],
            (SELECT id FROM list_versions WHERE active LIMIT 1), t.dispatched,
            t.dispatched + interval '2 hours', t.dispatched + interval '1 hour', t.reply_due, '',
            0, 0, 0, '', '', t.dispatched + interval '1 hour', 1
        FROM generate_series(1, %(count)s) AS g
        CROSS JOIN LATERAL (
            SELECT CASE WHEN g %% %(every)s = 0 AND g / %(every)s <= %(due)s
                        THEN %(now)s - interval '1 hour' - make_interval(secs => g / %(every)s)
                        ELSE %(now)s + interval '2 days' + make_interval(secs => g) END AS reply_due,
                   %(now)s - interval '4 days' - make_interval(secs => (g %% 86400) * 4) AS dispatched
        ) AS t
        """,
        {
            "prefix": SWEEP_PREFIX,
            "count": count,
            "units": units,
            "n": len(units),
            "every": every,
            "due": due,
            "now": now,
        },
    )
    # The yellow warning at a quarter of the time left (dispatch.escalation.yellow_at; the durations
    # are multiples of 4 s, so the division is exact) and the reply deadline itself.
    conn.execute(
        """
        INSERT INTO appeal_alarms (appeal_id, kind, level, due_at, created_at, done_at, outcome)
        SELECT id, k.kind, 0, k.due_at, dispatched_at,
               CASE WHEN k.due_at <= %(now)s AND k.kind = 'reply_due_soon' THEN k.due_at END,
               CASE WHEN k.due_at <= %(now)s AND k.kind = 'reply_due_soon' THEN 'fired' ELSE '' END
        FROM appeals CROSS JOIN LATERAL (VALUES
            ('reply_due_soon', reply_due_at - (reply_due_at - dispatched_at) / 4),
            ('reply_overdue', reply_due_at)) AS k(kind, due_at)
        WHERE number LIKE %(like)s
        """,
        {"now": now, "like": f"{SWEEP_PREFIX}2026%"},
    )


def measure_sweep(db: BenchDatabase, args: argparse.Namespace, problems: list[str]) -> None:
    import sqlalchemy as sa

    warmup = 5
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with psycopg.connect(db.url) as conn:
        seed_open(conn, args.open, args.due + warmup, now)
        conn.commit()
    seeded = time.perf_counter() - started
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE appeals")
        conn.execute("VACUUM ANALYZE appeal_alarms")
        open_appeals, pending, due = conn.execute(
            "SELECT (SELECT count(*) FROM appeals WHERE status NOT IN ('closed', 'merged')), "
            "(SELECT count(*) FROM appeal_alarms WHERE done_at IS NULL), "
            "(SELECT count(*) FROM appeal_alarms WHERE done_at IS NULL AND kind = %s AND due_at <= %s)",
            (SWEEP_KIND, now),
        ).fetchone()  # type: ignore[misc]
    print(
        f"sweep setup: {open_appeals} open appeals, {pending} pending alarms, {due} {SWEEP_KIND} due "
        f"(seeded with SQL in {seeded:.0f} s, then VACUUM ANALYZE)"
    )
    sys.stdout.flush()

    os.environ.update(db.env)
    from service import create_app
    from service.escalation.sweeps import sweep

    app = create_app()
    with app.app_context():
        factory = app.extensions["minyi.sessionmaker"]
        engine = app.extensions["minyi.engine"]
        # A warm-up sweep of the 5 earliest: the process compiles its statements once, as a
        # worker does on its first run.
        s = factory()
        t = time.perf_counter()
        first = sweep(s, SWEEP_KIND, now=now, limit=warmup)
        s.commit()
        s.close()
        warm_ms = (time.perf_counter() - t) * 1000

        statements: list[tuple[str, Any, float]] = []
        started_at: list[float] = []

        def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
            started_at.append(time.perf_counter())

        def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
            statements.append((statement, parameters, time.perf_counter() - started_at.pop()))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
        s = factory()
        t, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = sweep(s, SWEEP_KIND, now=now, limit=args.due)
        t_swept = time.perf_counter()
        s.commit()
        if profiler:
            profiler.disable()
        elapsed_ms = (time.perf_counter() - t) * 1000
        cpu_ms = (time.process_time() - cpu) * 1000
        commit_ms = (time.perf_counter() - t_swept) * 1000
        s.close()
        timed = list(statements)
        statements.clear()

        s = factory()
        t = time.perf_counter()
        again = sweep(s, SWEEP_KIND, now=now, limit=args.due)
        s.commit()
        s.close()
        again_ms = (time.perf_counter() - t) * 1000
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)

        select_alarms, params, _ = statements[0]
        with engine.connect() as conn:
            plan = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + select_alarms, params)]
        engine.dispose()

    sql_ms = sum(d for _, _, d in timed) * 1000
    print(
        f"sweep {len(result.fired)} due of {open_appeals} open: {elapsed_ms:.0f} ms "
        f"(target <= {SWEEP_TARGET_MS:.0f} ms: {'met' if elapsed_ms <= SWEEP_TARGET_MS else 'NOT met'})"
        f"{'  [under cProfile]' if profiler else ''}"
    )
    print(
        f"  {result.notices} notices queued, {result.skipped} skipped; {len(timed)} SQL statements "
        f"{sql_ms:.0f} ms in all, commit {commit_ms:.0f} ms (its outbox relay to Redis included), "
        f"this process's CPU {cpu_ms:.0f} ms; warm-up sweep of {len(first.fired)}: {warm_ms:.0f} ms"
    )
    slowest = Counter[str]()
    for statement, _, d in timed:
        slowest[" ".join(statement.split())[:90]] += d * 1000
    for statement, ms in slowest.most_common(4):
        print(f"    {ms:6.0f} ms  {statement}")
    print(f"sweep again (nothing due): {again_ms:.1f} ms, {again.seen} alarms seen")
    index_line = next((line.strip() for line in plan if "ix_appeal_alarms_pending" in line), None)
    print(f"  plan of the alarm query: {index_line or ' / '.join(p.strip() for p in plan)}")
    if index_line is None:
        problems.append("sweep: the alarm query does not use the partial index ix_appeal_alarms_pending")
    if len(result.fired) != args.due:
        problems.append(f"sweep: fired {len(result.fired)} alarms, {args.due} were due")
    if again.seen:
        problems.append(f"sweep: the second run saw {again.seen} alarms")
    if profiler:
        import pstats

        print("  cProfile of the timed sweep (CPU time, cumulative, top 20):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(20)


def profile_outbox(db: BenchDatabase, args: argparse.Namespace, count: int = 300) -> None:
    """Why the end-to-end figure is what it is: `count` escalations swept in this process, then the
    worker's job `process_outbox` run here on their outbox rows (to the fake gateway), first timed
    plainly with its SQL counted, then under cProfile (CPU time)."""
    import cProfile
    import pstats

    import sqlalchemy as sa

    from service import create_app
    from service.db import utcnow
    from service.escalation.sweeps import sweep
    from service.notices.jobs import process_outbox

    with psycopg.connect(db.url) as conn:
        lo, hi = seed_escalations(conn, count, datetime.now(UTC) - timedelta(seconds=1), prefix="BP")
        conn.commit()
    os.environ.update(db.env)
    app = create_app({"RELAY_AFTER_COMMIT": False})  # this process runs the jobs itself
    with app.app_context():
        engine = app.extensions["minyi.engine"]
        s = app.extensions["minyi.sessionmaker"]()
        sweep(s, "escalate", now=utcnow(), limit=count)
        s.commit()
        s.close()
        with engine.connect() as conn:
            ids = [
                i
                for (i,) in conn.execute(
                    sa.text("SELECT id FROM outbox WHERE appeal_id BETWEEN :lo AND :hi ORDER BY id"),
                    {"lo": lo, "hi": hi},
                )
            ]
        counts: Counter[str] = Counter()
        sql_time = [0.0]
        started: list[float] = []

        def before(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
            started.append(time.perf_counter())
            counts[statement.split(None, 1)[0].upper()] += 1

        def after(*_rest: Any) -> None:
            sql_time[0] += time.perf_counter() - started.pop()

        def on_commit(_conn: Any) -> None:
            counts["COMMIT"] += 1

        half = len(ids) // 2
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        sa.event.listen(engine, "commit", on_commit)
        t = time.perf_counter()
        sent = 0
        for k in range(0, half, 200):  # the relay's batches of 200 ids
            sent += process_outbox(ids[k : min(k + 200, half)])["sent"]
        wall = time.perf_counter() - t
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
        sa.event.remove(engine, "commit", on_commit)
        print(
            f"profile of process_outbox (in this process, {half} outbox rows of {count // 2} escalations, "
            f"{sent} SMS): {wall / max(sent, 1) * 1000:.1f} ms per SMS sent, of which SQL "
            f"{sql_time[0] / max(sent, 1) * 1000:.1f} ms; per SMS: "
            + ", ".join(f"{n / max(sent, 1):.1f} {what}" for what, n in counts.most_common())
        )
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for k in range(half, len(ids), 200):
            process_outbox(ids[k : min(k + 200, len(ids))])
        profiler.disable()
        engine.dispose()
    stats = pstats.Stats(profiler)
    rows = [
        (cumtime, nc, func)
        for func, (_cc, nc, _tt, cumtime, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if func[0].startswith(str(ROOT)) and "site-packages" not in func[0] and "/bench/" not in func[0]
    ]
    total = max((c for c, _, _ in rows), default=0.0)
    print(f"  project functions by cumulative CPU (of {total:.2f} s CPU under cProfile):")
    for cumtime, calls, (filename, line, name) in sorted(rows, reverse=True)[:14]:
        print(f"    {cumtime:6.2f} s  {calls:6d} calls  {filename[len(str(ROOT)) + 1 :]}:{line}({name})")


# -- the run ------------------------------------------------------------------------------------


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
                f"everything, load average {_load_average()}"
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
            print(f"load average now {_load_average()}")
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
