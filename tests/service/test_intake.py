"""Intake (登记) through POST /api/v1/appeals: every channel, the stored record, the event log,
dispatch on intake, and the idempotent retry."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.service.factories import (
    assert_envelope,
    counts,
    county_rule,
    number_pattern,
    register,
    rule_with_co,
    territorial_rule,
    township,
    township_government,
    unit_code,
    villages,
)
from tests.service.helpers import appeal_payload, default_list

#: Every channel of 多端受理, with the metadata it typically carries.
CHANNELS = {
    "hotline": {"call_id": "CALL-20261121-0001", "seat": "07", "recording_id": "REC-88"},
    "web": {"client_ip": "203.0.113.9", "user_agent": "Mozilla/5.0"},
    "app": {"app_user_id": "gft-10086", "platform": "赣服通", "app_version": "5.2.1"},
    "wechat": {"openid": "oXyz-123", "message_id": "wx-991"},
    "email": {"sender_address": "citizen@example.com", "message_id": "<a1@example.com>", "subject": "路灯"},
    "letter": {"sender_address": "梅林镇光明路3号", "postmark_date": "2026-11-18", "tracking_number": "XA12"},
    "mayor_mailbox": {"message_id": "QZXX-2026-0301", "sender_address": "a@example.com"},
    "npc_suggestion": {
        "suggestion_number": "第0012号",
        "deputy_name": "刘代表",
        "session": "区十八届人大四次会议",
    },
    "cppcc_proposal": {
        "proposal_number": "第0045号",
        "member_name": "黄委员",
        "session": "区政协十一届四次会议",
    },
    "leader_board": {"message_id": "LB-7781", "board": "区委书记留言板"},
    "open311": {"service_request_id": "311-5521", "service_code": "streetlight", "device_id": "d-1"},
    "other": {"reference": "办不成事窗口-0003", "description": "窗口转来"},
}

QUERY_CODE = re.compile(r"^\d{6}$")


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_every_channel_is_taken_in_with_its_metadata(as_user, channel):
    op = as_user("operator")

    body = register(op, channel=channel, channel_meta=CHANNELS[channel])

    assert number_pattern().match(body["number"]), body["number"]
    assert QUERY_CODE.match(body["query_code"])
    assert body["status"] == "pending_dispatch"
    assert body["status_label"] == "待分拨"
    record = op.get(f"/api/v1/appeals/{body['number']}").json
    assert record["channel"] == channel
    assert record["channel_meta"] == CHANNELS[channel]


def test_the_stored_record_has_every_field(as_user):
    op = as_user("operator")
    received = "2024-11-01T08:30:00+08:00"
    payload = appeal_payload(
        channel="npc_suggestion",
        channel_meta={"suggestion_number": "第0012号", "deputy_name": "刘代表"},
        appeal_type="建议",
        title="建议在王母渡镇增设公交站",
        content="王母渡镇中学门口没有公交站，\n学生上学要走两公里。",
        address="王母渡镇中学门口",
        latitude=25.86,
        longitude=115.01,
        urgency="紧急",
        confidential=True,
        consent_publish=True,
        received_at=received,
        contact={
            "name": "刘代表",
            "phone": "13907971234",
            "id_number": "11010519491231002X",
            "email": "liu@example.com",
        },
    )

    created = op.post("/api/v1/appeals", json=payload).json
    record = op.get(f"/api/v1/appeals/{created['number']}").json

    for field in ("channel", "channel_meta", "appeal_type", "title", "content", "address", "urgency"):
        assert record[field] == payload[field], field
    assert (record["latitude"], record["longitude"]) == (25.86, 115.01)
    assert record["confidential"] is True and record["consent_publish"] is True
    assert datetime.fromisoformat(record["received_at"]) == datetime.fromisoformat(received)
    assert record["contact"] == {**payload["contact"], "masked": False}
    assert record["number"] == created["number"]
    assert record["query_code"] == created["query_code"]
    assert record["status"] == "pending_dispatch"
    assert record["category"] is None and record["area"] is None and record["lead_unit"] is None
    assert isinstance(record["version"], int)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("１３９０７９７１２３４", "13907971234"),  # full-width digits (a Chinese input method)
        ("＋８６　１３９－０７９７－１２３４", "13907971234"),  # full-width plus, space and hyphens
        ("０７９７－４４１２３４５", "0797-4412345"),
        ("0797—4412345", "0797-4412345"),  # a dash for the hyphen
    ],
)
def test_a_phone_typed_in_full_width_is_stored_as_the_number(as_user, typed, stored):
    op = as_user("operator")

    created = op.post("/api/v1/appeals", json=appeal_payload(contact={"name": "李四", "phone": typed}))

    assert created.status_code == 201, created.json
    assert op.get(f"/api/v1/appeals/{created.json['number']}").json["contact"]["phone"] == stored


def test_received_at_defaults_to_now(as_user):
    op = as_user("operator")
    before = datetime.now(UTC)

    number = register(op)["number"]

    received = datetime.fromisoformat(op.get(f"/api/v1/appeals/{number}").json["received_at"])
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_event_log_records_the_registration(as_user):
    op = as_user("operator")
    number = register(op)["number"]

    events = op.get(f"/api/v1/appeals/{number}/events").json

    assert len(events) == 1
    (event,) = events
    assert event["action"] == "registered"
    assert (event["from_status"], event["to_status"]) == (None, "pending_dispatch")
    assert event["actor"]["username"] == "operator"
    assert event["actor_role"] == "operator"
    assert event["payload"] == {
        "channel": "hotline",
        "appeal_type": "投诉",
        "urgency": "一般",
        # What the citizen was sent (受理回执): no SMS gateway is configured here (dispatch/receipts.py).
        "receipt": {"channels": [], "reason": "no_channel"},
    }


def test_an_appeal_with_category_and_area_is_dispatched_at_once(as_user):
    op = as_user("operator")
    rule = county_rule(unit_code("区人社局"))

    body = register(op, category=rule.category, area=villages("王母渡镇")[0])

    assert body["status"] == "dispatched"
    record = op.get(f"/api/v1/appeals/{body['number']}").json
    assert record["lead_unit"] == {"code": rule.lead, "name": "区人社局"}
    assert record["dispatched_at"] and record["sign_due_at"] and record["reply_due_at"]
    (assignment,) = record["assignments"]
    assert assignment["unit"]["code"] == rule.lead
    assert assignment["role"] == "lead" and assignment["active"] and not assignment["manual"]
    assert assignment["list_version"] == default_list().version
    assert assignment["rule_id"] == rule.id
    events = op.get(f"/api/v1/appeals/{body['number']}/events").json
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("registered", None, "pending_dispatch"),
        ("dispatched", "pending_dispatch", "dispatched"),
    ]
    assert events[1]["payload"]["rule_id"] == rule.id
    assert events[1]["payload"]["list_version"] == default_list().version


def test_a_territorial_appeal_goes_to_the_township_of_the_place(as_user):
    op = as_user("operator")
    rule = territorial_rule()
    village = villages("梅林镇")[0]

    record = register(op, category=rule.category, area=village)["appeal"]

    assert record["lead_unit"]["code"] == township_government(township("梅林镇"))
    assert [a["unit"]["code"] for a in record["assignments"]] == [record["lead_unit"]["code"]]
    assert record["assignments"][0]["rule_id"] == rule.id


def test_co_units_are_assigned_with_the_lead(as_user):
    op = as_user("operator")
    rule = rule_with_co(unit_code("区城管局"))

    record = register(op, category=rule.category, area=township("沙地镇"))["appeal"]

    assert [(a["unit"]["code"], a["role"]) for a in record["assignments"]] == [
        (rule.lead, "lead"),
        *((c, "co") for c in rule.co),
    ]


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"area": "360704101"}, {"分类"}), ({"category": "0601"}, {"区划"}), ({}, {"分类", "区划"})],
)
def test_without_category_or_area_the_appeal_waits_for_a_dispatcher(as_user, given, missing):
    op = as_user("operator")

    body = register(op, **given)

    assert body["status"] == "pending_dispatch"
    record = op.get(f"/api/v1/appeals/{body['number']}").json
    note = record["dispatch_note"]
    assert {word for word in ("分类", "区划") if word in note} == missing, note
    assert record["assignments"] == [] and record["lead_unit"] is None
    events = op.get(f"/api/v1/appeals/{body['number']}/events").json
    assert [e["action"] for e in events] == ["registered"]


# ---- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_appeal_and_creates_nothing(app, as_user):
    op = as_user("operator")
    key = {"Idempotency-Key": "7f1c6a0e-retry"}
    first = op.post("/api/v1/appeals", json=appeal_payload(), headers=key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    before = counts(app)

    retry = op.post("/api/v1/appeals", json=appeal_payload(), headers=key)

    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert (retry.json["number"], retry.json["query_code"]) == (
        first.json["number"],
        first.json["query_code"],
    )
    assert counts(app) == before


def test_a_retry_serialised_differently_is_the_same_request(app, as_user):
    """A client library that sends the same fields in another order, or spaced otherwise, on retry."""
    op = as_user("operator")
    key = {"Idempotency-Key": "k-reserialised"}
    payload = appeal_payload()
    first = op.post("/api/v1/appeals", json=payload, headers=key)
    assert first.status_code == 201
    before = counts(app)
    reordered = json.dumps(dict(reversed(payload.items())), ensure_ascii=True, indent=2)

    retry = op.post("/api/v1/appeals", data=reordered, content_type="application/json", headers=key)

    assert retry.status_code == 201, retry.json
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["number"] == first.json["number"]
    assert counts(app) == before


def test_the_same_key_with_a_different_body_is_a_conflict(app, as_user):
    op = as_user("operator")
    key = {"Idempotency-Key": "k-123"}
    assert op.post("/api/v1/appeals", json=appeal_payload(), headers=key).status_code == 201
    before = counts(app)

    r = op.post("/api/v1/appeals", json=appeal_payload(title="另一件事"), headers=key)

    body = assert_envelope(r, 409, "conflict")
    assert "Idempotency-Key" in body["errors"]
    assert counts(app) == before


def test_different_users_keys_do_not_collide(as_user):
    key = {"Idempotency-Key": "same-key"}
    a = as_user("operator").post("/api/v1/appeals", json=appeal_payload(), headers=key)
    b = as_user("dispatcher").post("/api/v1/appeals", json=appeal_payload(title="另一件事"), headers=key)

    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json["number"] != b.json["number"]


def test_a_key_from_a_refused_request_can_be_used_again(app, as_user):
    op = as_user("operator")
    key = {"Idempotency-Key": "k-after-error"}
    refused = op.post("/api/v1/appeals", json=appeal_payload(category="NOPE"), headers=key)
    assert refused.status_code == 422

    r = op.post("/api/v1/appeals", json=appeal_payload(), headers=key)

    assert r.status_code == 201
    assert "Idempotent-Replayed" not in r.headers


def test_an_over_long_key_is_refused(app, as_user):
    before = counts(app)

    r = as_user("operator").post(
        "/api/v1/appeals", json=appeal_payload(), headers={"Idempotency-Key": "k" * 129}
    )

    assert "Idempotency-Key" in assert_envelope(r, 422, "validation_error")["errors"]
    assert counts(app) == before
