"""What the intake and escalation benchmarks share that is not a process or a database: the
project root, the intake endpoint, the percentile they report and how a profile tells the
project's own functions apart."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTAKE_PATH = "/api/v1/appeals"


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def is_project(filename: str) -> bool:
    """Whether a profiled function's file is the project's own code (not an installed package)."""
    return filename.startswith(str(ROOT)) and "site-packages" not in filename
