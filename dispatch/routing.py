"""Routing (派单): a responsibility list compiled once, then category × area → lead and co-units.

Specificity: the category's depth dominates (a rule on a deeper node beats one on its ancestor);
on the same node, the area decides: village code > township code > territorial (属地) > county.
The walk: up the requested category to its root and, for each node, the area keys from the most
specific to the county; the first rule found wins.

That walk is done once per (category, area) when the router is built, not per decision. Each
category gets a row holding, for every area, the walk's outcome inline: lead, co-units, rule id
and limits (or a lead of None where only the full walk can say what happens: no rule, a
territorial rule without a township government, ...). `Router.route` then costs two small dict
lookups and four tuple indexes whatever the list's size. Memory is what makes a large list slow
here, not the number of lookups: walking per decision, a 100,000-rule list spent its time on
cache and TLB misses in 1,500 per-category dicts; with the outcomes inline, a decision touches
one line of its row and the rule id it hands out. The table holds four pointers per (category,
area): 1,476 × 321 × 32 B ≈ 15 MB at 100,000 rules, 397 × 322 × 32 B ≈ 4 MB for 赣县区 (a
category without rules of its own shares its parent's row).
The explanation (which rules lost and why, `dispatch.explanation`) is built only when asked for,
by walking again and collecting every hit; the slow path uses the same walk for every outcome the
table leaves open.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dispatch import explanation
from responsibility_lists.model import (
    SCOPE_COUNTY,
    SCOPE_TERRITORIAL,
    URGENCIES,
    Limit,
    ResponsibilityList,
    Rule,
)

#: What routing decides for one (category, area): lead, co-units without the lead, rule id, limits.
_Outcome = tuple[str, tuple[str, ...], str, dict[str, Limit]]
#: A category's row: urgent by nature, then per area (in `Router._slots` order) an outcome inline,
#: or `_UNDECIDED` where the slow path decides.
_Row = tuple[Any, ...]
_CELL = 4  # pointers per area in a row
_UNDECIDED = (None,) * _CELL


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
    __slots__ = (
        "category",
        "co",
        "co_set",
        "id",
        "key",
        "lead",
        "limits",
        "needs_township",
        "outcome",
        "rule",
    )

    def __init__(self, rule: Rule, key: str, shared: dict[Any, Any]) -> None:
        self.rule = rule
        self.id = rule.id
        self.category = rule.category
        self.key = key  # SCOPE_COUNTY, SCOPE_TERRITORIAL or a township / village code
        # The lead is the township government of the appeal's place (属地) when so marked.
        self.needs_township = key == SCOPE_TERRITORIAL or rule.lead in ("", SCOPE_TERRITORIAL)
        self.lead = rule.lead
        # Equal co-unit tuples and limit tables are shared between rules: fewer distinct objects for
        # the routing table's cells to point at, so the hot ones stay in the CPU caches.
        co = tuple(dict.fromkeys(c for c in rule.co if c != rule.lead))
        self.co = shared.setdefault(co, co)
        self.co_set = shared.setdefault(frozenset(co), frozenset(co))
        limits = dict(rule.limits)
        self.limits = shared.setdefault(("limits", *limits.items()), limits)
        # The routing table's cell; a territorial lead depends on the area (`Router._compile_rows`).
        self.outcome: _Outcome | None = (
            None if self.needs_township else (self.lead, self.co, self.id, self.limits)
        )

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

        # Category chains (self → root) and the category that makes each one urgent by nature.
        self._chains: dict[str, tuple[str, ...]] = {}
        self.urgent_source: dict[str | None, str | None] = {}
        for code in self.categories:
            chain = self._chain(code)
            self._chains[code] = chain
            self.urgent_source[code] = next((c for c in chain if self.categories[c].urgent), None)

        # Area keys from the most specific to the county, and the township (for territorial rules).
        self.township_of: dict[str | None, str | None] = {}
        self._area_keys: dict[str | None, tuple[str, ...]] = {}
        for code in self.areas:
            self._area_keys[code], self.township_of[code] = self._area_keys_of(code)

        # The routing table: category → row; area → where its cell's four fields are in every row.
        self._slots: dict[str | None, tuple[int, int, int, int]] = {}
        for i, code in enumerate(self.areas):
            at = 1 + _CELL * i  # row[0] is the category's urgent flag
            self._slots[code] = (at, at + 1, at + 2, at + 3)
        self._rows: dict[str | None, _Row] = self._compile_rows()

    # -- the hot path ---------------------------------------------------------------------------

    def route(
        self, category: str | None, area: str | None, urgency: str = "一般", appeal_type: str | None = None
    ) -> Decision | NoRoute:
        row = self._rows.get(category)
        slots = self._slots.get(area)
        if row is not None and slots is not None:
            at_lead, at_co, at_rule, at_limits = slots
            lead = row[at_lead]
            if lead is not None:
                limit = row[at_limits].get(urgency)
                if limit is not None:
                    return Decision(
                        lead,
                        row[at_co],
                        row[at_rule],
                        limit,
                        row[0],
                        (self, category, area, urgency, appeal_type),
                    )
        # Unknown category or area, no rule, no township government, no limit for the urgency.
        return self._route_slow(category, area, urgency, appeal_type)

    # -- the slow path: every outcome, with reasons ---------------------------------------------

    def _route_slow(
        self, category: str | None, area: str | None, urgency: str, appeal_type: str | None
    ) -> Decision | NoRoute:
        if urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}; expected one of {URGENCIES}")
        outcome = self.walk(category, area, urgency, appeal_type)
        if isinstance(outcome, NoRoute):
            return outcome
        winner, lead, _, _ = outcome
        r = winner.rule
        return Decision(
            lead,
            r.co_for(lead),
            r.id,
            r.limits[urgency],
            self.urgent_source[category] is not None,
            (self, category, area, urgency, appeal_type),
        )

    def explain(
        self, category: str | None, area: str | None, urgency: str = "一般", appeal_type: str | None = None
    ) -> dict[str, Any]:
        """The JSON-serialisable explanation of `route(...)` with the same arguments."""
        return explanation.explain(self, category, area, urgency, appeal_type)

    def walk(
        self, category: str | None, area: str | None, urgency: str, appeal_type: str | None
    ) -> tuple[_Hit, str, list[_Hit], list[_Hit]] | NoRoute:
        """The full walk: (winner, lead, overridden hits, skipped hits), or why there is no route."""

        def no_route(reason: str, message: str, **extra: Any) -> NoRoute:
            base = explanation.request(self, category, area, urgency, appeal_type)
            return NoRoute(reason, message, {**base, "reason": reason, "message": message, **extra})

        if not category:
            return no_route("no_category", "诉求未选择分类，无法按职责清单派单")
        if not area:
            return no_route("no_area", "诉求未填写发生地（区划代码），无法按职责清单派单")
        if category not in self.categories:
            return no_route("unknown_category", f"职责清单（版本 {self.version}）中没有分类 {category}")
        if area not in self.areas:
            return no_route("unknown_area", f"职责清单（版本 {self.version}）的区划中没有 {area}")
        township = self.township_of[area]
        keys = self._area_keys[area]
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
                    skipped=[explanation.skipped_entry(h) for h in skipped],
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

    def _compile_rows(self) -> dict[str | None, _Row]:
        """Every category's row: per area, the outcome of the walk `walk` does, or
        `_UNDECIDED` where the walk finds no rule or ends on one only the slow path handles.

        A node's cells are its parent's, overridden where one of the node's own rules applies, in
        the walk's order of preference: county, then territorial, then area codes (any code in an
        area's keys beats both; of two codes, the one earlier in the keys). The cost is what each
        rule covers (every area for a county-wide rule, one for a village's rule), not
        categories × areas × keys.
        """
        codes = list(self.areas)
        n = len(codes)
        units = [self._township_unit_of(code) for code in codes]
        territorial = [
            (i, units[i]) for i, code in enumerate(codes) if SCOPE_TERRITORIAL in self._area_keys[code]
        ]
        covers: dict[str, list[tuple[int, int, str | None]]] = {}  # area code → (cell, rank, unit)
        for i, code in enumerate(codes):
            for rank, key in enumerate(self._area_keys[code]):
                if key not in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
                    covers.setdefault(key, []).append((i, rank, units[i]))
        led: dict[int, dict[str | None, _Outcome]] = {}

        def led_by(r: _CompiledRule) -> dict[str | None, _Outcome]:
            """A rule led by the township government (属地): its outcome per government, and
            `_UNDECIDED` where the township has none (or there is no township): the full walk
            says why."""
            if id(r) not in led:
                led[id(r)] = {u: (u, r.co_for(u), r.id, r.limits) if u else _UNDECIDED for u in set(units)}
            return led[id(r)]

        # Cells of a chain (self → root); parents are done first, so the recursion is one deep.
        cells_of: dict[tuple[str, ...], list[_Outcome]] = {(): [_UNDECIDED] * n}

        def cells(chain: tuple[str, ...]) -> list[_Outcome]:
            done = cells_of.get(chain)
            if done is not None:
                return done
            done = cells(chain[1:])
            by_scope = self._index.get(chain[0])
            if not by_scope:  # the parent's cells, the very same list (so rows can be shared)
                cells_of[chain] = done
                return done
            done = list(done)
            r = by_scope.get(SCOPE_COUNTY)
            if r is not None:
                done = [r.outcome] * n if r.outcome else [led_by(r)[u] for u in units]
            r = by_scope.get(SCOPE_TERRITORIAL)
            if r is not None:
                lead_of = led_by(r)
                for i, unit in territorial:
                    done[i] = lead_of[unit]
            best: dict[int, int] = {}
            for key, r in by_scope.items():
                cover = covers.get(key)
                if cover is None:
                    continue
                # One outcome for every area, or one per township government (属地).
                outcome, lead_of = (r.outcome, {}) if r.outcome else (None, led_by(r))
                for i, rank, unit in cover:
                    if rank < best.get(i, sys.maxsize):
                        best[i] = rank
                        done[i] = outcome or lead_of[unit]
            cells_of[chain] = done
            return done

        rows: dict[str | None, _Row] = {}
        built: dict[tuple[bool, int], _Row] = {}  # equal rows shared: (urgent, cells) → row
        for code in self.categories:
            chain = self._chains[code]
            for depth in range(len(chain) - 1, -1, -1):
                cells(chain[depth:])
            urgent = self.urgent_source[code] is not None
            done = cells_of[chain]
            row = built.get((urgent, id(done)))
            if row is None:
                row = built[urgent, id(done)] = (urgent, *itertools.chain.from_iterable(done))
            rows[code] = row
        return rows

    def _township_unit_of(self, area: str) -> str | None:
        township = self.township_of[area]
        return self._township_unit.get(township) if township else None

    def _scope_key(self, scope: str) -> str:
        # Interned, like the area keys the table is compiled from and the full walk probes with:
        # equal keys are then the same object, and a dict hit is an identity check.
        a = self.areas.get(scope)
        return SCOPE_COUNTY if a is not None and a.level == "county" else sys.intern(scope)

    def _chain(self, code: str) -> tuple[str, ...]:
        chain: list[str] = []
        c: str | None = code
        while c is not None and c in self.categories and c not in chain:  # cycles: the checker's job
            chain.append(c)
            c = self.categories[c].parent
        return tuple(chain)

    def _area_keys_of(self, code: str) -> tuple[tuple[str, ...], str | None]:
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
