"""What a unit does with an appeal: sign for it, return it, ask for an extension, contribute as
a co-unit, reply as the lead; and everything it may not do (403 role, 404 not its unit's, 409 state)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.db import utcnow
from service.handling.models import Contribution, ExtensionRequest, Reply, ReturnRequest
from tests.service.factories import stored
from tests.service.handling_steps import (
    CITIZEN_TEXT,
    CO,
    INTERNAL_NOTE,
    LEAD,
    act,
    actions,
    citizen,
    events,
    new_appeal,
    ok,
    reply_body,
    signed_appeal,
    stored_appeal,
)

# ---- sign (签收) ------------------------------------------------------------------------------


def test_the_lead_unit_signs_and_handling_starts(as_user, app, client):
    number = new_appeal(as_user)
    body = ok(as_user(LEAD), number, "sign")
    assert body["status"] == "handling" and body["status_label"] == "办理中"
    signed = events(as_user, number)[-1]
    assert signed["action"] == "signed"
    assert (signed["from_status"], signed["to_status"]) == ("dispatched", "handling")
    assert signed["actor"]["username"] == LEAD
    payload = signed["payload"]
    assert payload["role"] == "lead" and payload["unit"] == "GXQ-CGJ"
    assert payload["on_time"] is True and payload["margin_seconds"] > 0
    assert signed["note"].startswith("按时签收（距签收时限")  # no language asked for: as stored
    assert events(as_user, number, language="en")[-1]["note"].startswith("Signed for on time (")
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.signed_at is not None
        lead = next(a for a in appeal.assignments if a.role == "lead")
        assert payload["assignment_id"] == lead.id
        assert payload["sign_due_at"] == lead.sign_due_at.isoformat()
        assert abs((appeal.sign_due_at - appeal.signed_at).total_seconds() - payload["margin_seconds"]) < 2
    timeline = citizen(client, app, number)["timeline"]
    assert [t["label"] for t in timeline][-1] == "承办单位已签收"


def test_a_late_signing_says_by_how_much(as_user, app):
    number = new_appeal(as_user)
    with stored(app) as s:
        for a in stored_appeal(s, number).assignments:
            a.sign_due_at = utcnow() - timedelta(hours=3, minutes=10)
        s.commit()
    ok(as_user(LEAD), number, "sign")
    signed = events(as_user, number, language="en-GB,en;q=0.9")[-1]
    assert signed["payload"]["on_time"] is False
    assert -3 * 3600 - 11 * 60 < signed["payload"]["margin_seconds"] < -3 * 3600 - 9 * 60
    assert (
        signed["note"].startswith("Signed for late (3 h ") and "after the sign-for deadline" in signed["note"]
    )
    chinese = events(as_user, number)[-1]["note"]  # as stored
    assert chinese.startswith("超时签收（超出签收时限3小时")


def test_a_co_unit_signs_without_moving_the_appeal(as_user):
    number = new_appeal(as_user)
    body = ok(as_user(CO), number, "sign")
    assert body["status"] == "dispatched"
    co_signed = events(as_user, number)[-1]
    assert co_signed["action"] == "co_signed" and co_signed["payload"]["role"] == "co"
    assert co_signed["from_status"] == co_signed["to_status"] == "dispatched"
    assert ok(as_user(LEAD), number, "sign")["status"] == "handling"
    assert actions(as_user, number)[-2:] == ["co_signed", "signed"]


def test_signing_twice_is_a_conflict(as_user):
    number = new_appeal(as_user)
    ok(as_user(CO), number, "sign")
    r = act(as_user(CO), number, "sign")
    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"
    ok(as_user(LEAD), number, "sign")
    r = act(as_user(LEAD), number, "sign")
    assert r.status_code == 409
    assert r.json["error"] == "conflict" and "already" in r.json["message"]
    assert r.json["current"]["status"] == "handling"
    assert actions(as_user, number).count("signed") == 1


def test_who_may_not_sign(as_user):
    number = new_appeal(as_user)
    for username in ("operator", "dispatcher", "reviewer", "leader"):
        r = act(as_user(username), number, "sign")
        assert r.status_code == 403, (username, r.json)
        assert r.json["error"] == "forbidden"
    # Staff of a unit the appeal is not assigned to cannot even see it.
    r = act(as_user("rsj"), number, "sign")
    assert r.status_code == 404 and r.json["error"] == "not_found"
    assert actions(as_user, number) == ["registered", "dispatched"]


def test_signing_needs_a_login(client, as_user):
    number = new_appeal(as_user)
    assert client.post(f"/api/v1/appeals/{number}/sign", json={}).status_code == 401


def test_a_stale_version_is_a_conflict(as_user):
    number = new_appeal(as_user)
    seen = as_user(CO).get(f"/api/v1/appeals/{number}").json["version"]
    ok(as_user(LEAD), number, "sign", version=seen)
    r = act(as_user(CO), number, "sign", version=seen)
    assert r.status_code == 409
    assert r.json["current"] == {"status": "handling", "status_label": "办理中", "version": seen + 1}
    assert ok(as_user(CO), number, "sign", version=seen + 1)["version"] == seen + 2


def test_signing_a_closed_appeal_is_a_conflict(as_user, app):
    number = new_appeal(as_user)
    with stored(app) as s:
        stored_appeal(s, number).status = "closed"
        s.commit()
    r = act(as_user(LEAD), number, "sign")
    assert r.status_code == 409 and r.json["current"]["status"] == "closed"


# ---- return (退单) ----------------------------------------------------------------------------


def test_the_lead_unit_returns_with_a_reason_and_a_basis(as_user, app):
    number = signed_appeal(as_user)
    body = ok(as_user(LEAD), number, "return", reason="属农村垃圾，应由镇政府负责", basis="职责清单 GX-0427")
    assert body["status"] == "return_requested"
    event = events(as_user, number)[-1]
    assert event["action"] == "return_requested" and event["note"] == "属农村垃圾，应由镇政府负责"
    assert event["payload"]["basis"] == "职责清单 GX-0427"
    assert event["payload"]["count"] == 1 and event["payload"]["repeated"] is False
    with stored(app) as s:
        request = s.scalar(sa.select(ReturnRequest).where(ReturnRequest.id == event["payload"]["return_id"]))
        assert (request.unit_code, request.from_status, request.decision) == (
            "GXQ-CGJ",
            "handling",
            "pending",
        )


def test_a_return_needs_both_reason_and_basis(as_user):
    number = new_appeal(as_user)
    r = act(as_user(LEAD), number, "return", reason="不归我们")
    assert r.status_code == 422 and set(r.json["errors"]) == {"basis"}
    r = act(as_user(LEAD), number, "return", reason="  ", basis="\u200b")
    assert r.status_code == 422 and set(r.json["errors"]) == {"reason", "basis"}
    assert actions(as_user, number) == ["registered", "dispatched"]


def test_a_basis_that_names_nothing_is_refused_saying_what_a_basis_is(as_user):
    number = new_appeal(as_user)
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    for basis in ("无", ".", "没有", "暂无。", "N/A", "none", "ＮＯＮＥ", "……", "清单", "第十条"):
        body = {"reason": "不属本单位职责", "basis": basis}
        r = as_user(LEAD).post(f"/api/v1/appeals/{number}/return", json=body, headers=zh)
        assert r.status_code == 422 and set(r.json["errors"]) == {"basis"}, basis
        [message] = r.json["errors"]["basis"]
        assert "职责清单条目" in message and "法规名称及条款" in message, message
    r = act(as_user(LEAD), number, "return", reason="不属本单位职责", basis="无")
    assert "responsibility list entry" in r.json["errors"]["basis"][0]
    assert actions(as_user, number) == ["registered", "dispatched"]
    # A list entry or a regulation with its article is a basis.
    ok(as_user(LEAD), number, "return", reason="不属本单位职责", basis="职责清单 030103 生活垃圾清运")


def test_a_return_s_basis_is_checked_by_the_operation_too(app, as_user):
    from service.auth.models import User
    from service.errors import ValidationFailed
    from service.handling.unit_requests import request_return

    number = new_appeal(as_user)
    with stored(app) as s:
        user = s.scalar(sa.select(User).where(User.username == LEAD))
        try:
            request_return(s, stored_appeal(s, number), user, reason="不属本单位", basis="没有")
        except ValidationFailed as exc:
            assert set(exc.errors or {}) == {"basis"}
        else:
            raise AssertionError("a basis of 没有 was accepted")
        s.rollback()


def test_a_reply_s_field_errors_come_all_at_once(as_user):
    number = signed_appeal(as_user)
    r = act(as_user(LEAD), number, "reply", result="unresolvable")
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"reason", "citizen_text", "contacted_citizen"}


def test_who_may_not_return(as_user):
    number = new_appeal(as_user)
    body = {"reason": "不归我们", "basis": "职责清单 社会保险类"}
    assert act(as_user(CO), number, "return", **body).status_code == 403  # only the lead unit
    assert act(as_user("operator"), number, "return", **body).status_code == 403
    assert act(as_user("dispatcher"), number, "return", **body).status_code == 403
    assert act(as_user("rsj"), number, "return", **body).status_code == 404
    ok(as_user(LEAD), number, "return", **body)
    r = act(as_user(LEAD), number, "return", **body)  # waiting for the centre already
    assert r.status_code == 409 and r.json["current"]["status"] == "return_requested"


# ---- extension (延期) ---------------------------------------------------------------------------


def test_the_lead_unit_asks_for_an_extension(as_user, app):
    number = signed_appeal(as_user)
    before = as_user(LEAD).get(f"/api/v1/appeals/{number}").json
    body = ok(as_user(LEAD), number, "extension", days=5, reason="需协调住建部门现场勘查")
    assert body["status"] == "handling" and body["reply_due_at"] == before["reply_due_at"]
    event = events(as_user, number)[-1]
    assert event["action"] == "extension_requested" and event["payload"]["days"] == 5
    with stored(app) as s:
        request = s.get(ExtensionRequest, event["payload"]["extension_id"])
        assert request.decision == "pending" and request.old_due_at == stored_appeal(s, number).reply_due_at


def test_one_extension_request_at_a_time(as_user):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")
    r = act(as_user(LEAD), number, "extension", days=2, reason="再延两天")
    assert r.status_code == 409 and "waiting" in r.json["message"]
    assert r.json["current"]["status"] == "handling"


def test_a_reply_withdraws_the_unit_s_pending_extension_and_the_timeline_says_so(as_user, app):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")
    ok(as_user(LEAD), number, "reply", **reply_body())
    log = events(as_user, number, LEAD)  # the unit reads it on its timeline
    assert [e["action"] for e in log[-2:]] == ["replied", "extension_withdrawn"]
    assert log[-1]["note"] == "延期申请已撤回：已提交答复" and log[-1]["payload"]["days"] == 3
    assert (log[-1]["from_status"], log[-1]["to_status"]) == ("reply_review", "reply_review")
    with stored(app) as s:
        [request] = s.scalars(
            sa.select(ExtensionRequest).where(ExtensionRequest.appeal_id == stored_appeal(s, number).id)
        )
        assert (request.decision, request.decision_note) == ("withdrawn", "已提交答复")


def test_a_return_withdraws_the_unit_s_pending_extension_and_an_extension_waits_for_no_return(as_user, app):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")
    ok(as_user(LEAD), number, "return", reason="属社保缴费争议", basis="职责清单 社会保险类")
    log = events(as_user, number, LEAD)
    assert [e["action"] for e in log[-2:]] == ["return_requested", "extension_withdrawn"]
    assert log[-1]["note"] == "延期申请已撤回：已申请退单"
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        decisions = s.scalars(
            sa.select(ExtensionRequest.decision).where(ExtensionRequest.appeal_id == appeal.id)
        )
        assert list(decisions) == ["withdrawn"]
    # While the return waits, no extension: said plainly, in the caller's language.
    r = act(as_user(LEAD), number, "extension", days=2, reason="再延两天")
    assert r.status_code == 409 and "return of this appeal is waiting for the centre" in r.json["message"]
    assert r.json["current"]["status"] == "return_requested"
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    body = {"days": 2, "reason": "再延两天"}
    r = as_user(LEAD).post(f"/api/v1/appeals/{number}/extension", json=body, headers=zh)
    assert r.status_code == 409 and "退单申请正在等待分拨中心审核" in r.json["message"]
    # The return rejected, the unit may ask again.
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="属市容环卫")
    ok(as_user(LEAD), number, "extension", days=2, reason="需协调清运车辆")
    ok(as_user("dispatcher"), number, "extension-review", decision="approve")


def test_no_extension_after_the_reply_deadline(as_user, app):
    number = signed_appeal(as_user)
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        appeal.reply_due_at = utcnow() - timedelta(minutes=1)
        s.commit()
    r = act(as_user(LEAD), number, "extension", days=3, reason="来不及")
    assert r.status_code == 409
    assert "before the reply deadline" in r.json["message"] and "passed" in r.json["message"]
    assert r.json["current"]["status"] == "handling"


def test_extension_days_that_are_not_a_whole_number_are_refused_not_rounded(as_user):
    number = signed_appeal(as_user)

    for days in (2.5, "3", True):
        r = act(as_user(LEAD), number, "extension", days=days, reason="需现场勘查")
        assert r.status_code == 422 and r.json["errors"] == {"days": ["Not a valid integer."]}, days

    assert "extension_requested" not in actions(as_user, number)
    assert ok(as_user(LEAD), number, "extension", days=2, reason="需现场勘查")["status"] == "handling"


def test_extension_input_and_roles(as_user):
    number = new_appeal(as_user)
    for days in (0, 31, "x"):
        r = act(as_user(LEAD), number, "extension", days=days, reason="原因")
        assert r.status_code == 422 and "days" in r.json["errors"], days
    r = act(as_user(LEAD), number, "extension", days=3)
    assert r.status_code == 422 and "reason" in r.json["errors"]
    assert act(as_user(CO), number, "extension", days=3, reason="原因").status_code == 403
    assert act(as_user("dispatcher"), number, "extension", days=3, reason="原因").status_code == 403
    assert act(as_user("rsj"), number, "extension", days=3, reason="原因").status_code == 404
    # The lead unit may ask before signing too (dispatched): the deadline runs from dispatch.
    assert ok(as_user(LEAD), number, "extension", days=3, reason="原因")["status"] == "dispatched"


# ---- contribute (协办意见) ----------------------------------------------------------------------


def test_a_co_unit_contributes_and_the_lead_unit_reads_it(as_user, app, client):
    number = new_appeal(as_user)
    text = "经镇环卫站核实，该处垃圾桶容量不足，建议增设两个。"
    body = ok(as_user(CO), number, "contribute", text=text)
    assert body["status"] == "dispatched"
    seen_by_lead = events(as_user, number, LEAD)[-1]
    assert seen_by_lead["action"] == "contributed"
    assert seen_by_lead["payload"]["text"] == text and seen_by_lead["payload"]["unit"] == "GXZ-MLZ"
    assert seen_by_lead["actor"]["username"] == CO
    with stored(app) as s:
        assert s.get(Contribution, seen_by_lead["payload"]["contribution_id"]).text == text
    # Not part of what the citizen reads.
    assert all(text not in (t["message"] or "") for t in citizen(client, app, number)["timeline"])


def test_who_may_not_contribute(as_user):
    number = new_appeal(as_user)
    assert act(as_user(LEAD), number, "contribute", text="主办单位不是协办").status_code == 403
    assert act(as_user("dispatcher"), number, "contribute", text="x").status_code == 403
    assert act(as_user("rsj"), number, "contribute", text="x").status_code == 404
    r = act(as_user(CO), number, "contribute", text="")
    assert r.status_code == 422 and "text" in r.json["errors"]


# ---- reply (答复) ------------------------------------------------------------------------------


def test_the_lead_unit_replies_for_review(as_user, app, client):
    number = signed_appeal(as_user)
    body = ok(as_user(LEAD), number, "reply", **reply_body())
    assert body["status"] == "reply_review"
    event = events(as_user, number)[-1]
    assert event["action"] == "replied" and event["note"] == INTERNAL_NOTE
    assert event["payload"]["result"] == "resolved" and event["payload"]["contacted_citizen"] is True
    assert event["payload"]["on_time"] is True
    with stored(app) as s:
        reply = s.get(Reply, event["payload"]["reply_id"])
        assert (reply.review, reply.citizen_text, reply.unit_code) == ("pending", CITIZEN_TEXT, "GXQ-CGJ")
    # Not released yet: the citizen sees nothing of it.
    view = citizen(client, app, number)
    assert view["reply"] is None and CITIZEN_TEXT not in str(view)


def test_a_reply_needs_the_lead_unit_to_have_signed(as_user):
    number = new_appeal(as_user)
    r = act(as_user(LEAD), number, "reply", **reply_body())
    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"
    assert r.json["message"] == "Sign for the appeal first, then reply."


def test_reply_input(as_user):
    number = signed_appeal(as_user)
    lead = as_user(LEAD)
    r = act(lead, number, "reply", **reply_body(result="unresolvable"))
    assert r.status_code == 422 and set(r.json["errors"]) == {"reason"}
    r = act(lead, number, "reply", **reply_body(result="done"))
    assert r.status_code == 422 and "result" in r.json["errors"]
    body = reply_body()
    del body["citizen_text"], body["contacted_citizen"]
    r = act(lead, number, "reply", **body)
    assert r.status_code == 422 and set(r.json["errors"]) == {"citizen_text", "contacted_citizen"}
    body = ok(
        lead,
        number,
        "reply",
        **reply_body(result="unresolvable", reason="涉及历史遗留产权问题，需区政府统筹"),
    )
    assert body["status"] == "reply_review"


def test_who_may_not_reply(as_user):
    number = signed_appeal(as_user)
    assert act(as_user(CO), number, "reply", **reply_body()).status_code == 403
    assert act(as_user("reviewer"), number, "reply", **reply_body()).status_code == 403
    assert act(as_user("rsj"), number, "reply", **reply_body()).status_code == 404
    ok(as_user(LEAD), number, "reply", **reply_body())
    r = act(as_user(LEAD), number, "reply", **reply_body())
    assert r.status_code == 409 and r.json["current"]["status"] == "reply_review"


def test_a_reply_ends_a_pending_extension_request(as_user, app):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")
    ok(as_user(LEAD), number, "reply", **reply_body(result="in_progress"))
    with stored(app) as s:
        request = s.scalar(
            sa.select(ExtensionRequest).where(ExtensionRequest.appeal_id == stored_appeal(s, number).id)
        )
        assert request.decision == "withdrawn" and request.decided_at is not None
