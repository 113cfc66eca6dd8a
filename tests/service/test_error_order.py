"""Who may do this comes before is-the-body-valid, on every endpoint of the JSON API (README "API"):
not logged in, 401; a role that may never use the endpoint, 403; an appeal (or other object) the
caller may not see, 404; only then malformed JSON (400), a body not sent as JSON (415) and invalid
fields (422); then state conflicts (409). A caller who may not do something is told so whatever they
sent, and learns nothing of how the body is validated.

The endpoints come from the app's URL map, so one added later is covered as it is added; those
public by design are listed in PUBLIC. The roles an endpoint admits are the ones it declares
(`Blueprint.requires`, service/extensions.py): these tests check the order, the endpoints' own tests
who may do what.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from service.auth.models import ROLES
from tests.service.factories import assert_envelope
from tests.service.handling_steps import CO, LEAD, act, new_appeal, signed_appeal

#: The API's endpoints open to anyone by design: logging in and out, the reference data the
#: citizens' forms read, the citizens' portal, and the API's own documentation.
PUBLIC = frozenset(
    {
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/categories",
        "/api/v1/areas",
        "/api/v1/departments",
        "/api/openapi.json",
        "/api/docs",
        "/api/docs/assets/<path:filename>",
    }
)
PUBLIC_PREFIXES = ("/api/v1/public/",)

#: A demo account of each role (service/demo.py).
DEMO_OF_ROLE = {
    "operator": "operator",
    "dispatcher": "dispatcher",
    "reviewer": "reviewer",
    "unit_staff": "cgj",
    "leader": "leader",
    "admin": "admin",
}

#: Values for the URLs' variables: the role and log-in checks come before anything is looked up.
PLACEHOLDERS = {"int": "1", "default": "GX-NO-SUCH"}

#: What no endpoint takes: query arguments of the wrong type, and bodies that are not what it reads.
BAD_QUERY = "?page=x&per_page=0&month=13&status=nonsense&from=yesterday&locked=maybe"
BAD_BODIES: list[dict[str, Any]] = [
    {"data": b'{"version": ', "content_type": "application/json"},  # malformed JSON: 400
    {"json": {"version": "x", "no_such_field": [1, 2], "decision": 7}},  # invalid fields: 422
    {"data": b"version=1", "content_type": "text/plain"},  # not JSON: 415
]


def _api_app() -> Flask:
    from service import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://", "REDIS_URL": None})


def _is_public(rule: str) -> bool:
    return rule in PUBLIC or rule.startswith(PUBLIC_PREFIXES)


def _endpoints() -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, URL rule, roles it admits: None when it declares none) for every endpoint of the
    API but the public ones."""
    app = _api_app()
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or _is_public(rule.rule):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(view.view_class, method.lower()) if hasattr(view, "view_class") else view
            found.append((method, rule.rule, getattr(handler, "roles", None)))
    return sorted(found, key=lambda e: (e[1], e[0]))


ENDPOINTS = _endpoints()


def _url(rule: str) -> str:
    """The rule with its variables filled in, and query arguments no endpoint accepts."""
    parts = []
    for part in rule.strip("/").split("/"):
        if part.startswith("<"):
            converter = part[1:-1].split(":")[0] if ":" in part else "default"
            part = PLACEHOLDERS.get(converter, PLACEHOLDERS["default"])
        parts.append(part)
    return "/" + "/".join(parts) + BAD_QUERY


def _bad_requests(api: Any, method: str, rule: str) -> list[Any]:
    call = getattr(api, method.lower())
    return [call(_url(rule), **body) for body in BAD_BODIES]


def test_every_endpoint_of_the_api_is_covered() -> None:
    """The list is the URL map's: the appeals' actions, the admin API, the figures... are in it."""
    rules = {rule for _, rule, _ in ENDPOINTS}
    assert {"/api/v1/appeals", "/api/v1/appeals/<number>/sign", "/api/v1/admin/users"} <= rules
    assert {"/api/v1/figures", "/api/v1/knowledge/<int:article_id>", "/api/v1/queues/<name>"} <= rules
    assert not any(rule.startswith("/api/v1/public/") for rule in rules)
    assert ("PATCH", "/api/v1/knowledge/<int:article_id>") in {(m, r) for m, r, _ in ENDPOINTS}


@pytest.mark.parametrize(("method", "rule"), [(m, r) for m, r, _ in ENDPOINTS])
def test_not_logged_in_is_401_whatever_was_sent(client: Any, method: str, rule: str) -> None:
    for r in _bad_requests(client, method, rule):
        assert_envelope(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="minyi"'


def _refusable() -> list[tuple[str, str, list[str]]]:
    """(method, rule, the roles it refuses) for every endpoint that refuses some role."""
    found = []
    for method, rule, roles in ENDPOINTS:
        if roles and (refused := sorted(set(ROLES) - roles)):
            found.append((method, rule, refused))
    return found


def test_the_endpoints_refusing_a_role_are_many() -> None:
    """Each endpoint declares its roles where a role test can read them (not inside the view)."""
    assert all(roles is not None for _, _, roles in ENDPOINTS), [e for e in ENDPOINTS if e[2] is None]
    refusing = {(m, r) for m, r, _ in _refusable()}
    assert ("POST", "/api/v1/appeals") in refusing  # unit staff do not take in appeals
    assert ("POST", "/api/v1/appeals/<number>/sign") in refusing  # the centre does not sign for
    assert len(refusing) > 30


@pytest.mark.parametrize(("method", "rule", "refused"), _refusable())
def test_a_role_that_may_never_use_the_endpoint_is_403_whatever_was_sent(
    as_user: Any, method: str, rule: str, refused: list[str]
) -> None:
    for role in refused:
        for r in _bad_requests(as_user(DEMO_OF_ROLE[role]), method, rule):
            assert_envelope(r, 403, "forbidden")


def test_unit_staff_on_another_units_appeal_is_404_whatever_was_sent(as_user: Any) -> None:
    number = new_appeal(as_user)  # 区城管局 (cgj) leads, 梅林镇 (meilin) helps; not 区人社局 (rsj)
    other_unit = as_user("rsj")
    for action in ("sign", "return", "extension", "contribute", "reply"):
        for body in BAD_BODIES:
            r = other_unit.post(f"/api/v1/appeals/{number}/{action}", **body)
            assert_envelope(r, 404, "not_found")
    # The centre's actions are refused to any unit, its own appeal or not: 403 before 404.
    r = other_unit.post(f"/api/v1/appeals/{number}/return-review", json={"decision": "maybe"})
    assert_envelope(r, 403, "forbidden")
    # Nor does a unit read another unit's appeal, or its timeline.
    assert_envelope(other_unit.get(f"/api/v1/appeals/{number}"), 404, "not_found")


def test_the_co_unit_is_refused_the_leads_actions_whatever_was_sent(as_user: Any) -> None:
    number = signed_appeal(as_user)
    for body in BAD_BODIES:
        r = as_user(CO).post(f"/api/v1/appeals/{number}/return", **body)
        assert_envelope(r, 403, "forbidden")


def test_once_admitted_the_body_is_checked_before_the_appeals_state(as_user: Any) -> None:
    """The lead unit may reply, but not before signing for the appeal (409): a bad body is told
    about its fields first, a good one about the state."""
    number = new_appeal(as_user)
    lead = as_user(LEAD)
    malformed, invalid, not_json = (lead.post(f"/api/v1/appeals/{number}/reply", **b) for b in BAD_BODIES)
    assert_envelope(malformed, 400, "bad_request")
    body = assert_envelope(invalid, 422, "validation_error")
    assert {"version", "no_such_field", "result"} <= set(body["errors"])
    assert_envelope(not_json, 415, "unsupported_media_type")
    r = act(
        lead,
        number,
        "reply",
        result="resolved",
        citizen_text="已处理完毕，请您放心。",
        contacted_citizen=True,
    )
    assert r.status_code == 409, r.json
    assert r.json["error"] == "conflict" and r.json["current"]["status"] == "dispatched", r.json


def test_a_work_list_is_found_before_its_query_is_read(as_user: Any) -> None:
    unit = as_user(LEAD)
    assert_envelope(unit.get("/api/v1/queues/no_such_list?page=x"), 404, "not_found")
    assert_envelope(unit.get("/api/v1/queues/returns?page=x"), 403, "forbidden")
    assert_envelope(unit.get("/api/v1/queues/to_sign?page=x"), 422, "validation_error")
