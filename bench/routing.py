"""Routing benchmark: `python -m bench.routing`.

Times `Router.route` on synthetic lists of 100 to 100,000 rules over the same number of
pre-generated random requests. Each size runs in a process of its own, as a router does in
production (one active list per process; another size's heap would only pollute the caches), and
the runs are interleaved across the sizes (100, 1k, 10k, 100k, 100, 1k, ...) keeping each size's
best, so a busy moment on a noisy machine hits every size alike instead of skewing the ratio.
The requests are passed from three flat columns (category, area, urgency), not from 100,000
small tuples: tuples allocated after building a large list land in the holes its construction
left all over the heap, so merely iterating them cost about 100 ns more per request in the
100,000-rule process than in the 100-rule one, a cost of the benchmark's input that a router
serving real requests (each built just before it is routed) does not pay.
Then the time to read, check, store and activate a 10,000-rule list.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tempfile
import time

from bench.listgen import generate, sample_requests, write_yaml
from dispatch.routing import Router

SIZES = (100, 1_000, 10_000, 100_000)
SAMPLE = 100_000
ROUNDS = 3  # interleaved runs of every size, one process each
PASSES = 3  # timed passes per run
TARGET_RATE = 200_000  # decisions/s at 10,000 rules
TARGET_RATIO = 1.5  # 100,000 rules vs 100 rules
TARGET_LOAD_SECONDS = 5.0


#: The requests of a pass as columns: categories, areas, urgencies (contiguous arrays of pointers).
Columns = tuple[list[str], list[str], list[str]]


def time_pass(router: Router, columns: Columns) -> float:
    """Seconds for one pass over the requests, with the cyclic GC paused as `timeit` does: its
    passes walk every live object, so they would charge the size of the whole heap to routing."""
    route = router.route
    categories, areas, urgencies = columns
    gc.disable()
    try:
        t0 = time.perf_counter()
        for category, area, urgency in zip(categories, areas, urgencies, strict=True):
            route(category, area, urgency)
        return time.perf_counter() - t0
    finally:
        gc.enable()


def best_rate(n_rules: int, passes: int = PASSES) -> float:
    """Decisions per second for one list size: the best of `passes` passes, in this process."""
    router = Router(generate(n_rules))
    sample = sample_requests(router.list, SAMPLE)
    columns = ([c for c, _, _ in sample], [a for _, a, _ in sample], [u for _, _, u in sample])
    del sample
    gc.collect()
    return SAMPLE / min(time_pass(router, columns) for _ in range(passes))


def route_rates(sizes: tuple[int, ...] = SIZES, rounds: int = ROUNDS) -> dict[int, float]:
    """Best decisions per second per size over `rounds` interleaved runs, one process per run."""
    best = dict.fromkeys(sizes, 0.0)
    for _ in range(rounds):
        for n in sizes:
            out = subprocess.run(
                [sys.executable, "-m", "bench.routing", "--size", str(n)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            best[n] = max(best[n], float(out.strip()))
    return best


def time_check_load(n_rules: int = 10_000) -> str:
    """`minyi lists load` on a generated list: read the YAML, check it, store it as a version and
    activate it (units, categories and areas refreshed) in a fresh SQLite database."""
    from responsibility_lists.check import check_list
    from responsibility_lists.loader import load_file
    from service import create_app, db, migrate
    from service.lists.operations import activate_version, store_version

    with tempfile.TemporaryDirectory() as tmp:
        path = write_yaml(generate(n_rules), tmp)
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "SECRET_KEY": "bench", "VAR_DIR": tmp})
        with app.app_context():
            s = db.session()
            t0 = time.perf_counter()
            lst = load_file(path)
            report = check_list(lst)
            t_check = time.perf_counter() - t0
            version, _ = store_version(s, lst, loaded_by="bench")
            activate_version(s, version, by="bench")
            s.commit()
            elapsed = time.perf_counter() - t0
            errors = list(report.errors)
    suffix = f" ({len(errors)} errors reported, first: {errors[0]})" if errors else ""
    verdict = "met" if elapsed < TARGET_LOAD_SECONDS and not errors else "NOT met"
    return (
        f"check+load {n_rules} rules: {elapsed:.2f} s (read+check {t_check:.2f} s, store+activate "
        f"{elapsed - t_check:.2f} s; target < {TARGET_LOAD_SECONDS:.0f} s: {verdict}){suffix}"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--size":  # one run, in a child process
        print(best_rate(int(sys.argv[2])))
        return
    rates = route_rates()
    for n in SIZES:
        print(f"{n} rules: {rates[n]:.0f} decisions/s")
    ratio = rates[SIZES[0]] / rates[SIZES[-1]]
    print(f"ratio {SIZES[-1]}/{SIZES[0]}: {ratio:.2f}x slower")
    rate_ok = rates[10_000] >= TARGET_RATE
    ratio_ok = ratio <= TARGET_RATIO
    print(
        f"targets: >= {TARGET_RATE:,} decisions/s at 10000 rules {'met' if rate_ok else 'NOT met'}; "
        f"<= {TARGET_RATIO}x at {SIZES[-1]} rules {'met' if ratio_ok else 'NOT met'}"
    )
    print(time_check_load())


if __name__ == "__main__":
    main()
