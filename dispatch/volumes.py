"""诉求量与热点: how many appeals came in, through what, about what and from where, against the
month before (环比). Pure counting and ranking over plain data: no I/O.

The database groups and counts (`service.figures.volumes`); this module takes those counts and
works out shares, changes and rankings:

- a share is a count over the period's total, None when the total is 0;
- 环比 (month on month): the count then, the change as a number and as a fraction of the count
  then, that fraction None (never 0 or infinity) when the previous month had none;
- a ranking (热点) is by count, most first; equal counts go by code, ascending (the list's order
  for categories, the division code for townships), so a top ten never depends on the database's
  order. The cut is exactly `n`: a tie at the last place does not widen it. Only what counted
  this month is ranked (a category that had appeals last month and none now has no place);
- a township (乡镇/街道) is a 9-digit division code: a village's or community's 12-digit code rolls
  up to its first nine digits; a county-level code (6 digits) or no place has no township.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: How many places a ranking of hot spots shows.
TOP = 10


@dataclass(frozen=True)
class Change:
    """A count this period and the period before (环比)."""

    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_rate(self) -> float | None:
        """The change as a fraction of the previous count; None when there was none to compare with."""
        return self.change / self.previous if self.previous else None


def share(count: int, total: int) -> float | None:
    """`count` as a fraction of `total`; None when the total is 0."""
    return count / total if total else None


def township_of(area: str | None) -> str | None:
    """The township's 9-digit division code of a place's code (6, 9 or 12 digits), or None."""
    if area is None or len(area) not in (9, 12) or not area.isdigit():
        return None
    return area[:9]


def top_level_of(category: str, parent_of: Mapping[str, str | None]) -> str:
    """The root of `category` in the list (its level-1 category; a level-1 category is its own).

    A parent the list does not know ends the walk there; a cycle ends it where it closes.
    """
    seen = {category}
    while (parent := parent_of.get(category)) is not None and parent not in seen:
        seen.add(parent)
        category = parent
    return category


def changes(
    current: Mapping[str, int], previous: Mapping[str, int], keys: Iterable[str] | None = None
) -> list[tuple[str, Change]]:
    """(key, Change) for each of `keys` in their order, or, without keys, for every key counted in
    either period by code."""
    order = list(keys) if keys is not None else sorted(set(current) | set(previous))
    return [(k, Change(current.get(k, 0), previous.get(k, 0))) for k in order]


def ranked(
    current: Mapping[str, int], previous: Mapping[str, int], n: int | None = TOP
) -> list[tuple[str, Change]]:
    """The keys counted this period, most first, equal counts by key; the first `n` (None: all)."""
    order = sorted((k for k, c in current.items() if c > 0), key=lambda k: (-current[k], k))
    return changes(current, previous, order[:n] if n is not None else order)


@dataclass(frozen=True)
class Placed:
    """One group of appeals from the database: how many were filed under a category at a place."""

    category: str | None
    area: str | None
    count: int


@dataclass(frozen=True)
class Hot:
    """One hot spot (热点): a category or a township, its counts, and for a category the township
    where it was most frequent (None when none of its appeals was placed in a township)."""

    code: str
    change: Change
    township: tuple[str, int] | None = None


@dataclass(frozen=True)
class HotSpots:
    categories: list[Hot]  # the top categories as filed (the list's most specific level given)
    top_categories: list[Hot]  # the same rolled up to the level-1 categories
    townships: list[Hot]  # every township counted this period or the one before, ranked
    uncategorised: Change  # appeals filed under no category
    unplaced: Change  # appeals placed in no township (county-level or no place)


def _most_frequent(per_township: Mapping[str, int]) -> tuple[str, int] | None:
    best = ranked(per_township, {}, 1)
    return (best[0][0], best[0][1].count) if best else None


@dataclass
class _Counts:
    """One period's groups added up by category (as filed, and at level 1) and by township."""

    leaf: Counter[str]
    root: Counter[str]
    township: Counter[str]
    leaf_where: dict[str, Counter[str]]  # per category as filed: per township
    root_where: dict[str, Counter[str]]  # per level-1 category: per township
    uncategorised: int = 0
    unplaced: int = 0

    @classmethod
    def of(cls, rows: Iterable[Placed], parent_of: Mapping[str, str | None]) -> _Counts:
        c = cls(Counter(), Counter(), Counter(), {}, {})
        for row in rows:
            township = township_of(row.area)
            if township is None:
                c.unplaced += row.count
            else:
                c.township[township] += row.count
            if row.category is None:
                c.uncategorised += row.count
                continue
            top = top_level_of(row.category, parent_of)
            c.leaf[row.category] += row.count
            c.root[top] += row.count
            if township is not None:
                c.leaf_where.setdefault(row.category, Counter())[township] += row.count
                c.root_where.setdefault(top, Counter())[township] += row.count
        return c


def hot_spots(
    current: Iterable[Placed],
    previous: Iterable[Placed],
    parent_of: Mapping[str, str | None],
    n: int = TOP,
) -> HotSpots:
    """The hot categories (as filed and rolled up to level 1, top `n` each, each with its most
    frequent township) and every township ranked, from the groups of this period and the one before.

    `parent_of` maps each category code of the list to its parent's (None for level 1).
    """
    now, then = _Counts.of(current, parent_of), _Counts.of(previous, parent_of)

    def hot(
        counts: Mapping[str, int], before: Mapping[str, int], where: dict[str, Counter[str]]
    ) -> list[Hot]:
        return [Hot(k, c, _most_frequent(where.get(k, Counter()))) for k, c in ranked(counts, before, n)]

    townships = ranked(now.township, then.township, None) + [
        (k, Change(0, count)) for k, count in sorted(then.township.items()) if count and not now.township[k]
    ]
    return HotSpots(
        categories=hot(now.leaf, then.leaf, now.leaf_where),
        top_categories=hot(now.root, then.root, now.root_where),
        townships=[Hot(k, c) for k, c in townships],
        uncategorised=Change(now.uncategorised, then.uncategorised),
        unplaced=Change(now.unplaced, then.unplaced),
    )


def daily(counts: Mapping[int, int], days: int) -> list[int]:
    """The counts of days 1..`days` of a month as a list (a day with nothing is 0)."""
    if not 28 <= days <= 31:
        raise ValueError(f"a month has 28 to 31 days, not {days}")
    unknown = sorted(d for d in counts if not 1 <= d <= days)
    if unknown:
        raise ValueError(f"days {unknown} are outside a month of {days} days")
    return [counts.get(day, 0) for day in range(1, days + 1)]
