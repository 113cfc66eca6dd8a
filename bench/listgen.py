"""Synthetic responsibility lists of a realistic shape, for benchmarks and load tests.

A county, 20 townships, 15 villages each (synthetic division codes), about 30 line departments
and one government per township, and a three-level category tree sized to the rule count: every
level-1 and level-2 node and most leaves carry a county-wide or territorial rule, and the rest are
township- or village-specific rules on leaves. Deterministic for a given size and seed.
"""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from responsibility_lists.model import (
    SCOPE_COUNTY,
    SCOPE_TERRITORIAL,
    URGENCIES,
    Area,
    Calendar,
    Category,
    Contact,
    EscalationStep,
    Jurisdiction,
    Limit,
    ResponsibilityList,
    Rule,
    Unit,
)

COUNTY = "369900"
TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = 15
DEPARTMENTS = 30

PROFILES: dict[str, dict[str, Limit]] = {
    "standard": {
        "一般": Limit(sign_hours=2, reply_working_days=5),
        "紧急": Limit(sign_hours=0.5, reply_hours=24),
        "特急": Limit(sign_hours=0.25, reply_hours=2),
    },
    "complex": {
        "一般": Limit(sign_hours=4, reply_working_days=15),
        "紧急": Limit(sign_hours=1, reply_hours=48),
        "特急": Limit(sign_hours=0.5, reply_hours=4),
    },
}


def generate(n_rules: int, seed: int = 1) -> ResponsibilityList:
    """A list with exactly `n_rules` rules (at least 10)."""
    if n_rules < 10:
        raise ValueError("n_rules must be at least 10")
    rnd = random.Random(seed)
    areas = _areas()
    townships = [a.code for a in areas if a.level == "township"]
    specific_scopes = [a.code for a in areas if a.level != "county"]
    units = _units(townships)
    departments = [u.code for u in units if u.kind == "department"]
    categories = _categories(n_rules, rnd)
    nodes = [c.code for c in categories]
    leaves = [c.code for c in categories if len(c.code) == 6]

    rules: list[Rule] = []
    taken: set[tuple[str, str]] = set()

    def add(category: str, scope: str) -> None:
        taken.add((category, scope))
        territorial = scope == SCOPE_TERRITORIAL
        lead = SCOPE_TERRITORIAL if territorial else rnd.choice(departments)
        co = tuple(rnd.sample([d for d in departments if d != lead], rnd.choice((0, 0, 1, 1, 2))))
        profile = "complex" if rnd.random() < 0.2 else "standard"
        rules.append(
            Rule(
                id=f"SY-{len(rules) + 1:06d}",
                category=category,
                scope=scope,
                lead=lead,
                co=co,
                limits=PROFILES[profile],
                basis=f"《示例条例》第{rnd.randint(1, 60)}条",
                note="边界说明示例" if rnd.random() < 0.1 else "",
            )
        )

    # Generic rules first (so that most requests find something), then specific ones on leaves.
    for code in nodes:
        if len(rules) >= n_rules:
            break
        if len(code) < 6 or rnd.random() < 0.7:
            add(code, SCOPE_TERRITORIAL if len(code) > 2 and rnd.random() < 0.4 else SCOPE_COUNTY)
    while len(rules) < n_rules:
        category = rnd.choice(leaves)
        scope = rnd.choice(townships) if rnd.random() < 0.25 else rnd.choice(specific_scopes)
        if (category, scope) not in taken:
            add(category, scope)

    return ResponsibilityList(
        jurisdiction=Jurisdiction(name="示例县", code=COUNTY, prefix="SY"),
        version=f"synthetic-{n_rules}",
        effective=date(2026, 1, 1),
        units=tuple(units),
        areas=tuple(areas),
        categories=tuple(categories),
        rules=tuple(rules),
        calendar=Calendar(holidays=frozenset({date(2026, 6, 1)}), workdays=frozenset()),
        default_limits=PROFILES["standard"],
    )


def _areas() -> list[Area]:
    areas = [Area(code=COUNTY, name="示例县", level="county")]
    for t in range(1, TOWNSHIPS + 1):
        township = f"{COUNTY}{100 + t:03d}"
        areas.append(Area(code=township, name=f"示例{t}镇", level="township", parent=COUNTY))
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            areas.append(
                Area(
                    code=f"{township}{200 + v:03d}", name=f"示例{t}镇{v}村", level="village", parent=township
                )
            )
    return areas


def _units(townships: list[str]) -> list[Unit]:
    units = [
        Unit(
            code=f"D{d:02d}",
            name=f"县第{d}局",
            kind="department",
            contacts=(Contact(name=f"值班员{d}", phone=f"0797-{5000000 + d}"),),
            escalation=(EscalationStep(level=1, title="单位负责人", after_minutes=30),),
        )
        for d in range(1, DEPARTMENTS + 1)
    ]
    for i, township in enumerate(townships, start=1):
        units.append(Unit(code=f"T{i:02d}", name=f"示例{i}镇人民政府", kind="township", area=township))
    units.append(Unit(code="CTR", name="县民意速办中心", kind="centre"))
    return units


def _categories(n_rules: int, rnd: random.Random) -> list[Category]:
    leaves = max(20, round(4 * math.sqrt(n_rules)))
    level1 = min(18, max(2, leaves // 20))
    level2 = max(2, math.ceil(math.sqrt(leaves / level1)))
    level3 = max(2, math.ceil(leaves / (level1 * level2)))
    out: list[Category] = []
    for i in range(1, level1 + 1):
        c1 = f"{i:02d}"
        out.append(Category(code=c1, name=f"类{i}", urgent=rnd.random() < 0.1))
        for j in range(1, level2 + 1):
            c2 = f"{c1}{j:02d}"
            out.append(Category(code=c2, name=f"类{i}-{j}", parent=c1, urgent=rnd.random() < 0.05))
            for k in range(1, level3 + 1):
                out.append(Category(code=f"{c2}{k:02d}", name=f"类{i}-{j}-{k}", parent=c2))
    return out


def sample_requests(lst: ResponsibilityList, size: int, seed: int = 2) -> list[tuple[str, str, str]]:
    """Random (category, area, urgency) requests drawn uniformly over the whole space."""
    rnd = random.Random(seed)
    cats = [c.code for c in lst.categories]
    areas = [a.code for a in lst.areas]
    return [(rnd.choice(cats), rnd.choice(areas), rnd.choice(URGENCIES)) for _ in range(size)]


def to_yaml_data(lst: ResponsibilityList) -> dict[str, Any]:
    """The documented YAML form of a list generated here (limits as profile names)."""
    profile_of = {id(limits): name for name, limits in PROFILES.items()}
    children: dict[str | None, list[Category]] = {}
    for c in lst.categories:
        children.setdefault(c.parent, []).append(c)

    def tree(parent: str | None) -> list[dict[str, Any]]:
        return [
            {
                "code": c.code,
                "name": c.name,
                "keywords": list(c.keywords),
                "usual_types": list(c.usual_types),
                "urgent": c.urgent,
                "children": tree(c.code),
            }
            for c in children.get(parent, [])
        ]

    def unit(u: Unit) -> dict[str, Any]:
        d: dict[str, Any] = {"code": u.code, "name": u.name, "kind": u.kind}
        if u.area:
            d["area"] = u.area
        d["contacts"] = [{"name": c.name, "phone": c.phone} for c in u.contacts]
        d["escalation"] = [
            {"level": s.level, "title": s.title, "after_minutes": s.after_minutes} for s in u.escalation
        ]
        return d

    return {
        "jurisdiction": {
            "name": lst.jurisdiction.name,
            "code": lst.jurisdiction.code,
            "prefix": lst.jurisdiction.prefix,
        },
        "version": lst.version,
        "effective": lst.effective,
        "areas": [{"code": a.code, "name": a.name, "level": a.level, "parent": a.parent} for a in lst.areas],
        "calendar": {
            "holidays": sorted(lst.calendar.holidays),
            "workdays": sorted(lst.calendar.workdays),
        },
        "limit_profiles": {
            name: {u: {k: v for k, v in vars(limits[u]).items() if v is not None} for u in URGENCIES}
            for name, limits in PROFILES.items()
        },
        "default_limits": "standard",
        "units": [unit(u) for u in lst.units],
        "categories": tree(None),
        "rules": [
            {
                "id": r.id,
                "category": r.category,
                "area": r.scope,
                "lead": r.lead,
                "co": list(r.co),
                "limits": profile_of[id(r.limits)],
                "basis": r.basis,
                "note": r.note,
            }
            for r in lst.rules
        ],
    }


def write_yaml(lst: ResponsibilityList, directory: Path | str, name: str = "list.yaml") -> Path:
    """Write a generated list as YAML into `directory`; returns the file's path."""
    path = Path(directory) / name
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(to_yaml_data(lst), f, Dumper=dumper, allow_unicode=True, sort_keys=False, width=200)
    return path
