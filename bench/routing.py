"""Routing benchmark: `python -m bench.routing`.

Times `Router.route` on synthetic lists of 100 to 100,000 rules over the same number of
pre-generated random requests (best of several rounds), then the time to load and check a
10,000-rule YAML list when the loader and checker exist.
"""

from __future__ import annotations

import gc
import importlib
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench.listgen import generate, sample_requests, write_yaml
from dispatch.routing import Router

SIZES = (100, 1_000, 10_000, 100_000)
SAMPLE = 100_000
ROUNDS = 5
TARGET_RATE = 200_000  # decisions/s at 10,000 rules
TARGET_RATIO = 1.5  # 100,000 rules vs 100 rules


def time_routes(router: Router, requests: list[tuple[str, str, str]], rounds: int = ROUNDS) -> float:
    """Best decisions per second over `rounds` passes."""
    route = router.route
    best = float("inf")
    gc.collect()
    for _ in range(rounds):
        t0 = time.perf_counter()
        for category, area, urgency in requests:
            route(category, area, urgency)
        best = min(best, time.perf_counter() - t0)
    return len(requests) / best


def time_check_load(n_rules: int = 10_000) -> str:
    """Load and check a generated YAML list with the other helpers' reader and checker."""
    try:
        loader = importlib.import_module("responsibility_lists.loader")
        check = importlib.import_module("responsibility_lists.check")
        load_file: Callable[..., Any] = loader.load_file
        check_list: Callable[..., Any] = check.check_list
    except (ImportError, AttributeError) as e:
        return f"check+load {n_rules} rules: skipped ({e})"
    with tempfile.TemporaryDirectory() as tmp:
        path = write_yaml(generate(n_rules), tmp)
        t0 = time.perf_counter()
        lst = load_file(path)
        report = check_list(lst)
        elapsed = time.perf_counter() - t0
    # A report with `.errors` (CheckReport), or a plain list of problems.
    errors = list(getattr(report, "errors", report) or [])
    suffix = f" ({len(errors)} errors reported, first: {errors[0]})" if errors else ""
    return f"check+load {n_rules} rules: {elapsed:.2f} s{suffix}"


def main() -> None:
    rates: dict[int, float] = {}
    for n in SIZES:
        router = Router(generate(n))
        requests = sample_requests(router.list, SAMPLE)
        rates[n] = time_routes(router, requests)
        print(f"{n} rules: {rates[n]:.0f} decisions/s")
        del router, requests
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
