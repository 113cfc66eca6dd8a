"""The JSON API's errors in the client's language: Chinese when Accept-Language prefers Chinese,
English otherwise (what integrations that ask for no language have always read)."""

from __future__ import annotations

import json

import pytest

from tests.service.factories import assert_envelope, new_address
from tests.service.helpers import appeal_payload

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
CITIZEN = {"name": "李四", "phone": "13900001111"}


def public(**fields):
    return {
        "appeal_type": "求助",
        "title": "路灯不亮",
        "content": "路灯坏了一周了。",
        "contact": CITIZEN,
        **fields,
    }


def chinese(r, status, error):
    """The envelope, said in Chinese and saying so."""
    envelope = assert_envelope(r, status, error)
    assert r.headers["Content-Language"] == "zh-CN"
    assert "Accept-Language" in r.headers["Vary"]
    return envelope


def test_a_citizens_invalid_submission_is_refused_in_chinese_field_by_field(client):
    body = public(title=5, content="", contact={"phone": "12345"}, channel="web")
    del body["appeal_type"]

    r = client.post(
        "/api/v1/public/appeals", json=body, headers=ZH, environ_base={"REMOTE_ADDR": new_address()}
    )

    envelope = chinese(r, 422, "validation_error")
    assert (
        envelope["message"]
        == "以下内容有误：appeal_type、channel、contact.name、contact.phone、content、title"
    )
    assert envelope["errors"] == {
        "appeal_type": ["此项为必填项。"],
        "channel": ["未知的字段。"],
        "title": ["不是有效的文本（字符串）。"],
        "content": ["此项为必填项，不能为空（空格和控制字符不算内容）。"],
        "contact.name": ["此项为必填项。"],
        "contact.phone": ["请填写11位手机号码，或带区号的固定电话（如 0797-4412345）。"],
    }


def test_an_operators_invalid_appeal_is_refused_in_chinese(as_user):
    body = appeal_payload(channel="fax", urgency="超级急", title="标" * 101, latitude="north")

    r = as_user("operator").post("/api/v1/appeals", json=body, headers=ZH)

    errors = chinese(r, 422, "validation_error")["errors"]
    assert errors["channel"][0].startswith("须为以下之一：hotline、")
    assert errors["title"] == ["字数须在 1 到 100 之间。"]
    assert errors["latitude"] == ["不是有效的数字。"]
    assert errors["urgency"][0].startswith("须为以下之一：")


def test_an_over_long_idempotency_key_is_refused_in_chinese(as_user):
    headers = {**ZH, "Idempotency-Key": "k" * 129}

    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload(), headers=headers)

    envelope = chinese(r, 422, "validation_error")
    assert envelope["message"] == "以下内容有误：Idempotency-Key"
    assert envelope["errors"] == {"Idempotency-Key": ["最多 128 个字符。"]}


def test_the_same_refusal_stays_english_without_accept_language(client):
    r = client.post(
        "/api/v1/public/appeals",
        json=public(title=5, channel="web"),
        environ_base={"REMOTE_ADDR": new_address()},
    )

    envelope = assert_envelope(r, 422, "validation_error")
    assert r.headers["Content-Language"] == "en"
    assert envelope["message"] == "Invalid input: channel, title"
    assert envelope["errors"] == {"channel": ["Unknown field."], "title": ["Not a valid string."]}


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("en;q=0.5, zh-CN;q=0.8", "zh-CN"),  # werkzeug's best_match would pick the exact "en"
        ("en-US,en;q=0.9,zh;q=0.5", "en"),
        ("fr", "en"),
        ("*", "en"),
        ("zh;q=0, en", "en"),
    ],
)
def test_the_language_is_the_one_accept_language_prefers(client, accept, language):
    r = client.get("/api/v1/public/appeals/GX20260101-0001?code=123456", headers={"Accept-Language": accept})

    envelope = assert_envelope(r, 404, "not_found")
    assert r.headers["Content-Language"] == language
    chinese_message = "没有与此编号和查询码相符的诉求。"
    english_message = "No appeal with this number and query code."
    assert envelope["message"] == (chinese_message if language == "zh-CN" else english_message)


def test_the_page_language_does_not_change_the_api_language(client):
    client.set_cookie("lang", "zh")

    r = client.get("/api/v1/public/appeals/GX20260101-0001?code=123456&lang=zh")

    assert assert_envelope(r, 404, "not_found")["message"] == "No appeal with this number and query code."


def test_an_unknown_address_and_a_wrong_method_are_said_in_chinese(client):
    missing = client.get("/api/v1/no-such-thing", headers=ZH)
    wrong_method = client.delete("/api/v1/public/appeals", headers=ZH)

    assert (
        chinese(missing, 404, "not_found")["message"]
        == "服务器上没有所请求的地址。如为手动输入，请检查拼写后重试。"
    )
    assert chinese(wrong_method, 405, "method_not_allowed")["message"] == "该地址不支持此请求方法。"


def test_a_missing_or_revoked_token_is_said_in_chinese(client):
    anonymous = client.get("/api/v1/appeals", headers=ZH)
    revoked = client.get("/api/v1/appeals", headers={**ZH, "Authorization": "Bearer not-a-token"})

    assert chinese(anonymous, 401, "unauthorized")["message"] == (
        "请先登录，或在请求头中以 'Authorization: Bearer <token>' 发送 API 令牌。"
    )
    assert chinese(revoked, 401, "unauthorized")["message"] == "API 令牌无效或已吊销。"
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="minyi"'


def test_malformed_json_is_said_in_chinese(client):
    r = client.post(
        "/api/v1/public/appeals",
        data='{"title": ',
        headers={**ZH, "Content-Type": "application/json"},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    envelope = chinese(r, 400, "bad_request")
    assert envelope["message"] == "请求格式错误：请求体不是有效的 JSON。"
    assert envelope["errors"] == {"_body": ["请求体不是有效的 JSON。"]}


def test_a_body_over_one_mebibyte_is_refused_in_chinese(as_user):
    body = json.dumps(appeal_payload(content="字" * 400_000))

    r = as_user("operator").post(
        "/api/v1/appeals", data=body, headers={**ZH, "Content-Type": "application/json"}
    )

    assert chinese(r, 413, "payload_too_large")["message"] == "请求体过大（上限 1 MiB）。"


def test_a_body_not_sent_as_json_is_refused_in_chinese(client):
    r = client.post(
        "/api/v1/public/appeals",
        data=json.dumps(public()),
        headers={**ZH, "Content-Type": "text/plain"},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    assert chinese(r, 415, "unsupported_media_type")["message"] == (
        "请求体须为 JSON，并以 Content-Type: application/json 发送（本次为 text/plain）。"
    )


def test_the_rate_limit_is_said_in_chinese_and_in_english(app, client):
    app.config["PUBLIC_RATE_LIMIT"] = "1/minute"
    address = {"REMOTE_ADDR": new_address()}
    assert client.post("/api/v1/public/appeals", json=public(), environ_base=address).status_code == 201

    in_chinese = client.post("/api/v1/public/appeals", json=public(), headers=ZH, environ_base=address)
    in_english = client.post("/api/v1/public/appeals", json=public(), environ_base=address)

    assert (
        chinese(in_chinese, 429, "rate_limited")["message"]
        == "请求过于频繁（限额：每 1 分钟 1 次），请稍后再试。"
    )
    assert assert_envelope(in_english, 429, "rate_limited")["message"] == (
        "Too many requests: 1 per 1 minute. Try again later."
    )


def test_a_conflict_is_said_in_chinese(as_user):
    r = as_user("admin").patch("/api/v1/admin/users/admin", json={"active": False}, headers=ZH)

    assert chinese(r, 409, "conflict")["message"] == "不能停用自己的账号。"


def test_a_locked_account_is_said_in_chinese(app, client):
    app.config["LOGIN_MAX_FAILURES"] = 1
    wrong = {"username": "operator", "password": "not the password"}
    assert client.post("/api/v1/auth/login", json=wrong, headers=ZH).status_code == 401

    r = client.post("/api/v1/auth/login", json=wrong, headers=ZH)

    assert chinese(r, 429, "account_locked")["message"].startswith("登录失败次数过多，该账号已暂时锁定")
    assert r.headers["Retry-After"]
