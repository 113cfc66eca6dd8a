"""The shape of a JSON body, before its fields are read: empty, not an object, a key given twice.

An integrator who sends nothing, or an array, is told that in one 400, not given a 422 naming every
required field as missing (as if the fields had been lost on the way); nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.factories import assert_envelope, counts, new_address
from tests.service.handling_steps import LEAD, new_appeal
from tests.service.helpers import appeal_payload
from tests.service.test_errors import json_endpoints

URLS = ["/api/v1/appeals", "/api/v1/public/appeals"]
PUBLIC = {
    "appeal_type": "求助",
    "title": "路灯不亮",
    "content": "路灯坏了一周了。",
    "contact": {"name": "李四", "phone": "13900001111"},
}

#: (what is sent, the body, its Content-Type)
EMPTY = [
    ("zero bytes as JSON", "", "application/json"),
    ("zero bytes without a Content-Type", "", None),
    ("zero bytes as text", "", "text/plain"),
    ("blanks only as JSON", " \r\n\t ", "application/json"),
]

#: (the body, how the 400 names what it is instead of an object)
NOT_OBJECTS = [
    ("[]", "not an array"),
    (json.dumps([PUBLIC]), "not an array"),
    ('"x"', "not a string"),
    ("42", "not a number"),
    ("-1.5", "not a number"),
    ("true", "not true or false"),
    ("null", "not null"),
]


def post(as_user, url: str, body: str, content_type: str | None, **headers: str) -> Any:
    if content_type:
        headers["Content-Type"] = content_type
    return as_user("operator").post(
        url, data=body, headers=headers, environ_base={"REMOTE_ADDR": new_address()}
    )


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("body", "content_type"), [c[1:] for c in EMPTY], ids=[c[0] for c in EMPTY])
def test_an_empty_body_is_a_bad_request_saying_so(app, as_user, url, body, content_type):
    before = counts(app)

    r = post(as_user, url, body, content_type)

    envelope = assert_envelope(r, 400, "bad_request")
    assert envelope["errors"] == {"_body": ["The request body is empty: a JSON object is expected."]}
    assert "empty" in envelope["message"] and "title" not in envelope["message"]
    assert counts(app) == before


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("body", "named"), NOT_OBJECTS, ids=[c[0][:12] for c in NOT_OBJECTS])
def test_a_body_that_is_not_a_json_object_is_a_bad_request_saying_what_it_is(app, as_user, url, body, named):
    before = counts(app)

    r = post(as_user, url, body, "application/json")

    envelope = assert_envelope(r, 400, "bad_request")
    (problem,) = envelope["errors"]["_body"]
    assert problem.startswith("The request body must be a JSON object") and problem.endswith(f"{named}.")
    assert counts(app) == before


@pytest.mark.parametrize("url", URLS)
def test_the_body_refusals_are_said_in_chinese_when_asked(as_user, url):
    empty = post(as_user, url, "", None, **{"Accept-Language": "zh-CN"})
    array = post(as_user, url, "[]", "application/json", **{"Accept-Language": "zh-CN"})

    assert assert_envelope(empty, 400, "bad_request")["errors"]["_body"] == [
        "请求体为空：应为一个 JSON 对象。"
    ]
    assert assert_envelope(array, 400, "bad_request")["errors"]["_body"] == [
        "请求体须为一个 JSON 对象（{...}），而不是数组。"
    ]
    assert empty.headers["Content-Language"] == "zh-CN"


@pytest.mark.parametrize("url", URLS)
def test_a_body_sent_as_another_type_is_still_unsupported_not_empty(app, as_user, url):
    before = counts(app)

    r = post(as_user, url, json.dumps(PUBLIC), "text/plain")

    assert_envelope(r, 415, "unsupported_media_type")
    assert counts(app) == before


@pytest.mark.parametrize(("url", "body"), [(URLS[0], appeal_payload()), (URLS[1], PUBLIC)])
def test_a_field_given_twice_is_named_not_silently_the_last(app, as_user, url, body):
    before = counts(app)
    raw = json.dumps(body, ensure_ascii=False)
    raw = raw.replace('"title": ', '"title": "第一个标题", "title": ', 1)
    raw = raw.replace('"name": ', '"name": "王五", "name": ', 1)

    r = post(as_user, url, raw, "application/json")

    envelope = assert_envelope(r, 422, "validation_error")
    assert set(envelope["errors"]) == {"title", "contact.name"}
    assert envelope["errors"]["title"] == ["Given more than once in the body; give it once."]
    assert counts(app) == before


@pytest.mark.parametrize("url", URLS)
def test_a_nested_object_of_the_wrong_type_is_named_by_its_field(app, as_user, url):
    body = {**(appeal_payload() if url == URLS[0] else PUBLIC), "contact": ["李四", "13900001111"]}

    r = post(as_user, url, json.dumps(body), "application/json")

    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {"contact"}


def test_an_action_that_needs_no_field_still_takes_an_empty_json_body(as_user):
    number = new_appeal(as_user)

    r = as_user(LEAD).post(
        f"/api/v1/appeals/{number}/sign", data="", headers={"Content-Type": "application/json"}
    )

    assert r.status_code == 200 and r.json["status"] == "handling", r.json


def test_an_action_that_needs_no_field_refuses_a_body_that_is_not_an_object(as_user):
    number = new_appeal(as_user)

    r = as_user(LEAD).post(f"/api/v1/appeals/{number}/sign", json=[])

    assert_envelope(r, 400, "bad_request")
    assert as_user(LEAD).get(f"/api/v1/appeals/{number}").json["status"] != "handling"


def test_every_json_endpoint_refuses_a_body_that_is_not_an_object(client, as_user):
    for caller, method, url in json_endpoints(client, as_user):
        r = caller._call(
            method,
            url,
            data="[]",
            headers={"Content-Type": "application/json"},
            environ_base={"REMOTE_ADDR": new_address()},
        )
        assert r.status_code == 400, (method, url, r.get_data(as_text=True))


def test_the_api_document_describes_the_body_refusals(client):
    paths = client.get("/api/openapi.json").json["paths"]

    for method, path in (("post", "/api/v1/appeals"), ("post", "/api/v1/public/appeals")):
        described = paths[path][method]["responses"]["400"]["description"]
        assert "not a JSON object" in described and "empty body" in described, (method, path)
