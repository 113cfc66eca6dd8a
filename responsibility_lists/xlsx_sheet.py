"""A sheet's rows as the clerk sees them: merged cells filled, numbers and dates as shown, the
header found below title rows, and what the clerk may not see (hidden rows, columns and sheets)
reported as warnings beside the list, not silently read or dropped.

Works on an open openpyxl workbook (read-only) plus what `xlsx_cells` found in the sheet XML;
no other I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl.utils import get_column_letter

from .model import Source
from .problems import Problem
from .text import t
from .xlsx_cells import SheetCells
from .xlsx_layout import HEADER_SEARCH_ROWS, NOT_CONTENT
from .xlsx_numbers import Shown, shown

SheetRow = tuple[int, list[Shown], dict[int, str]]


def header_name(value: str) -> str:
    """A column name as written, read without spaces, line breaks or full-width forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


class RowCells(dict[str, str]):
    """One row as {column: text}; `numbers` names the columns whose cell held a number shown
    without leading zeros (a code typed into it may have lost them)."""

    numbers: frozenset[str] = frozenset()


def spans(numbers: Iterable[int]) -> str:
    """5, 7–9, 12: row numbers as a clerk writes them."""
    out: list[list[int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][-1] + 1:
            out[-1].append(n)
        else:
            out.append([n])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in out)


class SheetReader:
    """Reads sheets; collects errors (the list cannot be read) and warnings (it was, but look)."""

    def __init__(self, wb: Any, file: str, cells: dict[str, SheetCells]) -> None:
        self.wb = wb
        self.file = file
        self.cells = cells
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, sheet: str, row: int, message: str) -> None:
        self.problems.append(Problem(Source(self.file, sheet=sheet, row=row), message))

    def warn(self, sheet: str, row: int, message: str) -> None:
        self.warnings.append(Problem(Source(self.file, sheet=sheet, row=row), message))

    def sheet_rows(self, sheet: str) -> Iterator[SheetRow]:
        """Each row as (number, cells as shown, {column index: formula without a saved value}).

        A merged cell reads as its first cell in every row it covers (its first column only).
        """
        extra = self.cells.get(sheet, SheetCells())
        # Swept row by row (a merge is not expanded cell by cell: one may span a whole column).
        starts: dict[int, list[tuple[int, int]]] = {}
        for first_row, first_col, last_row, _ in extra.merged:
            starts.setdefault(first_row, []).append((first_col, last_row))
        formulas: dict[int, dict[int, str]] = {}
        for (r, c), formula in extra.unsaved_formulas.items():
            formulas.setdefault(r, {})[c - 1] = formula
        epoch_1904 = getattr(self.wb, "epoch", None) is not None and self.wb.epoch.year == 1904
        active: dict[int, tuple[int, Shown]] = {}  # column → (last row of its merge, value)
        for number, values in enumerate(self.wb[sheet].iter_rows(), start=1):
            row = [_shown(cell, epoch_1904) for cell in values]
            for c in [c for c, (last, _) in active.items() if last < number]:
                del active[c]
            for c, (_, value) in active.items():
                row += [Shown("")] * (c - len(row))
                if not row[c - 1].text:
                    row[c - 1] = value
            for c, last in starts.get(number, ()):
                if c <= len(row) and row[c - 1].text:  # an empty merge has nothing to fill
                    active[c] = (last, row[c - 1])
            yield number, row, formulas.get(number, {})

    def rows(
        self, sheet: str, columns: tuple[str, ...], required: bool = True, optional: tuple[str, ...] = ()
    ) -> list[tuple[int, RowCells]]:
        """The non-empty rows below the header, as {column: text}; a missing column is an error
        unless it is `optional` (then it reads as empty)."""
        if sheet not in self.wb.sheetnames:
            if required:
                self.problems.append(
                    Problem(Source(self.file), t("the workbook has no sheet {sheet}", sheet=sheet))
                )
            return []
        it = self.sheet_rows(sheet)
        header_row, header = self.header(it, columns)
        missing = [c for c in columns if c not in header]
        if missing:
            self.error(sheet, header_row, t("missing column(s): {columns}", columns=missing))
            return []
        where = {c: header.index(c) for c in columns + optional if c in header}
        read = {i: c for c, i in where.items()}
        out = []
        counted = [i for i, c in read.items() if c not in NOT_CONTENT]
        filled: set[int] = set()  # columns read that hold something
        for number, cells, unsaved in it:
            for index, formula in unsaved.items():
                if index in read:
                    self.unsaved_formula(sheet, number, read[index], formula)
            if not any(cells[i].text.strip() for i in counted if i < len(cells)):
                continue  # empty, or only numbered in advance (序号) or filled in columns not read
            row = RowCells()
            numbers = set()
            for c in columns + optional:
                cell = cells[where[c]] if c in where and where[c] < len(cells) else Shown("")
                row[c] = cell.text
                if cell.text.strip():
                    filled.add(where[c])
                if cell.number:
                    numbers.add(c)
                if cell.hides is not None:
                    self.rounded(sheet, number, c, where[c], cell)
            row.numbers = frozenset(numbers)
            out.append((number, row))
        self.warn_hidden(sheet, header_row, [n for n, _ in out], {read[i]: i for i in filled})
        return out

    def header(self, it: Iterator[SheetRow], columns: tuple[str, ...]) -> tuple[int, list[str]]:
        """The header row: the first of the top rows that has every column (a title row or two
        may stand above it), else the first non-empty one; its names read without spaces or line
        breaks. `it` is left at the row below the header."""
        first: tuple[int, list[str]] | None = None
        for number, cells, _ in it:
            names = [header_name(c.text) for c in cells]
            if all(c in names for c in columns):
                return number, names
            if first is None and any(names):
                first = (number, names)
            if number >= HEADER_SEARCH_ROWS:
                break
        return first or (1, [])

    def unsaved_formula(self, sheet: str, row: int, column: str, formula: str) -> None:
        message = t(
            "{column}: the formula {formula} has no saved value (the program that wrote the file did "
            "not compute it); open the workbook in Excel or WPS and save it, or type the value",
            column=column,
            formula=formula,
        )
        self.error(sheet, row, message)

    def rounded(self, sheet: str, row: int, column: str, index: int, cell: Shown) -> None:
        message = t(
            "{column} (cell {cell}) holds {value} but shows {shown}: its number format rounds the "
            "value; type the value you mean, or widen the format's decimals",
            column=column,
            cell=f"{get_column_letter(index + 1)}{row}",
            value=cell.hides,
            shown=cell.text,
        )
        self.error(sheet, row, message)

    def warn_hidden(self, sheet: str, header_row: int, rows: list[int], columns: dict[str, int]) -> None:
        """Warn of the rows read and the columns read with content that Excel does not show."""
        extra = self.cells.get(sheet, SheetCells())
        hidden = [n for n in rows if n in extra.hidden_rows]
        if hidden:
            message = t(
                "row(s) {rows} are hidden in the workbook but were read like the others; unhide "
                "them to check them before publishing",
                rows=spans(hidden),
            )
            self.warn(sheet, hidden[0], message)
        names = [
            f"{name} ({get_column_letter(i + 1)})"
            for name, i in sorted(columns.items(), key=lambda item: item[1])
            if i + 1 in extra.hidden_columns
        ]
        if names:
            message = t(
                "column(s) {columns} are hidden in the workbook but were read like the others; "
                "unhide them to check them before publishing",
                columns=names,
            )
            self.warn(sheet, header_row, message)

    def warn_hidden_sheets(self, read: tuple[str, ...]) -> None:
        """Warn of every hidden sheet: those of the list are read, the others are not."""
        for ws in self.wb.worksheets:
            state = getattr(ws, "sheet_state", "visible")
            if state == "visible":
                continue
            if ws.title in read:
                message = (
                    t(
                        "the sheet {sheet} is very hidden (Excel's Unhide does not list it; only the "
                        "VBA editor shows it) but was read like the others; check it before publishing",
                        sheet=ws.title,
                    )
                    if state == "veryHidden"
                    else t(
                        "the sheet {sheet} is hidden in the workbook but was read like the others; "
                        "unhide it to check it before publishing",
                        sheet=ws.title,
                    )
                )
            else:
                message = t(
                    "the sheet {sheet} is hidden and is not part of the list, so it was not read "
                    "(only the sheets {sheets} are)",
                    sheet=ws.title,
                    sheets=list(read),
                )
            self.warnings.append(Problem(Source(self.file, sheet=ws.title, row=1), message))


def _shown(cell: Any, epoch_1904: bool) -> Shown:
    value = getattr(cell, "value", None)
    if value is None:
        return Shown("")
    style = getattr(cell, "style_array", None)
    format_id = style.numFmtId if style is not None else 0
    return shown(value, getattr(cell, "number_format", None), format_id, epoch_1904)
