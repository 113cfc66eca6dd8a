"""The list as an Excel workbook, for clerks who maintain it in a spreadsheet.

Sheet 职责清单 has the columns of published lists, then code columns that make the round trip
lossless. When a code cell is filled it decides and the published wording beside it must agree;
when it is empty the wording is read (so a hand-made sheet of published columns also imports).
The other sheets carry the rest: 说明, 单位, 分类, 区划, 日历. See README.md for the layout
(`xlsx_layout`); this module reads a workbook, `xlsx_export` writes one.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from openpyxl import load_workbook

from . import xlsx_text as words
from .dump import number_text
from .model import (
    Area,
    Calendar,
    Category,
    Contact,
    EscalationStep,
    Jurisdiction,
    Limit,
    ResponsibilityList,
    Rule,
    Source,
    Unit,
)
from .problems import ListFormatError, Problem
from .text import t
from .xlsx_cells import SheetCells, not_a_workbook, read_sheet_cells
from .xlsx_export import export_xlsx
from .xlsx_layout import (
    AREA_COLUMNS,
    AREAS,
    CALENDAR,
    CALENDAR_COLUMNS,
    CATEGORIES,
    CATEGORY_COLUMNS,
    CONTACT_FIELDS,
    EXTRA,
    HEADER_SEARCH_ROWS,
    INFO,
    INFO_KEYS,
    KIND_CODES,
    MAIN,
    NOT_CONTENT,
    OPTIONAL_INFO,
    PUBLISHED,
    REST,
    UNIT_COLUMNS,
    UNITS,
    WORK,
)
from .xlsx_rules import RuleReader

__all__ = ["EXTRA", "MAIN", "PUBLISHED", "export_xlsx", "import_xlsx"]


# -- import ------------------------------------------------------------------------------------


def header_name(value: str) -> str:
    """A column name as written, read without spaces, line breaks or full-width forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


class _Reader:
    def __init__(self, wb: Any, file: str, cells: dict[str, SheetCells]) -> None:
        self.wb = wb
        self.file = file
        self.cells = cells
        self.problems: list[Problem] = []

    def error(self, sheet: str, row: int, message: str) -> None:
        self.problems.append(Problem(Source(self.file, sheet=sheet, row=row), message))

    def sheet_rows(self, sheet: str) -> Iterator[tuple[int, list[str], dict[int, str]]]:
        """Each row as (number, cell texts, {column index: formula without a saved value}).

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
        active: dict[int, tuple[int, Any]] = {}  # column → (last row of its merge, value)
        for number, values in enumerate(self.wb[sheet].iter_rows(values_only=True), start=1):
            row = list(values)
            for c in [c for c, (last, _) in active.items() if last < number]:
                del active[c]
            for c, (_, value) in active.items():
                row += [None] * (c - len(row))
                if row[c - 1] is None:
                    row[c - 1] = value
            for c, last in starts.get(number, ()):
                if c <= len(row) and row[c - 1] is not None:  # an empty merge has nothing to fill
                    active[c] = (last, row[c - 1])
            unsaved = formulas.get(number, {})
            yield number, [_text(v) for v in row], unsaved

    def rows(
        self, sheet: str, columns: tuple[str, ...], required: bool = True, optional: tuple[str, ...] = ()
    ) -> list[tuple[int, dict[str, str]]]:
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
        for number, cells, unsaved in it:
            for index, formula in unsaved.items():
                if index in read:
                    self.unsaved_formula(sheet, number, read[index], formula)
            if not any(cells[i].strip() for i in counted if i < len(cells)):
                continue  # empty, or only numbered in advance (序号) or filled in columns not read
            row = {
                c: cells[where[c]] if c in where and where[c] < len(cells) else "" for c in columns + optional
            }
            out.append((number, row))
        return out

    def header(
        self, it: Iterator[tuple[int, list[str], dict[int, str]]], columns: tuple[str, ...]
    ) -> tuple[int, list[str]]:
        """The header row: the first of the top rows that has every column (a title row or two
        may stand above it), else the first non-empty one; its names read without spaces or line
        breaks. `it` is left at the row below the header."""
        first: tuple[int, list[str]] | None = None
        for number, cells, _ in it:
            names = [header_name(c) for c in cells]
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

    def info(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if INFO not in self.wb.sheetnames:
            self.problems.append(
                Problem(Source(self.file), t("the workbook has no sheet {sheet}", sheet=INFO))
            )
            return found
        for number, values, unsaved in self.sheet_rows(INFO):
            cells = [v.strip() for v in values] + ["", ""]
            if cells[0] in INFO_KEYS:
                if 1 in unsaved:
                    self.unsaved_formula(INFO, number, cells[0], unsaved[1])
                found[INFO_KEYS[cells[0]]] = cells[1]
                found[f"row:{INFO_KEYS[cells[0]]}"] = str(number)
        for key, field in INFO_KEYS.items():
            if not found.get(field) and field not in OPTIONAL_INFO:
                self.problems.append(
                    Problem(Source(self.file, sheet=INFO, row=1), t("{key} is missing", key=key))
                )
        return found

    def json_cell(self, sheet: str, row: int, column: str, text: str) -> list[Any]:
        if not text.strip():
            return []
        try:
            value = json.loads(text)
        except ValueError as exc:
            self.error(sheet, row, t("{column} is not valid JSON: {detail}", column=column, detail=str(exc)))
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error(sheet, row, t("{column} must be a JSON list of objects", column=column))
            return []
        return value

    def contacts(self, sheet: str, row: int, column: str, items: list[Any]) -> tuple[Contact, ...]:
        out = []
        for item in items:
            bad = [k for k in item if k not in CONTACT_FIELDS] + [
                k for k, v in item.items() if not isinstance(v, str)
            ]
            if bad or not item.get("name"):
                message = t(
                    "{column}: each contact needs a name and only {fields} as text",
                    column=column,
                    fields=list(CONTACT_FIELDS),
                )
                self.error(sheet, row, message)
                continue
            out.append(Contact(**item))
        return tuple(out)

    def unit(self, row: int, cells: dict[str, str]) -> Unit:
        code = words.code_text(cells["单位代码"])
        ladder = []
        for item in self.json_cell(UNITS, row, "督办升级", cells["督办升级"]):
            level, minutes, units = item.get("level"), item.get("after_minutes", 30), item.get("units", [])
            ok = isinstance(level, int) and isinstance(minutes, int) and isinstance(item.get("title"), str)
            ok = (
                ok
                and isinstance(units, list)
                and set(item) <= {"level", "title", "after_minutes", "contacts", "units"}
            )
            if not ok:
                self.error(
                    UNITS,
                    row,
                    t("督办升级: each step needs level and title; after_minutes, contacts, units optional"),
                )
                continue
            contacts = self.contacts(UNITS, row, "督办升级", item.get("contacts", []))
            ladder.append(
                EscalationStep(level, item["title"], minutes, contacts, tuple(str(u) for u in units))
            )
        kind = cells["类型"].strip()
        return Unit(
            code=code,
            name=cells["单位名称"],
            kind=KIND_CODES.get(kind, kind),
            parent=words.code_text(cells["上级单位代码"]) or None,
            area=words.code_text(cells["管辖区划代码"]) or None,
            contacts=self.contacts(
                UNITS, row, "值班联系人", self.json_cell(UNITS, row, "值班联系人", cells["值班联系人"])
            ),
            escalation=tuple(ladder),
            source=Source(self.file, sheet=UNITS, row=row),
        )

    def category(self, row: int, cells: dict[str, str]) -> Category:
        urgent = cells["紧急类"].strip()
        if urgent not in ("是", "否", ""):
            self.error(CATEGORIES, row, t("紧急类 must be 是 or 否, not {value!r}", value=urgent))
        return Category(
            code=words.code_text(cells["分类代码"]),
            name=cells["分类名称"],
            parent=words.code_text(cells["上级分类代码"]) or None,
            keywords=words.split_names(cells["关键词"]),
            usual_types=words.split_names(cells["常见诉求类型"]),
            urgent=urgent == "是",
            source=Source(self.file, sheet=CATEGORIES, row=row),
        )

    def area(self, row: int, cells: dict[str, str]) -> Area | None:
        code, level = words.code_text(cells["区划代码"]), cells["层级"].strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            self.error(AREAS, row, t("区划代码 {code!r} must be a 6, 9 or 12 digit division code", code=code))
        elif level not in ("county", "township", "village"):
            self.error(AREAS, row, t("层级 {level!r} must be county, township or village", level=level))
        else:
            return Area(code, cells["名称"], level, words.code_text(cells["上级代码"]) or None)
        return None


def import_xlsx(path: str | os.PathLike[str] | IO[bytes], filename: str | None = None) -> ResponsibilityList:
    """Read a workbook written by `export_xlsx` (or edited from one); `filename` names it in messages."""
    file = filename or (str(path) if isinstance(path, str | os.PathLike) else "<workbook>")
    try:
        wrong = not_a_workbook(path)
    except OSError as exc:
        raise ListFormatError(
            [Problem(Source(file), t("cannot read the file: {detail}", detail=str(exc)))]
        ) from exc
    if wrong is not None:
        raise ListFormatError([Problem(Source(file), wrong)])
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:
        message = t(
            "the workbook is damaged or incomplete ({detail}); save it again in Excel or WPS", detail=str(exc)
        )
        raise ListFormatError([Problem(Source(file), message)]) from exc
    except KeyError as exc:  # a ZIP without the parts of a workbook
        message = t("this is a ZIP archive but not an .xlsx workbook (a .docx or a compressed folder?)")
        raise ListFormatError([Problem(Source(file), message)]) from exc
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ListFormatError(
            [Problem(Source(file), t("cannot read the workbook: {detail}", detail=str(exc)))]
        ) from exc
    try:
        cells = read_sheet_cells(path, (INFO, MAIN, UNITS, CATEGORIES, AREAS, CALENDAR))
        return _read(_Reader(wb, file, cells))
    finally:
        wb.close()


def _read(rd: _Reader) -> ResponsibilityList:
    info = rd.info()
    effective = None
    if info.get("effective"):
        try:
            effective = words.parse_day(info["effective"])
        except ValueError:
            message = t("生效日期 {value!r} must be a date YYYY-MM-DD", value=info["effective"])
            rd.error(INFO, int(info["row:effective"]), message)
    default_limits: dict[str, Limit] = {}
    if info.get("default_sign") or info.get("default_reply"):
        problems: list[Any] = []
        default_limits = words.parse_limits(
            info.get("default_sign", ""), info.get("default_reply", ""), problems
        )
        row = int(info.get("row:default_sign") or info.get("row:default_reply") or 1)
        for message in problems:
            rd.error(INFO, row, message)
    areas = tuple(a for row, cells in rd.rows(AREAS, AREA_COLUMNS) if (a := rd.area(row, cells)))
    units = tuple(rd.unit(row, cells) for row, cells in rd.rows(UNITS, UNIT_COLUMNS))
    categories = tuple(rd.category(row, cells) for row, cells in rd.rows(CATEGORIES, CATEGORY_COLUMNS))
    holidays, workdays = set(), set()
    for row, cells in rd.rows(CALENDAR, CALENDAR_COLUMNS, required=False):
        try:
            day = words.parse_day(cells["日期"])
        except ValueError:
            rd.error(CALENDAR, row, t("日期 {value!r} must be a date YYYY-MM-DD", value=cells["日期"]))
            continue
        kind = cells["类型"].strip()
        if kind not in (REST, WORK):
            rd.error(
                CALENDAR,
                row,
                t("类型 must be {rest} or {work}, not {value!r}", rest=REST, work=WORK, value=kind),
            )
        (holidays if kind == REST else workdays).add(day)
    rules: list[Rule] = []
    reader = RuleReader(units, categories, areas)
    for row, cells in rd.rows(MAIN, PUBLISHED, optional=EXTRA):
        rule, messages = reader.read(cells, row, Source(rd.file, sheet=MAIN, row=row))
        for message in messages:
            rd.error(MAIN, row, message)
        rules.append(rule)
    if rd.problems or effective is None:
        raise ListFormatError(rd.problems)
    return ResponsibilityList(
        jurisdiction=Jurisdiction(info["name"], info["code"], info["prefix"]),
        version=info["version"],
        effective=effective,
        units=units,
        areas=areas,
        categories=categories,
        rules=tuple(rules),
        calendar=Calendar(holidays=frozenset(holidays), workdays=frozenset(workdays)),
        areas_file=info.get("areas_file") or None,
        default_limits=default_limits,
        source=rd.file,
    )
