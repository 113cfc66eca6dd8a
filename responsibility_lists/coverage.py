"""What a list leaves open: categories no rule reaches, townships without a government unit."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Area, Category, ResponsibilityList


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

    def lines(self) -> list[str]:
        """The report's coverage section (none when nothing is open)."""
        lines = []
        if self.unreached_categories or self.townships_without_government:
            lines.append("Coverage:")
        if self.unreached_categories:
            lines.append(f"  categories no rule reaches ({len(self.unreached_categories)}):")
            for cat, below in self.gaps:
                if below is not None:
                    more = f" and the {below} categories below it" if below else ""
                    lines.append(f"    {cat.code} {cat.name}{more} ({cat.source})")
            partial = [cat for cat, below in self.gaps if below is None]
            if partial:
                shown = ", ".join(f"{c.code} {c.name}" for c in partial[:5])
                more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
                lines.append(
                    f"    {len(partial)} with rules only for categories below them (an appeal classified at that "
                    f"level finds no rule): {shown}{more}"
                )
        if self.townships_without_government:
            lines.append(
                f"  townships without a township-government unit ({len(self.townships_without_government)}):"
                " territorial rules cannot be routed there"
            )
            lines += [f"    {a.code} {a.name}" for a in self.townships_without_government]
        return lines


def coverage(lst: ResponsibilityList, categories: dict) -> Coverage:
    """What `lst` leaves open; `categories` by code."""
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
