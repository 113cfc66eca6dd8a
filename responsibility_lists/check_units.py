"""The checks of a list's units and categories: kinds, places, duty contacts, parents that loop."""

from __future__ import annotations

from collections.abc import Callable

from .model import APPEAL_TYPES, UNIT_KINDS
from .text import t

#: Area levels and unit kinds as a message names them (the codes of model.AREA_LEVELS and UNIT_KINDS).
_AREA_LEVEL_WORDS = {"county": t("county"), "township": t("township"), "village": t("village")}
_UNIT_KIND_WORDS = {
    "department": t("department"),
    "township": t("township"),
    "centre": t("centre"),
    "other": t("other"),
}


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


def check_units(lst, units, areas, error, warn) -> None:
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


def check_categories(lst, categories, error) -> None:
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
