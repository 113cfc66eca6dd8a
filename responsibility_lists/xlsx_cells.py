"""What openpyxl's streaming reader does not say about a sheet: merged cells, unsaved formulas and
hidden rows and columns.

A clerk writes a category once and merges the cell down over its items; openpyxl (read-only,
which keeps a big workbook cheap) returns the value in the first row only. A formula cell keeps
its value only if the program that saved the file computed it (Excel and WPS do; a script that
writes `=A1` does not), and openpyxl returns nothing for it. Both are found here by one streaming
pass over the sheet's XML, so the reader can fill merged cells and refuse unsaved formulas
instead of reading blanks. Hidden rows and columns are found in the same pass, so the reader can
warn about them (the clerk may not know they are there).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from .text import Text, t

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls, and of password-protected .xlsx
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass
class SheetCells:
    """Merged ranges `(first_row, first_column, last_row, last_column)` (1-based) and formulas
    without a saved value, `{(row, column): formula}`.

    A merged value counts in the merge's first column only: a value merged across columns
    (二级分类 and 三级分类 together, a title over the whole sheet) belongs to its first column.
    """

    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    unsaved_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)


def not_a_workbook(source: str | Any | IO[bytes]) -> Text | None:
    """Why the file cannot be an .xlsx workbook, judged from its first bytes (None if it may be)."""
    if hasattr(source, "read"):
        source.seek(0)
        head = source.read(512)
        source.seek(0)
    else:
        with open(source, "rb") as f:
            head = f.read(512)
    if not head:
        return t("the file is empty")
    if head.startswith(_OLE2):
        return t(
            "this is an old Excel 97-2003 workbook (.xls) or a password-protected one; "
            "save it in Excel or WPS as an Excel workbook (.xlsx) without a password"
        )
    if head.startswith(b"PK"):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
        except UnicodeDecodeError:
            return t("this is not an .xlsx workbook; save it in Excel or WPS as an Excel workbook (.xlsx)")
    return t(
        "this is a text file (CSV?), not an .xlsx workbook; open it in Excel or WPS and save it "
        "as an Excel workbook (.xlsx)"
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _cell(ref: str) -> tuple[int, int] | None:
    match = _CELL_REF.match(ref.replace("$", "").upper())
    return (int(match.group(2)), _column_number(match.group(1))) if match else None


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name in the archive."""
    targets = {}
    for _, el in iterparse(archive.open("xl/_rels/workbook.xml.rels")):
        if _local(el.tag) == "Relationship":
            target = el.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            targets[el.get("Id")] = path
    parts = {}
    for _, el in iterparse(archive.open("xl/workbook.xml")):
        if _local(el.tag) == "sheet" and el.get(_REL) in targets:
            parts[el.get("name", "")] = targets[el.get(_REL)]
    return parts


def read_sheet_cells(source: str | Any | IO[bytes], sheets: tuple[str, ...]) -> dict[str, SheetCells]:
    """Merged ranges and unsaved formulas of the named sheets (those absent are left out)."""
    if hasattr(source, "seek"):
        source.seek(0)
    out: dict[str, SheetCells] = {}
    with zipfile.ZipFile(source) as archive:
        parts = _sheet_parts(archive)
        for name in sheets:
            if parts.get(name) in archive.namelist():
                out[name] = _scan(archive.open(parts[name]))
    return out


def _scan(stream: IO[bytes]) -> SheetCells:
    found = SheetCells()
    row = 0  # a row's number, counted on when the file leaves out its r="" (it may)
    for _, el in iterparse(stream):
        tag = _local(el.tag)
        if tag == "c":
            formula, value = None, False
            for child in el:
                name = _local(child.tag)
                if name == "f":
                    formula = child.text or ""
                elif name == "v":
                    value = bool(child.text)
            # A shared formula's followers have an empty <f si=".."/>: still a formula.
            if formula is not None and not value and (cell := _cell(el.get("r", ""))) is not None:
                found.unsaved_formulas[cell] = "=" + formula
            el.clear()
        elif tag == "row":
            number = el.get("r") or ""
            row = int(number) if number.isdigit() else row + 1
            if el.get("hidden") in ("1", "true"):
                found.hidden_rows.add(row)
            el.clear()
        elif tag == "col" and el.get("hidden") in ("1", "true"):
            low, high = el.get("min") or "", el.get("max") or el.get("min") or ""
            if low.isdigit() and high.isdigit():
                found.hidden_columns.update(range(int(low), min(int(high), 16384) + 1))
        elif tag == "mergeCell":
            first, _, last = el.get("ref", "").partition(":")
            a, b = _cell(first), _cell(last or first)
            if a and b:
                found.merged.append((a[0], a[1], b[0], b[1]))
    return found
