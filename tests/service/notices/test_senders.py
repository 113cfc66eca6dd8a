"""The notice channels against real peers on loopback: the fake gateway (SMS, webhooks) and an SMTP
server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import time

import pytest

from service.config import from_environment
from service.notices.channels import senders_from_config
from service.notices.fake_gateway import FakeGateway
from service.notices.senders import (
    OutgoingMessage,
    PermanentDeliveryError,
    SmsGatewaySender,
    TransientDeliveryError,
    WebhookSender,
    verify_signature,
)
from service.notices.smtp import SmtpSender
from tests.service.notices.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

SMS_TEMPLATE = '{"to": "{phone}", "text": "{text}", "sign": "赣县12345"}'
PHONE = "13812345678"


def sms(text: str = "【赣县12345】您的诉求GX20261122-0042已答复。", key: str = "notice-1") -> OutgoingMessage:
    return OutgoingMessage("sms", PHONE, "诉求已答复", text, {}, key)


def mail(to: str = "zhang@example.org", key: str = "notice-7") -> OutgoingMessage:
    return OutgoingMessage(
        "email",
        to,
        "赣县12345：工单GX20261122-0042即将到期",
        "【赣县12345】工单将于11月24日到期，请及时答复。",
        {},
        key,
    )


def hook(url: str, key: str = "notice-9") -> OutgoingMessage:
    payload = {"event": "notice", "template": "reply_due_soon", "appeal": "GX20261122-0042", "notice_id": 9}
    return OutgoingMessage("webhook", url, "工单即将到期", "【赣县12345】工单即将到期。", payload, key)


# ---- SMS --------------------------------------------------------------------------------------


def test_sms_fills_the_template_as_valid_json_whatever_the_text_holds(gateway: FakeGateway) -> None:
    text = '【赣县12345】他说："井盖\\坏了"\n第二行\t{phone} {text}'
    sender = SmsGatewaySender(gateway.url + "/sms", SMS_TEMPLATE, token="tok-123")

    peer_id = sender.send(sms(text))

    (received,) = gateway.wait_for(1)
    assert received["path"] == "/sms"
    assert json.loads(received["raw"]) == {"to": PHONE, "text": text, "sign": "赣县12345"}
    assert received["headers"]["authorization"] == "Bearer tok-123"
    assert received["headers"]["idempotency-key"] == "notice-1"
    assert received["headers"]["content-type"].startswith("application/json")
    assert peer_id == received["id"]


def test_sms_without_a_token_sends_no_authorization(gateway: FakeGateway) -> None:
    SmsGatewaySender(gateway.url, SMS_TEMPLATE).send(sms())
    assert "authorization" not in gateway.wait_for(1)[0]["headers"]


def test_sms_repeated_with_the_same_key_is_recognisable_by_the_gateway(gateway: FakeGateway) -> None:
    sender = SmsGatewaySender(gateway.url, SMS_TEMPLATE)
    first, second = sender.send(sms(key="notice-5")), sender.send(sms(key="notice-5"))
    assert first == second
    assert [m["duplicate"] for m in gateway.wait_for(2)] == [False, True]


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_sms_server_errors_and_throttling_are_transient(gateway: FakeGateway, status: int) -> None:
    gateway.fail_next(1, status=status)
    sender = SmsGatewaySender(gateway.url, SMS_TEMPLATE)

    with pytest.raises(TransientDeliveryError) as caught:
        sender.send(sms())
    assert caught.value.status == status
    assert str(status) in caught.value.reason
    # the next try goes through
    assert sender.send(sms()) is not None
    assert len(gateway.messages) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 302])
def test_sms_client_errors_and_redirects_are_permanent(gateway: FakeGateway, status: int) -> None:
    gateway.fail_all(status)
    with pytest.raises(PermanentDeliveryError) as caught:
        SmsGatewaySender(gateway.url, SMS_TEMPLATE).send(sms())
    assert caught.value.status == status
    assert len(gateway.requests) == 1  # one POST, never repeated as a GET after a redirect
    assert gateway.requests[0]["method"] == "POST"


def test_sms_gateway_slower_than_the_timeout_is_transient(gateway: FakeGateway) -> None:
    gateway.set_delay(2.0)
    sender = SmsGatewaySender(gateway.url, SMS_TEMPLATE, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(TransientDeliveryError, match="timed out"):
        sender.send(sms())
    assert time.monotonic() - started < 1.5


def test_sms_gateway_down_is_transient() -> None:
    sender = SmsGatewaySender(f"http://127.0.0.1:{free_port()}/sms", SMS_TEMPLATE)
    with pytest.raises(TransientDeliveryError, match="connection refused"):
        sender.send(sms())


def test_sms_to_something_that_is_not_a_phone_number_is_permanent(gateway: FakeGateway) -> None:
    message = OutgoingMessage("sms", "zhang@example.org", "s", "text", {}, "notice-1")
    with pytest.raises(PermanentDeliveryError):
        SmsGatewaySender(gateway.url, SMS_TEMPLATE).send(message)
    assert gateway.requests == []


def test_sms_log_masks_the_phone_number(gateway: FakeGateway, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="service.notices"):
        SmsGatewaySender(gateway.url, SMS_TEMPLATE).send(sms())
    assert "138****5678" in caplog.text
    assert PHONE not in caplog.text


# ---- webhooks ---------------------------------------------------------------------------------


def test_webhook_is_signed_over_timestamp_and_exact_body(gateway: FakeGateway) -> None:
    sender = WebhookSender("s3cret", clock=lambda: 1_800_000_000.7)
    message = hook(gateway.url + "/hooks/meilin")

    peer_id = sender.send(message)

    (received,) = gateway.wait_for(1)
    headers, raw = received["headers"], received["raw"].encode("utf-8")
    assert received["path"] == "/hooks/meilin"
    assert headers["idempotency-key"] == "notice-9"
    assert headers["x-minyi-timestamp"] == "1800000000"
    assert headers["x-minyi-signature"].startswith("sha256=")
    assert received["body"] == {
        **message.payload,
        "subject": "工单即将到期",
        "text": "【赣县12345】工单即将到期。",
    }
    assert peer_id == received["id"]

    signature, timestamp = headers["x-minyi-signature"], headers["x-minyi-timestamp"]
    now = 1_800_000_010.0
    assert verify_signature("s3cret", timestamp, raw, signature, now=now)
    assert not verify_signature("another", timestamp, raw, signature, now=now)
    assert not verify_signature("s3cret", timestamp, raw.replace(b"9", b"8"), signature, now=now)
    assert not verify_signature("s3cret", "1800000001", raw, signature, now=now)  # timestamp is signed
    assert not verify_signature("s3cret", timestamp, raw, signature, now=now + 3600)  # stale: a replay
    assert verify_signature("s3cret", timestamp, raw, signature, tolerance=None, now=now + 3600)
    assert not verify_signature("s3cret", "not-a-time", raw, signature, now=now)


def test_webhook_failures_are_classified_like_sms(gateway: FakeGateway) -> None:
    sender = WebhookSender("s3cret")
    gateway.fail_next(1, status=503)
    with pytest.raises(TransientDeliveryError):
        sender.send(hook(gateway.url))
    gateway.fail_next(1, status=410)
    with pytest.raises(PermanentDeliveryError):
        sender.send(hook(gateway.url))
    with pytest.raises(TransientDeliveryError):
        sender.send(hook(f"http://127.0.0.1:{free_port()}/"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "not a url"])
def test_webhook_only_posts_to_http_urls(url: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="http"):
        WebhookSender("s3cret").send(hook(url))


@pytest.mark.parametrize("url", ["http://127.0.0.1:port/x", "http://127.0.0.1:1/a b"])
def test_webhook_to_a_malformed_url_is_permanent(url: str) -> None:
    with pytest.raises(PermanentDeliveryError):
        WebhookSender("s3cret").send(hook(url))


# ---- e-mail -----------------------------------------------------------------------------------


def test_email_arrives_with_chinese_subject_and_body(smtp_server: SmtpServer) -> None:
    sender = SmtpSender(smtp_server.url(), "12345@ganxian.gov.cn")

    message_id = sender.send(mail())

    (envelope,) = smtp_server.recorder.messages
    assert envelope.mail_from == "12345@ganxian.gov.cn"
    assert envelope.rcpt_tos == ["zhang@example.org"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "赣县12345：工单GX20261122-0042即将到期"
    assert received.get_content().strip() == "【赣县12345】工单将于11月24日到期，请及时答复。"
    assert received["Message-ID"] == "<notice-7@ganxian.gov.cn>" == message_id
    assert received["To"] == "zhang@example.org"
    assert received["Auto-Submitted"] == "auto-generated"


# aiosmtpd warns (in its own thread, on every connection) that AUTH without TLS is unsafe: it is, on
# a network, and production uses smtps:// or ?starttls=1; on loopback it lets us check the login
# without a certificate. Only this message, only in this test.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_email_logs_in_with_the_credentials_in_the_url(smtp_server_with_auth: SmtpServer) -> None:
    userinfo = f"{SMTP_USER}:{SMTP_PASSWORD.replace('@', '%40').replace(' ', '%20')}"
    SmtpSender(smtp_server_with_auth.url(userinfo), "12345@ganxian.gov.cn").send(mail())
    assert len(smtp_server_with_auth.recorder.messages) == 1

    with pytest.raises(PermanentDeliveryError, match="535"):
        SmtpSender(smtp_server_with_auth.url(f"{SMTP_USER}:wrong"), "12345@ganxian.gov.cn").send(mail())
    assert len(smtp_server_with_auth.recorder.messages) == 1


def test_email_refused_recipient_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.recorder.refuse["nobody@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(PermanentDeliveryError, match="550") as caught:
        SmtpSender(smtp_server.url(), "12345@ganxian.gov.cn").send(mail("nobody@example.org"))
    assert caught.value.status == 550
    assert smtp_server.recorder.messages == []


def test_email_recipient_deferred_is_transient(smtp_server: SmtpServer) -> None:
    smtp_server.recorder.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    with pytest.raises(TransientDeliveryError, match="451"):
        SmtpSender(smtp_server.url(), "12345@ganxian.gov.cn").send(mail("busy@example.org"))


def test_email_server_down_is_transient() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", "12345@ganxian.gov.cn", timeout=1)
    with pytest.raises(TransientDeliveryError, match="connection refused"):
        sender.send(mail())


@pytest.mark.parametrize("address", ["not-an-address", "zhang@", "a@b\r\nBcc: x@example.org"])
def test_email_to_a_malformed_address_is_permanent(smtp_server: SmtpServer, address: str) -> None:
    with pytest.raises(PermanentDeliveryError):
        SmtpSender(smtp_server.url(), "12345@ganxian.gov.cn").send(mail(address))
    assert smtp_server.recorder.messages == []


# ---- configuration ----------------------------------------------------------------------------


def test_only_configured_channels_are_built() -> None:
    assert senders_from_config({}) == {}
    assert set(senders_from_config({"SMS_URL": "http://127.0.0.1:8025/sms"})) == {"sms"}
    everything = {
        "SMS_URL": "http://127.0.0.1:8025/sms",
        "SMS_TEMPLATE": SMS_TEMPLATE,
        "SMS_TOKEN": "tok",
        "SMTP_URL": "smtps://user:pw@mail.example.org",
        "MAIL_FROM": "12345@ganxian.gov.cn",
        "WEBHOOK_SECRET": "s3cret",
        "NOTICE_TIMEOUT": 2.5,
    }
    senders = senders_from_config(everything)
    assert {name: s.channel for name, s in senders.items()} == {
        "sms": "sms",
        "email": "email",
        "webhook": "webhook",
    }
    smtp = senders["email"]
    assert isinstance(smtp, SmtpSender)
    assert (smtp.ssl, smtp.port, smtp.username, smtp.timeout) == (True, 465, "user", 2.5)


def test_channels_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, gateway: FakeGateway) -> None:
    monkeypatch.setenv("MINYI_SMS_URL", gateway.url + "/sms")
    monkeypatch.setenv("MINYI_SMS_TEMPLATE", SMS_TEMPLATE)
    monkeypatch.setenv("MINYI_SMS_TOKEN", "env-token")
    monkeypatch.setenv("MINYI_NOTICE_TIMEOUT", "3")
    for name in ("MINYI_SMTP_URL", "MINYI_MAIL_FROM", "MINYI_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)

    senders = senders_from_config(from_environment())

    assert set(senders) == {"sms"}
    senders["sms"].send(sms())
    assert gateway.wait_for(1)[0]["headers"]["authorization"] == "Bearer env-token"


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"SMS_URL": "http://x/sms", "SMS_TEMPLATE": '{"to": "{phone}", '}, "not valid JSON"),
        ({"SMS_URL": "http://x/sms", "SMS_TEMPLATE": '{"to": "{phone}"}'}, r"\{text\}"),
        ({"SMS_URL": "file:///tmp/sms"}, "SMS_URL"),
        ({"SMTP_URL": "smtp://mail.example.org"}, "MAIL_FROM"),
        ({"SMTP_URL": "mail.example.org:25", "MAIL_FROM": "a@example.org"}, "SMTP_URL"),
    ],
)
def test_a_wrong_setting_fails_at_start_up_naming_it(config: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        senders_from_config(config)
