"""受理回执 at intake: the answer of POST /api/v1/appeals says how the citizen learns the number and
the query code, and what it says is what the worker then sends (real fake gateway, real SMTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from service.db import utcnow
from service.notices import jobs
from service.notices.channels import configured_channels, senders_from_config
from service.notices.models import NoticeDelivery
from tests.service.factories import new_address, outbox_ids, stored
from tests.service.helpers import appeal_payload

LANDLINE = "0797-4412345"
MOBILE = "13912345678"
LETTER = {"channel": "letter", "channel_meta": {"sender_address": "赣县区梅林镇光明路12号"}}


@pytest.fixture
def sending_app(app: Flask, gateway, smtp_server) -> Flask:
    """The test app sending SMS to the fake gateway and e-mail to a real SMTP server on loopback."""
    app.config.update(
        SMS_URL=f"{gateway.url}/sms", SMTP_URL=smtp_server.url(), MAIL_FROM="12345@ganxian.example.gov.cn"
    )
    return app


def intake(as_user, headers=None, **overrides):
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(**overrides), headers=headers or {})
    assert r.status_code == 201, r.json
    return r.json


def sent_to(app: Flask, number: str) -> list[tuple[str, str, str]]:
    """Relay the receipt as the worker does; what went out: (channel, destination, status)."""
    ids = outbox_ids(app, number, "appeal_registered")
    if ids:
        with app.app_context():
            jobs.process_outbox(ids)
    with stored(app) as s:
        rows = s.execute(
            sa.select(NoticeDelivery.channel, NoticeDelivery.destination, NoticeDelivery.status)
            .where(NoticeDelivery.outbox_id.in_(ids))
            .order_by(NoticeDelivery.channel)
        ).all()
    return [tuple(row) for row in rows]


def test_the_answer_names_the_masked_mobile_and_e_mail_the_receipt_then_reaches(
    sending_app, as_user, gateway, smtp_server
):
    body = intake(as_user, contact={"name": "李四", "phone": MOBILE, "email": "lisi@example.com"})

    assert body["receipt"] == {
        "sent": True,
        "sms": "139****5678",
        "email": "l***@example.com",
        "reason": None,
        "message": None,
    }
    assert sent_to(sending_app, body["number"]) == [
        ("email", "lisi@example.com", "sent"),
        ("sms", MOBILE, "sent"),
    ]
    (text,) = gateway.messages
    assert body["query_code"] in str(text) and MOBILE in str(text)
    (mail,) = smtp_server.recorder.messages
    assert mail.rcpt_tos == ["lisi@example.com"]


def test_only_the_channels_this_service_sends_by_are_named(app, gateway, as_user):
    app.config["SMS_URL"] = f"{gateway.url}/sms"  # no SMTP server: no e-mail goes anywhere

    body = intake(as_user, contact={"name": "李四", "phone": MOBILE, "email": "lisi@example.com"})

    assert (body["receipt"]["sms"], body["receipt"]["email"]) == ("139****5678", None)
    assert sent_to(app, body["number"]) == [("sms", MOBILE, "sent")]


@pytest.mark.parametrize(
    ("overrides", "reason", "english", "chinese"),
    [
        (
            {**LETTER, "contact": {"name": "李四", "phone": LANDLINE}},
            "landline_only",
            "a landline cannot receive text messages",
            "固定电话无法接收短信",
        ),
        ({**LETTER, "contact": None}, "no_contact", "no phone number or e-mail address", "没有留下电话号码"),
        (
            {"received_at": (utcnow() - timedelta(days=40)).isoformat()},
            "history",
            "more than 30 days before it was registered",
            "早于登记时间 30 天以上",
        ),
    ],
)
def test_no_receipt_says_why_in_the_request_language_and_nothing_is_sent(
    sending_app, as_user, overrides, reason, english, chinese
):
    body = intake(as_user, **overrides)

    receipt = body["receipt"]
    assert (receipt["sent"], receipt["reason"], receipt["sms"], receipt["email"]) == (
        False,
        reason,
        None,
        None,
    )
    assert english in receipt["message"]
    assert sent_to(sending_app, body["number"]) == []
    zh = intake(as_user, headers={"Accept-Language": "zh-CN,zh;q=0.9"}, **overrides)["receipt"]
    assert zh["reason"] == reason and chinese in zh["message"] and zh["message"].startswith("未发送受理回执")


def test_a_mobile_with_no_sms_gateway_configured_is_told_as_it_is(app, as_user):
    body = intake(as_user, contact={"name": "李四", "phone": MOBILE})

    assert body["receipt"]["reason"] == "no_channel" and body["receipt"]["sent"] is False
    assert sent_to(app, body["number"]) == []


def test_a_retried_intake_answers_the_receipt_decided_the_first_time(app, gateway, as_user):
    app.config["SMS_URL"] = f"{gateway.url}/sms"
    headers = {"Idempotency-Key": "receipt-retry-1"}
    first = intake(as_user, headers=headers, contact={"name": "李四", "phone": MOBILE})
    app.config["SMS_URL"] = None  # the gateway is switched off in between: what was sent stays sent

    again = intake(as_user, headers=headers, contact={"name": "李四", "phone": MOBILE})

    assert again["number"] == first["number"]
    assert again["receipt"] == first["receipt"] and first["receipt"]["sms"] == "139****5678"


def test_the_openapi_document_describes_the_receipt(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    receipt = schemas["ReceiptOut"]["properties"]
    assert set(receipt) == {"sent", "sms", "email", "reason", "message"}
    assert set(receipt["reason"]["enum"]) >= {
        "no_contact",
        "landline_only",
        "closed_at_first_contact",
        "history",
        None,
    }
    assert {"$ref": "#/components/schemas/ReceiptOut"} in schemas["IntakeOut"]["properties"]["receipt"][
        "anyOf"
    ]


def test_the_channels_counted_on_at_intake_are_the_senders_the_worker_makes():
    for config in (
        {},
        {"SMS_URL": "http://127.0.0.1:1/sms"},
        {"SMTP_URL": "smtp://127.0.0.1:1", "MAIL_FROM": "a@example.org", "WEBHOOK_SECRET": "s"},
    ):
        assert configured_channels(config) == set(senders_from_config(config))


def test_an_e_mail_appeal_is_answered_at_its_from_address_when_no_other_e_mail_was_given(
    sending_app, as_user, smtp_server
):
    body = intake(
        as_user,
        channel="email",
        channel_meta={"sender_address": "zhaoliu@example.com", "subject": "路灯不亮"},
        contact={"name": "赵六", "phone": LANDLINE},
    )

    assert body["receipt"]["sent"] is True and body["receipt"]["email"] == "z***@example.com"
    assert sent_to(sending_app, body["number"]) == [("email", "zhaoliu@example.com", "sent")]
    (mail,) = smtp_server.recorder.messages
    assert mail.rcpt_tos == ["zhaoliu@example.com"]

    # A letter's sender_address is where a letter goes, not an e-mail address: nothing to send.
    letter = intake(as_user, **LETTER, contact={"name": "李四", "phone": LANDLINE})
    assert letter["receipt"]["reason"] == "landline_only"


def test_a_letter_with_a_name_and_a_postal_address_and_no_phone_is_registered_no_contact(
    sending_app, as_user
):
    """来信 with 通信地址 and no phone (README: print the receipt and post it): registered, not refused."""
    body = intake(as_user, **LETTER, contact={"name": "王五"})

    assert (body["receipt"]["sent"], body["receipt"]["reason"]) == (False, "no_contact")
    assert body["caller_history"] == 0 and body["duplicates"] == []
    assert sent_to(sending_app, body["number"]) == []
    # A second phoneless letter is no "repeat caller" of the first: no phone is no shared number.
    second = intake(as_user, **LETTER, contact={"name": "赵六"}, title="路面坑洼", content="光明路路面坑洼。")
    assert second["caller_history"] == 0 and second["duplicates"] == []


def test_an_e_mail_with_only_its_address_is_registered_and_the_receipt_goes_there(
    sending_app, as_user, smtp_server
):
    body = intake(
        as_user,
        channel="email",
        channel_meta={"sender_address": "wangwu@example.com"},
        contact={"name": "王五"},
    )

    assert body["receipt"]["sent"] is True and body["receipt"]["email"] == "w***@example.com"
    assert sent_to(sending_app, body["number"]) == [("email", "wangwu@example.com", "sent")]


def test_a_call_still_needs_the_callers_number_named_by_its_flat_key(app, as_user):
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(contact={"name": "王五"}))

    assert r.status_code == 422
    assert list(r.json["errors"]) == ["contact.phone"] and "contact.phone" in r.json["message"]
    assert "written appeal" in r.json["errors"]["contact.phone"][0]
    zh = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(contact={"name": "王五"}), headers={"Accept-Language": "zh-CN"}
    )
    assert zh.json["errors"]["contact.phone"] == [
        "此项为必填项：只有书面诉求（来信、电子邮件、区长信箱、人大建议、政协提案）可以不填电话号码。"
    ]


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", None])
@pytest.mark.parametrize(
    "written",
    [
        LETTER,
        {"channel": "email", "channel_meta": {"sender_address": "wangwu@example.com"}},
        {"channel": "mayor_mailbox", "channel_meta": {"sender_address": "wangwu@example.com"}},
        {"channel": "npc_suggestion", "channel_meta": {"suggestion_number": "第0012号"}},
        {"channel": "cppcc_proposal", "channel_meta": {"proposal_number": "第0045号"}},
    ],
    ids=lambda value: value["channel"] if isinstance(value, dict) else None,
)
def test_a_written_appeal_with_an_empty_phone_is_registered_as_one_without(
    sending_app, as_user, written, blank
):
    """An integration that sends every field of the contact sends `"phone": ""` (or null) for a
    letter that gave none: read as no phone, not refused as "not a mobile number"."""
    body = intake(as_user, **written, contact={"name": "王五", "phone": blank})

    record = as_user("operator").get(f"/api/v1/appeals/{body['number']}").json
    assert record["channel"] == written["channel"] and record["contact"]["phone"] == ""
    assert body["caller_history"] == 0 and body["duplicates"] == []


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_a_call_with_an_empty_phone_is_told_the_phone_is_required(app, as_user, blank):
    r = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(contact={"name": "王五", "phone": blank})
    )

    assert r.status_code == 422
    assert r.json["errors"] == {
        "contact.phone": [
            "Required: only a written appeal (a letter, an e-mail, the mayor's mailbox, "
            "a deputy's suggestion or a member's proposal) may leave the phone number out."
        ]
    }


def test_a_written_appeal_with_a_wrong_phone_is_still_refused_for_it(app, as_user):
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(**LETTER, contact={"phone": "12345"}))

    assert r.status_code == 422
    assert list(r.json["errors"]) == ["contact.phone"]
    assert r.json["errors"]["contact.phone"][0].startswith("Not a mainland mobile number")


def test_a_portal_submission_is_told_where_the_text_with_its_code_goes(sending_app, client, gateway):
    """The public API answers the receipt as the portal's page says it: the masked mobile the text
    goes to, or why no text is sent (a landline), in the request's language."""
    public = "/api/v1/public/appeals"
    mobile = client.post(public, json=public_submission(MOBILE), environ_base={"REMOTE_ADDR": new_address()})
    landline = client.post(
        public,
        json=public_submission(LANDLINE),
        headers={"Accept-Language": "en"},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    assert mobile.status_code == 201 and mobile.json["receipt"]["sent"] is True
    assert mobile.json["receipt"]["sms"] == "139****5678"
    assert sent_to(sending_app, mobile.json["number"]) == [("sms", MOBILE, "sent")]
    receipt = landline.json["receipt"]
    assert (receipt["sent"], receipt["reason"], receipt["sms"]) == (False, "landline_only", None)
    assert "landline" in receipt["message"]


def public_submission(phone: str) -> dict:
    return {
        "appeal_type": "求助",
        "title": "小区门口路灯不亮",
        "content": "梅林镇光明路小区门口的路灯坏了一周了，晚上很黑。",
        "contact": {"name": "李四", "phone": phone},
    }
