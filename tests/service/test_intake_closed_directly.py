"""直接办结 in one step through the API: `POST /api/v1/appeals` with `close_directly` registers a call
answered on the phone closed at first contact, as the console's 登记并直接办结 does: not dispatched,
and no 受理回执 (the caller heard the answer and the number on the line)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.service.closing_arrange import CGJ, appeal_row, events
from tests.service.factories import assert_envelope, counts, county_rule, outbox_ids, villages
from tests.service.helpers import appeal_payload

ANSWER = "燃气开户请携带身份证和房产证到城区燃气营业厅办理，工作日9:00-17:00。"
MOBILE = {"name": "李四", "phone": "13912345678"}


@pytest.fixture
def texting_app(app: Flask) -> Flask:
    """An installation that sends SMS: a registered caller with a mobile would get a receipt."""
    app.config["SMS_URL"] = "http://127.0.0.1:9/sms"
    return app


def _call(**overrides: Any) -> dict[str, Any]:
    """A consultation with a category and a township the list routes: registered alone, it would be
    dispatched at once."""
    call = {
        "appeal_type": "咨询",
        "title": "燃气开户怎么办理",
        "content": "想问新房燃气开户要带什么材料。",
        "category": county_rule(CGJ).category,
        "area": villages("王母渡镇")[0],
        "contact": MOBILE,
    }
    return appeal_payload(**{**call, **overrides})


def test_a_call_answered_on_the_phone_is_registered_closed_with_no_receipt(texting_app, as_user):
    operator = as_user("operator")
    routed = operator.post("/api/v1/appeals", json=_call())
    assert routed.status_code == 201 and routed.json["status"] == "dispatched", routed.json
    assert routed.json["receipt"]["sent"] is True and outbox_ids(
        texting_app, routed.json["number"], "appeal_registered"
    )

    r = operator.post("/api/v1/appeals", json=_call(close_directly={"answer": ANSWER}))

    assert r.status_code == 201, r.json
    body = r.json
    assert (body["status"], body["appeal"]["status"]) == ("closed", "closed")
    assert body["receipt"]["sent"] is False and body["receipt"]["reason"] == "closed_at_first_contact"
    assert outbox_ids(texting_app, body["number"]) == []  # no receipt, nor anything else, queued
    assert events(texting_app, body["number"]) == [
        ("registered", "operator", "pending_dispatch"),
        ("closed_directly", "operator", "closed"),
    ]
    row = appeal_row(texting_app, body["number"])
    assert (row["close_reason"], row["direct_answer"], row["lead_unit_code"]) == ("direct", ANSWER, None)


def test_the_article_used_is_kept_and_an_unknown_one_is_named_where_the_body_has_it(app, as_user):
    article = as_user("admin").post("/api/v1/knowledge", json={"title": "燃气开户", "body": "到营业厅办理。"})
    assert article.status_code == 201, article.json
    before = counts(app)

    r = as_user("admin").post(
        "/api/v1/appeals", json=_call(close_directly={"answer": ANSWER, "kb_article": 999999})
    )

    refused = assert_envelope(r, 422, "validation_error")
    assert list(refused["errors"]) == ["close_directly.kb_article"]
    assert counts(app) == before
    r = as_user("admin").post(
        "/api/v1/appeals", json=_call(close_directly={"answer": ANSWER, "kb_article": article.json["id"]})
    )
    assert r.status_code == 201, r.json
    assert appeal_row(app, r.json["number"])["kb_article_id"] == article.json["id"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"close_directly": {"answer": " "}}, "close_directly.answer"),
        ({"close_directly": {}}, "close_directly.answer"),
        ({"close_directly": {"answer": ANSWER}, "appeal_type": "投诉"}, "appeal_type"),
        ({"close_directly": {"answer": ANSWER}, "urgency": "紧急"}, "urgency"),
    ],
    ids=["blank-answer", "no-answer", "complaint", "urgent"],
)
def test_a_close_that_cannot_be_is_refused_naming_the_field_and_nothing_is_stored(
    texting_app, as_user, given, field
):
    before = counts(texting_app)

    r = as_user("operator").post("/api/v1/appeals", json=_call(**given))

    errors = assert_envelope(r, 422, "validation_error")["errors"]
    assert list(errors) == [field]
    assert counts(texting_app) == before


@pytest.mark.parametrize("username", ["dispatcher", "cgj"])
def test_a_role_that_may_not_close_directly_is_refused_before_the_body_is_read(app, as_user, username):
    """A dispatcher takes in appeals but never closes one on the phone; unit staff do neither."""
    before = counts(app)
    for body in (
        _call(close_directly={"answer": ANSWER}),
        {"title": "", "close_directly": {"answer": " "}, "no_such_field": 1},
    ):
        r = as_user(username).post("/api/v1/appeals", json=body)
        assert_envelope(r, 403, "forbidden")
    assert counts(app) == before
    # Without close_directly, the dispatcher's intake is as it always was.
    if username == "dispatcher":
        assert as_user(username).post("/api/v1/appeals", json=_call(close_directly=None)).status_code == 201


def test_a_retry_with_the_same_key_answers_the_first_closed_appeal(texting_app, as_user):
    operator = as_user("operator")
    headers = {"Idempotency-Key": "close-at-first-contact-1"}
    first = operator.post("/api/v1/appeals", json=_call(close_directly={"answer": ANSWER}), headers=headers)
    assert first.status_code == 201, first.json
    after_first = counts(texting_app)

    again = operator.post("/api/v1/appeals", json=_call(close_directly={"answer": ANSWER}), headers=headers)

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert (again.json["number"], again.json["status"]) == (first.json["number"], "closed")
    assert again.json["receipt"] == first.json["receipt"]
    assert counts(texting_app) == after_first
    other = operator.post(
        "/api/v1/appeals", json=_call(close_directly={"answer": "另一个答复。"}), headers=headers
    )
    assert assert_envelope(other, 409, "conflict")["errors"].keys() == {"Idempotency-Key"}


def test_the_api_document_describes_the_one_step_close(client):
    spec = client.get("/api/openapi.json").json
    intake = spec["components"]["schemas"]["AppealIn"]["properties"]["close_directly"]
    assert "直接办结" in intake["description"]
    answer = spec["components"]["schemas"]["DirectAnswerIn"]
    assert set(answer["properties"]) == {"answer", "kb_article"} and answer["required"] == ["answer"]
    refused = spec["paths"]["/api/v1/appeals"]["post"]["responses"]["403"]
    assert "close_directly" in refused["description"]
