"""Workbooks read as the clerk sees them: number formats, dates, codes that lost their zeros,
categories written once over an outline, and hidden rows, columns and sheets.

Each test alters the exported small list the way a clerk would in Excel or WPS and asserts what the
admin sees: the rules read, or a message at sheet and row (a warning in the check report for what
is hidden).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from responsibility_lists.check import CheckReport, check_list
from responsibility_lists.loader import ListFormatError
from responsibility_lists.model import Limit, to_plain
from responsibility_lists.xlsx import MAIN, import_xlsx
from responsibility_lists.xlsx_numbers import shown
from tests.lists.test_xlsx_as_made import column, problems, rules_of

SMALL = Path(__file__).parent / "fixtures" / "small.yaml"


def set_cell(ws, row: int, name: str, value, number_format: str | None = None) -> None:
    cell = ws.cell(row, column(ws, name))
    cell.value = value
    if number_format is not None:
        cell.number_format = number_format


# -- numbers and dates as shown --------------------------------------------------------------------


def test_time_limits_typed_as_numbers_read_as_their_format_shows_them(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    set_cell(ws, 2, "签收时限", 24, "0.0")  # shows 24.0
    set_cell(ws, 2, "办理时限", 3, '0"个工作日"')  # shows 3个工作日
    set_cell(ws, 3, "签收时限", 0.5, "0.0")
    set_cell(ws, 3, "办理时限", 12, '0"小时"')
    wb.save(workbook)

    rules = import_xlsx(workbook).rules

    assert rules[0].limits == {"一般": Limit(sign_hours=24, reply_working_days=3)}
    assert rules[1].limits == {"一般": Limit(sign_hours=0.5, reply_hours=12)}


def test_a_decimal_the_number_format_rounds_away_is_refused_with_its_cell(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    set_cell(ws, 4, "签收时限", 24)
    set_cell(ws, 4, "办理时限", 2.5, '0"个工作日"')  # the clerk sees 3个工作日
    wb.save(workbook)

    assert problems(workbook) == [
        f"{workbook}:{MAIN}!4: 办理时限 (cell I4) holds 2.5 but shows 3个工作日: its number format "
        "rounds the value; type the value you mean, or widen the format's decimals"
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (3, '0"个工作日"', "3个工作日"),
        (3.0, "0.0", "3.0"),
        (101, "0000", "0101"),
        (2026.1, "0.00", "2026.10"),
        (1234567, "#,##0", "1234567"),  # no thousands separator: a comma separates items
        (0.5, "0%", "50%"),
        (0, '0;-0;"-"', "-"),
        (-3, "0", "-3"),
        (360704100201.0, "General", "360704100201"),
        (3, "[Red]0.0_)", "3.0"),
        (datetime(2027, 1, 1), 'yyyy"年"m"月"d"日"', "2027-01-01"),
        (datetime(2027, 1, 1), 'yyyy"年"m"月"', "2027年1月"),
        (46388, "General", "46388"),
    ],
)
def test_a_cell_reads_as_excel_shows_it(value, number_format, text):
    assert shown(value, number_format).text == text


def test_a_serial_number_in_a_chinese_built_in_date_format_is_that_date():
    assert shown(46388, "General", format_id=31).text == "2027-01-01"
    assert shown(46388, "General", format_id=31, epoch_1904=True).text == "2031-01-02"


def test_a_version_typed_as_a_number_reads_as_its_format_shows_it(workbook):
    wb = load_workbook(workbook)
    wb["说明"].cell(5, 2).value = 2026.1
    wb["说明"].cell(5, 2).number_format = "0.00"  # shows 2026.10
    wb.save(workbook)

    assert import_xlsx(workbook).version == "2026.10"


@pytest.mark.parametrize(
    ("value", "number_format"),
    [
        (datetime(2027, 1, 1), 'yyyy"年"m"月"d"日"'),
        (datetime(2027, 1, 1), '[$-804]yyyy"年"m"月"d"日";@'),
        ("2027年1月1日", "@"),
        ("2027/1/1", None),
        ("2027.1.1", None),
        (" 2027 年 1 月 1 日", None),
    ],
)
def test_an_effective_date_written_the_chinese_ways_reads_as_that_date(workbook, value, number_format):
    wb = load_workbook(workbook)
    cell = wb["说明"].cell(6, 2)
    cell.value = value
    if number_format:
        cell.number_format = number_format
    wb.save(workbook)

    assert import_xlsx(workbook).effective == date(2027, 1, 1)


def use_builtin_format(path: Path, number_format: str, builtin_id: int) -> None:
    """Save cells of `number_format` the way Chinese Excel and WPS do: by a built-in id and no
    format text (openpyxl does not know those ids)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = parts["xl/styles.xml"].decode()
    escaped = number_format.replace('"', "&quot;")
    match = re.search(rf'<numFmt numFmtId="(\d+)" formatCode="{re.escape(escaped)}"\s*/>', styles)
    assert match is not None, styles[:500]
    styles = styles.replace(match.group(0), "").replace(
        f'numFmtId="{match.group(1)}"', f'numFmtId="{builtin_id}"'
    )
    parts["xl/styles.xml"] = styles.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_a_date_in_a_chinese_built_in_format_reads_as_that_date(workbook):
    wb = load_workbook(workbook)
    effective = wb["说明"].cell(6, 2)
    effective.value, effective.number_format = datetime(2027, 1, 1), 'yyyy"年"m"月"d"日"'
    wb["日历"].append([datetime(2027, 2, 1), "休息日"])
    wb["日历"].cell(wb["日历"].max_row, 1).number_format = 'yyyy"年"m"月"d"日"'
    wb.save(workbook)
    use_builtin_format(workbook, 'yyyy"年"m"月"d"日"', 31)

    lst = import_xlsx(workbook)

    assert lst.effective == date(2027, 1, 1)
    assert date(2027, 2, 1) in lst.calendar.holidays


def test_a_date_shown_without_its_day_is_refused_not_guessed(workbook):
    wb = load_workbook(workbook)
    wb["说明"].cell(6, 2).value = datetime(2027, 1, 1)
    wb["说明"].cell(6, 2).number_format = 'yyyy"年"m"月"'  # the clerk sees 2027年1月
    wb.save(workbook)

    assert problems(workbook) == [f"{workbook}:说明!6: 生效日期 '2027年1月' must be a date YYYY-MM-DD"]


# -- codes that lost their leading zeros ---------------------------------------------------------


@pytest.mark.parametrize("number_format", ["General", "0000"])
def test_a_category_code_typed_as_a_number_gets_its_zeros_back(small, workbook, number_format):
    wb = load_workbook(workbook)
    set_cell(wb[MAIN], 4, "分类代码", 102, number_format)  # 0102
    set_cell(wb[MAIN], 5, "分类代码", 201, number_format)  # 0201
    categories = wb["分类"]
    categories.cell(3, 1).value, categories.cell(3, 3).value = 101, 1  # 0101 under 01
    categories.cell(4, 1).value, categories.cell(4, 3).value = 10101, 101  # 010101 under 0101
    for row in (3, 4):
        categories.cell(row, 1).number_format = categories.cell(row, 3).number_format = "General"
    wb.save(workbook)

    lst = import_xlsx(workbook)

    assert rules_of(lst) == rules_of(small)
    assert to_plain(lst)["categories"] == to_plain(small)["categories"]
    assert check_list(lst).ok


def test_a_code_that_could_have_lost_zeros_in_more_than_one_way_is_reported(workbook):
    wb = load_workbook(workbook)
    wb["分类"].append(["00102", "其他违法建设", None, None, None, "否"])
    set_cell(wb[MAIN], 4, "分类代码", 102)
    wb.save(workbook)

    assert problems(workbook) == [
        f"{workbook}:{MAIN}!4: 分类代码 102 was typed as a number, which drops leading zeros, and could "
        "be any of 00102, 0102; format the column as text (文本) and type the code"
    ]


# -- outline categories --------------------------------------------------------------------------


def test_a_parent_category_written_once_over_its_sub_rows_is_carried_down(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    for row in (3, 4, 6):  # 城市管理 written in row 2 only, 供水排水 in row 5 only; nothing merged
        set_cell(ws, row, "一级分类", None)
    ws.delete_cols(column(ws, "规则编号"), 5)  # the names decide
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_parent_category_is_not_carried_over_an_empty_row(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    set_cell(ws, 4, "一级分类", None)
    ws.delete_cols(column(ws, "规则编号"), 5)
    ws.insert_rows(4)  # 违法建设 now stands alone below an empty row
    wb.save(workbook)

    assert problems(workbook) == [
        f"{workbook}:{MAIN}!5: 分类: no single category '违法建设' in the 分类 sheet; fill in 分类代码"
    ]


# -- hidden rows, columns and sheets -------------------------------------------------------------


def warnings_of(report: CheckReport) -> list[str]:
    return [str(p) for p in report.warnings]


def test_hidden_rows_columns_and_sheets_are_read_and_named_in_the_check_report(small, workbook):
    baseline = warnings_of(check_list(small))
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    for row in (3, 5, 6):
        ws.row_dimensions[row].hidden = True
    ws.column_dimensions["K"].hidden = True  # 备注, filled in row 3
    ws.column_dimensions["E"].hidden = True  # 主责单位
    wb["日历"].sheet_state = "hidden"
    wb["区划"].sheet_state = "veryHidden"
    wb.create_sheet("旧版").sheet_state = "hidden"
    wb.save(workbook)

    lst = import_xlsx(workbook)

    assert rules_of(lst) == rules_of(small)
    assert sorted(set(warnings_of(check_list(lst))) - set(baseline)) == sorted(
        [
            f"{workbook}:{MAIN}!3: row(s) 3, 5–6 are hidden in the workbook but were read like the "
            "others; unhide them to check them before publishing",
            f"{workbook}:{MAIN}!1: column(s) 主责单位 (E), 备注 (K) are hidden in the workbook but "
            "were read like the others; unhide them to check them before publishing",
            f"{workbook}:日历!1: the sheet 日历 is hidden in the workbook but was read like the "
            "others; unhide it to check it before publishing",
            f"{workbook}:区划!1: the sheet 区划 is very hidden (Excel's Unhide does not list it; only "
            "the VBA editor shows it) but was read like the others; check it before publishing",
            f"{workbook}:旧版!1: the sheet 旧版 is hidden and is not part of the list, so it was not "
            "read (only the sheets 说明, 职责清单, 单位, 分类, 区划, 日历 are)",
        ]
    )


def test_a_hidden_row_is_named_beside_the_error_found_in_it(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.row_dimensions[4].hidden = True
    set_cell(ws, 4, "签收时限", "24天")
    wb.save(workbook)

    with pytest.raises(ListFormatError) as caught:
        import_xlsx(workbook)
    report = CheckReport.from_format_error(caught.value)

    assert [str(p).split(";")[0] for p in report.errors] == [
        f"{workbook}:{MAIN}!4: 签收时限: cannot read '24天'"
    ]
    assert warnings_of(report) == [
        f"{workbook}:{MAIN}!4: row(s) 4 are hidden in the workbook but were read like the others; "
        "unhide them to check them before publishing"
    ]


def test_empty_hidden_rows_and_hidden_columns_not_read_are_not_reported(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.insert_rows(3)
    ws.row_dimensions[3].hidden = True
    ws.cell(1, 20).value = "内部备注"  # a column of the clerk's own, hidden
    ws.cell(2, 20).value = "不导入"
    ws.column_dimensions["T"].hidden = True
    wb.save(workbook)

    lst = import_xlsx(workbook)

    assert rules_of(lst) == rules_of(small)
    assert lst.read_warnings == ()
