"""Writing a list back as canonical YAML (the format `loader` reads).

Time limits are re-grouped into `limit_profiles` named after their content, e.g.
`24h-10d_2h-24h_0.5h-4h` = 一般 sign 24 h, reply 10 working days; 紧急 2 h / 24 h; 特急 0.5 h / 4 h.
Loading the output gives back an equal list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml
from yaml.resolver import Resolver

from .model import (
    URGENCIES,
    Category,
    Contact,
    EscalationStep,
    Limit,
    ResponsibilityList,
    Rule,
    Unit,
    period_text,
)

_RESOLVER = Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_NEEDS_QUOTES = set(":#{}[],'\"\\\n\r\t")  # anywhere in a plain scalar, to be safe in flow style
_BAD_START = set("-?&*!|>%@` ")


def number_text(value: float) -> str:
    """24.0 → "24", 0.5 → "0.5" (repr keeps every float exact)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def scalar(value: Any) -> str:
    """One value as a YAML scalar, quoted only when YAML would otherwise read it as something else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    plain = (
        text
        and text == text.strip()
        and text[0] not in _BAD_START
        and not _NEEDS_QUOTES.intersection(text)
        and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def flow(items: Iterable[tuple[str, Any]]) -> str:
    """A one-line mapping; values already rendered."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def flow_list(values: Iterable[Any]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def limit_flow(limit: Limit) -> str:
    items = [("sign_hours", scalar(limit.sign_hours))]
    if limit.reply_working_days is not None:
        items.append(("reply_working_days", scalar(limit.reply_working_days)))
    if limit.reply_hours is not None:
        items.append(("reply_hours", scalar(limit.reply_hours)))
    return flow(items)


def ordered_limits(limits: dict[str, Limit]) -> list[tuple[str, Limit]]:
    """Limits in urgency order (any unexpected keys after)."""
    known = [(u, limits[u]) for u in URGENCIES if u in limits]
    return known + [(u, lim) for u, lim in limits.items() if u not in URGENCIES]


def profile_name(limits: dict[str, Limit]) -> str:
    def part(limit: Limit) -> str:
        text = f"{number_text(limit.sign_hours)}h"
        if limit.reply_working_days is not None:
            text += f"-{limit.reply_working_days}d"
        if limit.reply_hours is not None:
            text += f"-{number_text(limit.reply_hours)}h"
        return text

    return "_".join(part(limit) for _, limit in ordered_limits(limits))


def _profiles(rules: Iterable[Rule]) -> dict[tuple[Any, ...], str]:
    """Distinct limit sets in order of first use, each with a unique name."""
    names: dict[tuple[Any, ...], str] = {}
    taken: set[str] = set()
    for rule in rules:
        if not rule.limits:
            continue
        key = tuple(ordered_limits(rule.limits))
        if key not in names:
            name = base = profile_name(rule.limits)
            n = 2
            while name in taken:
                name, n = f"{base}~{n}", n + 1
            names[key] = name
            taken.add(name)
    return names


def _contact(c: Contact) -> str:
    items = [("name", scalar(c.name))]
    items += [(k, scalar(getattr(c, k))) for k in ("title", "phone", "email", "webhook") if getattr(c, k)]
    return flow(items)


def _step(step: EscalationStep) -> str:
    items = [
        ("level", scalar(step.level)),
        ("title", scalar(step.title)),
        ("after_minutes", scalar(step.after_minutes)),
    ]
    if step.contacts:
        items.append(("contacts", "[" + ", ".join(_contact(c) for c in step.contacts) + "]"))
    if step.units:
        items.append(("units", flow_list(step.units)))
    return flow(items)


def _unit(out: list[str], unit: Unit) -> None:
    out.append(f"  - code: {scalar(unit.code)}")
    out.append(f"    name: {scalar(unit.name)}")
    out.append(f"    kind: {scalar(unit.kind)}")
    if unit.parent is not None:
        out.append(f"    parent: {scalar(unit.parent)}")
    if unit.area is not None:
        out.append(f"    area: {scalar(unit.area)}")
    if unit.contacts:
        out.append("    contacts:")
        out.extend(f"      - {_contact(c)}" for c in unit.contacts)
    if unit.escalation:
        out.append("    escalation:")
        out.extend(f"      - {_step(s)}" for s in unit.escalation)


def _categories(
    out: list[str], nodes: list[Category], children: dict[str | None, list[Category]], pad: str
) -> None:
    for cat in nodes:
        out.append(f"{pad}- code: {scalar(cat.code)}")
        out.append(f"{pad}  name: {scalar(cat.name)}")
        if cat.keywords:
            out.append(f"{pad}  keywords: {flow_list(cat.keywords)}")
        if cat.usual_types:
            out.append(f"{pad}  usual_types: {flow_list(cat.usual_types)}")
        if cat.urgent:
            out.append(f"{pad}  urgent: true")
        kids = children.get(cat.code, [])
        if kids:
            out.append(f"{pad}  children:")
            _categories(out, kids, children, pad + "    ")


def _rule(out: list[str], rule: Rule, profile: str | None) -> None:
    out.append(f"  - id: {scalar(rule.id)}")
    out.append(f"    category: {scalar(rule.category)}")
    out.append(f"    area: {scalar(rule.scope)}")
    if rule.lead:
        out.append(f"    lead: {scalar(rule.lead)}")
    if rule.co:
        out.append(f"    co: {flow_list(rule.co)}")
    if profile is not None:
        out.append(f"    limits: {scalar(profile)}")
    if rule.basis:
        out.append(f"    basis: {scalar(rule.basis)}")
    if rule.note:
        out.append(f"    note: {scalar(rule.note)}")


def dump_yaml(lst: ResponsibilityList) -> str:
    """The list as canonical YAML text."""
    j = lst.jurisdiction
    out = [
        f"# 职责清单 {j.name} {lst.version}",
        "jurisdiction: "
        + flow([("name", scalar(j.name)), ("code", scalar(j.code)), ("prefix", scalar(j.prefix))]),
        f"version: {scalar(lst.version)}",
        f"effective: {scalar(lst.effective)}",
    ]
    if lst.areas_file is not None:
        out.append(f"areas_file: {scalar(lst.areas_file)}")
    else:
        out.append("areas:" + ("" if lst.areas else " []"))
        for a in lst.areas:
            items = [("code", scalar(a.code)), ("name", scalar(a.name)), ("level", scalar(a.level))]
            if a.parent is not None:
                items.append(("parent", scalar(a.parent)))
            out.append(f"  - {flow(items)}")
    if lst.calendar.holidays or lst.calendar.workdays or lst.calendar.working_hours:
        out.append("calendar:")
        out.append(f"  holidays: {flow_list(sorted(lst.calendar.holidays))}")
        out.append(f"  workdays: {flow_list(sorted(lst.calendar.workdays))}")
        if lst.calendar.working_hours:
            periods = [period_text(a, b) for a, b in lst.calendar.working_hours]
            out.append(f"  working_hours: {flow_list(periods)}")
    profiles = _profiles(lst.rules)
    if profiles:
        out.append(
            "# Profile names are generated: sign-reply per urgency 一般_紧急_特急 (h = hours, d = working days)."
        )
        out.append("limit_profiles:")
        for key, name in profiles.items():
            out.append(f"  {scalar(name)}:")
            out.extend(f"    {scalar(urgency)}: {limit_flow(limit)}" for urgency, limit in key)
    if lst.default_limits:
        named = profiles.get(tuple(ordered_limits(lst.default_limits)))
        if named is not None:
            out.append(f"default_limits: {scalar(named)}")
        else:
            out.append("default_limits:")
            out.extend(
                f"  {scalar(u)}: {limit_flow(limit)}" for u, limit in ordered_limits(lst.default_limits)
            )
    out.append("units:" + ("" if lst.units else " []"))
    for unit in lst.units:
        _unit(out, unit)
    codes = {c.code for c in lst.categories}
    children: dict[str | None, list[Category]] = {}
    for cat in lst.categories:
        # A parent that is not in the list (only possible from a hand-edited workbook) cannot nest.
        children.setdefault(cat.parent if cat.parent in codes else None, []).append(cat)
    out.append("categories:" + ("" if lst.categories else " []"))
    _categories(out, children.get(None, []), children, "  ")
    out.append("rules:" + ("" if lst.rules else " []"))
    for rule in lst.rules:
        _rule(out, rule, profiles.get(tuple(ordered_limits(rule.limits))) if rule.limits else None)
    return "\n".join(out) + "\n"
