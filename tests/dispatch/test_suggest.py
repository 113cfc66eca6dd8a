import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from dispatch.suggest import AreaMatcher, CategorySuggester
from responsibility_lists.model import Area, Category, Jurisdiction, ResponsibilityList

AREAS_CSV = Path(__file__).resolve().parents[2] / "responsibility_lists" / "ganxian_areas.csv"


def _category(code, name, parent=None, keywords=()):
    return Category(code=code, name=name, parent=parent, keywords=tuple(keywords))


CATEGORIES = (
    _category("CG", "城市管理", keywords=["城管"]),
    _category("CG01", "市容环境卫生", "CG", ["环境卫生", "脏乱差"]),
    _category("CG0101", "生活垃圾清运", "CG01", ["垃圾", "清运", "垃圾桶"]),
    _category("CG0102", "公厕管理", "CG01", ["公厕", "厕所"]),
    _category("CG02", "占道经营", "CG"),  # no keywords: found through its name alone
    _category("RS", "人力资源和社会保障", keywords=["用人单位"]),
    _category("RS01", "社会保险", "RS", ["社保", "养老保险", "医保", "参保"]),
    _category("RS02", "劳动报酬", "RS", ["工资", "欠薪", "拖欠"]),
    _category("ZJ", "住房和城乡建设"),
    _category("ZJ01", "物业管理", "ZJ", ["物业", "物业费"]),
    _category("ZJ02", "燃气安全", "ZJ", ["燃气", "煤气", "漏气"]),
    _category("QT", "其他"),
)


def _list(categories=CATEGORIES, areas=()):
    return ResponsibilityList(
        jurisdiction=Jurisdiction(name="赣县区", code="360704", prefix="GX"),
        version="test",
        effective=date(2025, 1, 1),
        units=(),
        areas=tuple(areas),
        categories=tuple(categories),
        rules=(),
    )


@pytest.fixture(scope="module")
def suggester():
    return CategorySuggester(_list())


def _codes(suggestions):
    return [s.code for s in suggestions]


def test_garbage_complaint_suggests_the_specific_category_first(suggester):
    suggestions = suggester.suggest("小区门口垃圾堆了好几天没人清运，臭气熏天")

    top = suggestions[0]
    assert top.code == "CG0101"
    assert top.name == "生活垃圾清运"
    assert top.path == "城市管理 / 市容环境卫生 / 生活垃圾清运"
    assert {"垃圾", "清运"} <= set(top.matched)
    assert 0 < top.score <= 1
    # Its ancestors are supported by nothing of their own, so they come after it or not at all.
    assert all(s.score < top.score for s in suggestions[1:])


def test_social_insurance(suggester):
    suggestions = suggester.suggest("单位不给交社保")

    assert suggestions[0].code == "RS01"
    assert suggestions[0].path == "人力资源和社会保障 / 社会保险"
    assert "社保" in suggestions[0].matched


def test_nothing_matches_a_greeting(suggester):
    assert suggester.suggest("你好") == []
    assert suggester.suggest("   ") == []


def test_generic_names_are_not_evidence(suggester):
    # "其他" is a category name, but a caller saying 其他 says nothing about the subject.
    assert suggester.suggest("还有其他的问题") == []


def test_a_category_without_keywords_is_found_by_parts_of_its_name(suggester):
    suggestions = suggester.suggest("天天有人在路口占道摆卖")

    assert suggestions[0].code == "CG02"
    assert suggestions[0].matched == ("占道",)


def test_parent_keyword_alone_ranks_the_parent_above_its_children(suggester):
    suggestions = suggester.suggest("这一片环境卫生太差", k=5)

    assert _codes(suggestions) == ["CG01", "CG0101", "CG0102"]
    # The children get modest support from their parent's keyword: less than one of their own.
    assert all(s.matched == ("环境卫生",) for s in suggestions)
    assert 0 < suggestions[1].score == suggestions[2].score < suggester.suggest("公厕")[0].score
    assert suggestions[1].score < suggestions[0].score


def test_a_child_keyword_beats_the_parents_own_keyword(suggester):
    suggestions = suggester.suggest("环境卫生差，公厕没人打扫")

    assert _codes(suggestions)[:2] == ["CG0102", "CG01"]


def test_scores_are_ordered_bounded_and_grow_with_evidence(suggester):
    weak = suggester.suggest("垃圾")
    strong = suggester.suggest("生活垃圾清运不及时，垃圾桶都满了")

    for suggestions in (weak, strong):
        scores = [s.score for s in suggestions]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)
    assert weak[0].code == strong[0].code == "CG0101"
    assert strong[0].score > weak[0].score


def test_k_limits_the_suggestions(suggester):
    text = "物业不管燃气漏气，还拖欠工资，不交社保"

    assert len(suggester.suggest(text)) == 3
    assert len(suggester.suggest(text, k=1)) == 1
    assert len(suggester.suggest(text, k=10)) > 3
    assert suggester.suggest(text, k=0) == []


def test_whitespace_in_the_text_does_not_break_a_keyword(suggester):
    assert suggester.suggest("物 业 费 太贵")[0].code == "ZJ01"


# --- areas --------------------------------------------------------------------------------------


def _read_areas(path=AREAS_CSV):
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Area(code=row["code"], name=row["name"], level=row["level"], parent=row["parent_code"] or None)
            for row in csv.DictReader(f)
        ]


@pytest.fixture(scope="module")
def ganxian_areas():
    return _read_areas()


@pytest.fixture(scope="module")
def matcher(ganxian_areas):
    return AreaMatcher(ganxian_areas)


@pytest.mark.parametrize(
    ("address", "code", "township", "village"),
    [
        ("梅林镇城东社区光明路12号", "360704100001", "360704100", "360704100001"),
        ("城东居委会门口", "360704100001", "360704100", "360704100001"),
        ("在王母渡那边的村里", "360704101", "360704101", None),
        ("赣县区沙地镇", "360704102", "360704102", None),
        ("沙地镇", "360704102", "360704102", None),
        ("经开区", "360704400", "360704400", None),
        ("赣县经济开发区管委会旁边", "360704400", "360704400", None),
        ("江西赣县经济开发区", "360704400", "360704400", None),
        # 梅林 is the township's short form and the village's stem: the village in the township wins.
        ("梅林镇梅林村", "360704100201", "360704100", "360704100201"),
        ("梅林新区社区", "360704100005", "360704100", "360704100005"),
        ("光彩社区3栋", "360704100004", "360704100", "360704100004"),
        ("白鹭湾那里", "360704100007", "360704100", "360704100007"),  # longer than 白鹭 (白鹭乡)
        ("白鹭乡政府", "360704209", "360704209", None),
        ("江口社区", "360704103001", "360704103", "360704103001"),  # 江口街居委会
        ("吉埠村", "360704107208", "360704107", "360704107208"),  # not 吉埠居委会
        ("大埠乡圩镇", "360704202001", "360704202", "360704202001"),  # the seat's committee
        ("五云镇社区居委会", "360704108001", "360704108", "360704108001"),
    ],
)
def test_area_from_the_address(matcher, address, code, township, village):
    result = matcher.match(address)

    assert result is not None
    assert (result.code, result.township_code, result.village_code) == (code, township, village)
    assert result.level == ("village" if village else "township")
    assert 0 < result.score <= 1
    assert result.ambiguous == ()


def test_area_names_and_matched_text(matcher):
    result = matcher.match("梅林镇城东社区光明路12号")

    assert result.name == result.village_name == "城东居委会"
    assert result.township_name == "梅林镇"
    assert result.matched == ("梅林镇", "城东社区")
    assert result.score == 1.0
    # Without the township the village is still unique, but the match is less sure.
    assert 0 < matcher.match("城东社区").score < result.score


def test_shorter_forms_are_less_sure(matcher):
    full, short = matcher.match("王母渡镇"), matcher.match("王母渡")

    assert full.code == short.code == "360704101"
    assert short.score < full.score


@pytest.mark.parametrize("address", ["你好", "", "赣县区", "城东路5号", "圩镇", "社区居委会"])
def test_nothing_recognisable(matcher, address):
    # 城东路 is a road, not the 城东 community; 圩镇 and 社区居委会 name a township seat's committee
    # only together with the township.
    assert matcher.match(address) is None


def test_an_ambiguous_village_needs_its_township(ganxian_areas, matcher):
    repeated = Counter(a.name for a in ganxian_areas if a.level == "village")
    assert repeated["大龙村委会"] == 2  # in 茅店镇 and in 阳埠乡
    by_township = {a.parent: a.code for a in ganxian_areas if a.name == "大龙村委会"}

    assert matcher.match("大龙村") is None
    assert matcher.match("阳埠乡大龙村").code == by_township["360704201"]
    assert matcher.match("茅店镇大龙村委会").code == by_township["360704106"]


def test_a_village_outside_the_named_township_falls_back_to_the_township(matcher):
    # 横溪村 exists in 王母渡镇 and 石芫乡, not in 梅林镇.
    result = matcher.match("梅林镇横溪村")

    assert (result.code, result.level, result.village_code) == ("360704100", "township", None)


def _synthetic_areas():
    return [
        Area("360000", "某县", "county"),
        Area("360000100", "甲镇", "township", "360000"),
        Area("360000101", "乙乡", "township", "360000"),
        Area("360000100001", "东风居委会", "village", "360000100"),
        Area("360000100201", "东风村委会", "village", "360000100"),
        Area("360000101201", "岭村委会", "village", "360000101"),
    ]


def test_a_name_shared_within_one_township_gives_the_township_and_the_candidates():
    matcher = AreaMatcher(_synthetic_areas())

    result = matcher.match("东风那边")

    assert (result.code, result.level, result.village_code) == ("360000100", "township", None)
    assert result.ambiguous == ("360000100001", "360000100201")
    assert result.matched == ("东风",)
    assert result.score < matcher.match("甲镇").score
    # With the township named the candidates are the same, and the township is sure.
    named = matcher.match("甲镇东风")
    assert (named.code, named.ambiguous, named.score) == ("360000100", result.ambiguous, 1.0)
    # The committee's own forms decide.
    assert matcher.match("东风村").code == "360000100201"
    assert matcher.match("东风社区").code == "360000100001"


def test_a_one_character_short_form_is_never_used():
    matcher = AreaMatcher(_synthetic_areas())

    assert matcher.match("山岭下") is None
    assert matcher.match("岭村委会").code == "360000101201"
