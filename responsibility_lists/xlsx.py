"""The list as an Excel workbook, for clerks who maintain it in a spreadsheet.

Sheet 职责清单 has the columns of published lists, then code columns that make the round trip
lossless. When a code cell is filled it decides and the published wording beside it must agree;
when it is empty the wording is read (so a hand-made sheet of published columns also imports).
The other sheets carry the rest: 说明 (with the working hours, 工作时间), 单位, 分类, 区划, 日历
(the calendar's extra rest days and working days). See README.md for the layout
(`xlsx_layout`); this module reads a workbook, `xlsx_export` writes one. Cells are read as the
clerk sees them by `xlsx_sheet` (merges, number formats via `xlsx_numbers`, hidden rows and sheets
as warnings); `xlsx_codes` gives codes back the zeros Excel dropped; `xlsx_rules` reads a rule row.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import IO, Any

from openpyxl import load_workbook

from . import xlsx_text as words
from .loader_calendar import Period, PeriodError
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
from .xlsx_cells import not_a_workbook, read_sheet_cells
from .xlsx_codes import CodeCell, restore_categories
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
    INFO,
    INFO_KEYS,
    KIND_CODES,
    MAIN,
    OPTIONAL_INFO,
    PUBLISHED,
    REST,
    UNIT_COLUMNS,
    UNITS,
    WORK,
)
from .xlsx_numbers import Shown
from .xlsx_rules import RuleReader, carry_outline
from .xlsx_sheet import SheetReader

SHEETS = (INFO, MAIN, UNITS, CATEGORIES, AREAS, CALENDAR)

__all__ = ["EXTRA", "MAIN", "PUBLISHED", "export_xlsx", "import_xlsx"]


# -- import ------------------------------------------------------------------------------------


class _Reader(SheetReader):
    def info(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if INFO not in self.wb.sheetnames:
            self.problems.append(
                Problem(Source(self.file), t("the workbook has no sheet {sheet}", sheet=INFO))
            )
            return found
        read = []
        for number, values, unsaved in self.sheet_rows(INFO):
            values += [Shown(""), Shown("")]
            cells = [v.text.strip() for v in values]
            if cells[0] in INFO_KEYS:
                if 1 in unsaved:
                    self.unsaved_formula(INFO, number, cells[0], unsaved[1])
                if values[1].hides is not None:
                    self.rounded(INFO, number, cells[0], 1, values[1])
                found[INFO_KEYS[cells[0]]] = cells[1]
                found[f"row:{INFO_KEYS[cells[0]]}"] = str(number)
                read.append(number)
        self.warn_hidden(INFO, 1, read, {"值": 1} if any(found.values()) else {})
        for key, field in INFO_KEYS.items():
            if not found.get(field) and field not in OPTIONAL_INFO:
                self.problems.append(
                    Problem(Source(self.file, sheet=INFO, row=1), t("{key} is missing", key=key))
                )
        return found

    def working_hours(self, info: dict[str, str]) -> tuple[Period, ...]:
        """The 说明 row 工作时间 (empty or absent: the default working hours)."""
        try:
            return words.parse_working_hours(info.get("working_hours", ""))
        except PeriodError as exc:
            row = int(info["row:working_hours"])
            if exc.overlaps:
                why = t(
                    "{value!r} begins before the period before it ends; write the periods in order, "
                    "without overlaps",
                    value=exc.value,
                )
            else:
                why = t(
                    "{value!r} is not a period written HH:MM-HH:MM within one day, such as "
                    "08:30-12:00 (24:00 ends the day)",
                    value=exc.value,
                )
            self.error(INFO, row, t("工作时间 (cell {cell}): {why}", cell=f"B{row}", why=why))
            return ()

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

    def categories(self) -> tuple[Category, ...]:
        rows = self.rows(CATEGORIES, CATEGORY_COLUMNS)
        codes = [
            CodeCell(
                row,
                words.code_text(cells["分类代码"]),
                "分类代码" in cells.numbers,
                words.code_text(cells["上级分类代码"]),
                "上级分类代码" in cells.numbers,
            )
            for row, cells in rows
        ]
        for row, message in restore_categories(codes):
            self.error(CATEGORIES, row, message)
        for code, (_, cells) in zip(codes, rows, strict=True):
            cells["分类代码"], cells["上级分类代码"] = code.code, code.parent
        return tuple(self.category(row, cells) for row, cells in rows)

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
        cells = read_sheet_cells(path, SHEETS)
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
    categories = rd.categories()
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
    working_hours = rd.working_hours(info)
    rules: list[Rule] = []
    reader = RuleReader(units, categories, areas)
    main = rd.rows(MAIN, PUBLISHED, optional=EXTRA)
    carry_outline(main)
    for row, cells in main:
        rule, messages = reader.read(cells, row, Source(rd.file, sheet=MAIN, row=row))
        for message in messages:
            rd.error(MAIN, row, message)
        rules.append(rule)
    rd.warn_hidden_sheets(SHEETS)
    if rd.problems or effective is None:
        raise ListFormatError(rd.problems, warnings=rd.warnings)
    return ResponsibilityList(
        jurisdiction=Jurisdiction(info["name"], info["code"], info["prefix"]),
        version=info["version"],
        effective=effective,
        units=units,
        areas=areas,
        categories=categories,
        rules=tuple(rules),
        calendar=Calendar(
            holidays=frozenset(holidays), workdays=frozenset(workdays), working_hours=working_hours
        ),
        areas_file=info.get("areas_file") or None,
        default_limits=default_limits,
        source=rd.file,
        read_warnings=tuple(rd.warnings),
    )
