"""Likely duplicates: bigram similarity on realistic appeals, and the candidate rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.duplicates import (
    SAME_PHONE,
    SIMILAR_TEXT,
    SIMILAR_TEXT_REASON,
    Subject,
    bigrams,
    find_candidates,
    in_area,
    normalise,
    similarity,
)

# The same matter told by two callers in their own words.
SAME_MATTER = {
    "garbage": (
        "小区门口垃圾多日无人清运。光明路12号小区门口的垃圾堆了三天没人清运，气味很大，请尽快处理。",
        "光明路垃圾没人收。市民来电反映：光明路12号小区大门口垃圾已经堆了好几天，没有人来清运，臭味很大。",
    ),
    "drain": (
        "排水沟堵塞污水外溢。梅林镇华坪村村委会旁边的排水沟堵了，污水流到路上，过往行人很不方便。",
        "华坪村排水沟堵塞。来电人反映华坪村村委会附近排水沟堵塞，污水漫到路面上，希望尽快疏通。",
    ),
    "street lamp": (
        "路灯不亮。储潭镇储潭村新街路段路灯已经坏了一个多星期，晚上一片漆黑，老人小孩出行很危险。",
        "新街路灯坏了。储潭村新街的路灯一直不亮，晚上出行很不安全，请相关部门尽快维修。",
    ),
    "night works": (
        "工地夜间施工噪音扰民。城关小区对面的工地每天晚上十一点以后还在施工，噪音很大，影响居民休息。",
        "夜间施工扰民。城关小区对面工地深夜施工，噪声太大，根本睡不着觉。",
    ),
    "unpaid wages": (
        "农民工工资被拖欠。我在王母渡镇某建筑工地干了半年，老板拖欠我们二十多人的工资共计三十多万元，至今未付。",
        "工地拖欠工资。王母渡镇一个工地的老板欠我们工人工资三十万元，一直不给。",
    ),
}

# Different matters at the same place.
DIFFERENT_MATTERS = {
    "garbage / street lamp": (
        SAME_MATTER["garbage"][0],
        "路灯不亮。光明路12号小区附近的路灯已经坏了一个多星期，晚上一片漆黑，出行很危险。",
    ),
    "drain / pension": (
        SAME_MATTER["drain"][0],
        "养老保险缴费咨询。华坪村村民咨询城乡居民养老保险今年的缴费标准和缴费时间。",
    ),
    "night works / garbage": (
        SAME_MATTER["night works"][0],
        "小区垃圾没人清运。城关小区里的垃圾桶满了好几天没人清运，气味很大。",
    ),
    "wages / road": (
        SAME_MATTER["unpaid wages"][0],
        "道路破损。王母渡镇光明路有一段路面坑洼严重，下雨积水，车辆经过很危险。",
    ),
}


@pytest.mark.parametrize("pair", SAME_MATTER.values(), ids=SAME_MATTER.keys())
def test_the_same_matter_in_other_words_reaches_the_threshold(pair):
    assert similarity(*pair) >= SIMILAR_TEXT


@pytest.mark.parametrize("pair", DIFFERENT_MATTERS.values(), ids=DIFFERENT_MATTERS.keys())
def test_different_matters_at_the_same_place_stay_below_it(pair):
    assert similarity(*pair) < SIMILAR_TEXT


def test_similarity_is_symmetric_and_bounded():
    a, b = SAME_MATTER["drain"]
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0
    assert similarity(a, "") == 0.0
    assert similarity("", "") == 0.0


def test_punctuation_width_and_boilerplate_do_not_count():
    assert normalise("市民来电反映：光明路１２号，垃圾！请尽快处理。") == "光明路12号垃圾"
    assert similarity("光明路12号垃圾没人清运", "来电人反映：光明路１２号垃圾没人清运！谢谢") == 1.0
    # Boilerplate alone is nothing in common.
    assert similarity("市民来电反映路灯坏了，请尽快处理", "市民来电反映养老金没发，请尽快处理") < 0.2


def test_bigrams_of_short_texts():
    assert bigrams("水") == frozenset({"水"})
    assert bigrams("停水") == frozenset({"停水"})
    assert bigrams("，。") == frozenset()


VILLAGE, OTHER_VILLAGE, TOWNSHIP = "360704106201", "360704106202", "360704106"
NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


def subject(key, *, phone="", area=VILLAGE, text=SAME_MATTER["garbage"][0], days_ago=1.0, merged=False):
    return Subject(key, phone, area, text, NOW - timedelta(days=days_ago), merged)


NEW = Subject(0, "13800001234", VILLAGE, SAME_MATTER["garbage"][1], NOW)


def test_same_area_and_similar_text_within_a_week():
    found = find_candidates(NEW, [subject(1, days_ago=6.9)])
    assert [(c.key, c.reason) for c in found] == [(1, SIMILAR_TEXT_REASON)]
    assert found[0].score == round(similarity(NEW.text, SAME_MATTER["garbage"][0]), 3)


@pytest.mark.parametrize(
    "other",
    [
        subject(1, days_ago=7.1),  # older than a week
        subject(1, area=OTHER_VILLAGE),  # another village
        subject(1, area=None),
        subject(1, text=DIFFERENT_MATTERS["garbage / street lamp"][1]),  # another matter
        subject(1, merged=True),
    ],
    ids=["older than 7 days", "another village", "no place", "dissimilar text", "merged"],
)
def test_not_flagged(other):
    assert find_candidates(NEW, [other]) == []


def test_same_phone_within_30_days_whatever_the_text_and_place():
    same_matter = subject(1, phone=NEW.phone, days_ago=29)
    other_matter = subject(2, phone=NEW.phone, area=None, text="养老保险缴费标准咨询", days_ago=3)
    too_old = subject(3, phone=NEW.phone, days_ago=31)
    found = find_candidates(NEW, [other_matter, too_old, same_matter])
    assert [(c.key, c.reason) for c in found] == [(1, SAME_PHONE), (2, SAME_PHONE)]
    # Scored 0.5 + 0.5 × similarity: a repeat call about the same matter ranks first.
    assert found[0].score == round(0.5 + 0.5 * similarity(NEW.text, same_matter.text), 3)
    assert 0.5 <= found[1].score < 0.6


def test_an_appeal_matching_both_ways_is_reported_once_as_same_phone():
    by_phone = subject(1, phone=NEW.phone)
    by_place = subject(1)  # the same appeal, as the place's query returns it
    assert [(c.key, c.reason) for c in find_candidates(NEW, [by_phone, by_place])] == [(1, SAME_PHONE)]


def test_no_phone_is_no_same_phone_match():
    new = Subject(0, "", None, "路灯坏了", NOW)
    assert find_candidates(new, [subject(1, phone="", area=None)]) == []


def test_the_best_candidates_first_and_bounded():
    others = [subject(k, phone=NEW.phone, text=f"第{k}件：{'垃圾' * (k % 5)}") for k in range(1, 30)]
    found = find_candidates(NEW, others, limit=10)
    assert len(found) == 10
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


@pytest.mark.parametrize(
    ("area", "other", "same"),
    [
        (VILLAGE, VILLAGE, True),
        (VILLAGE, TOWNSHIP, True),  # an earlier caller named only the township
        (VILLAGE, OTHER_VILLAGE, False),
        (TOWNSHIP, OTHER_VILLAGE, True),  # a township takes in its villages
        (TOWNSHIP, "360704107201", False),
        ("360704", VILLAGE, False),  # the county is too broad
        (None, VILLAGE, False),
    ],
)
def test_the_same_area(area, other, same):
    assert in_area(area, other) is same
