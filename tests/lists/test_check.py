"""The checker: one broken fixture per kind of mistake, coverage, and speed on a big list."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from responsibility_lists.check import check_file, check_list
from responsibility_lists.loader import load_file
from responsibility_lists.model import Area, Limit

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small.yaml"
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))


def expectations(path: Path) -> list[tuple[int, str]]:
    """(line, message part) for every `# expect: a | b` marker in a fixture."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "# expect: " in line:
            out += [(number, part.strip()) for part in line.split("# expect: ", 1)[1].split(" | ")]
    return out


def test_small_list_has_no_errors_and_reports_its_gaps():
    report = check_list(load_file(SMALL))

    assert report.ok and report.errors == [] and report.warnings == []
    assert [c.code for c in report.coverage.unreached_categories] == ["02", "0202"]
    assert report.coverage.townships_without_government == []
    text = report.format()
    assert f"0202 污水外溢 ({SMALL}:" in text
    assert "1 with rules only for categories below them" in text and "02 供水排水" in text
    assert text.endswith("0 error(s), 0 warning(s).")


def test_there_is_a_broken_fixture_for_every_kind_of_error():
    assert {p.stem for p in BROKEN} == {
        "unknown_unit",
        "unknown_category",
        "unknown_area",
        "conflicting_rules",
        "no_lead",
        "missing_limit",
        "duplicate_codes",
        "territorial_township_co",
        "township_area",
        "unknown_values",
    }


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_each_error_names_the_file_and_line_of_the_mistake(path):
    lst, report = check_file(path)

    assert lst is not None, report.format()  # loads fine: the mistakes are between items
    expected = expectations(path)
    assert expected
    for line, part in expected:
        assert any(str(p).startswith(f"{path}:{line}: ") and part in p.message for p in report.errors), (
            f"no error at line {line} with {part!r} in:\n{report.format()}"
        )
    # ...and nothing else is flagged as an error.
    assert {p.source.line for p in report.errors} == {line for line, _ in expected}
    assert not report.ok
    assert f"{path}:{expected[0][0]}: " in report.format()


def test_conflict_message_points_to_both_rules():
    path = FIXTURES / "broken" / "conflicting_rules.yaml"
    _, report = check_file(path)

    conflict = report.errors[0]
    assert "different leads GXQ-CGJ and GXQ-ZJJ" in conflict.message
    first_line = next(
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "R0001" in line
    )
    assert f"({path}:{first_line})" in conflict.message


def test_a_file_that_cannot_be_loaded_reports_through_the_same_format():
    path = FIXTURES / "structure_errors.yaml"
    lst, report = check_file(path)

    assert lst is None and not report.ok
    assert report.format().splitlines()[0] == f"{path}:2: jurisdiction: missing required key 'prefix'"


def test_townships_without_a_government_are_listed_when_territorial_rules_exist():
    lst = load_file(SMALL)
    zone = Area("360704400", "江西赣县经济开发区", "township", "360704")
    with_zone = replace(lst, areas=(*lst.areas, zone))

    report = check_list(with_zone)
    assert report.coverage.townships_without_government == [zone]
    assert "360704400 江西赣县经济开发区" in report.format()

    county_only = replace(with_zone, rules=tuple(r for r in lst.rules if not r.territorial))
    assert check_list(county_only).coverage.townships_without_government == []


def test_whole_unreached_subtrees_are_shown_once_with_their_size():
    lst = load_file(SMALL)
    report = check_list(replace(lst, rules=tuple(r for r in lst.rules if not r.category.startswith("01"))))

    assert f"    01 城市管理 and the 4 categories below it ({SMALL}:" in report.format()
    assert [c.code for c in report.coverage.unreached_categories] == [
        "01",
        "0101",
        "010101",
        "010102",
        "0102",
        "02",
        "0202",
    ]


def test_default_limits_missing_is_a_warning_and_incomplete_an_error():
    lst = load_file(SMALL)
    without = check_list(replace(lst, default_limits={}))
    assert without.ok and any("has no default_limits" in str(w.message) for w in without.warnings)
    partial = check_list(replace(lst, default_limits={"一般": Limit(24, reply_working_days=10)}))
    assert [str(e.message) for e in partial.errors] == [
        "default_limits has no 紧急 time limit",
        "default_limits has no 特急 time limit",
    ]


def test_odd_but_legal_things_are_warnings():
    lst = load_file(SMALL)
    rule = lst.rules[0]
    odd = replace(
        rule,
        co=(rule.lead,),
        limits={**rule.limits, "特急": Limit(48, reply_hours=4)},
    )
    unit = replace(lst.units[0], contacts=())
    report = check_list(replace(lst, rules=(odd, *lst.rules[1:]), units=(unit, *lst.units[1:])))

    assert report.ok
    messages = [p.message for p in report.warnings]
    assert "rule R0001 lists its lead unit GXQ-CGJ as a co-unit too" in messages
    assert "rule R0001: 特急 sign-for limit (48 h) is longer than the 紧急 one (2 h)" in messages
    assert "unit GXQ-12345 has no duty contacts: notices to it cannot be delivered" in messages
    assert f"{SMALL}:{rule.source.line}: warning: rule R0001 lists its lead" in report.format()


def big_list_yaml(leaves_per_branch: int = 10, township_rules: int = 9) -> tuple[str, str]:
    """A generated list (YAML and areas CSV): 10 × 10 × leaves categories, one county rule per
    leaf plus one rule per township for the first `township_rules` townships."""
    townships = [f"360704{100 + i}" for i in range(20)]
    areas = ["code,name,level,parent_code", "360704,赣县区,county,360700"]
    for i, t in enumerate(townships):
        areas.append(f"{t},镇{i},township,360704")
        areas += [f"{t}{j:03d},村{i}-{j},village,{t}" for j in range(1, 6)]
    depts = [f"GXQ-D{i:02d}" for i in range(30)]
    lines = [
        'jurisdiction: {name: 赣州市赣县区, code: "360704", prefix: GX}',
        'version: "2026.11"',
        "effective: 2026-11-01",
        "areas_file: areas.csv",
        "limit_profiles:",
        "  standard:",
        "    一般: {sign_hours: 24, reply_working_days: 10}",
        "    紧急: {sign_hours: 2, reply_hours: 24}",
        "    特急: {sign_hours: 0.5, reply_hours: 4}",
        "default_limits: standard",
        "units:",
    ]
    lines += [
        f"  - {{code: {d}, name: 部门{d}, kind: department, contacts: [{{name: 值班{d}}}]}}" for d in depts
    ]
    lines += [
        f'  - {{code: GXZ-{t}, name: 镇政府{t}, kind: township, area: "{t}", contacts: [{{name: 值班{t}}}]}}'
        for t in townships
    ]
    lines.append("categories:")
    leaves = []
    for a in range(1, 11):
        lines += [f'  - code: "{a:02d}"', f"    name: 一级{a}", "    children:"]
        for b in range(1, 11):
            lines += [f'      - code: "{a:02d}{b:02d}"', f"        name: 二级{a}-{b}", "        children:"]
            for c in range(1, leaves_per_branch + 1):
                code = f"{a:02d}{b:02d}{c:02d}"
                leaves.append(code)
                lines.append(
                    f'          - {{code: "{code}", name: 事项{code}, keywords: [词{code}], usual_types: [投诉]}}'
                )
    lines.append("rules:")
    n = 0
    for i, leaf in enumerate(leaves):
        n += 1
        lines += [
            f"  - id: R{n:05d}",
            f'    category: "{leaf}"',
            "    area: county",
            f"    lead: {depts[i % 30]}",
        ]
        lines += [f"    co: [{depts[(i + 1) % 30]}]", "    limits: standard", "    basis: 《某某条例》第十条"]
        for t in townships[:township_rules]:
            n += 1
            lines += [
                f"  - id: R{n:05d}",
                f'    category: "{leaf}"',
                f'    area: "{t}"',
                f"    lead: GXZ-{t}",
            ]
            lines.append("    limits: standard")
    return "\n".join(lines) + "\n", "\n".join(areas) + "\n"


def test_ten_thousand_rules_load_and_check_clean_and_a_late_mistake_is_placed(tmp_path):
    """(How fast: `make bench-routing` measures loading and checking, beside a baseline.)"""
    text, areas = big_list_yaml()
    (tmp_path / "areas.csv").write_text(areas, encoding="utf-8")
    (tmp_path / "big.yaml").write_text(text, encoding="utf-8")

    lst = load_file(tmp_path / "big.yaml")
    report = check_list(lst)

    assert len(lst.rules) == 10_000 and report.ok and report.warnings == []

    # A mistake near the end is still found and placed.
    broken = text.replace(
        "lead: GXZ-360704108\n    limits: standard\n", "lead: GXZ-NOPE\n    limits: standard\n", 1
    )
    (tmp_path / "big.yaml").write_text(broken, encoding="utf-8")
    (error,) = check_list(load_file(tmp_path / "big.yaml")).errors
    assert error.message == "rule R00010: unknown lead unit GXZ-NOPE"
    assert error.source.line == broken.splitlines().index("  - id: R00010") + 1


def test_the_checker_and_its_messages_need_no_web_framework():
    """The admin pages translate the findings; the checker itself imports nothing of the service."""
    code = (
        "import sys, responsibility_lists, responsibility_lists.xlsx; "
        "print(sorted({'flask', 'flask_babel', 'service'} & set(sys.modules)))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)

    assert out.stdout.strip() == "[]"
