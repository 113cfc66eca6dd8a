"""The intake benchmark's HTTP load generator: a thread per client in this process, each with its
own keep-alive `http.client` connection, posting appeals back to back for a phase (`run_phase`);
every status checked, every latency kept, and the CPU each side used meanwhile."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.common import INTAKE_PATH, percentile
from bench.cpu import cpu_of, own_cpu, postgres_cpu


@dataclass
class Result:
    """What the clients saw in one phase, and the CPU each side used meanwhile."""

    ok: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    generator_cpu: float = 0.0  # this process's CPU seconds during the phase
    gunicorn_cpu: float = 0.0  # the gunicorn master and workers
    postgres_cpu: float | None = None  # the PostgreSQL backends serving the bench database

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


class Client:
    """One concurrent client: a keep-alive connection, requests back to back until the deadline."""

    def __init__(self, port: int, bodies: list[bytes], headers: dict[str, str], offset: int, stride: int):
        self.bodies, self.headers = bodies, headers
        self.index, self.stride = offset, stride
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.start_at = self.deadline = 0.0
        self.ok = 0
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    def reset(self, start_at: float, deadline: float) -> None:
        self.start_at, self.deadline = start_at, deadline
        self.ok, self.latencies, self.errors = 0, [], Counter()

    def run(self) -> None:
        clock, bodies, n = time.perf_counter, self.bodies, len(self.bodies)
        while clock() < self.start_at:
            time.sleep(0.0005)
        while clock() < self.deadline:
            body = bodies[self.index % n]
            self.index += self.stride
            t0 = clock()
            try:
                self.conn.request("POST", INTAKE_PATH, body, self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors[f"{type(exc).__name__}: {exc}"] += 1
                self.conn.close()  # reopened by the next request
                continue
            elapsed = clock() - t0
            if response.status == 201:
                self.ok += 1
                self.latencies.append(elapsed)
            else:
                self.errors[f"HTTP {response.status}: {data[:300].decode('utf-8', 'replace')}"] += 1
            if response.will_close:
                self.conn.close()


def run_phase(clients: list[Client], seconds: float, server_pids: list[int], db_name: str) -> Result:
    start = time.perf_counter() + 0.05
    for c in clients:
        c.reset(start, start + seconds)
    # A thread per client and phase; the client (its connection) carries over from warm-up.
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    own0, gunicorn0, pg0 = own_cpu(), cpu_of(server_pids), postgres_cpu(db_name)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.perf_counter()
    pg1 = postgres_cpu(db_name)
    result = Result(
        elapsed=end - start,
        generator_cpu=own_cpu() - own0,
        gunicorn_cpu=sum(cpu_of(server_pids).values()) - sum(gunicorn0.values()),
        postgres_cpu=sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items()) if pg1 else None,
    )
    for c in clients:
        result.ok += c.ok
        result.latencies.extend(c.latencies)
        result.errors.update(c.errors)
    return result
