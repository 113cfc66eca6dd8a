"""Bad input at intake: one error envelope naming the field, and nothing stored afterwards."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.handling.workflow import TRANSITIONS
from tests.service.factories import ENVELOPE_KEYS, assert_envelope, counts, new_address, register
from tests.service.handling_steps import CO, LEAD, new_appeal
from tests.service.helpers import appeal_payload

VALID_ID = "11010519491231002X"  # GB 11643's own example
CITIZEN = {"name": "李四", "phone": "13900001111"}


def without(*fields: str) -> dict[str, Any]:
    payload = appeal_payload()
    for field in fields:
        del payload[field]
    return payload


def contact(**fields: Any) -> dict[str, Any]:
    return appeal_payload(contact={"name": "张三", "phone": "13800001234", **fields})


def public(**fields: Any) -> dict[str, Any]:
    """What a citizen submits on the portal."""
    return {
        "appeal_type": "求助",
        "title": "路灯不亮",
        "content": "路灯坏了一周了。",
        "contact": CITIZEN,
        **fields,
    }


def in_a_day() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


#: (what is wrong, the body, the field the error must name: a key, or "contact.phone")
BAD_INPUT = [
    ("unknown top-level field", appeal_payload(priority="high"), "priority"),
    ("missing channel", without("channel"), "channel"),
    ("missing appeal_type", without("appeal_type"), "appeal_type"),
    ("missing title", without("title"), "title"),
    ("missing content", without("content"), "content"),
    ("unknown channel", appeal_payload(channel="fax", channel_meta={}), "channel"),
    ("unknown appeal type", appeal_payload(appeal_type="吐槽"), "appeal_type"),
    ("unknown urgency", appeal_payload(urgency="超级急"), "urgency"),
    ("meta key of another channel", appeal_payload(channel_meta={"openid": "oX"}), "channel_meta"),
    ("web meta on a hotline call", appeal_payload(channel_meta={"client_ip": "1.2.3.4"}), "channel_meta"),
    ("meta value too long", appeal_payload(channel_meta={"call_id": "x" * 201}), "channel_meta"),
    ("meta value not text", appeal_payload(channel_meta={"call_id": {"nested": 1}}), "channel_meta"),
    ("five-digit phone", contact(phone="12345"), "contact.phone"),
    ("phone not starting 1", contact(phone="2345678901"), "contact.phone"),
    ("ten-digit mobile", contact(phone="1380000123"), "contact.phone"),
    ("mobile starting 12", contact(phone="12800001234"), "contact.phone"),
    ("foreign phone", contact(phone="+1 415 555 0100"), "contact.phone"),
    ("contact without phone", appeal_payload(contact={"name": "张三"}), "contact.phone"),
    ("ID check digit wrong", contact(id_number="110105194912310021"), "contact.id_number"),
    ("ID too short", contact(id_number="11010519491231"), "contact.id_number"),
    ("bad e-mail", contact(email="not-an-address"), "contact.email"),
    ("over-long name", contact(name="张" * 51), "contact.name"),
    ("title over 100 characters", appeal_payload(title="标" * 101), "title"),
    ("title of control characters only", appeal_payload(title="\x00\x07\u200b "), "title"),
    ("empty content", appeal_payload(content="   "), "content"),
    ("content over 5000 characters", appeal_payload(content="字" * 5001), "content"),
    ("unknown category", appeal_payload(category="9999"), "category"),
    ("malformed category code", appeal_payload(category="城管; DROP"), "category"),
    ("unknown area", appeal_payload(area="360704999"), "area"),
    ("malformed area code", appeal_payload(area="36070"), "area"),
    ("area of another county", appeal_payload(area="360702"), "area"),
    ("latitude without longitude", appeal_payload(latitude=25.8), "latitude"),
    ("longitude without latitude", appeal_payload(longitude=115.0), "latitude"),
    ("latitude out of range", appeal_payload(latitude=91, longitude=115.0), "latitude"),
    ("received in the future", appeal_payload(received_at=in_a_day()), "received_at"),
    ("received without a time zone", appeal_payload(received_at="2026-11-01T08:00:00"), "received_at"),
    ("received in 1900", appeal_payload(received_at="1900-01-01T10:00:00+08:00"), "received_at"),
    (
        "received in year 1 east of UTC",
        appeal_payload(received_at="0001-01-01T00:00:00+14:00"),
        "received_at",
    ),
    ("confidential not a boolean", appeal_payload(confidential="maybe"), "confidential"),
]


def error_for(errors: dict[str, Any], field: str) -> Any:
    """The messages for `field`, a nested one named by its dotted path (README: "contact.phone"), as
    the envelope names it; for a free-form map (channel_meta), those of every key inside it."""
    assert all(isinstance(m, list) for m in errors.values()), errors  # flat: no field nests another
    if field in errors:
        return errors[field]
    inside = [m for name, messages in errors.items() if name.startswith(f"{field}.") for m in messages]
    assert inside, errors
    return inside


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(app, as_user, body, field):
    op = as_user("operator")
    before = counts(app)

    r = op.post("/api/v1/appeals", json=body)

    envelope = assert_envelope(r, 422, "validation_error")
    assert error_for(envelope["errors"], field)
    assert field.split(".")[0] in envelope["message"]
    assert counts(app) == before


def test_every_wrong_field_is_named_at_once_the_channel_metadata_too(app, as_user):
    """Not the channel's metadata only once the title is fixed: one 422 names them all."""
    body = appeal_payload(
        title="标" * 101,
        channel_meta={"call_id": "x" * 201, "openid": "oX"},
        latitude=91,
        longitude=115.0,
        contact={"name": "张三", "phone": "12345"},
    )
    before = counts(app)

    r = as_user("operator").post("/api/v1/appeals", json=body)

    errors = assert_envelope(r, 422, "validation_error")["errors"]
    assert set(errors) == {"title", "channel_meta", "latitude", "contact.phone"}
    assert len(errors["channel_meta"]) == 2  # the key of another channel, the value too long
    assert errors["latitude"] == ["Must be greater than or equal to -90 and less than or equal to 90."]
    assert counts(app) == before


EMPTY_TEXT = [
    ("title of control characters", "/api/v1/appeals", appeal_payload(title="\u0000\u0001\u0002"), "title"),
    ("empty title", "/api/v1/appeals", appeal_payload(title=""), "title"),
    ("blank content", "/api/v1/public/appeals", public(content=" \u200b\t "), "content"),
    (
        "name of control characters",
        "/api/v1/public/appeals",
        public(contact={**CITIZEN, "name": "\x00\x01"}),
        "contact.name",
    ),
]


@pytest.mark.parametrize(
    ("url", "body", "field"), [c[1:] for c in EMPTY_TEXT], ids=[c[0] for c in EMPTY_TEXT]
)
def test_text_empty_once_cleaned_is_missing_not_of_the_wrong_length(as_user, url, body, field):
    r = as_user("operator").post(url, json=body, environ_base={"REMOTE_ADDR": new_address()})

    messages = error_for(assert_envelope(r, 422, "validation_error")["errors"], field)
    assert messages == ["Required: it may not be empty (spaces and control characters do not count)."]


def test_every_missing_required_field_is_named_at_once(app, as_user):
    r = as_user("operator").post("/api/v1/appeals", json={})

    errors = assert_envelope(r, 422, "validation_error")["errors"]
    assert set(errors) == {"channel", "appeal_type", "title", "content"}


def test_unknown_category_and_area_are_both_named(app, as_user):
    before = counts(app)

    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(category="9999", area="360704999"))

    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {"category", "area"}
    assert counts(app) == before


def test_malformed_json_is_a_bad_request(app, as_user):
    before = counts(app)

    r = as_user("operator").post(
        "/api/v1/appeals", data='{"channel": "hotline",', headers={"Content-Type": "application/json"}
    )

    assert_envelope(r, 400, "bad_request")
    assert counts(app) == before


def test_a_body_over_one_mebibyte_is_refused(app, as_user):
    before = counts(app)
    body = json.dumps(appeal_payload(content="字" * 400_000))  # 1.2 MB of UTF-8
    assert len(body.encode()) > 1024 * 1024

    r = as_user("operator").post("/api/v1/appeals", data=body, headers={"Content-Type": "application/json"})

    assert_envelope(r, 413, "payload_too_large")
    assert counts(app) == before


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 3 * 1024 * 1024])
def test_a_chunked_body_over_one_mebibyte_is_refused_as_too_large_not_as_malformed(app, as_user, size):
    """Sent without Content-Length (Transfer-Encoding: chunked, as gunicorn passes it on), the body
    was cut at 1 MiB and the rest answered "Invalid JSON body" (400)."""
    before = counts(app)
    body = json.dumps(appeal_payload(content="")).encode()
    body = body[:-1] + b" " * (size - len(body)) + b"}"  # valid JSON, only too long

    r = as_user("operator").post(
        "/api/v1/appeals",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert_envelope(r, 413, "payload_too_large")
    assert counts(app) == before


def test_a_chunked_body_under_the_limit_is_read_whole(app, as_user):
    body = json.dumps(appeal_payload()).encode()

    r = as_user("operator").post(
        "/api/v1/appeals",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert r.status_code == 201, r.json


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+86 138-0000-1234", "13800001234"),
        ("0086 13800001234", "13800001234"),
        ("138 0000 1234", "13800001234"),
        ("0797-4412345", "0797-4412345"),
        ("0797-4412345-801", "0797-4412345-801"),
    ],
)
def test_valid_phone_numbers_are_stored_normalised(as_user, given, stored):
    op = as_user("operator")

    number = register(op, contact={"name": "张三", "phone": given})["number"]

    assert op.get(f"/api/v1/appeals/{number}").json["contact"]["phone"] == stored


def test_a_valid_id_number_is_kept_with_an_upper_case_check_letter(as_user):
    op = as_user("operator")

    number = register(op, contact={"name": "张三", "phone": "13800001234", "id_number": VALID_ID.lower()})[
        "number"
    ]

    assert op.get(f"/api/v1/appeals/{number}").json["contact"]["id_number"] == VALID_ID


def test_control_characters_are_stripped_from_the_text(as_user):
    op = as_user("operator")

    number = register(
        op,
        title="  垃圾\x00\x07多日\u200b无人清运 ",
        content="第一行\r\n第二行\x1b[31m\x00",
        address="光明路\t12号",
    )["number"]

    record = op.get(f"/api/v1/appeals/{number}").json
    assert record["title"] == "垃圾多日无人清运"
    assert record["content"] == "第一行\n第二行[31m"
    assert record["address"] == "光明路12号"


def test_errors_use_the_envelope_for_unknown_routes_and_methods(client):
    assert_envelope(client.get("/api/v1/nothing-here"), 404, "not_found")
    r = client.delete("/api/v1/appeals")
    assert_envelope(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


DEEP_BODIES = [
    ("a list 100,000 deep", "[" * 100_000 + "]" * 100_000),
    ("an object 5,000 deep", '{"a":' * 5_000 + "1" + "}" * 5_000),
    ("a field 40 deep", '{"title": ' + "[" * 40 + '"x"' + "]" * 40 + "}"),
]


@pytest.mark.parametrize("url", ["/api/v1/appeals", "/api/v1/public/appeals"])
@pytest.mark.parametrize("body", [b for _, b in DEEP_BODIES], ids=[name for name, _ in DEEP_BODIES])
def test_json_nested_too_deep_is_a_bad_request(app, as_user, url, body):
    before = counts(app)

    r = as_user("operator").post(
        url,
        data=body,
        headers={"Content-Type": "application/json"},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    assert "nests more than 32 levels" in assert_envelope(r, 400, "bad_request")["message"]
    assert counts(app) == before


def json_endpoints(client, as_user) -> list[tuple[Any, str, str]]:
    """(caller, method, URL) of every API operation that takes a JSON body, from the OpenAPI
    document: URLs naming what exists, each called by someone it lets in, so the body is read (who
    may not use an endpoint, or names what is not there, is refused before it is: test_error_order)."""
    article = as_user("admin").post("/api/v1/knowledge", json={"title": "燃气开户", "body": "到营业厅办理。"})
    assert article.status_code == 201, article.json
    names = {
        "{number}": new_appeal(as_user),
        "{other}": new_appeal(as_user),
        "{username}": "operator",
        "{article_id}": str(article.json["id"]),
    }
    found = []
    for path, operations in client.get("/api/openapi.json").json["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if "application/json" in (operation.get("requestBody") or {}).get("content", {}):
                url = path
                for variable, value in names.items():
                    url = url.replace(variable, value)
                found.append((_admitted(as_user, url), method, url))
    return found


def _admitted(as_user, url: str) -> Any:
    """The administrator; for a unit's action on the appeal, the unit holding the part it needs."""
    transition = TRANSITIONS.get(url.rsplit("/", 1)[-1])
    if transition is None or "admin" in transition.roles:
        return as_user("admin")
    return as_user(CO if transition.relation == "co" else LEAD)


def test_every_json_endpoint_refuses_a_body_nested_too_deep(client, as_user):
    endpoints = json_endpoints(client, as_user)
    assert len(endpoints) > 20  # the document was read

    for caller, method, url in endpoints:
        r = caller._call(
            method,
            url,
            data="[" * 100_000 + "]" * 100_000,
            headers={"Content-Type": "application/json"},
            environ_base={"REMOTE_ADDR": new_address()},
        )
        assert r.status_code == 400, (method, url, r.get_data(as_text=True))


@pytest.mark.parametrize("url", ["/api/v1/appeals", "/api/v1/public/appeals"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_json_body_not_sent_as_json_is_unsupported(app, as_user, url, content_type):
    before = counts(app)
    headers = {"Content-Type": content_type} if content_type else {}

    r = as_user("operator").post(
        url,
        data=json.dumps(appeal_payload()),
        headers=headers,
        environ_base={"REMOTE_ADDR": new_address()},
    )

    envelope = assert_envelope(r, 415, "unsupported_media_type")
    assert "application/json" in envelope["message"] and "errors" not in envelope
    assert counts(app) == before


def test_every_json_endpoint_refuses_a_body_that_is_not_json(client, as_user):
    for caller, method, url in json_endpoints(client, as_user):
        r = caller._call(
            method,
            url,
            data='{"version": 1}',
            headers={"Content-Type": "text/plain"},
            environ_base={"REMOTE_ADDR": new_address()},
        )
        assert r.status_code == 415, (method, url, r.get_data(as_text=True))


def test_an_action_without_a_body_still_needs_no_content_type(as_user):
    number = new_appeal(as_user)

    r = as_user(LEAD).post(f"/api/v1/appeals/{number}/sign")

    assert r.status_code == 200 and r.json["status"] == "handling", r.json


def with_lone_surrogate(body: dict[str, Any]) -> str:
    """The body as raw JSON, its "@@" written as a lone surrogate's escape (as a broken client sends it)."""
    return json.dumps(body, ensure_ascii=False).replace("@@", "\\ud800")


LONE_SURROGATES = [
    ("content", "/api/v1/appeals", appeal_payload(content="e @@ xxxxx"), "content"),
    ("contact name", "/api/v1/appeals", contact(name="张@@"), "contact.name"),
    (
        "channel meta",
        "/api/v1/appeals",
        appeal_payload(channel_meta={"call_id": "@@"}),
        "channel_meta.call_id",
    ),
    ("a meta key", "/api/v1/appeals", appeal_payload(channel_meta={"@@": "x"}), "channel_meta"),
    ("e-mail", "/api/v1/appeals", contact(email="a@@@b.cn"), "contact.email"),
    ("public content", "/api/v1/public/appeals", appeal_payload(content="e @@ xxxxx"), "content"),
    ("public title", "/api/v1/public/appeals", appeal_payload(title="@@"), "title"),
]


@pytest.mark.parametrize(
    ("url", "body", "field"), [c[1:] for c in LONE_SURROGATES], ids=[c[0] for c in LONE_SURROGATES]
)
def test_a_lone_surrogate_is_refused_naming_the_field(app, as_user, url, body, field):
    before = counts(app)

    r = as_user("operator").post(
        url,
        data=with_lone_surrogate(body),
        headers={"Content-Type": "application/json"},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    envelope = assert_envelope(r, 422, "validation_error")
    assert "lone surrogate" in error_for(envelope["errors"], field)[0]
    assert counts(app) == before


def test_a_lone_surrogate_in_any_text_field_is_refused_not_a_500(as_user, client):
    number = register(as_user("operator"), category=None, area=None)["number"]
    dispatch = with_lone_surrogate({"reason": "改派", "unit": "@@"})
    log_in = with_lone_surrogate({"username": "operator", "password": "demo@@"})

    r1 = as_user("dispatcher").post(
        f"/api/v1/appeals/{number}/dispatch", data=dispatch, headers={"Content-Type": "application/json"}
    )
    r2 = client.post("/api/v1/auth/login", data=log_in, headers={"Content-Type": "application/json"})

    assert "unit" in assert_envelope(r1, 422, "validation_error")["errors"]
    assert "password" in assert_envelope(r2, 422, "validation_error")["errors"]


def test_a_surrogate_pair_is_one_character_and_kept(as_user):
    op = as_user("operator")
    body = json.dumps(appeal_payload(title="路灯不亮😀"))  # ASCII JSON: the emoji as "\ud83d\ude00"
    assert "\\ud83d\\ude00" in body

    r = op.post("/api/v1/appeals", data=body, headers={"Content-Type": "application/json"})

    assert r.status_code == 201, r.json
    assert op.get(f"/api/v1/appeals/{r.json['appeal']['number']}").json["title"] == "路灯不亮😀"


def test_the_schemas_text_field_refuses_a_lone_surrogate_wherever_it_is_loaded():
    """The pages load the same schemas from their forms: the text field itself refuses it too."""
    from marshmallow import ValidationError

    from service.appeals.public_schemas import PublicAppealIn

    form = {"appeal_type": "求助", "title": "路灯\ud800", "content": "路灯坏了一周。", "contact": CITIZEN}

    with pytest.raises(ValidationError) as refused:
        PublicAppealIn().load(form)

    assert refused.value.messages == {
        "title": ["Not valid text: it holds a lone surrogate (U+D800 to U+DFFF), half of a character."]
    }


def test_every_version_and_id_in_a_body_must_be_a_whole_number(as_user):
    """The optimistic lock's version and the article an appeal is closed with: never 1.5 or "2"."""
    operator, dispatcher = as_user("operator"), as_user("dispatcher")
    waiting = register(operator, category=None, area=None, appeal_type="咨询")["number"]
    handled = new_appeal(as_user)
    bodies = [
        (as_user(LEAD), f"/api/v1/appeals/{handled}/sign", {"version": 1.5}, "version"),
        (as_user(LEAD), f"/api/v1/appeals/{handled}/sign", {"version": "2"}, "version"),
        (dispatcher, f"/api/v1/appeals/{waiting}/dispatch", {"reason": "改派", "version": 1.0}, "version"),
        (
            dispatcher,
            f"/api/v1/appeals/{handled}/supervise",
            {"kind": "press", "note": "快", "version": 2.5},
            "version",
        ),
        (
            operator,
            f"/api/v1/appeals/{waiting}/close-directly",
            {"answer": "已答复", "kb_article": 1.5},
            "kb_article",
        ),
        (
            operator,
            f"/api/v1/appeals/{waiting}/close-directly",
            {"answer": "已答复", "kb_article": 10**30},
            "kb_article",
        ),
        (dispatcher, f"/api/v1/appeals/{waiting}/duplicates/{handled}/dismiss", {"version": 0.5}, "version"),
    ]

    for api, url, body, field in bodies:
        r = api.post(url, json=body)
        assert list(assert_envelope(r, 422, "validation_error")["errors"]) == [field], (url, body)

    assert operator.get(f"/api/v1/appeals/{waiting}").json["status"] == "pending_dispatch"
    assert operator.get(f"/api/v1/appeals/{handled}").json["status"] == "dispatched"


@pytest.mark.parametrize("url", ["/api/v1/admin/notices", "/api/v1/appeals", "/api/v1/knowledge"])
def test_a_page_number_beyond_any_list_is_refused(as_user, url):
    r = as_user("admin").get(url, query_string={"page": str(10**21)})

    assert list(assert_envelope(r, 422, "validation_error")["errors"]) == ["page"]


def test_the_api_document_lists_the_refusals_the_loaders_make(client):
    """A loader's 403 for some callers of the admitted roles is listed; a loader that looks nothing
    up answers no 404 (tests/refusals.py holds every refusal any test provokes to the document)."""
    paths = client.get("/api/openapi.json").json["paths"]
    responses = {
        (method, path): paths[path][method]["responses"]
        for method, path in (
            ("get", "/api/v1/queues/{name}"),
            ("get", "/api/v1/knowledge"),
            ("post", "/api/v1/appeals"),
            ("post", "/api/v1/appeals/{number}/duplicates/{other}/dismiss"),
        )
    }
    assert "another role" in responses[("get", "/api/v1/queues/{name}")]["403"]["description"]
    assert "all=true" in responses[("get", "/api/v1/knowledge")]["403"]["description"]
    assert "close_directly" in responses[("post", "/api/v1/appeals")]["403"]["description"]
    assert "404" not in responses[("get", "/api/v1/knowledge")]
    assert "404" not in responses[("post", "/api/v1/appeals")]
    assert "404" in responses[("post", "/api/v1/appeals/{number}/duplicates/{other}/dismiss")]


def test_the_api_document_lists_the_body_conflict_and_rate_limit_answers(client):
    """An integrator reads in the document the answers the API gives besides 401/403/404/422: a
    JSON body's 400, 413 and 415, an action's 409, and a rate limit's 429 with its Retry-After."""
    paths = client.get("/api/openapi.json").json["paths"]

    def statuses(method: str, path: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"400", "409", "413", "415", "422"} <= statuses("post", "/api/v1/appeals")
    assert {"400", "409", "413", "415"} <= statuses("post", "/api/v1/appeals/{number}/sign")
    assert "409" in statuses("post", "/api/v1/appeals/{number}/dispatch")
    assert not {"400", "413", "415"} & statuses("get", "/api/v1/appeals")  # no body to refuse
    for method, path in (
        ("post", "/api/v1/public/appeals"),
        ("get", "/api/v1/public/appeals/{number}"),
        ("post", "/api/v1/public/appeals/{number}/evaluate"),
        ("post", "/api/v1/auth/login"),
    ):
        limited = paths[path][method]["responses"]["429"]
        assert "Retry-After" in limited["headers"], (method, path)
    assert "Idempotency-Key" in paths["/api/v1/appeals"]["post"]["responses"]["409"]["description"]


def test_the_api_document_describes_the_error_envelope_the_api_sends(client, as_user):
    """A client generated from /api/openapi.json parses the errors it will get: every error
    response of every operation is the one envelope, described with the keys it really has."""
    spec = client.get("/api/openapi.json").json
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert set(envelope["properties"]) == ENVELOPE_KEYS and set(envelope["required"]) == {"error", "message"}
    named = spec["components"]["responses"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own, not an operation
                continue
            for status, response in operation.get("responses", {}).items():
                if status == "default" or int(status) >= 400:
                    response = named[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)

    # And what is sent matches it: a 409 with the appeal's state now, a 422 with its fields.
    created = register(as_user("operator"), appeal_type="咨询", category=None, area=None)
    stale = as_user("operator").post(
        f"/api/v1/appeals/{created['number']}/close-directly",
        json={"answer": "请携带身份证到城区营业厅办理。", "version": created["appeal"]["version"] - 1},
    )
    assert assert_envelope(stale, 409, "conflict")["current"]["status"] == "pending_dispatch"
    refused = assert_envelope(as_user("operator").post("/api/v1/appeals", json={}), 422, "validation_error")
    assert "title" in refused["errors"]
