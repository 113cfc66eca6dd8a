"""Checking a list for mistakes a loader cannot see, and reporting what it leaves uncovered.

`check_list` looks at references between items (units, categories, areas), conflicting and
duplicate rules, missing time limits and township governments. Every problem names the item's
file and line (or sheet and row), so a clerk can go straight to it. The checks themselves are in
`check_units` (units, categories) and `check_rules` (rules, limits); `coverage` says what is open.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .check_rules import check_limits, check_rules
from .check_units import check_categories, check_units
from .coverage import Coverage, coverage
from .model import ResponsibilityList, Source
from .problems import ListFormatError, Problem, sort_problems
from .text import t


@dataclass
class CheckReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def from_format_error(cls, exc: ListFormatError) -> CheckReport:
        """A report for a file that could not be loaded at all."""
        return cls(errors=list(exc.problems), warnings=list(exc.warnings))

    def format(self) -> str:
        lines = [str(p) for p in self.errors]
        lines += [
            f"{p.source}: warning: {p.message}" if str(p.source) else f"warning: {p.message}"
            for p in self.warnings
        ]
        lines += self.coverage.lines()
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s).")
        return "\n".join(lines)


def check_file(path: str | os.PathLike[str]) -> tuple[ResponsibilityList | None, CheckReport]:
    """Load and check a list file; a file that cannot be loaded gives (None, its problems)."""
    from .loader import load_file

    try:
        lst = load_file(path)
    except ListFormatError as exc:
        return None, CheckReport.from_format_error(exc)
    return lst, check_list(lst)


def _first_by_code(items: Iterable, what: str, code: Callable, error: Callable) -> dict:
    """Index items by code; a second item with the same code is an error at its place."""
    index: dict = {}
    for item in items:
        key = code(item)
        if key in index:
            first = index[key].source
            error(
                item.source,
                t("{what} {code} is defined twice (first at {first})", what=what, code=key, first=first),
            )
        else:
            index[key] = item
    return index


def check_list(lst: ResponsibilityList) -> CheckReport:
    report = CheckReport()

    def error(source: Source, message: str) -> None:
        report.errors.append(Problem(source, message))

    def warn(source: Source, message: str) -> None:
        report.warnings.append(Problem(source, message))

    units = _first_by_code(lst.units, t("unit code"), lambda u: u.code, error)
    categories = _first_by_code(lst.categories, t("category code"), lambda c: c.code, error)
    _first_by_code(lst.rules, t("rule id"), lambda r: r.id, error)
    areas = {a.code: a for a in lst.areas}

    check_units(lst, units, areas, error, warn)
    check_categories(lst, categories, error)
    check_rules(lst, units, categories, areas, error, warn)
    if lst.default_limits:
        check_limits(lst.default_limits, Source(lst.source), "default_limits", error, warn)
    else:
        message = t(
            "the list has no default_limits: the centre cannot dispatch by hand to a unit no rule "
            "of the list gives the appeal"
        )
        warn(Source(lst.source), message)

    report.warnings += lst.read_warnings  # what the file's reader noticed (hidden rows, …)
    report.errors = sort_problems(report.errors)
    report.warnings = sort_problems(report.warnings)
    report.coverage = coverage(lst, categories)
    return report
