"""Checking a list for mistakes a loader cannot see, and reporting what it leaves uncovered.

`check_list` looks at references between items (units, categories, areas), conflicting and
duplicate rules, missing time limits and township governments. Every problem names the item's
file and line (or sheet and row), so a clerk can go straight to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .model import (
    APPEAL_TYPES,
    SCOPE_COUNTY,
    SCOPE_TERRITORIAL,
    UNIT_KINDS,
    URGENCIES,
    Area,
    Category,
    Limit,
    ResponsibilityList,
    Rule,
    Source,
)
from .problems import ListFormatError, Problem, sort_problems
from .text import t

#: Area levels and unit kinds as a message names them (the codes of model.AREA_LEVELS and UNIT_KINDS).
_AREA_LEVEL_WORDS = {"county": t("county"), "township": t("township"), "village": t("village")}
_UNIT_KIND_WORDS = {
    "department": t("department"),
    "township": t("township"),
    "centre": t("centre"),
    "other": t("other"),
}


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

    _check_units(lst, units, areas, error, warn)
    _check_categories(lst, categories, error)
    _check_rules(lst, units, categories, areas, error, warn)
    if lst.default_limits:
        _check_limits(lst.default_limits, Source(lst.source), "default_limits", error, warn)
    else:
        message = t(
            "the list has no default_limits: the centre cannot dispatch by hand to a unit no rule "
            "of the list gives the appeal"
        )
        warn(Source(lst.source), message)

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
        what = t("unit {code}", code=unit.code)
        if unit.kind not in UNIT_KINDS:
            message = t(
                "{what}: unknown kind {kind!r} (expected one of: {kinds})",
                what=what,
                kind=unit.kind,
                kinds=list(UNIT_KINDS),
            )
            error(unit.source, message)
        if unit.parent is not None and unit.parent not in units:
            error(unit.source, t("{what}: unknown parent unit {parent}", what=what, parent=unit.parent))
        if unit.kind == "township":
            area = areas.get(unit.area) if unit.area else None
            if not unit.area:
                error(
                    unit.source,
                    t(
                        "{what} is a township government but has no area (the 9-digit code it governs)",
                        what=what,
                    ),
                )
            elif area is None:
                error(
                    unit.source, t("{what}: area {area} is not in the areas list", what=what, area=unit.area)
                )
            elif area.level != "township":
                message = t(
                    "{what}: area {area} ({name}) is a {level}, not a township",
                    what=what,
                    area=unit.area,
                    name=area.name,
                    level=_AREA_LEVEL_WORDS.get(area.level, area.level),
                )
                error(unit.source, message)
            elif unit.area in governs:
                other = governs[unit.area]
                message = t(
                    "{what} and unit {other} ({other_source}) both govern {area} {name}",
                    what=what,
                    other=other.code,
                    other_source=other.source,
                    area=unit.area,
                    name=area.name,
                )
                error(unit.source, message)
            else:
                governs[unit.area] = unit
        elif unit.area is not None:
            message = t(
                "{what} is a {kind}, not a township: its area {area} is not used for routing",
                what=what,
                kind=_UNIT_KIND_WORDS.get(unit.kind, unit.kind),
                area=unit.area,
            )
            warn(unit.source, message)
        for step in unit.escalation:
            for code in step.units:
                if code not in units:
                    message = t(
                        "{what}: escalation level {level} names unknown unit {code}",
                        what=what,
                        level=step.level,
                        code=code,
                    )
                    error(unit.source, message)
        levels = [s.level for s in unit.escalation]
        if levels != sorted(set(levels)):
            message = t(
                "{what}: escalation levels {levels} should rise one step at a time",
                what=what,
                levels=str(levels),
            )
            warn(unit.source, message)
        if not unit.contacts:
            warn(unit.source, t("{what} has no duty contacts: notices to it cannot be delivered", what=what))
    for unit in _parent_cycles(units, lambda u: u.parent):
        error(unit.source, t("unit {code}: its chain of parent units loops back to itself", code=unit.code))


def _check_categories(lst, categories, error) -> None:
    for cat in lst.categories:
        what = t("category {code}", code=cat.code)
        if cat.parent is not None and cat.parent not in categories:
            error(cat.source, t("{what}: unknown parent category {parent}", what=what, parent=cat.parent))
        for kind in cat.usual_types:
            if kind not in APPEAL_TYPES:
                message = t(
                    "{what}: unknown appeal type {kind!r} in usual_types (expected: {types})",
                    what=what,
                    kind=kind,
                    types=" ".join(APPEAL_TYPES),
                )
                error(cat.source, message)
    for cat in _parent_cycles(categories, lambda c: c.parent):
        error(
            cat.source,
            t("category {code}: its chain of parent categories loops back to itself", code=cat.code),
        )


def _check_rules(lst, units, categories, areas, error, warn) -> None:
    seen: dict[tuple[str, str], Rule] = {}
    for rule in lst.rules:
        what = t("rule {id}", id=rule.id)
        src = rule.source
        if rule.category not in categories:
            error(src, t("{what}: unknown category {category}", what=what, category=rule.category))
        if rule.scope not in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
            area = areas.get(rule.scope)
            if area is None:
                message = t(
                    "{what}: unknown area {area} (not county, territorial or a code in the areas list)",
                    what=what,
                    area=rule.scope,
                )
                error(src, message)
            elif area.level == "county":
                error(
                    src,
                    t(
                        "{what}: area {area} is the county itself; write area: county",
                        what=what,
                        area=rule.scope,
                    ),
                )
        if rule.territorial:
            if rule.lead not in ("", SCOPE_TERRITORIAL):
                message = t(
                    "{what} is territorial, so the township government of the place leads it; "
                    "remove lead {lead} or write lead: territorial",
                    what=what,
                    lead=rule.lead,
                )
                error(src, message)
            for code in rule.co:
                if code in units and units[code].kind == "township":
                    message = t(
                        "{what} is territorial but lists township government {code} as co-unit; "
                        "the township of the place already leads territorial rules",
                        what=what,
                        code=code,
                    )
                    error(src, message)
        elif not rule.lead:
            error(src, t("{what} has no lead unit", what=what))
        elif rule.lead == SCOPE_TERRITORIAL:
            error(src, t("{what}: lead territorial is only for rules with area: territorial", what=what))
        elif rule.lead not in units:
            error(src, t("{what}: unknown lead unit {lead}", what=what, lead=rule.lead))
        for code in rule.co:
            if code not in units:
                error(src, t("{what}: unknown co-unit {code}", what=what, code=code))
            elif code == rule.lead:
                warn(src, t("{what} lists its lead unit {code} as a co-unit too", what=what, code=code))
        if len(set(rule.co)) != len(rule.co):
            warn(src, t("{what} lists a co-unit twice", what=what))
        _check_limits(rule.limits, rule.source, t("rule {id}", id=rule.id), error, warn)
        key = (rule.category, rule.scope)
        first = seen.get(key)
        if first is None:
            seen[key] = rule
        elif first.lead != rule.lead:
            message = t(
                "{what} conflicts with rule {other} ({other_source}): both assign category {category} "
                "in area {area}, to different leads {other_lead} and {lead}",
                what=what,
                other=first.id,
                other_source=first.source,
                category=rule.category,
                area=rule.scope,
                other_lead=first.lead or t("(none)"),
                lead=rule.lead or t("(none)"),
            )
            error(src, message)
        else:
            message = t(
                "{what} repeats rule {other} ({other_source}): same category {category} and area {area}",
                what=what,
                other=first.id,
                other_source=first.source,
                category=rule.category,
                area=rule.scope,
            )
            error(src, message)


def _check_limits(limits: dict[str, Limit], source: Source, what: Any, error, warn) -> None:
    """A set of limits (a rule's, or the list's default_limits): every urgency, each with a reply limit."""
    for urgency in URGENCIES:
        limit = limits.get(urgency)
        if limit is None:
            error(source, t("{what} has no {urgency} time limit", what=what, urgency=urgency))
        elif limit.reply_working_days is None and limit.reply_hours is None:
            message = t(
                "{what}: the {urgency} limit has no reply limit (reply_working_days or reply_hours)",
                what=what,
                urgency=urgency,
            )
            error(source, message)
        elif limit.reply_working_days is not None and limit.reply_hours is not None:
            message = t(
                "{what}: the {urgency} limit gives both reply_working_days and reply_hours",
                what=what,
                urgency=urgency,
            )
            error(source, message)
    for urgency in limits:
        if urgency not in URGENCIES:
            message = t(
                "{what}: unknown urgency {urgency!r} in limits (expected {urgencies})",
                what=what,
                urgency=urgency,
                urgencies=" ".join(URGENCIES),
            )
            error(source, message)
    signs = [(u, limits[u].sign_hours) for u in URGENCIES if u in limits]
    for (u1, s1), (u2, s2) in zip(signs, signs[1:], strict=False):
        if s2 > s1:
            message = t(
                "{what}: {more} sign-for limit ({more_hours} h) is longer than the {less} one ({less_hours} h)",
                what=what,
                more=u2,
                more_hours=s2,
                less=u1,
                less_hours=s1,
            )
            warn(source, message)


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
