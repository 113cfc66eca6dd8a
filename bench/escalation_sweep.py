"""Escalation figure 2, the sweep: one `sweep(s, "reply_overdue", now=..., limit=1000)` + commit in
this process over 1,000,000 open appeals (seeded with SQL, two pending alarms each) of which 1,000
are due; then the same sweep again (finds nothing), and the plan of its alarm query."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.database import BenchDatabase

SWEEP_TARGET_MS = 1000.0
SWEEP_KIND = "reply_overdue"
#: Public numbers of the seeded appeals: a prefix the service never gives (it uses GX...).
SWEEP_PREFIX = "SW"


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
