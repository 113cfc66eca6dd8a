"""Category codes whose leading zeros Excel dropped, given back where the list says which they were.

A clerk types 0101 into a cell formatted General (常规); Excel stores the number 101 and shows
101. A number format such as `0000` shows the zeros again (`xlsx_numbers` reads the cell as it is
shown); without one, the code is restored from the other codes of the list:

- a reference (上级分类代码, and 分类代码 in the 职责清单 sheet) becomes the one code of the 分类
  sheet that is it with zeros in front (101 → 0101), if there is exactly one and 101 itself is
  not a code;
- a definition (分类代码 in the 分类 sheet) is padded to a width the column's codes typed as text
  use, the width of its siblings' codes, and — where the list's codes begin with their parent's
  code, as 0101 does with 01 — a code beginning with its parent's.

Where that still leaves more than one code, the row is reported, not guessed. A column whose codes
are all numbers has nothing to compare with and is read as typed. Pure functions over plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .text import Text, t


@dataclass
class CodeCell:
    """A code cell of the 分类 sheet: its text and whether it was typed as a number."""

    row: int
    code: str
    code_typed: bool
    parent: str
    parent_typed: bool


def ambiguous(column: str, code: str, candidates: Iterable[str]) -> Text:
    return t(
        "{column} {code} was typed as a number, which drops leading zeros, and could be any of "
        "{codes}; format the column as text (文本) and type the code",
        column=column,
        code=code,
        codes=sorted(candidates),
    )


def restore_reference(code: str, codes: Iterable[str]) -> tuple[str, list[str]]:
    """(the code meant, []), or (code, the candidates) when several codes could be meant."""
    if not code.isdigit() or code.startswith("0"):
        return code, []
    padded = [c for c in set(codes) if c.isdigit() and len(c) > len(code) and c.lstrip("0") == code]
    if not padded:
        return code, []
    if len(padded) == 1 and code not in codes:
        return padded[0], []
    return code, sorted(padded + ([code] if code in codes else []))


def restore_categories(cells: list[CodeCell]) -> list[tuple[int, Text]]:
    """Restore the codes and parent codes of the 分类 sheet in place; problems as (row, message)."""
    problems: list[tuple[int, Text]] = []
    typed = [c for c in cells if not c.code_typed and c.code]
    if not typed:
        return problems
    text_codes = {c.code for c in typed}
    widths = {len(c.code) for c in typed}
    with_parent = [c for c in typed if c.parent and not c.parent_typed]
    nested = bool(with_parent) and all(
        c.code.startswith(c.parent) and len(c.code) > len(c.parent) for c in with_parent
    )
    known = set(text_codes)
    for cell in cells:  # in sheet order: a parent (listed first) is restored before its children
        if cell.parent_typed:
            cell.parent, _ = restore_reference(cell.parent, known)
        if not cell.code_typed or not cell.code.isdigit():
            continue
        options = [cell.code.zfill(w) for w in sorted(widths) if w >= len(cell.code)]
        if nested and cell.parent:
            options = [o for o in options if o.startswith(cell.parent) and len(o) > len(cell.parent)]
        siblings = {len(c.code) for c in typed if c.parent == cell.parent}
        options = [o for o in options if len(o) in siblings] or options
        if len(options) == 1:
            cell.code = options[0]
            known.add(cell.code)
        elif len(options) > 1:
            problems.append((cell.row, ambiguous("分类代码", cell.code, options)))
    codes = {c.code for c in cells}
    for cell in cells:  # parents again, against every code (a parent may be listed below)
        if cell.parent_typed:
            cell.parent, options = restore_reference(cell.parent, codes)
            if options:
                problems.append((cell.row, ambiguous("上级分类代码", cell.parent, options)))
    return problems
