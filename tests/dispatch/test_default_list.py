"""Table-driven routing tests taken from the default list file itself: every rule must win where it
is the most specific rule, and send the appeal to the unit it names."""

from __future__ import annotations

from functools import cache

import pytest

from dispatch.routing import Decision, Router
from responsibility_lists.loader import load_file
from responsibility_lists.model import SCOPE_COUNTY, SCOPE_TERRITORIAL, ResponsibilityList, Rule
from service.demo import default_list_path


@cache
def ganxian() -> ResponsibilityList:
    return load_file(default_list_path())


@cache
def router() -> Router:
    return Router(ganxian())


def _area_for(rule: Rule) -> str:
    """A place where `rule` is the most specific rule for its own category."""
    lst = ganxian()
    if rule.scope == SCOPE_COUNTY:
        return lst.jurisdiction.code  # only county-wide rules apply to the county as a whole
    if rule.scope != SCOPE_TERRITORIAL:
        return rule.scope  # the township or village it names
    taken = {r.scope for r in lst.rules if r.category == rule.category}
    township = next(a.code for a in lst.areas if a.level == "township" and a.code not in taken)
    return township


RULES = ganxian().rules


def test_the_default_list_is_a_real_county_list():
    lst = ganxian()
    top = [c for c in lst.categories if c.parent is None]
    depth3 = {
        c.code
        for c in lst.categories
        if c.parent and any(p.code == c.parent and p.parent for p in lst.categories)
    }
    assert len(top) >= 15 and depth3
    assert len(lst.rules) >= 300
    scopes = {
        ("territorial" if r.territorial else "county" if r.scope == SCOPE_COUNTY else "place") for r in RULES
    }
    assert scopes == {"territorial", "county", "place"}
    names = {u.name for u in lst.units}
    for department in (
        "区行政审批局",
        "区城管局",
        "区住建局",
        "区市场监管局",
        "区人社局",
        "区卫健委",
        "区教科体局",
    ):
        assert department in names
    assert sum(1 for u in lst.units if u.kind == "township") == 20


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_routes_where_it_is_most_specific(rule: Rule):
    area = _area_for(rule)
    result = router().route(rule.category, area, "一般")
    assert isinstance(result, Decision), getattr(result, "message", result)
    assert result.rule_id == rule.id
    if rule.territorial:
        township_unit = next(u for u in ganxian().units if u.area == area)
        assert result.lead == township_unit.code
    else:
        assert result.lead == rule.lead
    assert result.co == tuple(c for c in rule.co if c != result.lead)
    assert result.limit == rule.limits["一般"]
