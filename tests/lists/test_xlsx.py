"""The workbook form: published columns, a lossless round trip, and errors by sheet and row."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from responsibility_lists.check import check_list
from responsibility_lists.loader import ListFormatError, dump_yaml, load_file, loads_yaml
from responsibility_lists.model import (
    Area,
    Calendar,
    Category,
    Contact,
    EscalationStep,
    Jurisdiction,
    Limit,
    ResponsibilityList,
    Rule,
    Unit,
    to_plain,
)
from responsibility_lists.xlsx import EXTRA, MAIN, PUBLISHED, export_xlsx, import_xlsx

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small.yaml"


def assert_same_list(a, b) -> None:
    """Equal lists, including the limits (which Rule equality ignores) but not where they were read from."""
    assert to_plain(a) == to_plain(b)
    assert replace(a, source="") == replace(b, source="")
    assert dump_yaml(a) == dump_yaml(b)


def exported(lst, tmp_path) -> Path:
    path = tmp_path / "list.xlsx"
    export_xlsx(lst, path)
    return path


def main_rows(path: Path) -> list[dict[str, object]]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb[MAIN].iter_rows(values_only=True))
    finally:
        wb.close()
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def edit(path: Path, sheet: str, changes: dict[tuple[int, str], object]) -> None:
    """Set cells by (row, column header), as a clerk would in Excel."""
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for (row, column), value in changes.items():
        ws.cell(row=row, column=header.index(column) + 1).value = value
    wb.save(path)


def test_yaml_to_xlsx_to_yaml_loses_nothing(tmp_path):
    lst = load_file(SMALL)
    path = exported(lst, tmp_path)

    again = load_file(path)

    assert_same_list(lst, again)
    assert again.source == str(path)
    assert check_list(again).ok


def test_main_sheet_reads_like_a_published_list(tmp_path):
    rows = main_rows(exported(load_file(SMALL), tmp_path))

    assert list(rows[0]) == list(PUBLISHED + EXTRA)
    by_id = {r["规则编号"]: r for r in rows}
    assert (
        by_id["R0001"]["序号"] == 1
        and by_id["R0001"]["一级分类"] == "城市管理"
        and by_id["R0001"]["属地层级"] == "全区"
    )
    territorial = by_id["R0002"]
    assert (territorial["一级分类"], territorial["二级分类"], territorial["三级分类/事项"]) == (
        "城市管理",
        "市容环境",
        "生活垃圾",
    )
    assert (territorial["主责单位"], territorial["配合单位"], territorial["属地层级"]) == (
        "属地乡镇",
        "区城管局",
        "属地(乡镇)",
    )
    assert territorial["签收时限"] == "24小时；紧急2小时；特急0.5小时"
    assert territorial["办理时限"] == "10个工作日；紧急24小时；特急4小时"
    assert by_id["R0003"]["配合单位"] == "区城管局、梅林镇人民政府"
    assert by_id["R0003"]["属地层级"] == "乡镇:梅林镇"
    assert by_id["R0005"]["属地层级"] == "村(社区):王母渡镇/王母渡村委会"


def test_a_sheet_with_only_the_published_columns_imports_by_name(tmp_path):
    lst = load_file(SMALL)
    path = exported(lst, tmp_path)
    wb = load_workbook(path)
    wb[MAIN].delete_cols(len(PUBLISHED) + 1, len(EXTRA))
    wb.save(path)

    again = import_xlsx(path)

    # Rule ids come from 序号, which here match the original ids.
    assert to_plain(again)["rules"] == to_plain(lst)["rules"]


def test_round_trip_through_a_stream():
    lst = load_file(SMALL)
    buffer = io.BytesIO()
    export_xlsx(lst, buffer)
    buffer.seek(0)

    assert_same_list(lst, import_xlsx(buffer, filename="upload.xlsx"))


def generated_list(n_rules: int = 600) -> ResponsibilityList:
    """A bigger list built directly, with the awkward values a clerk's data may hold."""
    areas = [Area("360704", "赣县区", "county", "360700")]
    for t in range(5):
        code = f"360704{100 + t}"
        areas.append(Area(code, f"镇{t}", "township", "360704"))
        areas += [
            Area(f"{code}{v:03d}", "新村村委会", "village", code) for v in range(1, 4)
        ]  # same names in each township
    units = [
        Unit(
            f"GXQ-D{i}",
            f"部门{i}",
            "department",
            parent="GXQ-D0" if i else None,
            contacts=(Contact("值班", "科员", "0797-1", "a@b.cn", "https://hook.example/x?a=1"),),
            escalation=(
                EscalationStep(1, "负责人", 30, (Contact("甲"),)),
                EscalationStep(2, "中心领导", 90, units=("GXQ-D0",)),
            ),
        )
        for i in range(8)
    ]
    units += [Unit(f"GXZ-{t}", f"镇{t}人民政府", "township", area=f"360704{100 + t}") for t in range(5)]
    categories = []
    for a in range(1, 4):
        categories.append(
            Category(f"{a:02d}", f"一级{a}", keywords=("逗号,关键词", "顿号、关键词"), usual_types=("咨询",))
        )
        for b in range(1, 4):
            categories.append(Category(f"{a:02d}{b:02d}", f"二级{a}{b}", f"{a:02d}", urgent=b == 2))
            for c in range(1, 4):
                categories.append(Category(f"{a:02d}{b:02d}{c:02d}", f"三级{a}{b}{c}", f"{a:02d}{b:02d}"))
                categories.append(
                    Category(f"{a:02d}{b:02d}{c:02d}01", f"四级{a}{b}{c}", f"{a:02d}{b:02d}{c:02d}")
                )
    scopes = ["county", "territorial", *[a.code for a in areas[1:]]]
    limit_sets = [
        {
            "一般": Limit(24, reply_working_days=10),
            "紧急": Limit(2, reply_hours=24),
            "特急": Limit(0.5, reply_hours=4),
        },
        {
            "一般": Limit(1 / 3, reply_working_days=3),
            "紧急": Limit(0.25, reply_hours=1.5),
            "特急": Limit(0.1, reply_hours=0.75),
        },
        {"一般": Limit(8), "紧急": Limit(1, reply_hours=6)},  # incomplete on purpose: the checker's business
        {},
    ]
    rules = []
    for i in range(n_rules):
        scope = scopes[i % len(scopes)]
        rules.append(
            Rule(
                id=f"G{i:04d}",
                category=categories[i % len(categories)].code,
                scope=scope,
                lead="territorial" if scope == "territorial" else units[i % len(units)].code,
                co=(units[(i + 1) % 8].code, units[(i + 2) % 8].code) if i % 3 else (),
                limits=dict(limit_sets[i % len(limit_sets)]),
                basis=["", "《条例》第3条", "=SUM(A1)", "  前后空格  "][i % 4],
                note="第一行\n第二行" if i % 5 == 0 else "",
            )
        )
    return ResponsibilityList(
        jurisdiction=Jurisdiction("赣州市赣县区", "360704", "GX"),
        version="2026.10",
        effective=date(2026, 10, 1),
        units=tuple(units),
        areas=tuple(areas),
        categories=tuple(categories),
        rules=tuple(rules),
        calendar=Calendar(frozenset({date(2026, 12, 31), date(2027, 1, 1)}), frozenset({date(2026, 12, 27)})),
    )


def test_a_bigger_generated_list_survives_xlsx_and_yaml(tmp_path):
    lst = generated_list()

    via_xlsx = import_xlsx(exported(lst, tmp_path))
    via_yaml = loads_yaml(dump_yaml(via_xlsx))

    assert_same_list(lst, via_xlsx)
    assert_same_list(lst, via_yaml)


def info_row(path: Path, key: str) -> tuple[int, object]:
    """The row of the 说明 sheet that holds `key`, and its value as the clerk sees it."""
    wb = load_workbook(path, read_only=True)
    try:
        for number, row in enumerate(wb["说明"].iter_rows(values_only=True), start=1):
            if row[0] == key:
                return number, row[1]
    finally:
        wb.close()
    raise AssertionError(f"no 说明 row {key}")


def test_a_county_s_own_working_hours_survive_the_workbook(tmp_path):
    small = load_file(SMALL)
    own = ((time(8, 0), time(12, 0)), (time(15, 0), time(0)))  # the afternoon ends at midnight
    lst = replace(small, calendar=replace(small.calendar, working_hours=own))
    path = exported(lst, tmp_path)

    again = import_xlsx(path)

    assert info_row(path, "工作时间")[1] == "08:00-12:00、15:00-24:00"
    assert again.calendar.working_hours == own
    assert_same_list(lst, again)
    assert_same_list(lst, loads_yaml(dump_yaml(again), base_dir=FIXTURES))


def test_the_default_working_hours_leave_the_cell_empty_and_read_back_as_the_default(tmp_path):
    path = exported(load_file(SMALL), tmp_path)  # the small list gives no working hours

    assert info_row(path, "工作时间")[1] in (None, "")
    assert import_xlsx(path).calendar.working_hours == ()


def test_a_workbook_made_before_the_working_hours_row_reads_with_the_default(tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    row, _value = info_row(path, "工作时间")
    wb = load_workbook(path)
    wb["说明"].delete_rows(row)
    wb.save(path)

    assert import_xlsx(path).calendar.working_hours == ()


def test_working_hours_may_be_typed_with_full_width_forms_and_other_dashes(tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    row, _value = info_row(path, "工作时间")
    edit(path, "说明", {(row, "值"): "08：00～12：00，14:00–18:00"})

    assert import_xlsx(path).calendar.working_hours == (
        (time(8, 0), time(12, 0)),
        (time(14, 0), time(18, 0)),
    )


@pytest.mark.parametrize(
    ("written", "why"),
    [
        (
            "08:30-12、14:30-17:30",
            "'08:30-12' is not a period written HH:MM-HH:MM within one day, such as 08:30-12:00 "
            "(24:00 ends the day)",
        ),
        (
            "08:30-12:00、17:30-25:00",
            "'17:30-25:00' is not a period written HH:MM-HH:MM within one day, such as 08:30-12:00 "
            "(24:00 ends the day)",
        ),
        (
            "08:30-12:00、11:30-17:30",
            "'11:30-17:30' begins before the period before it ends; write the periods in order, "
            "without overlaps",
        ),
    ],
)
def test_a_malformed_working_hours_cell_is_refused_naming_the_cell_and_why(tmp_path, written, why):
    path = exported(load_file(SMALL), tmp_path)
    row, _value = info_row(path, "工作时间")
    edit(path, "说明", {(row, "值"): written})

    with pytest.raises(ListFormatError) as caught:
        import_xlsx(path)

    assert [str(p) for p in caught.value.problems] == [f"{path}:说明!{row}: 工作时间 (cell B{row}): {why}"]


def test_checker_errors_from_a_workbook_name_sheet_and_row(tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    edit(path, MAIN, {(4, "主责单位代码"): "GXQ-NOPE", (4, "主责单位"): None})

    report = check_list(import_xlsx(path))

    assert [str(p) for p in report.errors] == [f"{path}:{MAIN}!4: rule R0003: unknown lead unit GXQ-NOPE"]


def test_workbook_format_problems_are_collected_with_sheet_and_row(tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    edit(path, MAIN, {(2, "签收时限"): "24天；紧急2小时", (3, "主责单位"): "区住建局", (6, "属地层级"): None})
    edit(path, "区划", {(3, "层级"): "town"})
    edit(path, "单位", {(3, "值班联系人"): "[{name: 张三}]"})
    edit(path, "说明", {(6, "值"): "2026-13-01"})

    with pytest.raises(ListFormatError) as caught:
        import_xlsx(path)

    messages = [str(p) for p in caught.value.problems]
    assert (
        f"{path}:{MAIN}!2: 签收时限: cannot read '24天'; write e.g. 24小时, 紧急2小时, 特急0.5小时"
        in messages
    )
    assert (
        f"{path}:{MAIN}!3: 主责单位 says '区住建局' but 主责单位代码 'territorial' means '属地乡镇'; "
        "change both, or clear 主责单位代码"
    ) in messages
    assert f"{path}:区划!3: 层级 'town' must be county, township or village" in messages
    assert any(m.startswith(f"{path}:单位!3: 值班联系人 is not valid JSON") for m in messages)
    assert f"{path}:说明!6: 生效日期 '2026-13-01' must be a date YYYY-MM-DD" in messages
    assert len(messages) == 5


def test_cleared_code_cells_fall_back_to_the_names(tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    # A clerk moves R0004 to another unit by name and clears the code; the village scope is read from words.
    edit(path, MAIN, {(5, "主责单位"): "区城管局", (5, "主责单位代码"): None, (6, "属地代码"): None})

    rules = {r.id: r for r in import_xlsx(path).rules}

    assert rules["R0004"].lead == "GXQ-CGJ"
    assert rules["R0005"].scope == "360704101201"


def test_a_file_that_is_not_a_workbook_is_a_format_error(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("not a workbook", encoding="utf-8")

    with pytest.raises(ListFormatError, match=r"this is a text file \(CSV\?\), not an .xlsx workbook"):
        load_file(path)
