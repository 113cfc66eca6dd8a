"""Reading one row of the 职责清单 sheet back into a Rule.

Each value has a code column (decides when filled) and a published wording column (read when
the code is empty; must agree with the code when both are filled, so an edit to only one of
them is caught instead of silently ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import xlsx_text as words
from .model import SCOPE_COUNTY, SCOPE_TERRITORIAL, Area, Category, Rule, Source, Unit
from .text import t
from .xlsx_codes import ambiguous, restore_reference

SCOPES = (SCOPE_COUNTY, SCOPE_TERRITORIAL)
LEVELS = ("一级分类", "二级分类", "三级分类/事项")


def carry_outline(rows: list[tuple[int, dict[str, str]]]) -> None:
    """Fill in place the category levels a clerk wrote once above a block of sub-rows.

    In an outline the parent category is written in its first row and left blank below, where
    the rows name only the deeper level: a blank level of a row that names a deeper one is the
    level of the row above, as long as the levels it does name agree with that row's. A block is
    a run of rule rows without an empty row between them; a row naming no category at all is left
    as it is (a merged cell says "the same category" explicitly).
    """
    above: tuple[int, list[str]] | None = None
    for number, cells in rows:
        names = [cells[level].strip() for level in LEVELS]
        if above is not None and above[0] == number - 1:
            deepest = max((i for i, name in enumerate(names) if name), default=-1)
            for i in range(deepest):
                agree = all(names[j] in ("", above[1][j]) for j in range(i))
                if not names[i] and agree:
                    names[i] = above[1][i]
                    cells[LEVELS[i]] = names[i]
        above = (number, names)


class RuleReader:
    def __init__(
        self, units: tuple[Unit, ...], categories: tuple[Category, ...], areas: tuple[Area, ...]
    ) -> None:
        self.units = {u.code: u for u in units}
        self.categories = {c.code: c for c in categories}
        self.areas = areas
        self.area_index = {a.code: a for a in areas}
        self.unit_names: dict[str, list[str]] = {}
        for u in units:
            self.unit_names.setdefault(words.normal(u.name), []).append(u.code)
        self.category_names: dict[tuple[str | None, str], list[str]] = {}
        for c in categories:
            self.category_names.setdefault((c.parent, words.normal(c.name)), []).append(c.code)

    def read(self, cells: dict[str, str], row: int, source: Source) -> tuple[Rule, list[str]]:
        errors: list[str] = []
        seq = words.code_text(cells["序号"])
        whole = re.fullmatch(r"(\d+)(?:\.0*)?", seq)  # 4, or 4.0 where the format shows a decimal
        rule_id = words.code_text(cells["规则编号"]) or (
            f"R{int(whole.group(1)):04d}" if whole else f"R{row:04d}"
        )
        names = (cells["一级分类"].strip(), cells["二级分类"].strip(), cells["三级分类/事项"].strip())
        category_code = words.code_text(cells["分类代码"])
        if "分类代码" in getattr(cells, "numbers", ()):
            category_code, options = restore_reference(category_code, self.categories)
            if options:
                errors.append(ambiguous("分类代码", category_code, options))
        category = _pick(
            category_code,
            names if any(names) else None,
            lambda code: words.category_cells(code, self.categories) if code in self.categories else None,
            lambda given: self.category_by_names(given, errors),
            ("分类代码", "一级分类/二级分类/三级分类/事项"),
            errors,
            joiner="/",
        )
        scope = _pick(
            words.code_text(cells["属地代码"]),
            cells["属地层级"].strip() or None,
            lambda code: (
                words.scope_words(code, self.area_index)
                if code in self.area_index or code in SCOPES
                else None
            ),
            lambda given: words.parse_scope(given, self.areas, errors),
            ("属地代码", "属地层级"),
            errors,
        )
        lead = _pick(
            words.code_text(cells["主责单位代码"]),
            cells["主责单位"].strip() or None,
            lambda code: words.lead_words(code, self.units),
            lambda given: self.unit_by_name(given, "主责单位", errors),
            ("主责单位代码", "主责单位"),
            errors,
        )
        if scope == SCOPE_TERRITORIAL and not lead:
            lead = SCOPE_TERRITORIAL
        co_codes = tuple(words.code_text(c) for c in words.split_names(cells["配合单位代码"]))
        co_names = words.split_names(cells["配合单位"])
        co = _pick(
            co_codes,
            co_names or None,
            lambda codes: (
                tuple(self.units[c].name for c in codes) if all(c in self.units for c in codes) else None
            ),
            lambda given: tuple(self.unit_by_name(n, "配合单位", errors) for n in given),
            ("配合单位代码", "配合单位"),
            errors,
        )
        limits = words.parse_limits(cells["签收时限"], cells["办理时限"], errors)
        rule = Rule(
            id=rule_id,
            category=category or "",
            scope=scope or "",
            lead=lead or "",
            co=tuple(c for c in co or () if c),
            limits=limits,
            basis=cells["依据"],
            note=cells["备注"],
            source=source,
        )
        return rule, errors

    def unit_by_name(self, name: str, column: str, errors: list[str]) -> str:
        if words.normal(name) in (words.TERRITORIAL_LEAD, "属地", "属地乡镇(街道)"):
            return SCOPE_TERRITORIAL
        codes = self.unit_names.get(words.normal(name), [])
        if len(codes) == 1:
            return codes[0]
        problem = (
            t("several units are named {name!r} ({codes})", name=name, codes=codes)
            if codes
            else t("no unit named {name!r}", name=name)
        )
        errors.append(
            t(
                "{column}: {problem} in the 单位 sheet; fill in the code column",
                column=column,
                problem=problem,
            )
        )
        return ""

    def category_by_names(self, names: tuple[str, ...], errors: list[str]) -> str:
        path = [n for n in (names[0], names[1], *names[2].split(" / ")) if n]
        parent: str | None = None
        for depth, name in enumerate(path):
            codes = self.category_names.get((parent, words.normal(name)), [])
            if len(codes) != 1:
                shown = "/".join(path[: depth + 1])
                errors.append(
                    t("分类: no single category {path!r} in the 分类 sheet; fill in 分类代码", path=shown)
                )
                return ""
            parent = codes[0]
        return parent or ""


def _pick(
    code: Any,
    given: Any,
    render: Callable[[Any], Any],
    resolve: Callable[[Any], Any],
    labels: tuple[str, str],
    errors: list[str],
    joiner: str = "、",
) -> Any:
    """The code when filled (checking the wording agrees), else the code the wording names."""
    if code:
        expected = render(code)
        if given is not None and expected is not None and tuple(_flat(given)) != tuple(_flat(expected)):
            message = t(
                "{words_column} says {given} but {code_column} {code} means {expected}; "
                "change both, or clear {code_column}",
                words_column=labels[1],
                given=_show(given, joiner),
                code_column=labels[0],
                code=_show(code, joiner),
                expected=_show(expected, joiner),
            )
            errors.append(message)
        return code
    if given is None:
        return None
    return resolve(given)


def _flat(value: Any) -> list[str]:
    if isinstance(value, str):
        return [words.normal(value)]
    return [words.normal(str(v)) for v in value]


def _show(value: Any, joiner: str) -> str:
    return repr(value if isinstance(value, str) else joiner.join(v for v in value if v))
