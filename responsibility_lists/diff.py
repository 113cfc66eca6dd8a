"""What changed between two versions of a list: rules by id, units and categories by code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import DEFAULT_WORKING_HOURS, Contact, ResponsibilityList, Rule, Unit, period_text
from .xlsx_text import format_limits


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old or '—'} → {self.new or '—'}"


@dataclass(frozen=True)
class ItemChange:
    """One rule, unit or category present in both lists, with the fields that differ."""

    key: str
    changes: tuple[FieldChange, ...]
    item: Any  # the new version (its source says where to look)


@dataclass
class ListDiff:
    added: list[Rule] = field(default_factory=list)
    removed: list[Rule] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    added_units: list[Any] = field(default_factory=list)
    removed_units: list[Any] = field(default_factory=list)
    changed_units: list[ItemChange] = field(default_factory=list)
    added_categories: list[Any] = field(default_factory=list)
    removed_categories: list[Any] = field(default_factory=list)
    changed_categories: list[ItemChange] = field(default_factory=list)
    #: Changes to the list itself: jurisdiction, version, effective date, calendar, areas.
    meta: list[FieldChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f) for f in self.__dataclass_fields__)

    def format(self) -> str:
        if self.empty:
            return "No differences."
        lines = [f"  {c}" for c in self.meta]
        if lines:
            lines.insert(0, "List:")
        for title, added, removed, changed, show in (
            (
                "Units",
                self.added_units,
                self.removed_units,
                self.changed_units,
                lambda u: f"{u.code} {u.name}",
            ),
            (
                "Categories",
                self.added_categories,
                self.removed_categories,
                self.changed_categories,
                lambda c: f"{c.code} {c.name}",
            ),
            ("Rules", self.added, self.removed, self.changed, _rule_line),
        ):
            if not (added or removed or changed):
                continue
            lines.append(f"{title}: {len(added)} added, {len(removed)} removed, {len(changed)} changed")
            lines += [f"  + {show(item)}" for item in added]
            lines += [f"  - {show(item)}" for item in removed]
            for change in changed:
                where = f" ({change.item.source})" if str(change.item.source) else ""
                lines.append(f"  ~ {change.key}{where}")
                lines += [f"      {c}" for c in change.changes]
        return "\n".join(lines)


def _rule_line(rule: Rule) -> str:
    co = f" with {'、'.join(rule.co)}" if rule.co else ""
    return f"{rule.id}: category {rule.category}, area {rule.scope} → {rule.lead or '(no lead)'}{co}"


def _rule_fields(rule: Rule) -> dict[str, str]:
    return {
        "category": rule.category,
        "area": rule.scope,
        "lead": rule.lead,
        "co": "、".join(rule.co),
        "limits": format_limits(rule.limits),
        "basis": rule.basis,
        "note": rule.note,
    }


def _fields(item: Any, names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        value = getattr(item, name)
        if isinstance(value, tuple):
            value = "、".join(str(v) for v in value)
        out[name] = "" if value is None else str(value)
    return out


def _compare(old: dict[str, str], new: dict[str, str]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(k, old[k], new[k]) for k in old if old[k] != new[k])


def _by_key(
    a: list[Any], b: list[Any], key: Any, fields: Any
) -> tuple[list[Any], list[Any], list[ItemChange]]:
    old = {key(x): x for x in a}
    new = {key(x): x for x in b}
    added = [x for k, x in new.items() if k not in old]
    removed = [x for k, x in old.items() if k not in new]
    changed = []
    for k, x in new.items():
        if k in old:
            changes = _compare(fields(old[k]), fields(x))
            if changes:
                changed.append(ItemChange(k, changes, x))
    return added, removed, changed


_UNIT_FIELDS = ("name", "kind", "parent", "area")


def _contacts(contacts: tuple[Contact, ...]) -> str:
    return "；".join(
        " ".join(v for v in (c.name, c.title, c.phone, c.email, c.webhook) if v) for c in contacts
    )


def _unit_fields(unit: Unit) -> dict[str, str]:
    out = _fields(unit, _UNIT_FIELDS)
    out["contacts"] = _contacts(unit.contacts)
    out["escalation"] = "；".join(
        f"{s.level} {s.title} +{s.after_minutes}min"
        + "".join(f" {x}" for x in (_contacts(s.contacts), "、".join(s.units)) if x)
        for s in unit.escalation
    )
    return out


_CATEGORY_FIELDS = ("name", "parent", "keywords", "usual_types", "urgent")


def diff_lists(a: ResponsibilityList, b: ResponsibilityList) -> ListDiff:
    """Differences from list `a` (old) to list `b` (new)."""
    d = ListDiff()
    d.added, d.removed, d.changed = _by_key(list(a.rules), list(b.rules), lambda r: r.id, _rule_fields)
    d.added_units, d.removed_units, d.changed_units = _by_key(
        list(a.units), list(b.units), lambda u: u.code, _unit_fields
    )
    d.added_categories, d.removed_categories, d.changed_categories = _by_key(
        list(a.categories), list(b.categories), lambda c: c.code, lambda c: _fields(c, _CATEGORY_FIELDS)
    )
    ja, jb = a.jurisdiction, b.jurisdiction
    pairs = [
        ("jurisdiction", f"{ja.name} {ja.code} {ja.prefix}", f"{jb.name} {jb.code} {jb.prefix}"),
        ("version", a.version, b.version),
        ("effective", a.effective.isoformat(), b.effective.isoformat()),
        ("holidays", _days(a.calendar.holidays), _days(b.calendar.holidays)),
        ("workdays", _days(a.calendar.workdays), _days(b.calendar.workdays)),
        ("working_hours", _periods(a.calendar.working_hours), _periods(b.calendar.working_hours)),
    ]
    d.meta = [FieldChange(n, old, new) for n, old, new in pairs if old != new]
    area_a, area_b = {x.code: x for x in a.areas}, {x.code: x for x in b.areas}
    for code in [c for c in area_b if c not in area_a]:
        d.meta.append(FieldChange(f"area {code}", "", area_b[code].name))
    for code in [c for c in area_a if c not in area_b]:
        d.meta.append(FieldChange(f"area {code}", area_a[code].name, ""))
    for code in [c for c in area_b if c in area_a and area_a[c] != area_b[c]]:
        old, new = area_a[code], area_b[code]
        d.meta.append(FieldChange(f"area {code}", f"{old.name} {old.level}", f"{new.name} {new.level}"))
    return d


def _days(days: frozenset[Any]) -> str:
    return " ".join(d.isoformat() for d in sorted(days))


def _periods(periods: tuple[Any, ...]) -> str:
    """The working hours as the list writes them; none given reads as the default."""
    return " ".join(period_text(*p) for p in periods or DEFAULT_WORKING_HOURS)
