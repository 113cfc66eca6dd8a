"""The knowledge base (知识库): who writes what, withdrawal, and search in Chinese."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from service.knowledge.operations import terms
from tests.service.closing_arrange import CGJ, RSJ, ok
from tests.service.factories import assert_envelope

URL = "/api/v1/knowledge"


def _article(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "居民燃气开户办理指南",
        "body": "新建住宅燃气开户，请携带身份证和房产证到城区燃气营业厅办理。",
        "categories": ["0101"],
        "keywords": ["燃气", "开户"],
    }
    body.update(overrides)
    return body


def _create(api: Any, **overrides: Any) -> dict[str, Any]:
    return ok(api.post(URL, json=_article(**overrides)), 201)


def _patch(api: Any, article_id: int, **changes: Any) -> Any:
    return api._call("patch", f"{URL}/{article_id}", json=changes)


def _delete(api: Any, article_id: int) -> Any:
    return api._call("delete", f"{URL}/{article_id}")


def _search(api: Any, **args: Any) -> dict[str, Any]:
    return ok(api.get(URL, query_string=args))


# ---- writing ---------------------------------------------------------------------------------


def test_the_centre_writes_an_article_for_a_unit(as_user):
    article = _create(as_user("dispatcher"), owner_unit=CGJ, valid_from="2020-01-01")

    assert article["owner_unit"] == {"code": CGJ, "name": "区城管局"}
    assert article["categories"] == ["0101"] and article["keywords"] == ["燃气", "开户"]
    assert article["active"] is True and article["valid_today"] is True
    assert ok(as_user("operator").get(f"{URL}/{article['id']}"))["title"] == "居民燃气开户办理指南"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"categories": ["9999"]}, "categories"),
        ({"owner_unit": "NO-SUCH-UNIT"}, "owner_unit"),
        ({"valid_from": "2030-01-02", "valid_to": "2030-01-01"}, "valid_to"),
        ({"title": ""}, "title"),
        ({"keywords": ["燃" * 51]}, "keywords.0"),  # the item, by its dotted path
    ],
)
def test_an_article_is_checked(as_user, overrides, field):
    r = as_user("admin").post(URL, json=_article(**overrides))

    assert field in assert_envelope(r, 422, "validation_error")["errors"]


def test_unit_staff_write_for_their_own_unit_only(as_user):
    cgj = as_user("cgj")

    article = _create(cgj)
    assert _create(cgj, owner_unit=CGJ)["owner_unit"]["code"] == CGJ

    assert article["owner_unit"]["code"] == CGJ  # the writer's unit
    changed = ok(_patch(cgj, article["id"], title="燃气开户须知", owner_unit=CGJ))
    assert changed["title"] == "燃气开户须知" and changed["owner_unit"]["code"] == CGJ
    assert_envelope(_patch(as_user("rsj"), article["id"], title="改"), 403, "forbidden")
    assert_envelope(_delete(as_user("rsj"), article["id"]), 403, "forbidden")


def test_a_unit_naming_another_owner_is_refused_not_overruled(as_user):
    cgj = as_user("cgj")
    article = _create(cgj)

    created = cgj.post(URL, json=_article(title="社保卡补办", owner_unit=RSJ))
    moved = _patch(cgj, article["id"], owner_unit=RSJ, title="改")
    to_the_centre = _patch(cgj, article["id"], owner_unit=None)

    for r in (created, moved, to_the_centre):
        refused = assert_envelope(r, 403, "forbidden")
        assert refused["errors"] == {
            "owner_unit": [f"A unit writes for its own unit ({CGJ}) only; the centre moves articles."]
        }
    assert _search(as_user("dispatcher"), q="社保卡补办", all=1)["total"] == 0
    kept = ok(cgj.get(f"{URL}/{article['id']}"))
    assert kept["owner_unit"]["code"] == CGJ and kept["title"] == article["title"]


def test_a_units_forbidden_change_is_refused_whatever_else_the_body_says(as_user):
    """Naming another owner, or bringing a withdrawn article back, is refused (403) before the
    rest of the body is checked, as editing another unit's article is: the caller learns that no
    correction of the other fields would do. A field that is itself malformed is said with the rest."""
    cgj = as_user("cgj")
    article = _create(cgj)
    invalid = {"title": "", "valid_to": "not a date", "keywords": "燃气"}
    owner_refused = {
        "owner_unit": [f"A unit writes for its own unit ({CGJ}) only; the centre moves articles."]
    }

    moved = _patch(cgj, article["id"], owner_unit=RSJ, **invalid)
    to_the_centre = _patch(cgj, article["id"], owner_unit=None, **invalid)
    created = cgj.post(URL, json={"owner_unit": RSJ, "categories": "0101"})
    someone_elses = _patch(as_user("rsj"), article["id"], **invalid)

    for r in (moved, to_the_centre, created):
        assert assert_envelope(r, 403, "forbidden")["errors"] == owner_refused
    assert_envelope(someone_elses, 403, "forbidden")
    assert ok(_patch(cgj, article["id"], active=False))["active"] is False
    revived = _patch(cgj, article["id"], active=True, **invalid)
    assert assert_envelope(revived, 403, "forbidden")["errors"] == {
        "active": ["Only the centre brings a withdrawn article back."]
    }
    malformed = _patch(cgj, article["id"], owner_unit=["not", "a", "code"], title="")
    assert set(assert_envelope(malformed, 422, "validation_error")["errors"]) == {"owner_unit", "title"}
    own = _patch(cgj, article["id"], owner_unit=CGJ, **invalid)  # its own unit: no change of owner
    assert set(assert_envelope(own, 422, "validation_error")["errors"]) == set(invalid)
    assert ok(cgj.get(f"{URL}/{article['id']}"))["title"] == article["title"]


def test_a_unit_withdraws_its_article_but_only_the_centre_brings_it_back(as_user):
    cgj = as_user("cgj")
    article = _create(cgj)

    assert ok(_patch(cgj, article["id"], active=False))["active"] is False
    r = _patch(cgj, article["id"], active=True)

    refused = assert_envelope(r, 403, "forbidden")
    assert refused["errors"] == {"active": ["Only the centre brings a withdrawn article back."]}
    assert ok(cgj.get(f"{URL}/{article['id']}"))["active"] is False
    assert ok(_patch(as_user("dispatcher"), article["id"], active=True))["active"] is True
    assert ok(_patch(cgj, article["id"], active=True, title="燃气开户须知"))["active"] is True  # no change


def test_a_unit_cannot_edit_the_centres_articles(as_user):
    article = _create(as_user("dispatcher"))

    assert_envelope(_patch(as_user("cgj"), article["id"], title="改"), 403, "forbidden")


def test_the_centre_edits_every_article(as_user):
    article = _create(as_user("cgj"))

    changed = ok(_patch(as_user("reviewer"), article["id"], owner_unit=RSJ, keywords=["天然气"]))

    assert changed["owner_unit"]["code"] == RSJ and changed["keywords"] == ["天然气"]


def test_operators_and_leaders_only_read(as_user):
    article = _create(as_user("admin"))

    for user in ("operator", "leader"):
        api = as_user(user)
        assert_envelope(api.post(URL, json=_article()), 403, "forbidden")
        assert_envelope(_patch(api, article["id"], title="改"), 403, "forbidden")
        assert_envelope(_delete(api, article["id"]), 403, "forbidden")
        assert ok(api.get(f"{URL}/{article['id']}"))["id"] == article["id"]
        assert _search(api, q="燃气")["total"] >= 1


def test_reading_needs_a_login(client):
    assert_envelope(client.get(URL), 401, "unauthorized")


def test_deleting_withdraws_the_article(as_user):
    article = _create(as_user("dispatcher"), title="燃气报装流程说明")
    operator = as_user("operator")

    assert _delete(as_user("dispatcher"), article["id"]).status_code == 204

    assert article["id"] not in [a["id"] for a in _search(operator, q="燃气报装")["items"]]
    assert_envelope(operator.get(f"{URL}/{article['id']}"), 404, "not_found")
    kept = ok(as_user("dispatcher").get(f"{URL}/{article['id']}"))
    assert kept["active"] is False and kept["valid_today"] is False
    found = _search(as_user("dispatcher"), q="燃气报装", all=1)["items"]
    assert article["id"] in [a["id"] for a in found]
    assert_envelope(operator.get(URL, query_string={"all": 1}), 403, "forbidden")
    revived = ok(_patch(as_user("admin"), article["id"], active=True))
    assert revived["active"] is True


def test_listing_withdrawn_articles_is_refused_before_the_rest_of_the_query_is_read(as_user):
    """Only the centre lists with `all`: anyone else is told so (403) whatever else the query says,
    and the API document says so; an `all` that is not a boolean is named with the other fields."""
    for username in ("operator", "leader", "cgj"):
        r = as_user(username).get(URL, query_string={"all": "true", "page": "x", "per_page": 0})
        assert_envelope(r, 403, "forbidden")
    r = as_user("operator").get(URL, query_string={"all": "maybe", "page": "x"})
    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {"all", "page"}
    assert ok(as_user("reviewer").get(URL, query_string={"all": "true"}))["page"] == 1


# ---- searching -------------------------------------------------------------------------------


def test_query_terms_are_bigrams_and_words():
    assert terms("垃圾清运") == ["垃圾", "圾清", "清运"]
    assert terms("水") == ["水"]
    assert terms("WiFi 信号 差") == ["信号", "差", "wifi"]
    assert terms("，。！") == []


def test_search_ranks_title_over_keywords_over_body(as_user):
    centre = as_user("dispatcher")
    in_body = _create(
        centre, title="物业服务收费标准", body="小区缴费通知。如有燃气问题请找物业。", keywords=["物业"]
    )
    in_title = _create(centre, title="燃气泄漏怎么办", body="立即关闭阀门，开窗通风。", keywords=["安全"])
    in_keywords = _create(centre, title="厨房安全须知", body="使用灶具注意通风。", keywords=["燃气", "灶具"])
    _create(centre, title="路灯报修", body="拨打12345。", keywords=["路灯"])

    found = _search(as_user("operator"), q="燃气")

    ids = [a["id"] for a in found["items"]]
    assert ids[:3] == [in_title["id"], in_keywords["id"], in_body["id"]]
    scores = [a["score"] for a in found["items"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert all("燃气" in a["title"] + a["body"] + "".join(a["keywords"]) for a in found["items"])


def test_search_finds_the_words_in_another_order(as_user):
    article = _create(as_user("dispatcher"), title="清运垃圾的时间安排", body="每日两次。", keywords=[])

    found = _search(as_user("operator"), q="垃圾清运")

    assert found["items"][0]["id"] == article["id"]


def test_search_shows_only_articles_in_force(as_user):
    today = date.today()
    centre = as_user("dispatcher")
    _create(centre, title="旧版医保报销政策", valid_to=str(today - timedelta(days=3)))
    _create(centre, title="明年医保报销政策", valid_from=str(today + timedelta(days=3)))
    current = _create(centre, title="现行医保报销政策", valid_from=str(today - timedelta(days=3)))

    found = _search(as_user("operator"), q="医保报销")

    assert [a["id"] for a in found["items"]] == [current["id"]]
    assert _search(centre, q="医保报销", all=1)["total"] == 3


def test_search_filters_by_category_with_its_subcategories(as_user):
    centre = as_user("dispatcher")
    sub = _create(centre, title="危房鉴定申请流程", categories=["010102"])
    _create(centre, title="危房相关城管问题", categories=["02"])

    found = _search(as_user("operator"), q="危房", category="01")

    assert [a["id"] for a in found["items"]] == [sub["id"]]


def test_search_is_paginated_with_the_total(as_user):
    centre = as_user("dispatcher")
    for i in range(5):
        _create(centre, title=f"社保卡补办第{i}问", keywords=["社保卡"])

    first = _search(as_user("operator"), q="社保卡补办", per_page=2)
    last = _search(as_user("operator"), q="社保卡补办", per_page=2, page=3)

    assert first["total"] == 5 and len(first["items"]) == 2
    assert len(last["items"]) == 1
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in last["items"]}


def test_punctuation_alone_finds_nothing(as_user):
    _create(as_user("dispatcher"))

    assert _search(as_user("operator"), q="？？")["total"] == 0
