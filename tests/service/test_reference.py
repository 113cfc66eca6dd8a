"""Reference data (categories, areas, departments): public, from the active list, no personal data."""

from __future__ import annotations

import pytest

from tests.service.factories import assert_envelope, township
from tests.service.helpers import default_list


def test_categories_form_a_three_level_tree_with_parents_first(client):
    r = client.get("/api/v1/categories")

    assert r.status_code == 200
    categories = r.json
    assert len([c for c in categories if c["level"] == 1]) >= 15
    assert {c["level"] for c in categories} == {1, 2, 3}
    seen: dict[str, int] = {}
    for c in categories:
        if c["parent"] is None:
            assert c["level"] == 1, c
        else:
            assert c["parent"] in seen, f"{c['code']} listed before its parent"
            assert c["level"] == seen[c["parent"]] + 1, c
        seen[c["code"]] = c["level"]
    assert set(seen) == {c.code for c in default_list().categories}
    assert {"code", "name", "keywords", "usual_types", "urgent"} <= set(categories[0])


def test_the_townships_of_the_county(client):
    r = client.get("/api/v1/areas", query_string={"level": "township"})

    assert r.status_code == 200
    assert len(r.json) == 20
    assert {a["level"] for a in r.json} == {"township"}
    assert {a["parent"] for a in r.json} == {"360704"}
    assert "王母渡镇" in {a["name"] for a in r.json}


def test_the_villages_of_a_township(client):
    code = township("王母渡镇")

    r = client.get("/api/v1/areas", query_string={"parent": code})

    assert r.status_code == 200
    expected = {a.code for a in default_list().areas if a.parent == code}
    assert expected and {a["code"] for a in r.json} == expected
    assert {a["level"] for a in r.json} == {"village"}


def test_all_areas_without_filters(client):
    r = client.get("/api/v1/areas")

    assert len(r.json) == len(default_list().areas)


def test_the_township_governments(client):
    r = client.get("/api/v1/departments", query_string={"kind": "township"})

    assert r.status_code == 200
    assert len(r.json) == 20
    assert {d["kind"] for d in r.json} == {"township"}
    assert all(d["area"] and d["area"].startswith("360704") for d in r.json)
    assert "梅林镇人民政府" in {d["name"] for d in r.json}


def test_departments_carry_no_contact_data(client):
    r = client.get("/api/v1/departments")

    assert len(r.json) == len(default_list().units)
    assert all(set(d) == {"code", "name", "kind", "parent", "area"} for d in r.json)
    text = r.get_data(as_text=True)
    for unit in default_list().units:
        for contact in unit.contacts:
            for value in (contact.phone, contact.email):
                assert not value or value not in text, value


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/areas", {"parent": "3607"}, "parent"),
        ("/api/v1/areas", {"level": "province"}, "level"),
        ("/api/v1/departments", {"kind": "company"}, "kind"),
    ],
)
def test_bad_filters_are_refused(client, url, query, field):
    assert field in assert_envelope(client.get(url, query_string=query), 422, "validation_error")["errors"]


def test_reference_data_needs_no_login_but_lists_do(client):
    assert client.get("/api/v1/categories").status_code == 200
    assert client.get("/api/v1/areas").status_code == 200
    assert client.get("/api/v1/departments").status_code == 200
    assert_envelope(client.get("/api/v1/responsibility-lists"), 401, "unauthorized")


def test_staff_see_the_active_list_version(as_user):
    r = as_user("cgj").get("/api/v1/responsibility-lists")

    assert r.status_code == 200
    assert [(v["label"], v["active"]) for v in r.json] == [(default_list().version, True)]
    detail = as_user("cgj").get(f"/api/v1/responsibility-lists/{default_list().version}")
    assert detail.json["rule_count"] == len(default_list().rules)
    assert_envelope(as_user("cgj").get("/api/v1/responsibility-lists/1999.1"), 404, "not_found")
