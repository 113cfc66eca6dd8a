"""The whole journey of an appeal through the API, as each role: from the call to the close."""

from __future__ import annotations

from typing import Any

from tests.service.closing_arrange import CGJ, REPLY, RSJ, SATISFIED, UNSATISFIED, look_up, ok, rate
from tests.service.factories import county_rule, villages
from tests.service.helpers import appeal_payload


def _actions(api: Any, number: str) -> list[str]:
    return [e["action"] for e in ok(api.get(f"/api/v1/appeals/{number}/events"))]


def _call(as_user: Any, unit: str) -> dict[str, Any]:
    """The operator logs a call with its category and place: the list dispatches it at once."""
    rule = county_rule(unit)
    payload = appeal_payload(category=rule.category, area=villages("王母渡镇")[0])
    return ok(as_user("operator").post("/api/v1/appeals", json=payload), 201)


def test_from_the_call_to_the_close(client, as_user):
    call = _call(as_user, CGJ)
    number = call["number"]
    assert call["status"] == "dispatched" and call["appeal"]["lead_unit"]["code"] == CGJ
    unit = as_user("cgj")
    assert number in [a["number"] for a in ok(unit.get("/api/v1/appeals"))["items"]]

    assert ok(unit.post(f"/api/v1/appeals/{number}/sign", json={}))["status"] == "handling"
    assert ok(unit.post(f"/api/v1/appeals/{number}/reply", json=REPLY))["status"] == "reply_review"
    # Not released yet: the citizen sees no reply until the centre approves it.
    assert look_up(client, call)["reply"] is None
    reviewer = as_user("reviewer")
    assert (
        ok(reviewer.post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))["status"]
        == "replied"
    )

    citizen = look_up(client, call)
    assert citizen["status_label"] == "已答复" and citizen["can_evaluate"] is True
    assert citizen["reply"]["text"] == REPLY["citizen_text"] and citizen["reply"]["result"] == "已解决"
    assert REPLY["internal_note"] not in str(citizen)
    rated = ok(rate(client, call, SATISFIED))
    assert rated["status"] == "closed" and rated["evaluation"]["attitude"] == "满意"

    centre = as_user("dispatcher")
    assert ok(centre.get(f"/api/v1/appeals/{number}"))["status"] == "closed"
    assert _actions(centre, number) == [
        "registered",
        "dispatched",
        "signed",
        "replied",
        "reply_released",
        "evaluated",
        "closed",
    ]
    assert [e["label"] for e in look_up(client, call)["timeline"]] == [
        "诉求已受理",
        "已转交承办单位",
        "承办单位已签收",
        "已答复",
        "已评价",
        "已办结",
    ]
    # Closed: nothing more happens to it.
    assert rate(client, call, SATISFIED).status_code == 409
    assert unit.post(f"/api/v1/appeals/{number}/reply", json=REPLY).status_code == 409


def test_a_return_a_redispatch_a_send_back_and_a_reopen(client, as_user):
    call = _call(as_user, RSJ)
    number = call["number"]
    wrong, right = as_user("rsj"), as_user("cgj")
    centre, reviewer = as_user("dispatcher"), as_user("reviewer")

    # 退单: not the unit's; the centre approves and re-dispatches in the same call.
    r = wrong.post(
        f"/api/v1/appeals/{number}/return",
        json={"reason": "垃圾清运不属我局职责", "basis": "职责清单：生活垃圾清运由区城管局主责"},
    )
    assert ok(r)["status"] == "return_requested"
    assert right.get(f"/api/v1/appeals/{number}").status_code == 404
    r = centre.post(
        f"/api/v1/appeals/{number}/return-review",
        json={"decision": "approve", "unit": CGJ, "note": "按清单改派区城管局"},
    )
    assert ok(r)["status"] == "dispatched" and r.json["lead_unit"]["code"] == CGJ
    assert wrong.get(f"/api/v1/appeals/{number}").status_code == 404

    # 答复, sent back once, then released.
    ok(right.post(f"/api/v1/appeals/{number}/sign", json={}))
    ok(right.post(f"/api/v1/appeals/{number}/reply", json=REPLY))
    r = reviewer.post(
        f"/api/v1/appeals/{number}/review", json={"decision": "send_back", "reasons": ["未写明清运时间"]}
    )
    assert ok(r)["status"] == "handling"
    ok(
        right.post(
            f"/api/v1/appeals/{number}/reply", json={**REPLY, "citizen_text": "已于今日上午清运完毕。"}
        )
    )
    ok(reviewer.post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))
    assert look_up(client, call)["reply"]["text"] == "已于今日上午清运完毕。"

    # 不满意 → 重办 to the same unit → a new reply, rated on a call-back.
    assert ok(rate(client, call, UNSATISFIED))["status"] == "replied"
    r = centre.post(
        f"/api/v1/appeals/{number}/reopen", json={"reason": "回访核实垃圾仍未清运", "attributable": True}
    )
    assert ok(r)["status"] == "dispatched" and r.json["lead_unit"]["code"] == CGJ
    assert ok(right.post(f"/api/v1/appeals/{number}/sign", json={}))["status"] == "handling"
    ok(
        right.post(
            f"/api/v1/appeals/{number}/reply", json={**REPLY, "citizen_text": "已彻底清运并加装垃圾桶。"}
        )
    )
    ok(reviewer.post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))
    citizen = look_up(client, call)
    assert citizen["can_evaluate"] is True and citizen["reply"]["text"] == "已彻底清运并加装垃圾桶。"
    assert (
        ok(as_user("operator").post(f"/api/v1/appeals/{number}/evaluate", json=SATISFIED))["status"]
        == "closed"
    )

    assert _actions(centre, number) == [
        "registered",
        "dispatched",
        "return_requested",
        "return_approved",
        "redispatched",
        "signed",
        "replied",
        "reply_sent_back",
        "replied",
        "reply_released",
        "evaluated",
        "reopened",
        "signed",
        "replied",
        "reply_released",
        "evaluated",
        "closed",
    ]
    labels = [e["label"] for e in look_up(client, call)["timeline"]]
    # The reply the citizen did not accept stays on the timeline as the earlier one.
    assert labels.index("此前的答复（已重新办理）") < labels.index("重新办理") < labels.index("已答复")
    assert labels.count("已答复") == 1 and labels[-1] == "已办结"


def test_a_consultation_answered_from_the_knowledge_base(client, as_user):
    article = ok(
        as_user("dispatcher").post(
            "/api/v1/knowledge",
            json={
                "title": "城乡居民医保参保缴费时间",
                "body": "每年9月至12月集中缴纳下一年度城乡居民医保费用，可通过赣服通或税务APP缴费。",
                "keywords": ["医保", "缴费"],
            },
        ),
        201,
    )
    operator = as_user("operator")
    call = ok(
        operator.post(
            "/api/v1/appeals",
            json=appeal_payload(
                appeal_type="咨询", title="医保什么时候交", content="想问一下明年的医保什么时候缴费。"
            ),
        ),
        201,
    )
    found = ok(operator.get("/api/v1/knowledge", query_string={"q": "医保缴费"}))["items"][0]
    assert found["id"] == article["id"]

    r = operator.post(
        f"/api/v1/appeals/{call['number']}/close-directly",
        json={"answer": found["body"], "kb_article": found["id"]},
    )

    assert ok(r)["status"] == "closed"
    citizen = look_up(client, call)
    assert citizen["status_label"] == "已办结"
    assert citizen["timeline"][-1]["message"] == article["body"]
    assert _actions(as_user("dispatcher"), call["number"]) == ["registered", "closed_directly"]
