"""The citizens' portal: submit without logging in, track with number and query code, nothing more."""

from __future__ import annotations

import re

import pytest

from tests.service.factories import (
    assert_envelope,
    counts,
    county_rule,
    new_address,
    number_pattern,
    unit_code,
    villages,
)

CITIZEN = {
    "name": "李四光",
    "phone": "13900001111",
    "id_number": "11010519491231002X",
    "email": "lsg@example.com",
}
INTERNAL_NOTE = "内部备注：该户多次来电，注意语气"


@pytest.fixture
def client(client):
    """The portal is rate limited per client address: each test calls from an address of its own."""
    client.environ_base["REMOTE_ADDR"] = new_address()
    return client


def submission(**overrides):
    body = {
        "appeal_type": "求助",
        "title": "小区门口路灯不亮",
        "content": "梅林镇光明路小区门口的路灯坏了一周了，晚上很黑。",
        "address": "梅林镇光明路",
        "contact": CITIZEN,
    }
    body.update(overrides)
    return body


def submit(client, **overrides):
    r = client.post("/api/v1/public/appeals", json=submission(**overrides))
    assert r.status_code == 201, r.json
    return r.json


def look_up(client, number, code):
    return client.get(f"/api/v1/public/appeals/{number}", query_string={"code": code})


def test_a_citizen_submits_without_logging_in(client, as_user):
    body = submit(client)

    assert number_pattern().match(body["number"])
    assert re.fullmatch(r"\d{6}", body["query_code"])
    assert body["status"] == "pending_dispatch"
    assert set(body) == {"number", "query_code", "status", "status_label", "receipt"}
    record = as_user("operator").get(f"/api/v1/appeals/{body['number']}").json
    assert record["channel"] == "web"
    assert record["urgency"] == "一般"
    assert record["contact"] == {**CITIZEN, "masked": False}
    events = as_user("operator").get(f"/api/v1/appeals/{body['number']}/events").json
    assert events[0]["actor"] is None and events[0]["actor_role"] == "citizen"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "hotline"}, "channel"),
        ({"urgency": "特急"}, "urgency"),
        ({"received_at": "2026-01-01T00:00:00+08:00"}, "received_at"),
        ({"contact": {"phone": "13900001111"}}, "contact.name"),
        ({"contact": {"name": "李四", "phone": "110"}}, "contact.phone"),
        ({"content": "路灯"}, "content"),
        ({"category": "9999"}, "category"),
    ],
)
def test_a_citizen_cannot_choose_the_channel_or_skip_the_checks(app, client, overrides, field):
    before = counts(app)

    r = client.post("/api/v1/public/appeals", json=submission(**overrides))

    assert field in assert_envelope(r, 422, "validation_error")["errors"]
    assert counts(app) == before


def test_a_citizen_without_contact_is_refused(client):
    body = submission()
    del body["contact"]

    assert (
        "contact"
        in assert_envelope(client.post("/api/v1/public/appeals", json=body), 422, "validation_error")[
            "errors"
        ]
    )


def test_the_citizen_tracks_the_appeal_with_the_query_code(client):
    body = submit(client)

    r = look_up(client, body["number"], body["query_code"])

    assert r.status_code == 200
    assert r.json["number"] == body["number"]
    assert r.json["status"] == "pending_dispatch" and r.json["status_label"] == "已受理"
    assert r.json["title"] == "小区门口路灯不亮"
    assert [(e["action"], e["label"], e["status"]) for e in r.json["timeline"]] == [
        ("registered", "诉求已受理", "pending_dispatch")
    ]


def test_the_timeline_messages_are_in_the_language_the_citizen_asks_for(client):
    rule = county_rule(unit_code("区人社局"))
    body = submit(client, category=rule.category, area=villages("王母渡镇")[0])

    def messages(**headers):
        r = client.get(
            f"/api/v1/public/appeals/{body['number']}",
            query_string={"code": body["query_code"]},
            headers=headers,
        )
        assert r.status_code == 200 and "Accept-Language" in r.headers["Vary"]
        return [e["message"] for e in r.json["timeline"]], r.headers["Content-Language"]

    english = ["Your appeal has been registered.", "Passed on to 区人社局 to handle."]
    chinese = ["您的诉求已受理。", "已转交区人社局办理。"]  # as stored
    assert messages(**{"Accept-Language": "en-GB,en;q=0.9"}) == (english, "en")
    # No language asked for: as stored, so an app that sends none shows what it always showed.
    assert messages() == (chinese, "zh-CN")
    assert messages(**{"Accept-Language": "fr"}) == (chinese, "zh-CN")
    assert messages(**{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}) == (chinese, "zh-CN")
    assert messages(**{"Accept-Language": "en"}) == (english, "en")  # not cached for the other language


def test_the_citizen_view_hides_staff_notes_and_personal_data(client, as_user):
    rule = county_rule(unit_code("区人社局"))
    body = submit(client, category=rule.category, area=villages("王母渡镇")[0])
    dispatcher = as_user("dispatcher")
    redispatch = dispatcher.post(
        f"/api/v1/appeals/{body['number']}/dispatch",
        json={"reason": INTERNAL_NOTE, "unit": unit_code("区城管局")},
    )
    assert redispatch.status_code == 200, redispatch.json
    staff_events = dispatcher.get(f"/api/v1/appeals/{body['number']}/events").json
    assert INTERNAL_NOTE in [e["note"] for e in staff_events]

    r = look_up(client, body["number"], body["query_code"])

    assert r.status_code == 200
    assert r.json["status"] == "dispatched"
    assert r.json["handling_unit"] == "区城管局"
    assert [e["label"] for e in r.json["timeline"]] == ["诉求已受理", "已转交承办单位", "已改派承办单位"]
    text = r.get_data(as_text=True)
    staff = ("dispatcher", "分拨员", "刘建国", "operator")
    for secret in (*CITIZEN.values(), "李**", "139****1111", INTERNAL_NOTE, "自动派单", *staff, "127.0.0.1"):
        assert secret not in text, secret
    assert not {"contact", "query_code", "assignments", "channel_meta", "dispatch_note"} & set(r.json)


def test_a_wrong_code_answers_exactly_like_an_unknown_number(client):
    body = submit(client)
    wrong = f"{(int(body['query_code']) + 1) % 1_000_000:06d}"

    with_wrong_code = look_up(client, body["number"], wrong)
    unknown_number = look_up(client, "GX20000101-0001", body["query_code"])

    assert_envelope(with_wrong_code, 404, "not_found")
    assert with_wrong_code.get_data() == unknown_number.get_data()
    assert unknown_number.status_code == 404


@pytest.mark.parametrize(
    "query",
    [{}, {"code": ""}, {"code": "12345"}, {"code": "1234567"}, {"code": "12a456"}, {"code": "١٢٣٤٥٦"}],
)
def test_a_missing_or_malformed_code_is_refused(client, query):
    body = submit(client)

    r = client.get(f"/api/v1/public/appeals/{body['number']}", query_string=query)

    assert "code" in assert_envelope(r, 422, "validation_error")["errors"]


def test_a_retried_submission_with_the_same_key_returns_the_first(app, client):
    key = {"Idempotency-Key": "portal-retry-1"}
    first = client.post("/api/v1/public/appeals", json=submission(), headers=key)
    before = counts(app)

    retry = client.post("/api/v1/public/appeals", json=submission(), headers=key)

    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert (retry.json["number"], retry.json["query_code"]) == (
        first.json["number"],
        first.json["query_code"],
    )
    assert counts(app) == before


def test_submissions_over_the_rate_limit_get_429(app, client):
    app.config["PUBLIC_RATE_LIMIT"] = "2/minute"
    admitted = [client.post("/api/v1/public/appeals", json=submission()) for _ in range(2)]
    assert [r.status_code for r in admitted] == [201, 201]
    # What is left is said on every answer; when to come back, only on the refusal.
    assert [r.headers.get("X-RateLimit-Remaining") for r in admitted] == ["1", "0"]
    assert all("Retry-After" not in r.headers for r in admitted)
    before = counts(app)

    r = client.post("/api/v1/public/appeals", json=submission())

    assert_envelope(r, 429, "rate_limited")
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert counts(app) == before
    other_citizen = client.post(
        "/api/v1/public/appeals", json=submission(), environ_base={"REMOTE_ADDR": new_address()}
    )
    assert other_citizen.status_code == 201


def test_refused_submissions_do_not_use_up_the_rate_limit_and_accepted_ones_do(app, client):
    """A citizen who mistyped their phone number three times still gets their appeal in."""
    app.config["PUBLIC_RATE_LIMIT"] = "2/minute"
    citizen = {"REMOTE_ADDR": new_address()}

    def send(body):
        return client.post("/api/v1/public/appeals", json=body, environ_base=citizen)

    mistakes = [send(submission(contact={**CITIZEN, "phone": phone})) for phone in ("12345", "1360000", "")]
    mistakes.append(send(submission(title="")))
    admitted = [send(submission()) for _ in range(2)]
    before = counts(app)
    over = send(submission())

    assert [r.status_code for r in mistakes] == [422] * 4
    assert [r.status_code for r in admitted] == [201, 201]
    assert [r.headers.get("X-RateLimit-Remaining") for r in admitted] == ["1", "0"]
    assert_envelope(over, 429, "rate_limited")
    assert_envelope(send(submission(title="")), 429, "rate_limited")  # over it, a refusal is a 429 too
    assert counts(app) == before


def test_refused_submissions_without_end_meet_a_ceiling(app, client):
    """Refusals do not use up the citizens' limit, but a client sending bad ones without end is
    stopped by the ceiling on all submissions; another client is not."""
    app.config["PUBLIC_ATTEMPT_RATE_LIMIT"] = "3/minute"
    sender = {"REMOTE_ADDR": new_address()}
    refused = [
        client.post("/api/v1/public/appeals", json=submission(title=""), environ_base=sender)
        for _ in range(3)
    ]
    before = counts(app)

    over = client.post("/api/v1/public/appeals", json=submission(), environ_base=sender)

    assert [r.status_code for r in refused] == [422] * 3
    assert_envelope(over, 429, "rate_limited")
    assert 0 < int(over.headers["Retry-After"]) <= 60
    assert counts(app) == before
    other = client.post(
        "/api/v1/public/appeals", json=submission(), environ_base={"REMOTE_ADDR": new_address()}
    )
    assert other.status_code == 201


def test_guessing_query_codes_is_rate_limited(app, client):
    body = submit(client)
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = "3/minute"

    answers = [look_up(client, body["number"], f"{n:06d}").status_code for n in range(3)]
    r = look_up(client, body["number"], body["query_code"])

    assert set(answers) <= {404, 200}
    assert_envelope(r, 429, "rate_limited")


def to_full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_the_number_and_code_as_a_phone_types_them_are_read(client):
    """Full-width digits from a Chinese input method, spaces, a lower-case prefix."""
    body = submit(client)
    number, code = body["number"], body["query_code"]

    r = look_up(client, number.lower(), f" {to_full_width(code[:3])} {code[3:]}")

    assert r.status_code == 200, r.json
    assert r.json["number"] == number
    rating = {"contacted": True, "resolved": "yes", "attitude": "满意", "result": "满意"}
    r = client.post(f"/api/v1/public/appeals/{number}/evaluate", json={**rating, "code": to_full_width(code)})
    assert r.status_code == 409 and r.json["error"] == "conflict"  # read the code; not replied yet


def test_wrong_codes_for_one_number_are_limited_from_any_client_but_never_the_right_one(app, client):
    body, other = submit(client), submit(client)
    app.config["PUBLIC_GUESS_RATE_LIMIT"] = "3/hour"
    wrong = f"{(int(body['query_code']) + 1) % 1_000_000:06d}"

    def from_anywhere(number, code):
        return client.get(
            f"/api/v1/public/appeals/{number}",
            query_string={"code": code},
            environ_base={"REMOTE_ADDR": new_address()},
        )

    assert look_up(client, body["number"], body["query_code"]).status_code == 200  # costs nothing
    assert [from_anywhere(body["number"], wrong).status_code for _ in range(3)] == [404, 404, 404]
    assert_envelope(from_anywhere(body["number"], wrong), 429, "rate_limited")
    rating = {"contacted": True, "resolved": "yes", "attitude": "满意", "result": "满意"}
    r = client.post(
        f"/api/v1/public/appeals/{body['number']}/evaluate",
        json={**rating, "code": wrong},
        environ_base={"REMOTE_ADDR": new_address()},
    )
    assert_envelope(r, 429, "rate_limited")
    # The citizen, with the right code, is never locked out by whoever guesses at the number.
    assert from_anywhere(body["number"], body["query_code"]).status_code == 200
    assert from_anywhere(other["number"], other["query_code"]).status_code == 200  # another appeal


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"code"', "[" * 100000 + "]" * 100000], ids=["list", "text", "deep"]
)
def test_a_rating_body_that_is_not_an_object_is_refused_not_a_500(client, body):
    number = submit(client)["number"]
    r = client.post(
        f"/api/v1/public/appeals/{number}/evaluate", data=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code in (400, 422), r.get_data(as_text=True)[:200]


def test_the_citizen_view_masks_the_phone_and_id_number_written_into_the_appeal(client):
    written = "我是李四光，身份证360721199001011231，电话13987654321。路灯坏了。"
    body = submit(client, title="李四光13987654321反映路灯", content=written)

    r = look_up(client, body["number"], body["query_code"])

    assert r.json["title"] == "李四光139****4321反映路灯"
    assert r.json["content"] == "我是李四光，身份证3****************1，电话139****4321。路灯坏了。"
    for secret in ("360721199001011231", "13987654321"):
        assert secret not in r.get_data(as_text=True)
