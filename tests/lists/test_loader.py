"""Reading lists from YAML: the small fixture, the canonical dump, and structural problems."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest

from responsibility_lists.loader import ListFormatError, dump_yaml, load_file, loads_yaml
from responsibility_lists.model import Limit, from_plain, to_plain

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small.yaml"


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def expectations(path: Path) -> list[tuple[int, str]]:
    """(line, message part) for every `# expect: a | b` marker in a fixture."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "# expect: " in line:
            out += [(number, part.strip()) for part in line.split("# expect: ", 1)[1].split(" | ")]
    return out


def assert_same_list(a, b) -> None:
    """Equal lists, including the limits (which Rule equality ignores) but not where they were read from."""
    assert to_plain(a) == to_plain(b)
    assert replace(a, source="") == replace(b, source="")


def test_small_list_reads_every_part():
    lst = load_file(SMALL)

    assert lst.jurisdiction.code == "360704" and lst.jurisdiction.prefix == "GX"
    assert lst.version == "2026.11" and lst.effective == date(2026, 11, 1)
    assert lst.areas_file == "small_areas.csv"
    assert [a.level for a in lst.areas] == ["county", "township", "township", "village", "village", "village"]
    assert lst.calendar.holidays == {date(2026, 12, 31)} and lst.calendar.workdays == {date(2026, 12, 27)}

    cats = {c.code: c for c in lst.categories}
    assert [c.code for c in lst.categories] == [
        "01",
        "0101",
        "010101",
        "010102",
        "0102",
        "02",
        "0201",
        "0202",
    ]
    assert cats["010101"].parent == "0101" and cats["0101"].parent == "01" and cats["01"].parent is None
    assert cats["0201"].urgent and cats["010101"].keywords == ("垃圾", "垃圾桶")

    cgj = next(u for u in lst.units if u.code == "GXQ-CGJ")
    assert cgj.contacts[0].email == "duty@cgj.example.gov.cn"
    assert [(s.level, s.after_minutes, s.units) for s in cgj.escalation] == [
        (1, 30, ()),
        (2, 60, ("GXQ-12345",)),
    ]
    assert cgj.escalation[0].contacts[0].phone == "13907970001"

    rules = {r.id: r for r in lst.rules}
    assert (rules["R0002"].scope, rules["R0002"].lead, rules["R0002"].co) == (
        "territorial",
        "territorial",
        ("GXQ-CGJ",),
    )
    assert rules["R0003"].scope == "360704100" and rules["R0005"].scope == "360704101201"
    assert rules["R0001"].limits == {
        "一般": Limit(24, reply_working_days=10),
        "紧急": Limit(2, reply_hours=24),
        "特急": Limit(0.5, reply_hours=4),
    }
    assert rules["R0005"].limits["紧急"] == Limit(1, reply_hours=8)
    assert str(rules["R0002"].source) == f"{SMALL}:{line_of(SMALL, 'id: R0002')}"
    assert str(cats["0202"].source) == f"{SMALL}:{line_of(SMALL, 'name: 污水外溢') - 1}"


def test_default_limits_are_read_inline_or_by_a_profiles_name():
    text = SMALL.read_text(encoding="utf-8")
    assert load_file(SMALL).default_limits["一般"] == Limit(12, reply_working_days=7)  # inline
    start = text.index("default_limits:")
    end = text.index("units:", start)
    named = loads_yaml(text[:start] + "default_limits: fast\n" + text[end:], base_dir=FIXTURES)
    assert named.default_limits["紧急"] == Limit(1, reply_hours=12)
    assert loads_yaml(dump_yaml(named), base_dir=FIXTURES).default_limits == named.default_limits
    with pytest.raises(ListFormatError) as raised:
        loads_yaml(text[:start] + "default_limits: slow\n" + text[end:], base_dir=FIXTURES)
    assert "default_limits: unknown limit profile 'slow' (known: standard, fast)" in str(raised.value)


def test_dump_loads_back_to_an_equal_list_and_is_stable():
    lst = load_file(SMALL)
    text = dump_yaml(lst)
    again = loads_yaml(text, filename="dumped.yaml", base_dir=FIXTURES)

    assert_same_list(lst, again)
    assert dump_yaml(again) == text
    assert "areas_file: small_areas.csv" in text
    assert '\n  - code: "0101"' not in text and '\n      - code: "0101"' in text  # nested under 01


def test_dump_writes_areas_inline_without_an_areas_file():
    lst = replace(load_file(SMALL), areas_file=None)
    text = dump_yaml(lst)

    assert (
        "areas_file" not in text
        and '{code: "360704100", name: 梅林镇, level: township, parent: "360704"}' in text
    )
    assert_same_list(lst, loads_yaml(text))


def test_dump_quotes_text_yaml_would_misread():
    lst = load_file(SMALL)
    rule = replace(lst.rules[0], note="yes", basis="说明: 见附件 #3")
    lst = replace(lst, version="2026.10", rules=(rule, *lst.rules[1:]))

    again = loads_yaml(dump_yaml(lst), base_dir=FIXTURES)

    assert (
        again.version == "2026.10"
        and again.rules[0].note == "yes"
        and again.rules[0].basis == "说明: 见附件 #3"
    )


def test_unquoted_numbers_keep_their_written_text():
    text = SMALL.read_text(encoding="utf-8").replace('version: "2026.11"', "version: 2026.10")
    text = text.replace('phone: "13907970001"', "phone: 13907970001")

    lst = loads_yaml(text, base_dir=FIXTURES)

    assert lst.version == "2026.10"
    assert lst.units[1].escalation[0].contacts[0].phone == "13907970001"


def test_all_structural_problems_are_reported_at_once_with_file_and_line():
    path = FIXTURES / "structure_errors.yaml"
    with pytest.raises(ListFormatError) as caught:
        load_file(path)

    problems = caught.value.problems
    expected = expectations(path)
    assert len(problems) == len(expected)
    for line, part in expected:
        assert any(str(p).startswith(f"{path}:{line}: ") and part in p.message for p in problems), (
            line,
            part,
        )
    assert f"{path}:{line_of(path, 'code: 0101')}: " in str(caught.value)


def test_unquoted_code_with_leading_zero_asks_for_quotes():
    text = SMALL.read_text(encoding="utf-8").replace('category: "0201"', "category: 0201", 1)

    with pytest.raises(ListFormatError) as caught:
        loads_yaml(text, filename="list.yaml", base_dir=FIXTURES)

    (problem,) = caught.value.problems
    line = text.splitlines().index("    category: 0201") + 1
    assert str(problem) == (
        f'list.yaml:{line}: rule R0004: category 0201 must be quoted ("0201"): unquoted, YAML reads it as '
        "the number 129, not the code 0201"
    )


def test_yaml_syntax_error_names_the_line():
    text = SMALL.read_text(encoding="utf-8").replace("    co: [GXQ-ZJJ]", "    co: [GXQ-ZJJ", 1)
    text = text.replace("    co: [GXQ-CGJ]", "    co: [GXQ-CGJ", 1)

    with pytest.raises(ListFormatError) as caught:
        loads_yaml(text, filename="list.yaml", base_dir=FIXTURES)

    (problem,) = caught.value.problems
    assert problem.message.startswith("YAML syntax")
    assert re.match(r"list\.yaml:\d+: ", str(problem))


def test_a_line_indented_with_a_tab_says_so_at_its_line():
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("    lead: GXQ-CGJ"))
    lines[number] = "\t" + lines[number].lstrip(" ")  # an editor that indents with a tab

    with pytest.raises(ListFormatError) as caught:
        loads_yaml("\n".join(lines), filename="list.yaml", base_dir=FIXTURES)

    assert [str(p) for p in caught.value.problems] == [
        f"list.yaml:{number + 1}: this line is indented with a tab; YAML indents with spaces only: replace the tab"
    ]


def test_a_byte_order_mark_is_not_part_of_the_list(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.read_bytes())
    (tmp_path / "small_areas.csv").write_bytes((FIXTURES / "small_areas.csv").read_bytes())

    assert to_plain(load_file(path)) == to_plain(load_file(SMALL))


def test_a_file_saved_as_gbk_is_refused_at_the_line_of_the_first_such_byte(tmp_path):
    text = SMALL.read_text(encoding="utf-8")
    path = tmp_path / "small.yaml"
    path.write_bytes(text.encode("gb18030"))
    first = next(n for n, line in enumerate(text.splitlines(), start=1) if not line.isascii())

    with pytest.raises(ListFormatError) as caught:
        load_file(path)

    [problem] = caught.value.problems
    assert problem.source.line == first
    assert (
        "the file is not UTF-8 text: byte 0x" in problem.message
        and "save the file as UTF-8" in problem.message
    )


def test_missing_areas_file_is_reported_where_it_is_named(tmp_path):
    text = SMALL.read_text(encoding="utf-8").replace("small_areas.csv", "nowhere.csv")
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ListFormatError) as caught:
        load_file(path)

    (problem,) = caught.value.problems
    assert str(problem).startswith(
        f"{path}:{line_of(path, 'areas_file')}: areas_file nowhere.csv: cannot read"
    )


def test_bad_areas_csv_rows_name_the_csv_and_its_line(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL.read_text(encoding="utf-8"), encoding="utf-8")
    csv = (
        (FIXTURES / "small_areas.csv")
        .read_text(encoding="utf-8")
        .replace("王母渡镇,township", "王母渡镇,town")
    )
    (tmp_path / "small_areas.csv").write_text(csv, encoding="utf-8")

    with pytest.raises(ListFormatError) as caught:
        load_file(tmp_path / "small.yaml")

    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'small_areas.csv'}:4: area 360704101: level 'town' must be one of county, township, village"
    ]


def test_unknown_file_type_is_a_format_error(tmp_path):
    with pytest.raises(ListFormatError, match="expected .yaml, .yml or .xlsx"):
        load_file(tmp_path / "list.csv")


def test_an_areas_file_outside_the_lists_folder_is_refused(tmp_path):
    (tmp_path / "secret.csv").write_text(
        "code,name,level,parent_code\n360704,赣县区,county,\n", encoding="utf-8"
    )
    lists = tmp_path / "lists"
    lists.mkdir()
    text = (
        "jurisdiction: {name: 赣县区, code: '360704', prefix: GX}\n"
        "version: x\neffective: 2026-01-01\nareas_file: ../secret.csv\nunits: []\ncategories: []\nrules: []\n"
    )
    with pytest.raises(ListFormatError) as caught:
        loads_yaml(text, filename="list.yaml", base_dir=lists)
    assert any("without a folder" in p.message for p in caught.value.problems)


def test_the_calendar_s_working_hours_are_read_dumped_and_stored():
    text = SMALL.read_text(encoding="utf-8")
    assert load_file(SMALL).calendar.working_hours == ()  # none given: the default (dispatch.calendar)
    given = text.replace("calendar:\n", 'calendar:\n  working_hours: ["08:00-12:00", "15:00-24:00"]\n', 1)
    lst = loads_yaml(given, base_dir=FIXTURES)
    assert lst.calendar.working_hours == ((time(8, 0), time(12, 0)), (time(15, 0), time(0)))
    assert_same_list(loads_yaml(dump_yaml(lst), base_dir=FIXTURES), lst)
    assert from_plain(to_plain(lst)).calendar == lst.calendar  # as a list version stores it
    # A list without working hours stores as before (its content hash does not change).
    assert "working_hours" not in to_plain(load_file(SMALL))["calendar"]
    for wrong in ('["08:30-12:00", "11:00-17:30"]', '["12:00-08:30"]', '["8:30 to 12"]', '["08:30-24:30"]'):
        bad = text.replace("calendar:\n", f"calendar:\n  working_hours: {wrong}\n", 1)
        with pytest.raises(ListFormatError) as raised:
            loads_yaml(bad, base_dir=FIXTURES)
        assert "working_hours must be periods written HH:MM-HH:MM" in str(raised.value), wrong
