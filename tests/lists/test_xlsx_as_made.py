"""Workbooks as clerks really make them: merged cells, formulas, numbers typed as numbers, separators.

Each test takes the exported small list, alters it the way a person would in Excel or WPS, and
asserts what the clerk would notice: the list reads the same, or a clear message at sheet and row.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from responsibility_lists.loader import ListFormatError
from responsibility_lists.model import to_plain
from responsibility_lists.xlsx import MAIN, export_xlsx, import_xlsx

SMALL = Path(__file__).parent / "fixtures" / "small.yaml"


def column(ws, name: str) -> int:
    return next(c.column for c in ws[1] if c.value == name)


def rules_of(lst) -> list[dict]:
    return to_plain(lst)["rules"]


def problems(path: Path) -> list[str]:
    with pytest.raises(ListFormatError) as caught:
        import_xlsx(path)
    return [str(p) for p in caught.value.problems]


def merge_runs(ws, name: str) -> int:
    """Write each run of equal values in a column once and merge it down, as people do."""
    col = column(ws, name)
    merged, start = 0, 2
    for row in range(3, ws.max_row + 2):
        value = ws.cell(row, col).value if row <= ws.max_row else object()
        if value != ws.cell(start, col).value:
            if row - 1 > start:
                for below in range(start + 1, row):
                    ws.cell(below, col).value = None
                ws.merge_cells(start_row=start, end_row=row - 1, start_column=col, end_column=col)
                merged += 1
            start = row
    return merged


def test_a_category_written_once_and_merged_down_applies_to_every_row(small, workbook):
    wb = load_workbook(workbook)
    assert merge_runs(wb[MAIN], "一级分类") == 2  # 城市管理 over three rules, 供水排水 over two
    assert merge_runs(wb[MAIN], "二级分类") == 1
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_merged_cells_are_read_without_the_code_columns(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    for name in ("一级分类", "二级分类", "签收时限", "办理时限"):
        merge_runs(ws, name)
    ws.delete_cols(column(ws, "规则编号"), 5)
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_value_merged_across_columns_belongs_to_the_first_column(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    # R0001 is on the level-1 category 城市管理: its 二级分类 and 三级分类 cells merged, empty.
    assert ws.cell(2, column(ws, "二级分类")).value is None
    ws.merge_cells(
        start_row=2, end_row=2, start_column=column(ws, "一级分类"), end_column=column(ws, "三级分类/事项")
    )
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_formula_without_a_saved_value_is_refused_at_its_row(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.cell(4, column(ws, "配合单位代码")).value = "=O3"
    ws.cell(4, column(ws, "配合单位")).value = "=F3"
    wb.save(workbook)

    messages = problems(workbook)

    assert [m.split(" has no saved value")[0] for m in messages] == [
        f"{workbook}:{MAIN}!4: 配合单位: the formula =F3",
        f"{workbook}:{MAIN}!4: 配合单位代码: the formula =O3",
    ]
    assert all("open the workbook in Excel or WPS and save it" in m for m in messages)


def save_formula_value(path: Path, ref: str, value: str) -> None:
    """Give a formula cell the value Excel would have saved with it."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet2.xml"  # the 职责清单 sheet
    xml = parts[name].decode()
    xml, count = re.subn(
        rf'<c r="{ref}"([^>]*)><f>([^<]*)</f><v\s*/>',
        rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>',
        xml,
    )
    assert count == 1
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_a_formula_saved_with_its_value_reads_as_the_value(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    assert ws.cell(4, column(ws, "主责单位")).value == "区住建局"
    ws.cell(4, column(ws, "主责单位")).value = '="区"&"住建局"'
    wb.save(workbook)
    save_formula_value(workbook, "E4", "区住建局")

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_title_row_odd_header_spacing_moved_and_extra_columns_still_read(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.cell(1, column(ws, "主责单位")).value = " 主责\n单位 "  # Alt+Enter in the header, stray spaces
    ws.cell(1, column(ws, "签收时限")).value = "签收 时限"
    ws.move_range(f"A1:A{ws.max_row}", cols=ws.max_column)  # 序号 moved to the far right
    ws.cell(1, ws.max_column + 1).value = "联系人"  # a column of the clerk's own
    ws.cell(2, ws.max_column).value = "王五"
    ws.insert_rows(1, 2)
    ws.cell(1, 2).value = "赣县区民生诉求职责清单（2026年版）"
    ws.merge_cells(start_row=1, end_row=1, start_column=2, end_column=12)
    wb.create_sheet("Sheet1").append(["草稿", "不导入"])
    wb.save(workbook)

    lst = import_xlsx(workbook)

    assert rules_of(lst) == rules_of(small)
    assert lst.rules[0].source.row == 4  # rows are still counted as Excel shows them


def test_empty_rows_and_rows_numbered_in_advance_are_not_rules(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.insert_rows(4, 2)
    last = ws.max_row
    for n in range(1, 4):
        ws.cell(last + n, 1).value = last + n - 3  # 序号 filled down, nothing else yet
    ws.cell(last + 5, 1).value = None
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_header_nowhere_near_the_top_is_reported_where_the_sheet_starts(workbook):
    wb = load_workbook(workbook)
    wb[MAIN].cell(1, column(wb[MAIN], "属地层级")).value = "属地"
    wb.save(workbook)

    assert problems(workbook) == [f"{workbook}:{MAIN}!1: missing column(s): 属地层级"]


def test_cells_as_excel_stores_them_read_as_the_clerk_meant(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    at = {name: column(ws, name) for name in [c.value for c in ws[1]]}
    # R0005 (row 6): the village code typed as a number (Excel keeps a float), limits typed with
    # full-width digits and line breaks, co-units by name on two lines with a non-breaking space.
    ws.cell(6, at["属地代码"]).value = 360704101201.0
    ws.cell(6, at["签收时限"]).value = "４小时\n紧急１小时\n特急０．５小时"
    ws.cell(6, at["办理时限"]).value = "5个工作日，紧急8小时，特急2小时"
    ws.cell(6, at["属地层级"]).value = "村（社区）：王母渡镇/王母渡村委会"
    # R0003 (row 4): co-unit codes on separate lines, names separated by ；, the category code
    # typed with a leading apostrophe and a space.
    ws.cell(4, at["配合单位代码"]).value = "GXQ-CGJ\nGXZ-ML"
    ws.cell(4, at["配合单位"]).value = "区城管局\xa0；梅林镇人民政府 "
    ws.cell(4, at["分类代码"]).value = "'0102 "
    # R0004 (row 5): the rule id a number, the sign-for limit a bare number of hours.
    ws.cell(5, at["规则编号"]).value = None
    ws.cell(5, at["序号"]).value = 4.0
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_sign_for_limit_typed_as_a_number_is_hours(small, workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.cell(2, column(ws, "签收时限")).value = "24；紧急2；特急0.5"
    wb.save(workbook)

    assert rules_of(import_xlsx(workbook)) == rules_of(small)


def test_a_reply_limit_without_a_unit_says_why(workbook):
    wb = load_workbook(workbook)
    ws = wb[MAIN]
    ws.cell(2, column(ws, "办理时限")).value = "10；紧急24小时；特急4小时"
    wb.save(workbook)

    assert problems(workbook) == [
        f"{workbook}:{MAIN}!2: 办理时限: '10' has no unit; write e.g. 10个工作日 or 24小时",
    ]


def test_names_with_separators_inside_survive_the_round_trip(small, tmp_path):
    from dataclasses import replace

    cat = replace(small.categories[0], keywords=("占道；经营", "夜间\n施工", "垃圾"))
    lst = replace(small, categories=(cat, *small.categories[1:]))
    path = tmp_path / "sep.xlsx"
    export_xlsx(lst, path)

    assert import_xlsx(path).categories[0].keywords == ("占道；经营", "夜间\n施工", "垃圾")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        ("序号,一级分类\n1,城市管理\n".encode("gb18030"), "this is a text file (CSV?)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "this is an old Excel 97-2003 workbook (.xls)"),
        (None, "this is a ZIP archive but not an .xlsx workbook"),
    ],
    ids=["empty", "csv", "xls", "zip"],
)
def test_a_file_that_only_claims_to_be_a_workbook_says_what_it_is(tmp_path, content, says):
    path = tmp_path / "list.xlsx"
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("清单.txt", "x")
    else:
        path.write_bytes(content)

    [message] = problems(path)

    assert message.startswith(f"{path}: {says}")


def test_dates_typed_the_usual_ways_read_as_dates(small, workbook):
    wb = load_workbook(workbook)
    info = wb["说明"]
    assert info.cell(6, 1).value == "生效日期"
    info.cell(6, 2).value = "2026年11月1日"
    calendar = wb["日历"]
    calendar.append(["2026/12/31", "休息日"])
    calendar.append(["2027.1.2", "工作日"])
    calendar.append([datetime(2027, 1, 3), "休息日"])  # a real date cell
    wb.save(workbook)

    lst = import_xlsx(workbook)

    assert lst.effective == date(2026, 11, 1)
    assert date(2026, 12, 31) in lst.calendar.holidays and date(2027, 1, 3) in lst.calendar.holidays
    assert date(2027, 1, 2) in lst.calendar.workdays


def test_a_day_first_date_is_refused_as_ambiguous(workbook):
    wb = load_workbook(workbook)
    wb["日历"].append(["01/02/2027", "休息日"])
    row = wb["日历"].max_row
    wb.save(workbook)

    assert problems(workbook) == [f"{workbook}:日历!{row}: 日期 '01/02/2027' must be a date YYYY-MM-DD"]
