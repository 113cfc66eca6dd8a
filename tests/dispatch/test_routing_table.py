"""The routing table (category × area, compiled once) against the full walk, everywhere.

`Router.route` answers from a table built when the router is built and leaves to the full walk
only what the table cannot decide; these tests check that both give the same answer for every
request, on lists made to contain the awkward cases and on a generated list of realistic shape.
"""

from datetime import date

import pytest

from bench.listgen import generate
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
T1, T2 = "360704100", "360704101"  # 2 has no township government unit
T1V1, T2V1 = T1 + "201", T2 + "201"
LONE = COUNTY + "900201"  # a village right under the county, in no township

LIMITS = {
    "一般": Limit(sign_hours=2, reply_working_days=5),
    "紧急": Limit(sign_hours=0.5, reply_hours=24),
    "特急": Limit(sign_hours=0.25, reply_hours=2),
}
NO_EXTRA_URGENT = {u: limit for u, limit in LIMITS.items() if u != "特急"}


def rule(rule_id, category, scope, lead, co=(), limits=LIMITS):
    return Rule(rule_id, category, scope, lead, tuple(co), limits=limits)


AWKWARD = ResponsibilityList(
    jurisdiction=Jurisdiction("赣县区", COUNTY, "GX"),
    version="edge",
    effective=date(2026, 1, 1),
    units=(
        Unit("d1", "区城管局", "department"),
        Unit("d2", "区住建局", "department"),
        Unit("d3", "区水利局", "department"),
        Unit("g1", "一镇人民政府", "township", area=T1),
    ),
    areas=(
        Area(COUNTY, "赣县区", "county"),
        Area(T1, "一镇", "township", COUNTY),
        Area(T1V1, "一镇一村", "village", T1),
        Area(T2, "二镇", "township", COUNTY),
        Area(T2V1, "二镇一村", "village", T2),
        Area(LONE, "直属村", "village", COUNTY),
    ),
    categories=(
        Category("A", "城乡建设"),
        Category("A1", "市容环卫", parent="A"),
        Category("A11", "生活垃圾", parent="A1"),
        Category("A12", "占道经营", parent="A1"),
        Category("A13", "井盖缺失", parent="A1", urgent=True),  # no rules of its own
        Category("B", "安全生产", urgent=True),
        Category("B1", "燃气", parent="B"),
        Category("C", "其他"),
    ),
    rules=(
        # County-wide, but led by the township government of the place (属地).
        rule("E-01", "A", "county", "territorial", ["g1", "d1"]),
        # A township's rule led by that township's government.
        rule("E-02", "A1", T1, "territorial", ["d2"]),
        rule("E-03", "A11", T1V1, "d2", limits=NO_EXTRA_URGENT),
        rule("E-04", "A11", LONE, "d3"),
        rule("E-05", "A11", COUNTY, "d1"),  # the county's code: county-wide
        rule("E-06", "A11", "county", "d2"),  # a duplicate of E-05: E-05 wins
        rule("E-07", "A12", "territorial", "territorial", ["g1"]),
        rule("E-08", "B", "county", "d1", ["d2", "d3"]),
        rule("E-09", "B1", "territorial", "territorial"),
        rule("E-10", "C", "360704999", "d1"),  # an area the list does not know: never applies
    ),
)


def every_request(router: Router, urgencies=URGENCIES):
    for category in router.categories:
        for i, area in enumerate(router.areas):
            for urgency in urgencies or (URGENCIES[(i + len(category)) % len(URGENCIES)],):
                yield category, area, urgency


def assert_agrees_with_the_full_walk(router: Router, urgencies=URGENCIES) -> None:
    for category, area, urgency in every_request(router, urgencies):
        fast = router.route(category, area, urgency)
        slow = router._route_slow(category, area, urgency, None)
        assert type(fast) is type(slow) and fast == slow, (category, area, urgency)


def test_awkward_list_agrees_with_the_full_walk_everywhere():
    assert_agrees_with_the_full_walk(Router(AWKWARD))


@pytest.mark.parametrize(
    ("category", "area", "urgency", "expected"),
    [
        ("A", T1V1, "一般", ("E-01", "g1", ("d1",))),  # the government leads, so is no co-unit
        ("A", T2V1, "一般", "no_township_unit"),
        ("A", COUNTY, "一般", "territorial_needs_township"),
        ("A", LONE, "一般", "territorial_needs_township"),  # a village in no township
        ("A1", T1V1, "一般", ("E-02", "g1", ("d2",))),
        ("A1", T2, "一般", "no_township_unit"),  # E-02 is 一镇's; E-01 applies, without a government
        ("A11", T1V1, "紧急", ("E-03", "d2", ())),
        ("A11", T1V1, "特急", "no_limit"),  # the winning rule has no limit for it: no fallback
        ("A11", LONE, "一般", ("E-04", "d3", ())),
        ("A11", T2V1, "一般", ("E-05", "d1", ())),
        ("A11", COUNTY, "特急", ("E-05", "d1", ())),
        ("A12", T1, "一般", ("E-07", "g1", ())),
        ("A13", T1V1, "一般", ("E-02", "g1", ("d2",))),  # its parent's rule, but urgent by nature
        ("A12", COUNTY, "一般", "territorial_needs_township"),
        ("B1", T1V1, "特急", ("E-09", "g1", ())),
        ("B1", COUNTY, "一般", ("E-08", "d1", ("d2", "d3"))),  # the skipped territorial rule's parent
        ("B1", T2V1, "一般", "no_township_unit"),
        ("C", T1, "一般", "no_rule"),
    ],
)
def test_awkward_cases(category, area, urgency, expected):
    result = Router(AWKWARD).route(category, area, urgency)
    if isinstance(expected, str):
        assert isinstance(result, NoRoute) and result.reason == expected
    else:
        assert isinstance(result, Decision)
        assert (result.rule_id, result.lead, result.co) == expected
        assert result.limit == LIMITS[urgency]
        assert result.urgent_by_nature is (category in ("A13", "B", "B1"))


def test_unknown_urgency_is_refused_where_a_rule_applies():
    with pytest.raises(ValueError):
        Router(AWKWARD).route("A11", T1V1, "很急")


def test_generated_list_agrees_with_the_full_walk_everywhere():
    # Every category and area of a 1,000-rule list of the benchmark's shape; one urgency each.
    assert_agrees_with_the_full_walk(Router(generate(1_000)), urgencies=())
