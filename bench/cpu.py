"""CPU accounting for the benchmarks: the CPU time of this process, of other processes (from
/proc), of the local PostgreSQL backends serving a database, and the machine's load average."""

from __future__ import annotations

import os
from pathlib import Path


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def cpu_of(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds (from /proc; missing where unavailable)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields_ = stat.rsplit(")", 1)[1].split()
        found[pid] = (int(fields_[11]) + int(fields_[12])) / tick  # fields 14 and 15 of stat(5)
    return found


def postgres_cpu(db_name: str) -> dict[int, float]:
    """CPU of the local PostgreSQL backends connected to the bench database (none if PG is remote)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {db_name} ".encode() in title:
            pids.append(int(entry.name))
    return cpu_of(pids)


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
