"""A unit's page older only by escalation steps (催办, 督办, the worker's raising an unsigned urgent
appeal) still signs, contributes, replies, and asks to return the appeal (退单) or for more time
(延期); a page older than a real change (a return, a re-dispatch, the lead unit's signing) is 409."""

from __future__ import annotations

from datetime import timedelta

from dispatch.escalation import ESCALATE
from service.escalation.sweeps import sweep
from tests.service.escalation.steps import alarms
from tests.service.factories import stored, unit_code
from tests.service.handling_steps import CO, LEAD, act, actions, new_appeal, ok, reply_body, signed_appeal


def _version(as_user, number: str) -> int:
    return as_user(LEAD).get(f"/api/v1/appeals/{number}").json["version"]


def test_a_sign_sent_with_the_version_before_a_press_and_a_raise_goes_through(as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")
    ok(as_user("dispatcher"), number, "supervise", kind="raise", note="仍未签收，提请督办")

    signed = ok(as_user(LEAD), number, "sign", version=seen)

    assert signed["status"] == "handling" and signed["version"] > seen


def test_a_sign_sent_before_the_worker_raised_an_unsigned_urgent_appeal_goes_through(app, as_user):
    number = new_appeal(as_user, urgency="特急")
    seen = _version(as_user, number)
    first_step = min(due for kind, _level, due in alarms(app, number) if kind == ESCALATE)
    with stored(app) as s:
        assert sweep(s, ESCALATE, now=first_step + timedelta(minutes=1)).fired
        s.commit()
    assert _version(as_user, number) > seen

    assert ok(as_user(LEAD), number, "sign", version=seen)["status"] == "handling"


def test_a_reply_sent_with_the_version_before_a_press_goes_through(as_user):
    number = signed_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复")

    assert ok(as_user(LEAD), number, "reply", **reply_body(), version=seen)["status"] == "reply_review"


def test_a_return_sent_with_the_version_before_a_press_goes_through(as_user):
    number = signed_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复")

    body = ok(as_user(LEAD), number, "return", reason="不属本单位职责", basis="职责清单第3项", version=seen)

    assert body["status"] == "return_requested" and body["version"] > seen + 1
    assert actions(as_user, number)[-2:] == ["pressed", "return_requested"]


def test_an_extension_sent_with_the_version_before_a_press_and_a_raise_goes_through(as_user):
    number = signed_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复")
    ok(as_user("dispatcher"), number, "supervise", kind="raise", note="仍未答复，提请督办")

    body = ok(as_user(LEAD), number, "extension", days=3, reason="需协调多部门现场核查", version=seen)

    assert body["status"] == "handling" and actions(as_user, number)[-1] == "extension_requested"


def test_a_return_sent_before_a_re_dispatch_is_still_refused(as_user):
    number = signed_appeal(as_user)
    seen = _version(as_user, number)
    body = {"unit": unit_code("区城管局"), "urgency": "紧急", "reason": "重新派单，调整时限"}
    ok(as_user("dispatcher"), number, "dispatch", **body)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")

    r = act(as_user(LEAD), number, "return", reason="不属本单位职责", basis="职责清单第3项", version=seen)

    assert r.status_code == 409 and "changed meanwhile" in r.json["message"]
    assert "return_requested" not in actions(as_user, number)


def test_an_extension_sent_before_the_lead_unit_signed_is_still_refused(as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user(LEAD), number, "sign")  # a colleague signs for it: the appeal is in handling now
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复")

    r = act(as_user(LEAD), number, "extension", days=3, reason="需协调多部门现场核查", version=seen)

    assert r.status_code == 409 and r.json["current"]["status"] == "handling"
    assert "changed meanwhile" in r.json["message"]
    assert "extension_requested" not in actions(as_user, number)


def test_a_co_unit_s_contribution_sent_with_the_version_before_a_press_goes_through(as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")

    body = ok(as_user(CO), number, "contribute", text="经镇环卫站核实，建议增设垃圾桶。", version=seen)

    assert body["status"] == "dispatched" and body["version"] > seen
    # Its contribution signs for its part first, as a signing from that page would.
    assert actions(as_user, number)[-2:] == ["co_signed", "contributed"]


def test_a_co_unit_s_contribution_sent_before_the_lead_unit_signed_is_still_refused(as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user(LEAD), number, "sign")
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复")

    r = act(as_user(CO), number, "contribute", text="经镇环卫站核实，建议增设垃圾桶。", version=seen)

    assert r.status_code == 409 and r.json["current"]["status"] == "handling"
    assert "changed meanwhile" in r.json["message"]
    assert "contributed" not in actions(as_user, number)


def test_a_sign_sent_before_a_re_dispatch_is_still_refused(as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")
    # The centre dispatches it again, to the same lead unit as urgent (new deadlines), then presses again.
    body = {"unit": unit_code("区城管局"), "urgency": "紧急", "reason": "重新派单，调整时限"}
    ok(as_user("dispatcher"), number, "dispatch", **body)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")

    r = act(as_user(LEAD), number, "sign", version=seen)

    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"
    assert "changed meanwhile" in r.json["message"]


def test_a_sign_sent_before_a_return_is_still_refused(app, as_user):
    number = new_appeal(as_user)
    seen = _version(as_user, number)
    ok(as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收")
    ok(as_user(LEAD), number, "return", reason="不属本单位职责", basis="职责清单第3项")

    r = act(as_user(LEAD), number, "sign", version=seen + 1)  # the version the press left

    assert r.status_code == 409 and r.json["current"]["status"] == "return_requested"
    assert "changed meanwhile" in r.json["message"]
