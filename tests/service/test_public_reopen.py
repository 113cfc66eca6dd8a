"""What the citizen reads after a reopen (重办): the appeal handled again, by the new round's
deadline, the earlier reply and extension as history only, until the new reply is the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import compute_deadlines
from tests.service.closing_arrange import (
    CGJ,
    REOPEN_REASON,
    REPLY,
    UNSATISFIED,
    appeal_row,
    logged,
    look_up,
    ok,
    rate,
    reopened_after_an_extension,
    replied,
)
from tests.service.factories import county_rule, new_address
from tests.service.helpers import default_list

NEW_REPLY = {
    "result": "resolved",
    "citizen_text": "重新核查后已彻底清运，并在小区门口增设了垃圾收集点。",
    "internal_note": "约谈环卫三队队长",
    "contacted_citizen": True,
}


@pytest.fixture
def client(client):
    client.environ_base["REMOTE_ADDR"] = new_address()
    return client


def reopened_at(as_user: Any, number: str) -> datetime:
    staff = ok(as_user("dispatcher").get(f"/api/v1/appeals/{number}/events"))
    return datetime.fromisoformat(next(e["at"] for e in reversed(staff) if e["action"] == "reopened"))


def test_after_a_reopen_the_citizen_sees_the_appeal_handled_again_by_the_new_deadline(app, client, as_user):
    body, extended = reopened_after_an_extension(app, client, as_user)

    seen = look_up(client, body)

    assert (seen["status"], seen["status_label"], seen["reopened"], seen["round"]) == (
        "dispatched",
        "重新办理中",
        True,
        1,
    )
    assert seen["reply"] is None  # the reply the citizen did not accept is not the answer
    # The new round's deadline, counted from the reopen: the first round's extension is not in it.
    expected = compute_deadlines(
        reopened_at(as_user, body["number"]),
        county_rule(CGJ).limits["一般"],
        "一般",
        WorkCalendar(default_list().calendar),
    ).reply_due_at
    due = datetime.fromisoformat(seen["reply_due_at"])
    assert due == expected == appeal_row(app, body["number"])["reply_due_at"]
    assert due != extended
    # The earlier reply and extension stay on the timeline, marked as the earlier round's.
    timeline = [(e["action"], e["label"], e["superseded"]) for e in seen["timeline"]]
    assert ("reply_released", "此前的答复（已重新办理）", True) in timeline
    assert ("extension_approved", "此前的延期（已重新办理）", True) in timeline
    assert timeline[-1] == ("reopened", "重新办理", False)
    earlier = next(e for e in seen["timeline"] if e["action"] == "reply_released")
    assert earlier["message"] == REPLY["citizen_text"]
    assert seen["can_evaluate"] is False
    assert seen["evaluation"]["round"] == 0  # the earlier round's rating, said to be so
    text = str(seen)
    for secret in (REOPEN_REASON, REPLY["internal_note"], "需协调清运车辆", "dispatcher", "reviewer", "cgj"):
        assert secret not in text, secret


def test_the_new_reply_becomes_the_answer_once_released(app, client, as_user):
    body, _ = reopened_after_an_extension(app, client, as_user)
    number = body["number"]
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={}))
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/reply", json=NEW_REPLY))

    waiting = look_up(client, body)  # replied, not yet reviewed: still handled again

    assert (waiting["status"], waiting["status_label"], waiting["reply"]) == (
        "reply_review",
        "重新办理中",
        None,
    )
    assert waiting["reply_due_at"] is not None

    ok(as_user("reviewer").post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))
    seen = look_up(client, body)

    assert (seen["status"], seen["status_label"], seen["reopened"]) == ("replied", "已答复", False)
    assert seen["reply"]["text"] == NEW_REPLY["citizen_text"] and seen["reply"]["result"] == "已解决"
    assert seen["reply_due_at"] is None
    assert seen["can_evaluate"] is True
    replies = [(e["message"], e["superseded"]) for e in seen["timeline"] if e["action"] == "reply_released"]
    assert replies == [(REPLY["citizen_text"], True), (NEW_REPLY["citizen_text"], False)]
    assert NEW_REPLY["internal_note"] not in str(seen)


def test_a_first_round_shows_its_deadline_and_its_extension_as_current(app, client, as_user):
    body = logged(as_user)
    number = body["number"]
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={}))
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/extension", json={"days": 3, "reason": "需现场勘查"}))
    ok(as_user("reviewer").post(f"/api/v1/appeals/{number}/extension-review", json={"decision": "approve"}))

    seen = look_up(client, body)

    assert (seen["status_label"], seen["reopened"], seen["round"]) == ("办理中", False, 0)
    assert datetime.fromisoformat(seen["reply_due_at"]) == appeal_row(app, number)["reply_due_at"]
    assert [(e["label"], e["superseded"]) for e in seen["timeline"]][-1] == ("办理时限已延长", False)


def test_the_reopened_appeal_reads_in_english_on_request(app, client, as_user):
    body, _ = reopened_after_an_extension(app, client, as_user)

    r = client.get(
        f"/api/v1/public/appeals/{body['number']}",
        query_string={"code": body["query_code"]},
        headers={"Accept-Language": "en"},
    )

    assert r.status_code == 200 and r.headers["Content-Language"] == "en"
    assert r.json["status_label"] == "Being handled again"
    labels = {e["action"]: e["label"] for e in r.json["timeline"]}
    assert labels["reply_released"] == "Earlier reply (handled again since)"
    assert labels["extension_approved"] == "Earlier extension (handled again since)"


def test_a_reopened_appeal_back_with_the_centre_is_handled_again_and_its_earlier_reply_never_the_answer(
    client, as_user
):
    """Reopened, then returned by the unit and left with the centre to dispatch again: still handled
    again. Answered at last on the phone (直接办结), the earlier round's reply is not the answer."""
    body = replied(as_user, appeal_type="咨询")
    number = body["number"]
    ok(rate(client, body, UNSATISFIED))
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{number}/reopen", json={"reason": REOPEN_REASON, "attributable": True}
        )
    )
    ok(
        as_user("cgj").post(
            f"/api/v1/appeals/{number}/return", json={"reason": "不属于本单位职责", "basis": "职责清单"}
        )
    )
    ok(as_user("dispatcher").post(f"/api/v1/appeals/{number}/return-review", json={"decision": "approve"}))

    waiting = look_up(client, body)
    assert (waiting["status"], waiting["status_label"], waiting["reopened"]) == (
        "pending_dispatch",
        "重新办理中",
        True,
    )
    assert waiting["reply"] is None

    ok(
        as_user("operator").post(
            f"/api/v1/appeals/{number}/close-directly", json={"answer": "已电话告知办理进展和渠道。"}
        )
    )

    closed = look_up(client, body)
    assert (closed["status"], closed["reopened"]) == ("closed", False)
    assert closed["reply"] is None  # the reply the citizen rejected stays history
    assert [e["label"] for e in closed["timeline"] if e["action"] == "reply_released"] == [
        "此前的答复（已重新办理）"
    ]
