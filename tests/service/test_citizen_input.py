"""What citizens and integrations type that the intake and the look-ups read as meant, and what
they are told when it cannot be: a phone's extension, a blank phone, a number without its hyphen,
a body starting with a byte order mark."""

from __future__ import annotations

import json

import pytest

from tests.service.factories import assert_envelope, counts, new_address, register
from tests.web.conftest import csrf_token_of

PUBLIC = {
    "appeal_type": "求助",
    "title": "路灯不亮",
    "content": "路灯坏了一周了。",
    "contact": {"name": "李四", "phone": "13900001111"},
}


def submit(client, body: dict | bytes, **headers: str):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(
        "/api/v1/public/appeals",
        data=data,
        headers={"Content-Type": "application/json", **headers},
        environ_base={"REMOTE_ADDR": new_address()},
    )


@pytest.mark.parametrize(
    "given", ["0797-4412345转801", "0797-4412345 分机 801", "0797-4412345 ext. 801", "0797-4412345x801"]
)
def test_a_landline_s_extension_is_taken_however_it_is_written(as_user, given):
    op = as_user("operator")

    number = register(op, contact={"name": "张三", "phone": given})["number"]

    assert op.get(f"/api/v1/appeals/{number}").json["contact"]["phone"] == "0797-4412345-801"


def test_a_mobile_with_an_extension_is_still_refused(app, client):
    before = counts(app)

    r = submit(client, {**PUBLIC, "contact": {"name": "李四", "phone": "13900001111转8"}})

    assert "contact.phone" in assert_envelope(r, 422, "validation_error")["errors"]
    assert counts(app) == before


@pytest.mark.parametrize("blank", ["", "   ", "\u200b"])
def test_a_blank_phone_is_said_to_be_missing_not_malformed(app, client, blank):
    before = counts(app)

    r = submit(client, {**PUBLIC, "contact": {"name": "李四", "phone": blank}})
    chinese = submit(
        client, {**PUBLIC, "contact": {"name": "李四", "phone": blank}}, **{"Accept-Language": "zh"}
    )

    assert assert_envelope(r, 422, "validation_error")["errors"] == {
        "contact.phone": ["Required: it may not be empty (spaces and control characters do not count)."]
    }
    assert chinese.json["errors"]["contact.phone"][0].startswith("此项为必填项")
    assert counts(app) == before


@pytest.mark.parametrize("typed", ["{plain}", "{lower}", "{prefix}\u2014{sequence}", "{prefix}－{sequence}"])
def test_a_number_typed_without_its_hyphen_or_with_another_dash_is_found(as_user, client, typed):
    body = register(as_user("operator"))
    prefix, sequence = body["number"].split("-")
    number = typed.format(
        plain=prefix + sequence, lower=(prefix + sequence).lower(), prefix=prefix, sequence=sequence
    )

    r = client.get(
        f"/api/v1/public/appeals/{number}",
        query_string={"code": body["query_code"]},
        environ_base={"REMOTE_ADDR": new_address()},
    )

    assert r.status_code == 200 and r.json["number"] == body["number"], r.json


def test_the_portal_finds_a_number_typed_without_its_hyphen(as_user, client):
    body = register(as_user("operator"))
    client.environ_base["REMOTE_ADDR"] = new_address()
    token = csrf_token_of(client.get("/portal/track").get_data(as_text=True))

    r = client.post(
        "/portal/track",
        data={"csrf_token": token, "number": body["number"].replace("-", ""), "code": body["query_code"]},
    )

    assert r.status_code == 303 and r.location == f"/portal/appeals/{body['number']}"


def test_a_body_after_a_byte_order_mark_is_read(client):
    r = submit(client, "\ufeff".encode() + json.dumps(PUBLIC).encode())

    assert r.status_code == 201, r.json


def test_an_emoji_made_of_joined_emoji_is_kept_whole_and_a_stray_joiner_dropped(as_user, client):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one picture: a family
    black_cat = "\U0001f408\u200d\u2b1b"  # one picture: its second half is outside the emoji block
    r = submit(
        client,
        {
            **PUBLIC,
            "title": "路\u200d灯不亮",
            "content": f"{family}一家晚上出门很不方便，{black_cat}也不敢出来。",
        },
    )
    assert r.status_code == 201, r.json

    stored = as_user("operator").get(f"/api/v1/appeals/{r.json['number']}").json

    assert stored["title"] == "路灯不亮"
    assert stored["content"].startswith(family + "一家")
    assert black_cat + "也不敢" in stored["content"]


@pytest.mark.parametrize(
    "half", [{"latitude": 25.8}, {"longitude": 114.9}, {"latitude": 25.8, "longitude": None}]
)
def test_half_a_coordinate_is_refused_as_at_the_staff_intake(app, client, half):
    before = counts(app)

    r = submit(client, {**PUBLIC, **half})

    assert assert_envelope(r, 422, "validation_error")["errors"] == {
        "latitude": ["Give latitude and longitude together, or neither."]
    }
    assert counts(app) == before


def test_both_coordinates_are_taken(client):
    assert submit(client, {**PUBLIC, "latitude": 25.8, "longitude": 114.9}).status_code == 201
