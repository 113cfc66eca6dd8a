"""Escalation figure 3, end to end: 10,000 urgent unsigned appeals (seeded with SQL) whose ladder
level 1 falls due at one moment, from the sweep job being enqueued then to the last SMS reaching
the gateway, with the real worker. With --profile, the worker's notice job `process_outbox` run in
this process on a few escalations' outbox rows."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.common import ROOT, is_project
from bench.database import BenchDatabase

HELPDESK_PEER_SECONDS = 152
#: Public numbers of the seeded appeals: a prefix the service never gives (it uses GX...).
ESCALATE_PREFIX = "BE"


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
        if is_project(func[0]) and "/bench/" not in func[0]
    ]
    total = max((c for c, _, _ in rows), default=0.0)
    print(f"  project functions by cumulative CPU (of {total:.2f} s CPU under cProfile):")
    for cumtime, calls, (filename, line, name) in sorted(rows, reverse=True)[:14]:
        print(f"    {cumtime:6.2f} s  {calls:6d} calls  {filename[len(str(ROOT)) + 1 :]}:{line}({name})")
