"""Escalation figure 1, urgent notice latency: under a steady intake load (clients posting appeals
at a fixed total rate, every K-th one 特急), the time from each urgent appeal's 201 to the first
SMS carrying its number at the fake gateway."""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import INTAKE_PATH, percentile
from bench.database import BenchDatabase
from bench.payloads import encode, make_payloads, request_headers
from bench.processes import Gunicorn, gunicorn_settings
from service.runner import web_threads, web_workers

LATENCY_TARGET_MS = 1000.0
URGENT = "特急"
ROUTINE = "一般"
#: A public number in an SMS text: the service's (GX...) and the seeded appeals' (BE..., SW...).
NUMBER = re.compile(r"[A-Z]{2}\d{8}-\d{4,}")


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


def measure_latency(db: BenchDatabase, gateway: Any, args: argparse.Namespace, problems: list[str]) -> None:
    bodies = encode(with_urgency(make_payloads(args.payloads), args.urgent))
    headers = request_headers(db.token)
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
