"""Routing (派单): a responsibility list compiled once, then category × area → lead and co-units.

Specificity: the category's depth dominates (a rule on a deeper node beats one on its ancestor);
on the same node, the area decides: village code > township code > territorial (属地) > county.
`Router.route` walks the requested category up to its root and, for each node, the area keys
from the most specific to the county; the first rule found wins. Everything the walk needs is
precomputed, so a decision costs a handful of dict lookups. The explanation (which rules lost
and why) is built only when asked for, by walking again and collecting every hit.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

from responsibility_lists.model import (
    SCOPE_COUNTY,
    SCOPE_TERRITORIAL,
    URGENCIES,
    Limit,
    ResponsibilityList,
    Rule,
)

#: What the hot path reads of a rule: (lead or None for territorial, co, rule id, limits, co as a set).
_HotRule = tuple[str | None, tuple[str, ...], str, dict[str, Limit], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Decision:
    """A routing decision. `explanation` is computed on demand (it walks the list again)."""

    lead: str  # 主办单位
    co: tuple[str, ...]  # 协办单位, without the lead, in list order
    rule_id: str
    limit: Limit  # the rule's limit for the requested urgency
    urgent_by_nature: bool  # the category or an ancestor is marked urgent
    _request: tuple[Any, ...] = field(repr=False, compare=False)
    ok: ClassVar[bool] = True

    @property
    def explanation(self) -> dict[str, Any]:
        router, *request = self._request
        return router.explain(*request)


@dataclass(frozen=True)
class NoRoute:
    """No rule decides: the appeal goes to a dispatcher. `reason` is a stable code."""

    reason: str
    message: str  # for the dispatcher, in Chinese
    explanation: dict[str, Any] = field(compare=False)
    ok: ClassVar[bool] = False


class _CompiledRule:
    __slots__ = ("category", "co", "co_set", "hot", "id", "key", "lead", "limits", "needs_township", "rule")

    def __init__(self, rule: Rule, key: str, shared: dict[Any, Any]) -> None:
        self.rule = rule
        self.id = rule.id
        self.category = rule.category
        self.key = key  # SCOPE_COUNTY, SCOPE_TERRITORIAL or a township / village code
        # The lead is the township government of the appeal's place (属地) when so marked.
        self.needs_township = key == SCOPE_TERRITORIAL or rule.lead in ("", SCOPE_TERRITORIAL)
        self.lead = rule.lead
        # Equal co-unit tuples and limit tables are shared between rules: at 100,000 rules the
        # router's speed is bound by memory traffic, not by the number of lookups.
        co = tuple(dict.fromkeys(c for c in rule.co if c != rule.lead))
        self.co = shared.setdefault(co, co)
        self.co_set = shared.setdefault(frozenset(co), frozenset(co))
        limits = dict(rule.limits)
        self.limits = shared.setdefault(("limits", *limits.items()), limits)
        # What the hot path reads, in one small tuple; a None lead means "the township government".
        self.hot = (None if self.needs_township else self.lead, self.co, self.id, self.limits, self.co_set)

    def co_for(self, lead: str) -> tuple[str, ...]:
        return self.co if lead not in self.co_set else tuple(c for c in self.co if c != lead)


class _Hit:
    """One rule met on the walk, for explanations."""

    __slots__ = ("depth", "node", "rule", "skipped")

    def __init__(self, rule: _CompiledRule, node: str, depth: int, skipped: bool) -> None:
        self.rule, self.node, self.depth, self.skipped = rule, node, depth, skipped


class Router:
    """A responsibility list compiled for routing. Immutable once built; safe to share."""

    def __init__(self, lst: ResponsibilityList) -> None:
        self.list = lst
        self.version = lst.version
        self.unit_names = {u.code: u.name for u in lst.units}
        self.areas = {a.code: a for a in lst.areas}
        self.categories = {c.code: c for c in lst.categories}

        township_unit: dict[str, str] = {}
        for u in sorted(lst.units, key=lambda u: u.kind != "township"):  # township governments first
            if u.area and u.area not in township_unit:
                township_unit[u.area] = u.code
        self._township_unit = township_unit

        # Rule index: category → {area key: rule}; the first of duplicates wins, the rest are noted.
        self._index: dict[str, dict[str, _CompiledRule]] = {}
        self._duplicates: dict[tuple[str, str], list[_CompiledRule]] = {}
        self.rules: dict[str, _CompiledRule] = {}
        shared: dict[Any, Any] = {}
        for rule in lst.rules:
            compiled = _CompiledRule(rule, self._scope_key(rule.scope), shared)
            self.rules.setdefault(rule.id, compiled)
            by_scope = self._index.setdefault(rule.category, {})
            if compiled.key in by_scope:
                self._duplicates.setdefault((rule.category, compiled.key), []).append(compiled)
            else:
                by_scope[compiled.key] = compiled

        # Category chains (self → root), and per category the rule maps met on the way up.
        self._chains: dict[str, tuple[str, ...]] = {}
        self._urgent_source: dict[str | None, str | None] = {}
        self._cats: dict[str | None, tuple[tuple[dict[str, _HotRule], ...], bool]] = {}
        hot_index = {c: {key: r.hot for key, r in by_scope.items()} for c, by_scope in self._index.items()}
        for code in self.categories:
            chain = self._chain(code)
            self._chains[code] = chain
            urgent = next((c for c in chain if self.categories[c].urgent), None)
            self._urgent_source[code] = urgent
            maps = tuple(hot_index[c] for c in chain if c in hot_index)
            self._cats[code] = (maps, urgent is not None)

        # Area keys from the most specific to the county, and the township (for territorial rules).
        self._township: dict[str | None, str | None] = {}
        self._areas: dict[str | None, tuple[tuple[str, ...], str | None]] = {}
        for code in self.areas:
            keys, township = self._area_keys(code)
            self._township[code] = township
            self._areas[code] = (keys, township_unit.get(township) if township else None)

    # -- the hot path ---------------------------------------------------------------------------

    def route(
        self, category: str | None, area: str | None, urgency: str = "一般", appeal_type: str | None = None
    ) -> Decision | NoRoute:
        cat = self._cats.get(category)
        where = self._areas.get(area)
        if cat is None or where is None:
            return self._route_slow(category, area, urgency, appeal_type)
        maps, urgent = cat
        keys, township_unit = where
        for by_scope in maps:
            for key in keys:
                hot = by_scope.get(key)
                if hot is None:
                    continue
                lead, co, rule_id, limits, co_set = hot
                if lead is None:  # territorial: the township government of the appeal's township
                    lead = township_unit
                    if lead is None:
                        return self._route_slow(category, area, urgency, appeal_type)
                    if lead in co_set:
                        co = tuple(c for c in co if c != lead)
                limit = limits.get(urgency)
                if limit is None:
                    return self._route_slow(category, area, urgency, appeal_type)
                return Decision(
                    lead, co, rule_id, limit, urgent, (self, category, area, urgency, appeal_type)
                )
        return self._route_slow(category, area, urgency, appeal_type)

    # -- the slow path: every outcome, with reasons ---------------------------------------------

    def _route_slow(
        self, category: str | None, area: str | None, urgency: str, appeal_type: str | None
    ) -> Decision | NoRoute:
        if urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}; expected one of {URGENCIES}")
        outcome = self._decide(category, area, urgency, appeal_type)
        if isinstance(outcome, NoRoute):
            return outcome
        winner, lead, _, _ = outcome
        r = winner.rule
        return Decision(
            lead,
            r.co_for(lead),
            r.id,
            r.limits[urgency],
            self._urgent_source[category] is not None,
            (self, category, area, urgency, appeal_type),
        )

    def explain(
        self, category: str | None, area: str | None, urgency: str = "一般", appeal_type: str | None = None
    ) -> dict[str, Any]:
        """The JSON-serialisable explanation of `route(...)` with the same arguments."""
        outcome = self._decide(category, area, urgency, appeal_type)
        if isinstance(outcome, NoRoute):
            return outcome.explanation
        winner, lead, overridden, skipped = outcome
        r = winner.rule
        co = r.co_for(lead)
        cat = self.categories[r.category]
        urgent_source = self._urgent_source[category]
        limit = r.limits[urgency]
        summary = (
            f"按规则 {r.id}（{cat.name} · {self._scope_label(r.key, area)}）派至 {self._unit_name(lead)}"
        )
        if co:
            summary += "，配合：" + "、".join(self._unit_name(c) for c in co)
        return {
            **self._base(category, area, urgency, appeal_type),
            "rule": r.id,
            "category": {
                "requested": category,
                "requested_name": self.categories[category].name,  # type: ignore[index]
                "matched": r.category,
                "matched_name": cat.name,
                "relation": "same" if winner.depth == 0 else "ancestor",
                "depth": winner.depth,
            },
            "scope": {
                "matched": r.key,
                "kind": self._scope_kind(r.key),
                "township": self._township[area] if r.needs_township else None,
                "reason": self._scope_reason(r, area, lead),
            },
            "lead": {"code": lead, "name": self._unit_name(lead)},
            "co": [{"code": c, "name": self._unit_name(c)} for c in co],
            "limit": {"urgency": urgency, **_limit_dict(limit)},
            "urgent_by_nature": urgent_source is not None,
            "urgent_category": urgent_source,
            "basis": r.rule.basis,
            "note": r.rule.note,
            "overridden": [self._overridden(h, winner) for h in overridden],
            "skipped": [self._skipped(h) for h in skipped],
            "summary": summary,
        }

    def _decide(
        self, category: str | None, area: str | None, urgency: str, appeal_type: str | None
    ) -> tuple[_Hit, str, list[_Hit], list[_Hit]] | NoRoute:
        """The full walk: (winner, lead, overridden hits, skipped hits), or why there is no route."""

        def no_route(reason: str, message: str, **extra: Any) -> NoRoute:
            base = self._base(category, area, urgency, appeal_type)
            return NoRoute(reason, message, {**base, "reason": reason, "message": message, **extra})

        if not category:
            return no_route("no_category", "诉求未选择分类，无法按职责清单派单")
        if not area:
            return no_route("no_area", "诉求未填写发生地（区划代码），无法按职责清单派单")
        if category not in self.categories:
            return no_route("unknown_category", f"职责清单（版本 {self.version}）中没有分类 {category}")
        if area not in self.areas:
            return no_route("unknown_area", f"职责清单（版本 {self.version}）的区划中没有 {area}")
        township = self._township[area]
        keys = self._areas[area][0]
        if township is None:  # met only to say why they were skipped
            keys = (SCOPE_TERRITORIAL, *keys)
        hits: list[_Hit] = []
        for depth, node in enumerate(self._chains[category]):
            by_scope = self._index.get(node, {})
            for key in keys:
                r = by_scope.get(key)
                if r is None:
                    continue
                skip = r.needs_township and township is None
                hits.append(_Hit(r, node, depth, skip))
                for dup in self._duplicates.get((node, key), ()):
                    hits.append(_Hit(dup, node, depth, skip))
        found = [h for h in hits if not h.skipped]
        skipped = [h for h in hits if h.skipped]
        chain = list(self._chains[category])
        if not found:
            if skipped:
                r = skipped[0].rule
                return no_route(
                    "territorial_needs_township",
                    f"规则 {r.id} 按属地派单，须指定乡镇（街道）或村（社区）；"
                    f"当前发生地仅到{self.areas[area].name}",
                    skipped=[self._skipped(h) for h in skipped],
                    chain=chain,
                )
            return no_route(
                "no_rule",
                f"职责清单中没有适用于分类「{self.categories[category].name}」（含上级分类）"
                f"和发生地「{self.areas[area].name}」的规则，请人工派单",
                chain=chain,
                area_keys=list(keys),
            )
        winner, overridden = found[0], found[1:]
        r = winner.rule
        lead = r.lead
        if r.needs_township and township is not None:
            lead = self._township_unit.get(township, "")
            if not lead:
                return no_route(
                    "no_township_unit",
                    f"规则 {r.id} 按属地派单，但职责清单中没有{self.areas[township].name}"
                    f"（{township}）的乡镇人民政府单位",
                    rule=r.id,
                    township=township,
                )
        if urgency not in r.limits:
            return no_route("no_limit", f"规则 {r.id} 未设置「{urgency}」诉求的时限", rule=r.id)
        return winner, lead, overridden, skipped

    # -- compilation helpers --------------------------------------------------------------------

    def _scope_key(self, scope: str) -> str:
        # Interned, like the area keys the hot path probes with: equal keys are then the same
        # object, and a dict hit is an identity check instead of a string comparison.
        a = self.areas.get(scope)
        return SCOPE_COUNTY if a is not None and a.level == "county" else sys.intern(scope)

    def _chain(self, code: str) -> tuple[str, ...]:
        chain: list[str] = []
        c: str | None = code
        while c is not None and c in self.categories and c not in chain:  # cycles: the checker's job
            chain.append(c)
            c = self.categories[c].parent
        return tuple(chain)

    def _area_keys(self, code: str) -> tuple[tuple[str, ...], str | None]:
        keys: list[str] = []
        township = None
        a = self.areas.get(code)
        seen: set[str] = set()
        while a is not None and a.code not in seen:
            seen.add(a.code)
            if a.level in ("village", "township"):
                keys.append(sys.intern(a.code))
            if a.level == "township" and township is None:
                township = a.code
            a = self.areas.get(a.parent) if a.parent else None
        if township is not None:
            keys.append(SCOPE_TERRITORIAL)
        keys.append(SCOPE_COUNTY)
        return tuple(keys), township

    # -- explanation helpers --------------------------------------------------------------------

    def _base(
        self, category: str | None, area: str | None, urgency: str, appeal_type: str | None
    ) -> dict[str, Any]:
        return {
            "list": {"jurisdiction": self.list.jurisdiction.code, "version": self.version},
            "request": {"category": category, "area": area, "urgency": urgency, "appeal_type": appeal_type},
        }

    def _unit_name(self, code: str) -> str:
        return self.unit_names.get(code, code)

    def _scope_kind(self, key: str) -> str:
        if key in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
            return key
        a = self.areas.get(key)
        return a.level if a is not None else "unknown"

    def _scope_text(self, key: str) -> str:
        kind = self._scope_kind(key)
        return kind if key == kind else f"{kind} {key}"

    def _scope_label(self, key: str, area: str | None) -> str:
        if key == SCOPE_TERRITORIAL:
            return "属地"
        if key == SCOPE_COUNTY:
            return f"{self.list.jurisdiction.name}全域"
        a = self.areas.get(key)
        return a.name if a is not None else key

    def _scope_reason(self, r: _CompiledRule, area: str | None, lead: str) -> str:
        township = self._township.get(area)
        kind = self._scope_kind(r.key)
        if r.needs_township and township:
            t = self.areas[township]
            via = "territorial" if r.key == SCOPE_TERRITORIAL else f"{kind} {r.key}, lead territorial"
            return (
                f"{via}: lead is the township government {lead} ({self._unit_name(lead)}) "
                f"of township {township} ({t.name})"
            )
        if r.key == SCOPE_COUNTY:
            return "county-wide rule"
        relation = "the appeal's area" if r.key == area else f"which contains the appeal's area {area}"
        return f"{kind} rule for {r.key} ({self._scope_label(r.key, area)}), {relation}"

    def _overridden(self, h: _Hit, winner: _Hit) -> dict[str, Any]:
        r, w = h.rule, winner.rule
        if h.node != winner.node:
            code, reason = "less_specific_category", f"less specific category {h.node} vs {winner.node}"
        elif r.key == w.key:
            code, reason = "duplicate", f"duplicate of {w.id}: same category and area, the first rule wins"
        else:
            code = "less_specific_area"
            reason = f"less specific area: {self._scope_text(r.key)} vs {self._scope_text(w.key)}"
        return {"rule": r.id, "category": h.node, "scope": r.key, "reason_code": code, "reason": reason}

    def _skipped(self, h: _Hit) -> dict[str, Any]:
        return {
            "rule": h.rule.id,
            "category": h.node,
            "scope": h.rule.key,
            "reason_code": "territorial_needs_township",
            "reason": "territorial rule needs a township or village area; the appeal's area is county-level",
        }


def _limit_dict(limit: Limit) -> dict[str, Any]:
    return {
        "sign_hours": limit.sign_hours,
        "reply_working_days": limit.reply_working_days,
        "reply_hours": limit.reply_hours,
    }
