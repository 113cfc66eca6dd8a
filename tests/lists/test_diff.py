"""Comparing two versions of a list."""

from __future__ import annotations

from pathlib import Path

from responsibility_lists.diff import diff_lists
from responsibility_lists.loader import load_file, loads_yaml

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small.yaml"


def next_version() -> str:
    """The small list as a clerk would revise it for the next cycle."""
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace('version: "2026.11"', 'version: "2026.12"')
    # R0003: the lead moves from 住建局 to 城管局.
    text = text.replace("    lead: GXQ-ZJJ\n    co: [GXQ-CGJ, GXZ-ML]", "    lead: GXQ-CGJ\n    co: [GXZ-ML]")
    # R0004 is dropped, R0006 added.
    text = text.replace(
        '  - id: R0004\n    category: "0201"\n    area: county\n    lead: GXQ-SWJ\n    limits: fast\n',
        '  - id: R0006\n    category: "0202"\n    area: county\n    lead: GXQ-SWJ\n    limits: fast\n',
    )
    # R0001 gets the faster limits; a unit is added and a category renamed.
    text = text.replace(
        "    lead: GXQ-CGJ\n    limits: standard\n    basis:",
        "    lead: GXQ-CGJ\n    limits: fast\n    basis:",
    )
    text = text.replace("units:\n", "units:\n  - {code: GXQ-HBJ, name: 区环保局, kind: department}\n", 1)
    return text.replace("name: 污水外溢", "name: 污水冒溢")


def test_identical_lists_have_no_differences():
    diff = diff_lists(load_file(SMALL), load_file(SMALL))

    assert diff.empty
    assert diff.format() == "No differences."


def test_diff_of_two_versions_shows_what_a_clerk_changed():
    old = load_file(SMALL)
    new = loads_yaml(next_version(), filename="v2.yaml", base_dir=FIXTURES)

    diff = diff_lists(old, new)

    assert not diff.empty
    assert [r.id for r in diff.added] == ["R0006"] and [r.id for r in diff.removed] == ["R0004"]
    changes = {c.key: {f.field: (f.old, f.new) for f in c.changes} for c in diff.changed}
    assert changes["R0003"] == {"lead": ("GXQ-ZJJ", "GXQ-CGJ"), "co": ("GXQ-CGJ、GXZ-ML", "GXZ-ML")}
    assert set(changes["R0001"]) == {"limits"}
    assert set(changes) == {"R0001", "R0003"}
    assert [u.code for u in diff.added_units] == ["GXQ-HBJ"] and diff.removed_units == []
    assert [(c.key, [str(f) for f in c.changes]) for c in diff.changed_categories] == [
        ("0202", ["name: 污水外溢 → 污水冒溢"])
    ]
    assert [str(m) for m in diff.meta] == ["version: 2026.11 → 2026.12"]

    text = diff.format()
    assert "Rules: 1 added, 1 removed, 2 changed" in text
    assert "  + R0006: category 0202, area county → GXQ-SWJ" in text
    assert "  - R0004: category 0201, area county → GXQ-SWJ" in text
    assert "      lead: GXQ-ZJJ → GXQ-CGJ" in text
    assert (
        "      limits: 签收 24小时；紧急2小时；特急0.5小时，办理 10个工作日；紧急24小时；特急4小时 → 签收 2小时；"
        in text
    )
    assert "  ~ R0003 (v2.yaml:" in text
    assert "Units: 1 added, 0 removed, 0 changed\n  + GXQ-HBJ 区环保局" in text


def test_a_change_of_working_hours_is_shown_and_the_default_written_out_is_none():
    text = SMALL.read_text(encoding="utf-8")
    old = load_file(SMALL)

    def with_hours(periods: str):
        return loads_yaml(
            text.replace("calendar:\n", f"calendar:\n  working_hours: {periods}\n", 1), base_dir=FIXTURES
        )

    assert diff_lists(old, with_hours('["08:30-12:00", "14:30-17:30"]')).empty  # the default, written out
    summer = diff_lists(old, with_hours('["08:00-12:00", "15:00-18:00"]'))
    assert [str(m) for m in summer.meta] == [
        "working_hours: 08:30-12:00 14:30-17:30 → 08:00-12:00 15:00-18:00"
    ]
