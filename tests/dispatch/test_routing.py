"""Routing: specificity of category and area, territorial (属地) resolution, explanations."""

import dataclasses
import json
from datetime import date

import pytest

from dispatch.routing import Decision, NoRoute, Router
from responsibility_lists.model import (
    URGENCIES,
    Area,
    Category,
    Jurisdiction,
    Limit,
    ResponsibilityList,
    Rule,
    Unit,
)

COUNTY = "360704"
MEILIN, CHUTAN, MAODIAN, HUJIANG = "360704100", "360704101", "360704102", "360704103"

AREAS = (
    Area(COUNTY, "赣县区", "county"),
    Area(MEILIN, "梅林镇", "township", COUNTY),
    Area(MEILIN + "201", "梅林镇一村", "village", MEILIN),
    Area(MEILIN + "202", "梅林镇二村", "village", MEILIN),
    Area(CHUTAN, "储潭镇", "township", COUNTY),
    Area(CHUTAN + "201", "储潭镇一村", "village", CHUTAN),
    Area(MAODIAN, "茅店镇", "township", COUNTY),  # no township government unit in this list
    Area(MAODIAN + "201", "茅店镇一村", "village", MAODIAN),
    Area(HUJIANG, "湖江镇", "township", COUNTY),
    Area(HUJIANG + "201", "湖江镇一村", "village", HUJIANG),
)

UNITS = (
    Unit("cgj", "区城管局", "department"),
    Unit("zjj", "区住建局", "department"),
    Unit("sthjj", "区生态环境局", "department"),
    Unit("yjj", "区应急管理局", "department"),
    Unit("slj", "区水利局", "department"),
    Unit("ml", "梅林镇人民政府", "township", area=MEILIN),
    Unit("ct", "储潭镇人民政府", "township", area=CHUTAN),
    Unit("hj", "湖江镇人民政府", "township", area=HUJIANG),
)

CATEGORIES = (
    Category("01", "城乡建设"),
    Category("0101", "市容环卫", parent="01"),
    Category("010101", "生活垃圾清运", parent="0101"),
    Category("010102", "占道经营", parent="0101"),
    Category("02", "安全生产", urgent=True),
    Category("0201", "燃气安全", parent="02"),
    Category("020101", "燃气泄漏", parent="0201"),
    Category("03", "生态环境"),
    Category("0301", "噪声污染", parent="03"),
    Category("0302", "河道保洁", parent="03"),
    Category("04", "其他"),
)

ORDINARY = {
    "一般": Limit(sign_hours=2, reply_working_days=5),
    "紧急": Limit(sign_hours=0.5, reply_hours=24),
    "特急": Limit(sign_hours=0.25, reply_hours=2),
}


def rule(rule_id, category, scope, lead, co=(), **kw):
    return Rule(rule_id, category, scope, lead, tuple(co), limits=ORDINARY, **kw)


RULES = (
    rule("GX-0001", "010101", "territorial", "territorial", ["cgj"], basis="《城市市容和环境卫生管理条例》"),
    rule("GX-0002", "0101", "county", "cgj"),
    rule("GX-0003", "010101", "county", "cgj", note="跨镇的垃圾中转站由城管局负责"),
    rule("GX-0004", "010101", CHUTAN, "zjj", ["ct"]),
    rule("GX-0005", "010101", MEILIN + "201", "sthjj"),
    rule("GX-0006", "02", "county", "yjj"),
    rule("GX-0007", "0301", "territorial", "territorial"),
    rule("GX-0008", "01", "county", "zjj"),
    rule("GX-0009", "010101", MEILIN, "cgj", ["ml", "zjj"]),
    rule("GX-0010", "0302", "territorial", "territorial", ["ml", "slj"]),
)


def make_list(rules=RULES) -> ResponsibilityList:
    return ResponsibilityList(
        jurisdiction=Jurisdiction("赣县区", COUNTY, "GX"),
        version="2026.1",
        effective=date(2026, 1, 1),
        units=UNITS,
        areas=AREAS,
        categories=CATEGORIES,
        rules=rules,
    )


ROUTER = Router(make_list())


def decided(category, area, urgency="一般") -> Decision:
    d = ROUTER.route(category, area, urgency)
    assert isinstance(d, Decision), d
    return d


@pytest.mark.parametrize(
    ("category", "area", "rule_id", "lead", "co"),
    [
        # Same category node: village > township > territorial > county.
        ("010101", MEILIN + "201", "GX-0005", "sthjj", ()),
        ("010101", MEILIN + "202", "GX-0009", "cgj", ("ml", "zjj")),
        ("010101", MEILIN, "GX-0009", "cgj", ("ml", "zjj")),
        ("010101", CHUTAN + "201", "GX-0004", "zjj", ("ct",)),
        ("010101", HUJIANG + "201", "GX-0001", "hj", ("cgj",)),  # territorial → 湖江镇 government
        ("010101", HUJIANG, "GX-0001", "hj", ("cgj",)),
        ("010101", COUNTY, "GX-0003", "cgj", ()),  # a county-level place skips the territorial rule
        # A deeper category beats its ancestor, whatever the area.
        ("010102", MEILIN + "201", "GX-0002", "cgj", ()),
        ("0101", COUNTY, "GX-0002", "cgj", ()),
        ("01", MEILIN, "GX-0008", "zjj", ()),
        ("020101", CHUTAN, "GX-0006", "yjj", ()),
        # The township government leading a territorial rule is not also a co-unit.
        ("0302", MEILIN + "202", "GX-0010", "ml", ("slj",)),
        ("0302", CHUTAN, "GX-0010", "ct", ("ml", "slj")),
    ],
)
def test_routes(category, area, rule_id, lead, co):
    d = decided(category, area)
    assert (d.rule_id, d.lead, d.co) == (rule_id, lead, co)


def test_limit_is_the_rules_limit_for_the_urgency():
    for urgency in URGENCIES:
        assert decided("010101", HUJIANG, urgency).limit == ORDINARY[urgency]
    with pytest.raises(ValueError):
        ROUTER.route("010101", HUJIANG, "很急")


def test_urgent_by_nature_is_inherited_from_an_ancestor():
    assert decided("020101", MEILIN).urgent_by_nature is True
    assert decided("02", MEILIN).urgent_by_nature is True
    assert decided("010101", MEILIN).urgent_by_nature is False
    assert decided("020101", MEILIN).explanation["urgent_category"] == "02"


@pytest.mark.parametrize(
    ("category", "area", "reason"),
    [
        (None, MEILIN, "no_category"),
        ("", MEILIN, "no_category"),
        ("010101", None, "no_area"),
        ("9999", MEILIN, "unknown_category"),
        ("010101", "360704999", "unknown_area"),
        ("0301", COUNTY, "territorial_needs_township"),  # only a territorial rule, county-level place
        ("0301", MAODIAN + "201", "no_township_unit"),  # 茅店镇 has no government unit in the list
        ("04", MEILIN, "no_rule"),
        ("03", MEILIN, "no_rule"),  # rules on children do not apply to a parent
    ],
)
def test_no_route(category, area, reason):
    result = ROUTER.route(category, area)
    assert isinstance(result, NoRoute)
    assert result.reason == reason
    assert result.message  # for the dispatcher, in Chinese
    assert result.explanation["reason"] == reason
    json.dumps(result.explanation, ensure_ascii=False)


def test_territorial_needs_township_explains_the_skipped_rule():
    result = ROUTER.route("0301", COUNTY)
    assert [s["rule"] for s in result.explanation["skipped"]] == ["GX-0007"]
    assert "GX-0007" in result.message


def test_explanation_of_a_village_rule_lists_what_it_beat():
    d = decided("010101", MEILIN + "201")
    e = json.loads(json.dumps(d.explanation, ensure_ascii=False))
    assert e["rule"] == "GX-0005"
    assert e["list"] == {"jurisdiction": COUNTY, "version": "2026.1"}
    assert e["category"] == {
        "requested": "010101",
        "requested_name": "生活垃圾清运",
        "matched": "010101",
        "matched_name": "生活垃圾清运",
        "relation": "same",
        "depth": 0,
    }
    assert e["scope"]["kind"] == "village"
    assert [(o["rule"], o["reason"]) for o in e["overridden"]] == [
        ("GX-0009", f"范围梅林镇（乡镇，{MEILIN}）不如梅林镇一村（村/社区，{MEILIN}201）具体"),
        ("GX-0001", f"范围属地不如梅林镇一村（村/社区，{MEILIN}201）具体"),
        ("GX-0003", f"范围赣县区全域不如梅林镇一村（村/社区，{MEILIN}201）具体"),
        ("GX-0002", "分类市容环卫（0101）不如生活垃圾清运（010101）具体"),
        ("GX-0008", "分类城乡建设（01）不如生活垃圾清运（010101）具体"),
    ]
    assert e["scope"]["reason"] == f"梅林镇一村（村/社区，{MEILIN}201）的规则，即诉求发生地"
    assert e["summary"] == "按规则 GX-0005（生活垃圾清运 · 梅林镇一村）派至 区生态环境局"


def test_explanation_of_a_territorial_rule():
    d = decided("010101", HUJIANG + "201")
    e = d.explanation
    assert e["summary"] == "按规则 GX-0001（生活垃圾清运 · 属地）派至 湖江镇人民政府，配合：区城管局"
    assert e["scope"]["kind"] == "territorial" and e["scope"]["township"] == HUJIANG
    assert e["scope"]["reason"] == f"属地规则：由事发乡镇湖江镇（{HUJIANG}）的湖江镇人民政府（hj）主办"
    assert e["lead"] == {"code": "hj", "name": "湖江镇人民政府"}
    assert e["co"] == [{"code": "cgj", "name": "区城管局"}]
    assert e["basis"] == "《城市市容和环境卫生管理条例》"
    assert e["limit"] == {"urgency": "一般", "sign_hours": 2, "reply_working_days": 5, "reply_hours": None}
    assert [o["reason"] for o in e["overridden"]] == [
        "范围赣县区全域不如属地具体",
        "分类市容环卫（0101）不如生活垃圾清运（010101）具体",
        "分类城乡建设（01）不如生活垃圾清运（010101）具体",
    ]


def test_explanation_of_an_ancestor_rule_and_of_a_skipped_territorial_rule():
    e = decided("010102", MEILIN).explanation
    assert e["category"]["relation"] == "ancestor" and e["category"]["depth"] == 1
    assert e["category"]["matched"] == "0101"
    e = decided("010101", COUNTY).explanation
    assert e["rule"] == "GX-0003" and e["note"] == "跨镇的垃圾中转站由城管局负责"
    assert e["scope"]["reason"] == "赣县区全域适用的规则"
    assert [(s["rule"], s["reason_code"], s["reason"]) for s in e["skipped"]] == [
        ("GX-0001", "territorial_needs_township", "属地规则须知道事发乡镇：诉求发生地只到县级")
    ]


def test_appeal_type_is_recorded_in_the_explanation():
    d = ROUTER.route("010101", MEILIN, "一般", appeal_type="投诉")
    assert d.explanation["request"]["appeal_type"] == "投诉"
    assert d.rule_id == ROUTER.route("010101", MEILIN, "一般", appeal_type="咨询").rule_id


def test_duplicate_rules_first_wins_and_the_other_is_explained():
    dup = rule("GX-0099", "010101", MEILIN, "zjj")
    router = Router(make_list((*RULES, dup)))
    d = router.route("010101", MEILIN)
    assert d.rule_id == "GX-0009"
    reasons = {o["rule"]: o["reason_code"] for o in d.explanation["overridden"]}
    assert reasons["GX-0099"] == "duplicate"


def test_a_scope_given_as_the_county_code_is_county_wide():
    router = Router(make_list((rule("GX-0100", "04", COUNTY, "zjj"),)))
    assert router.route("04", MEILIN + "201").rule_id == "GX-0100"


def test_decisions_are_frozen():
    d = decided("010101", MEILIN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.lead = "zjj"


def test_fast_path_agrees_with_the_full_walk_everywhere():
    for category in [c.code for c in CATEGORIES]:
        for area in [a.code for a in AREAS]:
            for urgency in URGENCIES:
                fast = ROUTER.route(category, area, urgency)
                slow = ROUTER._route_slow(category, area, urgency, None)
                assert fast == slow, (category, area, urgency)
                if isinstance(fast, Decision):
                    e = fast.explanation
                    assert (e["rule"], e["lead"]["code"]) == (fast.rule_id, fast.lead)
                    assert fast.co == tuple(c["code"] for c in e["co"])
