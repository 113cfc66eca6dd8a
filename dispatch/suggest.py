"""Suggestions for the hotline operator (智能辅助): likely categories from the caller's words, and
the area from the address as the caller gave it.

Both matchers are built once (from a responsibility list, or its areas) and then only test
precomputed strings with `in`: no word segmentation, no model, no I/O. The trainable classifier in
`dispatch.classifier` learns from dispatched appeals; this module works from the list alone, so it
helps from the first day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from responsibility_lists.model import Area, Category, ResponsibilityList

# --- categories ---------------------------------------------------------------------------------

# Weight of each kind of evidence for a category; a score is their sum, squashed into [0, 1).
_KEYWORD = 1.0
_NAME = 1.0
_NAME_PART = 0.8  # a part of a name split at 、/和/及: 住房和城乡建设 → 城乡建设
_SHINGLE = 0.35  # a 2-character piece of a name (生活垃圾清运 → 垃圾), divided among the names sharing it
_INHERITED = 0.3  # an ancestor's term supports its descendants, by this factor per level
_DEPTH_BONUS = 0.1  # per level below the root, so the more specific of two equal matches wins
# Names and pieces that say nothing about the subject of an appeal.
_GENERIC = frozenset({"其他", "其它", "综合", "管理", "服务", "问题", "工作", "事项", "事务", "相关"})
_NAME_SEPARATORS = re.compile(r"[、，,/及和与（）()\s]+")


@dataclass(frozen=True, slots=True)
class CategorySuggestion:
    code: str
    name: str
    path: str  # names from the root: "城市管理 / 市容环境卫生 / 生活垃圾清运"
    score: float  # in [0, 1): 0.5 is about one keyword's worth of evidence; comparable across calls
    matched: tuple[str, ...]  # the terms found in the text, strongest first


def _normalise(text: str) -> str:
    return "".join(text.split()).lower()


def _ancestry(code: str, categories: dict[str, Category]) -> list[str]:
    """Codes from the root down to `code` (a parent cycle or a missing parent ends the walk)."""
    chain = [code]
    parent = categories[code].parent
    while parent is not None and parent in categories and parent not in chain:
        chain.append(parent)
        parent = categories[parent].parent
    return chain[::-1]


def _shingles(name: str) -> set[str]:
    return {name[i : i + 2] for i in range(len(name) - 1)} - _GENERIC - {name}


def _own_terms(category: Category, shingle_df: dict[str, int]) -> dict[str, float]:
    terms: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        if len(term) >= 2 and term not in _GENERIC:
            terms[term] = max(weight, terms.get(term, 0.0))

    name = _normalise(category.name)
    for shingle in _shingles(name):
        add(shingle, _SHINGLE / shingle_df[shingle])
    for part in _NAME_SEPARATORS.split(category.name):
        add(_normalise(part), _NAME_PART)
    add(name, _NAME)
    for keyword in category.keywords:
        # A keyword of one character is allowed in lists but matches too much to be evidence alone.
        add(_normalise(keyword), _KEYWORD)
    return terms


class CategorySuggester:
    """Ranks a list's categories by the terms of each found in the caller's words.

    A category's terms are its keywords and name (full weight), the parts of its name, and the
    2-character shingles of its name (weighted lower, and lower still when many names share one).
    An ancestor's terms support a category modestly (`_INHERITED` per level), and deeper categories
    get a small bonus, so "垃圾没人清运" prefers 生活垃圾清运 to its parent 市容环境卫生.
    """

    def __init__(self, lst: ResponsibilityList) -> None:
        categories = {c.code: c for c in lst.categories}
        self._order = {code: i for i, code in enumerate(categories)}
        chains = {code: _ancestry(code, categories) for code in categories}
        self._names = {code: categories[code].name for code in categories}
        self._paths = {code: " / ".join(categories[c].name for c in chain) for code, chain in chains.items()}
        self._depth = {code: len(chain) - 1 for code, chain in chains.items()}

        shingle_df: dict[str, int] = defaultdict(int)
        for category in categories.values():
            for shingle in _shingles(_normalise(category.name)):
                shingle_df[shingle] += 1
        own = {code: _own_terms(c, shingle_df) for code, c in categories.items()}

        index: dict[str, dict[str, float]] = defaultdict(dict)
        for code, chain in chains.items():
            for distance, ancestor in enumerate(reversed(chain)):
                factor = _INHERITED**distance
                for term, weight in own[ancestor].items():
                    hits = index[term]
                    hits[code] = max(weight * factor, hits.get(code, 0.0))
        self._index = tuple((term, tuple(hits.items())) for term, hits in index.items())

    def suggest(self, text: str, k: int = 3) -> list[CategorySuggestion]:
        """The `k` likeliest categories for `text`, best first; empty when nothing matches."""
        text = _normalise(text)
        if not text or k <= 0:
            return []
        evidence: dict[str, dict[str, float]] = defaultdict(dict)
        for term, hits in self._index:
            if term in text:
                for code, weight in hits:
                    evidence[code][term] = weight
        for terms in evidence.values():
            # One mention is one piece of evidence: 环境卫生 found, its shingles 环境 and 卫生 add nothing.
            for term in [t for t in terms if any(t != other and t in other for other in terms)]:
                del terms[term]
        raw = {
            code: sum(terms.values()) * (1 + _DEPTH_BONUS * self._depth[code])
            for code, terms in evidence.items()
        }
        best = sorted(raw, key=lambda code: (-raw[code], self._order[code]))[:k]
        return [
            CategorySuggestion(
                code=code,
                name=self._names[code],
                path=self._paths[code],
                score=round(raw[code] / (raw[code] + 1.0), 4),
                matched=tuple(sorted(evidence[code], key=lambda t, c=code: (-evidence[c][t], -len(t), t))),
            )
            for code in best
        ]


# --- areas --------------------------------------------------------------------------------------

# Weight of each form of a name: how sure a match on it makes us.
_FULL = 1.0
_SUFFIXED = 0.9  # 城东社区 for 城东居委会, 梅林村 for 梅林村委会, 梅林 for 梅林镇
_BARE = 0.7  # a village's name without any suffix: 城东
_CONSISTENT = 0.1  # added when the township named is the village's own
_UNDECIDED = 0.5  # a township inferred from a village name it shares with none of the others

_VILLAGE_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会", "社区")
_RESIDENT_FORMS = ("社区", "居委会", "社区居委会", "居民委员会")  # an urban community (居委会)
_RURAL_FORMS = ("村", "村委会", "村民委员会")  # a village committee (村委会)
# The committee of a township's seat, often named after nothing ("圩镇居民委员会", "社区居委会"):
# it is only recognised together with its township.
_SEAT_STEMS = frozenset({"", "圩镇"})
_TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
_ZONE_SUFFIXES = ("经济技术开发区", "经济开发区", "开发区")
_PROVINCE = re.compile(
    "^(内蒙古|黑龙江|北京|天津|河北|山西|辽宁|吉林|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|广西"
    "|海南|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆)(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)?"
)
# A bare village name followed by one of these names a road or an estate, not the village: 光明路.
_PLACE_AFTER = ("路", "街", "大道", "巷", "小区", "花园", "广场", "桥", "大厦", "公寓")


@dataclass(frozen=True, slots=True)
class AreaSuggestion:
    code: str  # the most specific area found: the village if decided, else the township
    name: str
    level: str  # township | village
    township_code: str
    township_name: str
    village_code: str | None
    village_name: str | None
    matched: tuple[str, ...]  # the pieces of the address (without spaces) that decided it, in order
    score: float  # in (0, 1]
    ambiguous: tuple[str, ...] = ()  # village codes the address may mean when it could not decide


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    level: str
    codes: dict[str, float]  # area code → weight of the form matched

    @property
    def weight(self) -> float:
        return max(self.codes.values())


def _township_forms(name: str) -> dict[str, float]:
    forms = {name: _FULL}
    for suffix in _ZONE_SUFFIXES:
        if name.endswith(suffix):
            place = name[: -len(suffix)]  # 江西赣县经济开发区 → 赣县经济开发区, 赣县经开区, 经开区, 开发区
            local = _PROVINCE.sub("", place, count=1)
            place = local if len(local) >= 2 else place
            forms.setdefault(place + suffix, 0.95)
            if "经济" in suffix:
                forms.setdefault(place + "经开区", _SUFFIXED)
                forms.setdefault("经开区", 0.8)
            forms.setdefault("开发区", 0.75)
            return forms
    for suffix in _TOWNSHIP_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            forms[name[: -len(suffix)]] = _SUFFIXED
            break
    return forms


def _village_forms(name: str) -> tuple[str, dict[str, float], bool]:
    """The stem, the forms (form → weight) and whether the stem alone is one of them."""
    stem, forms = name, {name: _FULL}
    for suffix in _VILLAGE_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    if stem == name and name.endswith("村") and len(name) >= 3:  # no committee suffix: 某某村
        stem = name[:-1]
    if len(stem) < 2:  # a form of one character (or none) would match almost anything
        return stem, forms, False
    rural = name.endswith(("村委会", "村民委员会", "村"))
    stems = [stem]
    if stem.endswith("街") and len(stem) >= 3:  # 江口街居委会 is also called 江口社区
        stems.append(stem[:-1])
    for s in stems:
        for form in _RURAL_FORMS if rural else _RESIDENT_FORMS:
            forms.setdefault(s + form, _SUFFIXED)
    bare = len(stem) >= 2
    if bare:
        forms.setdefault(stem, _BARE)
    return stem, forms, bare


class AreaMatcher:
    """Finds the township and village in a free-text address.

    Matches every known form of every area name, keeps the longest non-overlapping ones, then
    decides: a village named in a township also named wins; a village name shared by several
    townships, with none of them named, is undecided (its candidates go to `ambiguous`, and the
    result is their township if they share one, else None). A village named in another township
    than the one named is ignored in favour of the township. County-level areas are not matched.
    """

    def __init__(self, areas: Iterable[Area]) -> None:
        # A village is only useful with its township; one without a parent is left out.
        self._areas = {
            a.code: a for a in areas if a.level == "township" or (a.level == "village" and a.parent)
        }
        self._parent = {a.code: a.parent for a in self._areas.values() if a.parent}
        self._seat: set[str] = set()
        townships: dict[str, dict[str, float]] = defaultdict(dict)
        villages: dict[str, dict[str, float]] = defaultdict(dict)
        bare_forms: set[str] = set()
        for area in self._areas.values():
            if area.level == "township":
                for form, weight in _township_forms(area.name).items():
                    townships[form][area.code] = weight
                continue
            stem, forms, bare = _village_forms(area.name)
            if stem in _SEAT_STEMS:
                self._seat.add(area.code)
            if bare:
                bare_forms.add(stem)
            for form, weight in forms.items():
                villages[form][area.code] = max(weight, villages[form].get(area.code, 0.0))
        # 梅林 alone is the township 梅林镇, not the village 梅林村委会 inside it.
        for form in townships:
            villages.pop(form, None)
        self._forms = tuple(
            [(form, "township", codes, False) for form, codes in townships.items()]
            + [(form, "village", codes, form in bare_forms) for form, codes in villages.items()]
        )

    def _hits(self, text: str) -> list[_Hit]:
        found = []
        for form, level, codes, bare in self._forms:
            start = text.find(form)
            while start >= 0:
                end = start + len(form)
                if not (bare and text.startswith(_PLACE_AFTER, end)):
                    found.append(_Hit(start, end, level, codes))
                start = text.find(form, start + 1)
        # Longest first; among equals the surer form, then townships, then the earlier.
        found.sort(key=lambda h: (h.start - h.end, -h.weight, h.level != "township", h.start))
        taken = bytearray(len(text))
        kept = []
        for hit in found:
            if not any(taken[hit.start : hit.end]):
                taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
                kept.append(hit)
        return kept

    def match(self, address: str) -> AreaSuggestion | None:
        """The area `address` names, or None when it names none (or only an undecided village)."""
        text = _normalise(address)
        hits = self._hits(text)
        township_hits = sorted((h for h in hits if h.level == "township"), key=lambda h: (-h.weight, h.start))
        named = {code for h in township_hits for code in h.codes}
        undecided: list[str] = []
        for hit in sorted(
            (h for h in hits if h.level == "village"), key=lambda h: (-h.weight, h.start - h.end, h.start)
        ):
            candidates = [c for c in hit.codes if c not in self._seat or self._parent[c] in named]
            if named:
                candidates = [c for c in candidates if self._parent[c] in named]
            if len(candidates) == 1:
                village = candidates[0]
                township = self._parent[village]
                used = [hit] + [h for h in township_hits if township in h.codes][:1]
                score = hit.codes[village] + (_CONSISTENT if len(used) > 1 else 0.0)
                return self._result(village, township, used, text, score)
            if candidates and not undecided:
                undecided = sorted(candidates)
        for hit in township_hits:
            if len(hit.codes) == 1:
                (township,) = hit.codes
                inside = tuple(c for c in undecided if self._parent[c] == township)
                return self._result(township, township, [hit], text, hit.weight, inside)
        parents = {self._parent[c] for c in undecided}
        if len(parents) == 1 and (township := parents.pop()) in self._areas:
            used = [h for h in hits if set(undecided) <= set(h.codes)][:1]
            return self._result(township, township, used, text, _UNDECIDED, tuple(undecided))
        return None

    def _result(
        self,
        code: str,
        township: str,
        used: list[_Hit],
        text: str,
        score: float,
        ambiguous: tuple[str, ...] = (),
    ) -> AreaSuggestion:
        area = self._areas[code]
        town = self._areas.get(township)
        is_village = area.level == "village"
        return AreaSuggestion(
            code=area.code,
            name=area.name,
            level=area.level,
            township_code=township,
            township_name=town.name if town else "",
            village_code=area.code if is_village else None,
            village_name=area.name if is_village else None,
            matched=tuple(text[h.start : h.end] for h in sorted(used, key=lambda h: h.start)),
            score=round(min(score, 1.0), 4),
            ambiguous=ambiguous,
        )
