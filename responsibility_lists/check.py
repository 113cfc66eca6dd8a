"""Checking a list for mistakes a loader cannot see, and reporting what it leaves uncovered.

`check_list` looks at references between items (units, categories, areas), conflicting and
duplicate rules, missing time limits and township governments. Every problem names the item's
file and line (or sheet and row), so a clerk can go straight to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .model import (
    APPEAL_TYPES,
    SCOPE_COUNTY,
    SCOPE_TERRITORIAL,
    UNIT_KINDS,
    URGENCIES,
    Area,
    Category,
    ResponsibilityList,
    Rule,
    Source,
)
from .problems import ListFormatError, Problem, sort_problems


@dataclass
class Coverage:
    """What the list leaves open (not errors: a list may be built up over several versions)."""

    #: Categories no rule reaches (a rule on a category reaches it and everything below), tree order.
    unreached_categories: list[Category] = field(default_factory=list)
    #: Townships with no township-government unit, listed only when territorial rules exist.
    townships_without_government: list[Area] = field(default_factory=list)
    #: The unreached categories as a clerk would read them: the top of each gap, with the number of
    #: categories below it when its whole subtree is unreached, or None when some below are reached.
    gaps: list[tuple[Category, int | None]] = field(default_factory=list)


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
        return cls(errors=list(exc.problems))

    def format(self) -> str:
        lines = [str(p) for p in self.errors]
        lines += [
            f"{p.source}: warning: {p.message}" if str(p.source) else f"warning: {p.message}"
            for p in self.warnings
        ]
        cov = self.coverage
        if cov.unreached_categories or cov.townships_without_government:
            lines.append("Coverage:")
        if cov.unreached_categories:
            lines.append(f"  categories no rule reaches ({len(cov.unreached_categories)}):")
            for cat, below in cov.gaps:
                if below is not None:
                    more = f" and the {below} categories below it" if below else ""
                    lines.append(f"    {cat.code} {cat.name}{more} ({cat.source})")
            partial = [cat for cat, below in cov.gaps if below is None]
            if partial:
                shown = ", ".join(f"{c.code} {c.name}" for c in partial[:5])
                more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
                lines.append(
                    f"    {len(partial)} with rules only for categories below them (an appeal classified at that "
                    f"level finds no rule): {shown}{more}"
                )
        if cov.townships_without_government:
            lines.append(
                f"  townships without a township-government unit ({len(cov.townships_without_government)}):"
                " territorial rules cannot be routed there"
            )
            lines += [f"    {a.code} {a.name}" for a in cov.townships_without_government]
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
            error(item.source, f"{what} {key} is defined twice (first at {index[key].source})")
        else:
            index[key] = item
    return index


def check_list(lst: ResponsibilityList) -> CheckReport:
    report = CheckReport()

    def error(source: Source, message: str) -> None:
        report.errors.append(Problem(source, message))

    def warn(source: Source, message: str) -> None:
        report.warnings.append(Problem(source, message))

    units = _first_by_code(lst.units, "unit code", lambda u: u.code, error)
    categories = _first_by_code(lst.categories, "category code", lambda c: c.code, error)
    _first_by_code(lst.rules, "rule id", lambda r: r.id, error)
    areas = {a.code: a for a in lst.areas}

    _check_units(lst, units, areas, error, warn)
    _check_categories(lst, categories, error)
    _check_rules(lst, units, categories, areas, error, warn)

    report.errors = sort_problems(report.errors)
    report.warnings = sort_problems(report.warnings)
    report.coverage = _coverage(lst, categories, units)
    return report


def _parent_cycles(items: dict, parent_of: Callable) -> list:
    """Items whose chain of parents comes back to them."""
    state: dict[str, int] = {}  # 1 = on the current chain, 2 = done
    cyclic = []
    for start in items:
        chain = []
        code = start
        while code in items and code not in state:
            state[code] = 1
            chain.append(code)
            code = parent_of(items[code])
        if code in state and state[code] == 1:
            cyclic.append(items[code])
        for c in chain:
            state[c] = 2
    return cyclic


def _check_units(lst, units, areas, error, warn) -> None:
    governs: dict[str, object] = {}
    for unit in lst.units:
        what = f"unit {unit.code}"
        if unit.kind not in UNIT_KINDS:
            error(
                unit.source, f"{what}: unknown kind {unit.kind!r} (expected one of: {', '.join(UNIT_KINDS)})"
            )
        if unit.parent is not None and unit.parent not in units:
            error(unit.source, f"{what}: unknown parent unit {unit.parent}")
        if unit.kind == "township":
            area = areas.get(unit.area) if unit.area else None
            if not unit.area:
                error(
                    unit.source,
                    f"{what} is a township government but has no area (the 9-digit code it governs)",
                )
            elif area is None:
                error(unit.source, f"{what}: area {unit.area} is not in the areas list")
            elif area.level != "township":
                error(
                    unit.source, f"{what}: area {unit.area} ({area.name}) is a {area.level}, not a township"
                )
            elif unit.area in governs:
                other = governs[unit.area]
                error(
                    unit.source,
                    f"{what} and unit {other.code} ({other.source}) both govern {unit.area} {area.name}",
                )
            else:
                governs[unit.area] = unit
        elif unit.area is not None:
            warn(
                unit.source,
                f"{what} is a {unit.kind}, not a township: its area {unit.area} is not used for routing",
            )
        for step in unit.escalation:
            for code in step.units:
                if code not in units:
                    error(unit.source, f"{what}: escalation level {step.level} names unknown unit {code}")
        levels = [s.level for s in unit.escalation]
        if levels != sorted(set(levels)):
            warn(unit.source, f"{what}: escalation levels {levels} should rise one step at a time")
        if not unit.contacts:
            warn(unit.source, f"{what} has no duty contacts: notices to it cannot be delivered")
    for unit in _parent_cycles(units, lambda u: u.parent):
        error(unit.source, f"unit {unit.code}: its chain of parent units loops back to itself")


def _check_categories(lst, categories, error) -> None:
    for cat in lst.categories:
        what = f"category {cat.code}"
        if cat.parent is not None and cat.parent not in categories:
            error(cat.source, f"{what}: unknown parent category {cat.parent}")
        for kind in cat.usual_types:
            if kind not in APPEAL_TYPES:
                error(
                    cat.source,
                    f"{what}: unknown appeal type {kind!r} in usual_types (expected: {' '.join(APPEAL_TYPES)})",
                )
    for cat in _parent_cycles(categories, lambda c: c.parent):
        error(cat.source, f"category {cat.code}: its chain of parent categories loops back to itself")


def _check_rules(lst, units, categories, areas, error, warn) -> None:
    seen: dict[tuple[str, str], Rule] = {}
    for rule in lst.rules:
        what = f"rule {rule.id}"
        src = rule.source
        if rule.category not in categories:
            error(src, f"{what}: unknown category {rule.category}")
        if rule.scope not in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
            area = areas.get(rule.scope)
            if area is None:
                error(
                    src,
                    f"{what}: unknown area {rule.scope} (not county, territorial or a code in the areas list)",
                )
            elif area.level == "county":
                error(src, f"{what}: area {rule.scope} is the county itself; write area: county")
        if rule.territorial:
            if rule.lead not in ("", SCOPE_TERRITORIAL):
                error(
                    src,
                    f"{what} is territorial, so the township government of the place leads it; "
                    f"remove lead {rule.lead} or write lead: territorial",
                )
            for code in rule.co:
                if code in units and units[code].kind == "township":
                    error(
                        src,
                        f"{what} is territorial but lists township government {code} as co-unit; "
                        "the township of the place already leads territorial rules",
                    )
        elif not rule.lead:
            error(src, f"{what} has no lead unit")
        elif rule.lead == SCOPE_TERRITORIAL:
            error(src, f"{what}: lead territorial is only for rules with area: territorial")
        elif rule.lead not in units:
            error(src, f"{what}: unknown lead unit {rule.lead}")
        for code in rule.co:
            if code not in units:
                error(src, f"{what}: unknown co-unit {code}")
            elif code == rule.lead:
                warn(src, f"{what} lists its lead unit {code} as a co-unit too")
        if len(set(rule.co)) != len(rule.co):
            warn(src, f"{what} lists a co-unit twice")
        _check_limits(rule, error, warn)
        key = (rule.category, rule.scope)
        first = seen.get(key)
        if first is None:
            seen[key] = rule
        elif first.lead != rule.lead:
            error(
                src,
                f"{what} conflicts with rule {first.id} ({first.source}): both assign category {rule.category} "
                f"in area {rule.scope}, to different leads {first.lead or '(none)'} and {rule.lead or '(none)'}",
            )
        else:
            error(
                src,
                f"{what} repeats rule {first.id} ({first.source}): same category {rule.category} and area {rule.scope}",
            )


def _check_limits(rule: Rule, error, warn) -> None:
    what = f"rule {rule.id}"
    for urgency in URGENCIES:
        limit = rule.limits.get(urgency)
        if limit is None:
            error(rule.source, f"{what} has no {urgency} time limit")
        elif limit.reply_working_days is None and limit.reply_hours is None:
            error(
                rule.source,
                f"{what}: the {urgency} limit has no reply limit (reply_working_days or reply_hours)",
            )
        elif limit.reply_working_days is not None and limit.reply_hours is not None:
            error(rule.source, f"{what}: the {urgency} limit gives both reply_working_days and reply_hours")
    for urgency in rule.limits:
        if urgency not in URGENCIES:
            error(
                rule.source, f"{what}: unknown urgency {urgency!r} in limits (expected {' '.join(URGENCIES)})"
            )
    signs = [(u, rule.limits[u].sign_hours) for u in URGENCIES if u in rule.limits]
    for (u1, s1), (u2, s2) in zip(signs, signs[1:], strict=False):
        if s2 > s1:
            warn(rule.source, f"{what}: {u2} sign-for limit ({s2} h) is longer than the {u1} one ({s1} h)")


def _coverage(lst: ResponsibilityList, categories: dict, units: dict) -> Coverage:
    targeted = {r.category for r in lst.rules}
    reached: dict[str, bool] = {}

    def is_reached(code: str) -> bool:
        chain = []
        while code not in reached:
            if code in targeted:
                reached[code] = True
                break
            chain.append(code)
            parent = categories[code].parent if code in categories else None
            if parent is None or parent not in categories or parent in chain:
                reached[code] = False
                break
            code = parent
        answer = reached[code]
        for c in chain:
            reached[c] = answer
        return answer

    cov = Coverage(unreached_categories=[c for c in lst.categories if not is_reached(c.code)])
    # Whole unreached subtrees collapse into their top; partly reached ones are shown as such.
    children: dict[str, list[str]] = {}
    for cat in lst.categories:
        if cat.parent is not None:
            children.setdefault(cat.parent, []).append(cat.code)
    size: dict[str, int | None] = {}  # categories below, or None when some of them are reached
    for cat in reversed(lst.categories):  # children come after their parent in tree order
        if is_reached(cat.code):
            size[cat.code] = None
            continue
        total: int | None = 0
        for child in children.get(cat.code, ()):
            below = size.get(child)
            total = None if total is None or below is None else total + 1 + below
        size[cat.code] = total
    for cat in cov.unreached_categories:
        parent_size = size.get(cat.parent) if cat.parent is not None else None
        if cat.parent is None or parent_size is None:
            cov.gaps.append((cat, size.get(cat.code)))
    if any(r.territorial for r in lst.rules):
        governed = {u.area for u in lst.units if u.kind == "township"}
        cov.townships_without_government = [
            a for a in lst.areas if a.level == "township" and a.code not in governed
        ]
    return cov
