"""`python -m bench.intake --profile N`: the intake path in this process (Flask test client) against
the same kind of database, under cProfile: the SQL of one intake and where the CPU goes."""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import INTAKE_PATH, ROOT, is_project
from bench.database import bench_database
from bench.payloads import make_bodies


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
            elif is_project(filename):
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
            if is_project(func[0]) and not func[0].startswith(str(ROOT / "bench"))
        ]
        for cumtime, calls, (filename, line, name) in sorted(rows, reverse=True)[:25]:
            where = f"{filename[len(str(ROOT)) + 1 :]}:{line}({name})"
            print(f"  {cumtime / n * 1000:7.2f} ms/request  {calls / n:5.1f} calls  {where}")
    return 0
