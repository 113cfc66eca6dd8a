"""Writing the list as a workbook (`export_xlsx`); `xlsx` reads it back."""

from __future__ import annotations

import json
import os
from typing import IO, Any

from openpyxl import Workbook

from . import xlsx_text as words
from .model import Contact, ResponsibilityList
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
    KIND_WORDS,
    MAIN,
    PUBLISHED,
    REST,
    UNIT_COLUMNS,
    UNITS,
    WORK,
)


class _Rows:
    """Writes rows one after another into a sheet (tracking the row number: openpyxl's is O(n))."""

    def __init__(self, ws: Any, text: bool = True) -> None:
        self.ws = ws
        self.text = text
        self.number = 0

    def put(self, row: list[Any] | tuple[Any, ...]) -> None:
        self.number += 1
        for column, value in enumerate(row, start=1):
            cell = self.ws.cell(row=self.number, column=column, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text that merely looks like a formula
            if self.text and self.number > 1:
                cell.number_format = "@"  # keeps codes such as 0101 as text when a clerk edits them


def _sheet(wb: Workbook, title: str, header: tuple[str, ...], widths: dict[int, int] | None = None) -> _Rows:
    ws = wb.create_sheet(title)
    rows = _Rows(ws)
    rows.put(header)
    ws.freeze_panes = "A2"
    for i, _ in enumerate(header):
        letter = ws.cell(row=1, column=i + 1).column_letter
        ws.column_dimensions[letter].width = (widths or {}).get(i, 14)
    return rows


def _contacts_json(contacts: tuple[Contact, ...]) -> list[dict[str, str]]:
    return [{k: getattr(c, k) for k in CONTACT_FIELDS if getattr(c, k) or k == "name"} for c in contacts]


def export_xlsx(lst: ResponsibilityList, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the list as a workbook (a path or a binary stream)."""
    wb = Workbook()
    ws = wb.active
    ws.title = INFO
    info = _Rows(ws, text=False)
    j = lst.jurisdiction
    for row in (
        ("项目", "值", "说明"),
        ("辖区名称", j.name, "县（区）或市的名称"),
        ("辖区代码", j.code, "6位统计用区划代码"),
        ("工单前缀", j.prefix, "工单编号的前缀"),
        ("版本", lst.version, "清单版本号"),
        ("生效日期", lst.effective.isoformat(), "YYYY-MM-DD"),
        ("区划文件", lst.areas_file or "", "导出YAML时区划写入的CSV文件名；留空则区划写在YAML中"),
        (
            "默认签收时限",
            words.format_sign(lst.default_limits),
            "中心手工派单而清单无对应规则时的时限，写法同主表",
        ),
        ("默认办理时限", words.format_reply(lst.default_limits), "同上；两项都留空则这类派单不能进行"),
        (
            "工作时间",
            words.format_working_hours(lst.calendar.working_hours),
            "一般件按小时计的时限只计工作时间；写作 08:30-12:00、14:30-17:30（24:00 为当日结束），"
            "留空即为此默认值",
        ),
    ):
        info.put(row)
    for letter, width in (("A", 12), ("B", 24), ("C", 60)):
        ws.column_dimensions[letter].width = width

    units = {u.code: u for u in lst.units}
    cats = {c.code: c for c in lst.categories}
    areas = {a.code: a for a in lst.areas}
    main = _sheet(
        wb, MAIN, PUBLISHED + EXTRA, {0: 6, 3: 24, 4: 18, 5: 24, 6: 18, 7: 26, 8: 30, 9: 30, 10: 40}
    )
    for seq, rule in enumerate(lst.rules, start=1):
        lead = words.lead_words(rule.lead, units)
        co = words.join_names([units[c].name if c in units else c for c in rule.co])
        main.put(
            [seq, *words.category_cells(rule.category, cats), rule.lead if lead is None else lead, co]
            + [
                words.scope_words(rule.scope, areas),
                words.format_sign(rule.limits),
                words.format_reply(rule.limits),
            ]
            + [
                rule.basis,
                rule.note,
                rule.id,
                rule.category,
                rule.lead,
                words.join_names(rule.co),
                rule.scope,
            ],
        )
    ws = _sheet(wb, UNITS, UNIT_COLUMNS, {1: 24, 5: 60, 6: 60})
    for u in lst.units:
        ladder = []
        for step in u.escalation:
            item: dict[str, Any] = {
                "level": step.level,
                "title": step.title,
                "after_minutes": step.after_minutes,
            }
            if step.contacts:
                item["contacts"] = _contacts_json(step.contacts)
            if step.units:
                item["units"] = list(step.units)
            ladder.append(item)
        contacts = json.dumps(_contacts_json(u.contacts), ensure_ascii=False) if u.contacts else ""
        ladder_text = json.dumps(ladder, ensure_ascii=False) if ladder else ""
        kind = KIND_WORDS.get(u.kind, u.kind)
        ws.put([u.code, u.name, kind, u.parent or "", u.area or "", contacts, ladder_text])
    ws = _sheet(wb, CATEGORIES, CATEGORY_COLUMNS, {1: 20, 3: 40, 4: 20})
    for c in lst.categories:
        row = [c.code, c.name, c.parent or "", words.join_names(c.keywords), words.join_names(c.usual_types)]
        ws.put([*row, "是" if c.urgent else "否"])
    ws = _sheet(wb, AREAS, AREA_COLUMNS, {1: 24})
    for a in lst.areas:
        ws.put([a.code, a.name, a.level, a.parent or ""])
    ws = _sheet(wb, CALENDAR, CALENDAR_COLUMNS)
    days = [(d, REST) for d in lst.calendar.holidays] + [(d, WORK) for d in lst.calendar.workdays]
    for day, kind in sorted(days):
        ws.put([day.isoformat(), kind])
    wb.save(path_or_stream)
