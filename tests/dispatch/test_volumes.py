"""诉求量与热点 (dispatch/volumes.py): shares, 环比 with and without a previous month, the top ten's
order and ties, villages rolled up to their township, categories rolled up to level 1, the days."""

from __future__ import annotations

import pytest

from dispatch.volumes import (
    Change,
    Placed,
    changes,
    daily,
    hot_spots,
    ranked,
    share,
    top_level_of,
    township_of,
)

# A small list: two level-1 categories, 01 with 0101 > 010101 and 010102, 02 with 0201 > 020101.
PARENTS: dict[str, str | None] = {
    "01": None,
    "0101": "01",
    "010101": "0101",
    "010102": "0101",
    "02": None,
    "0201": "02",
    "020101": "0201",
}
MEILIN, WANGMUDU = "360704100", "360704101"
MEILIN_VILLAGE, MEILIN_OTHER_VILLAGE = "360704100201", "360704100202"


@pytest.mark.parametrize(
    ("count", "previous", "change", "rate"),
    [
        (12, 10, 2, 0.2),
        (5, 10, -5, -0.5),
        (10, 10, 0, 0.0),
        (3, 0, 3, None),  # nothing to compare with: null, neither 0 nor infinity
        (0, 0, 0, None),
        (0, 4, -4, -1.0),
    ],
)
def test_month_on_month_change(count: int, previous: int, change: int, rate: float | None) -> None:
    c = Change(count, previous)
    assert (c.change, c.change_rate) == (change, rate)


@pytest.mark.parametrize(
    ("count", "total", "expected"), [(1, 4, 0.25), (0, 4, 0.0), (4, 4, 1.0), (0, 0, None)]
)
def test_share_of_the_total(count: int, total: int, expected: float | None) -> None:
    assert share(count, total) == expected


@pytest.mark.parametrize(
    ("area", "township"),
    [
        (MEILIN_VILLAGE, MEILIN),  # a village rolls up by its first nine digits
        (MEILIN, MEILIN),
        ("360704", None),  # the county: no township
        (None, None),
        ("3607041002", None),  # not a division code
        ("36070410020x", None),
    ],
)
def test_township_of_a_place(area: str | None, township: str | None) -> None:
    assert township_of(area) == township


@pytest.mark.parametrize(
    ("category", "top"),
    [("010101", "01"), ("0101", "01"), ("01", "01"), ("020101", "02"), ("999999", "999999")],
)
def test_top_level_of_a_category(category: str, top: str) -> None:
    assert top_level_of(category, PARENTS) == top


def test_a_cycle_in_the_parents_ends_the_walk() -> None:
    assert top_level_of("a", {"a": "b", "b": "a"}) == "b"


@pytest.mark.parametrize(
    ("current", "n", "order"),
    [
        ({"b": 3, "a": 5, "c": 1}, 10, ["a", "b", "c"]),  # most first
        ({"b": 2, "a": 2, "c": 2}, 10, ["a", "b", "c"]),  # equal counts: by code
        ({"b": 2, "a": 2, "c": 2}, 2, ["a", "b"]),  # a tie at the last place does not widen the cut
        ({"a": 0, "b": 1}, 10, ["b"]),  # nothing this month: no place
        ({str(i): 20 - i for i in range(12)}, 10, [str(i) for i in range(10)]),
        ({}, 10, []),
    ],
)
def test_a_ranking_is_by_count_then_code(current: dict[str, int], n: int, order: list[str]) -> None:
    assert [k for k, _c in ranked(current, {}, n)] == order


def test_a_ranking_carries_each_keys_previous_count() -> None:
    assert ranked({"a": 4, "b": 1}, {"a": 2, "z": 9}) == [("a", Change(4, 2)), ("b", Change(1, 0))]


def test_changes_keep_the_order_given_and_default_to_every_key_by_code() -> None:
    assert changes({"web": 2}, {"app": 1}, ["hotline", "web", "app"]) == [
        ("hotline", Change(0, 0)),
        ("web", Change(2, 0)),
        ("app", Change(0, 1)),
    ]
    assert [k for k, _ in changes({"web": 2}, {"app": 1})] == ["app", "web"]


def test_hot_spots_roll_villages_up_to_townships_and_categories_up_to_level_one() -> None:
    current = [
        Placed("010101", MEILIN_VILLAGE, 3),
        Placed("010101", MEILIN_OTHER_VILLAGE, 2),  # the same township, another village: 5 in 梅林镇
        Placed("010101", WANGMUDU, 4),
        Placed("010102", WANGMUDU, 6),
        Placed("020101", "360704", 7),  # county-wide: no township
        Placed(None, MEILIN, 1),  # no category
    ]
    previous = [Placed("010101", MEILIN, 9), Placed("020101", None, 7), Placed(None, "360704203001", 2)]
    spots = hot_spots(current, previous, PARENTS)

    assert [(h.code, h.change, h.township) for h in spots.categories] == [
        ("010101", Change(9, 9), (MEILIN, 5)),  # two villages of 梅林镇 (5) before 王母渡镇 (4)
        ("020101", Change(7, 7), None),  # never placed in a township
        ("010102", Change(6, 0), (WANGMUDU, 6)),
    ]
    assert [(h.code, h.change, h.township) for h in spots.top_categories] == [
        ("01", Change(15, 9), (WANGMUDU, 10)),  # 4 + 6 in 王母渡镇 against 5 in 梅林镇
        ("02", Change(7, 7), None),
    ]
    assert [(h.code, h.change) for h in spots.townships] == [
        (WANGMUDU, Change(10, 0)),
        (MEILIN, Change(6, 9)),  # the village rows and the uncategorised one
        ("360704203", Change(0, 2)),  # only last month: listed after those of this month
    ]
    assert spots.uncategorised == Change(1, 2)
    assert spots.unplaced == Change(7, 7)


def test_a_hot_categorys_township_tie_goes_to_the_lower_code_and_the_top_ten_is_ten() -> None:
    current = [Placed(f"c{i:02d}", WANGMUDU, 5) for i in range(12)] + [
        Placed("c05", MEILIN, 1),
        Placed("c07", MEILIN_VILLAGE, 5),
    ]
    spots = hot_spots(current, [], {})
    # c07 (10), c05 (6), then eight of the ten with 5 by code: c10 and c11 fall off at the cut.
    assert [h.code for h in spots.categories] == ["c07", "c05"] + [
        f"c{i:02d}" for i in (0, 1, 2, 3, 4, 6, 8, 9)
    ]
    assert spots.categories[0].township == (MEILIN, 5)  # 5 and 5: 梅林镇's code is the lower
    assert spots.categories[1].township == (WANGMUDU, 5)
    assert all(h.change.change_rate is None for h in spots.categories)  # no previous month
    assert len(spots.top_categories) == 10  # unknown codes are their own level 1


def test_a_month_with_nothing_has_no_hot_spots() -> None:
    spots = hot_spots([], [Placed("010101", MEILIN, 3)], PARENTS)
    assert spots.categories == [] and spots.top_categories == []
    assert [(h.code, h.change) for h in spots.townships] == [(MEILIN, Change(0, 3))]


@pytest.mark.parametrize(
    ("counts", "days", "expected"),
    [
        ({1: 2, 28: 1}, 28, [2] + [0] * 26 + [1]),
        ({31: 4}, 31, [0] * 30 + [4]),
        ({}, 30, [0] * 30),
    ],
)
def test_the_days_of_a_month(counts: dict[int, int], days: int, expected: list[int]) -> None:
    assert daily(counts, days) == expected


@pytest.mark.parametrize(("counts", "days"), [({}, 27), ({}, 32), ({31: 1}, 30), ({0: 1}, 31)])
def test_days_outside_the_month_are_refused(counts: dict[int, int], days: int) -> None:
    with pytest.raises(ValueError, match="day"):
        daily(counts, days)
