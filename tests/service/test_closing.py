"""Closing an appeal: direct close, the citizen's rating and the call-back, reopen, close by the
centre and when the rating window passes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import compute_deadlines
from dispatch.escalation import REPLY_DUE_SOON
from service.appeals.models import Appeal, AppealEvent
from service.db import utcnow
from service.escalation.models import AppealAlarm
from service.handling.closing import close_unrated
from service.knowledge.models import KnowledgeArticle
from tests.service.closing_arrange import (
    CGJ,
    REPLY,
    SATISFIED,
    UNSATISFIED,
    appeal_row,
    clocks_started_days_ago,
    events,
    logged,
    look_up,
    notices,
    ok,
    rate,
    ratings,
    replied,
    reply_and_release,
    set_rating_due,
    supervisions,
)
from tests.service.escalation.steps import warned_in_working_hours
from tests.service.factories import assert_envelope, county_rule, new_address, register, stored
from tests.service.helpers import default_list

ANSWER = "燃气开户请携带身份证和房产证到城区燃气营业厅办理，工作日9:00-17:00。"


def _article(app: Any, **fields: Any) -> int:
    with stored(app) as s:
        admin_id = s.scalar(sa.text("SELECT id FROM users WHERE username = 'admin'"))
        article = KnowledgeArticle(
            title="燃气开户办理指南",
            body="携带身份证、房产证到燃气营业厅办理。",
            categories=[],
            keywords=["燃气", "开户"],
            created_by_id=admin_id,
            **{"active": True, **fields},
        )
        s.add(article)
        s.commit()
        return article.id


def _consultation(as_user: Any) -> dict[str, Any]:
    """A consultation logged without category and area: it waits in the dispatch queue."""
    body = register(
        as_user("operator"),
        appeal_type="咨询",
        title="燃气开户怎么办理",
        content="想问新房燃气开户要带什么材料。",
    )
    assert body["status"] == "pending_dispatch"
    return body


# ---- 直接办结 -------------------------------------------------------------------------------


def test_operator_closes_a_consultation_at_first_contact_with_the_article_used(app, client, as_user):
    article = _article(app)
    body = _consultation(as_user)

    r = as_user("operator").post(
        f"/api/v1/appeals/{body['number']}/close-directly", json={"answer": ANSWER, "kb_article": article}
    )

    assert ok(r)["status"] == "closed"
    row = appeal_row(app, body["number"])
    assert (row["close_reason"], row["direct_answer"], row["kb_article_id"]) == ("direct", ANSWER, article)
    assert row["closed_at"] is not None
    assert events(app, body["number"])[-1] == ("closed_directly", "operator", "closed")
    view = look_up(client, body)
    assert view["status_label"] == "已办结"
    assert (view["timeline"][-1]["label"], view["timeline"][-1]["message"]) == ("已当场答复办结", ANSWER)
    assert view["can_evaluate"] is False


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"appeal_type": "投诉"}, "appeal_type"),
        ({"appeal_type": "举报"}, "appeal_type"),
        ({"appeal_type": "咨询", "urgency": "紧急"}, "urgency"),
    ],
)
def test_complaints_reports_and_urgent_appeals_are_never_closed_at_first_contact(app, as_user, given, field):
    body = register(as_user("operator"), title="噪音扰民", content="楼下烧烤店深夜噪音。", **given)
    assert body["status"] == "pending_dispatch", body

    r = as_user("operator").post(f"/api/v1/appeals/{body['number']}/close-directly", json={"answer": ANSWER})

    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {field}
    assert appeal_row(app, body["number"])["status"] == "pending_dispatch"


def test_close_directly_without_an_article(app, as_user):
    body = _consultation(as_user)

    ok(as_user("admin").post(f"/api/v1/appeals/{body['number']}/close-directly", json={"answer": ANSWER}))

    assert appeal_row(app, body["number"])["kb_article_id"] is None


@pytest.mark.parametrize(
    "fields",
    [
        {"active": False},
        {"valid_to": date.today() - timedelta(days=2)},
        {"valid_from": date.today() + timedelta(days=2)},
    ],
    ids=["withdrawn", "expired", "not-yet-valid"],
)
def test_close_directly_refuses_an_article_not_in_force(app, as_user, fields):
    article = _article(app, **fields)
    body = _consultation(as_user)

    r = as_user("operator").post(
        f"/api/v1/appeals/{body['number']}/close-directly", json={"answer": ANSWER, "kb_article": article}
    )

    assert "kb_article" in assert_envelope(r, 422, "validation_error")["errors"]
    assert appeal_row(app, body["number"])["status"] == "pending_dispatch"


def test_close_directly_needs_the_answer_and_a_known_article(as_user):
    body = _consultation(as_user)
    url = f"/api/v1/appeals/{body['number']}/close-directly"
    operator = as_user("operator")

    assert (
        "answer"
        in assert_envelope(operator.post(url, json={"answer": " "}), 422, "validation_error")["errors"]
    )
    r = operator.post(url, json={"answer": ANSWER, "kb_article": 999999})
    assert "kb_article" in assert_envelope(r, 422, "validation_error")["errors"]


def test_close_directly_is_for_operators_before_dispatch(app, as_user):
    pending = _consultation(as_user)
    dispatched = logged(as_user)

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{pending['number']}/close-directly", json={"answer": ANSWER}
    )
    assert_envelope(r, 403, "forbidden")
    # Unit staff never close directly: told so (403) before whether they see the appeal (404).
    r = as_user("cgj").post(f"/api/v1/appeals/{pending['number']}/close-directly", json={"answer": ANSWER})
    assert_envelope(r, 403, "forbidden")
    r = as_user("operator").post(
        f"/api/v1/appeals/{dispatched['number']}/close-directly", json={"answer": ANSWER}
    )
    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"
    version = appeal_row(app, pending["number"])["version"]
    r = as_user("operator").post(
        f"/api/v1/appeals/{pending['number']}/close-directly", json={"answer": ANSWER, "version": version - 1}
    )
    assert r.status_code == 409 and r.json["current"]["version"] == version


# ---- 评价: the citizen, once -----------------------------------------------------------------


def test_the_citizen_rates_once_and_a_satisfied_rating_closes(app, client, as_user):
    body = replied(as_user)
    before = look_up(client, body)
    assert before["status"] == "replied" and before["can_evaluate"] is True and before["evaluation"] is None

    r = rate(client, body, SATISFIED)

    view = ok(r)
    assert view["status"] == "closed" and view["can_evaluate"] is False
    assert view["evaluation"]["attitude"] == "满意" and view["evaluation"]["result"] == "基本满意"
    assert [e["label"] for e in view["timeline"]][-2:] == ["已评价", "已办结"]
    # No language asked for: the timeline's messages as stored, as the look-up answers them.
    assert view["timeline"][-1]["message"] == "诉求已办结，感谢您的评价。"
    assert r.headers["Content-Language"] == "zh-CN"
    row = appeal_row(app, body["number"])
    assert row["close_reason"] == "rated" and row["closed_at"] is not None
    assert events(app, body["number"])[-2:] == [
        ("evaluated", "citizen", "replied"),
        ("closed", "citizen", "closed"),
    ]
    again = rate(client, body, SATISFIED)
    assert (
        again.status_code == 409
    )  # in the API's language: English unless the citizen's client prefers Chinese
    assert again.json["message"] == "You have already rated this result; thank you for your feedback."
    chinese = client.post(
        f"/api/v1/public/appeals/{body['number']}/evaluate",
        json={**SATISFIED, "code": body["query_code"]},
        headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert (
        chinese.status_code == 409
        and chinese.json["message"] == "您已评价过本次办理结果（已评价），感谢您的反馈。"
    )
    assert ratings(app, body["number"]) == [("citizen", 0, False)]


def test_the_rating_answer_speaks_the_citizens_language(client, as_user):
    body = replied(as_user)

    r = client.post(
        f"/api/v1/public/appeals/{body['number']}/evaluate",
        json={**SATISFIED, "code": body["query_code"]},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )

    view = ok(r)
    assert view["timeline"][-1]["message"] == "The appeal is closed. Thank you for your rating."
    assert r.headers["Content-Language"] == "en" and "Accept-Language" in r.headers["Vary"]


def test_a_wrong_query_code_answers_like_an_unknown_number(client, as_user):
    body = replied(as_user)
    wrong = "000000" if body["query_code"] != "000000" else "111111"

    r = rate(client, body, SATISFIED, code=wrong)
    unknown = client.post(
        "/api/v1/public/appeals/GX20000101-0001/evaluate", json={**SATISFIED, "code": wrong}
    )

    assert_envelope(r, 404, "not_found")
    assert r.json == unknown.json
    assert look_up(client, body)["can_evaluate"] is True


def test_rating_is_rate_limited_like_the_lookup(app, client, as_user):
    body = replied(as_user)
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = "2/minute"
    client.environ_base["REMOTE_ADDR"] = new_address()
    wrong = "000000" if body["query_code"] != "000000" else "111111"

    tries = [rate(client, body, SATISFIED, code=wrong).status_code for _ in range(3)]

    assert tries == [404, 404, 429]
    assert_envelope(rate(client, body, SATISFIED), 429, "rate_limited")


def test_the_citizen_cannot_rate_before_the_reply(client, as_user):
    body = logged(as_user)

    r = rate(client, body, SATISFIED)

    assert r.status_code == 409 and r.json["current"]["status"] == "dispatched"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"attitude": "很好"}, "attitude"),
        ({"resolved": "maybe"}, "resolved"),
        ({"contacted": None}, "contacted"),
        ({"comment": "很" * 501}, "comment"),
    ],
)
def test_a_rating_is_checked_field_by_field(client, as_user, change, field):
    body = replied(as_user)

    r = rate(client, body, {**SATISFIED, **change})

    assert field in assert_envelope(r, 422, "validation_error")["errors"]


def test_an_unsatisfied_rating_waits_for_the_centre(app, client, as_user):
    body = replied(as_user)

    view = ok(rate(client, body, UNSATISFIED))

    assert view["status"] == "replied" and view["can_evaluate"] is False
    assert view["evaluation"]["result"] == "不满意"
    row = appeal_row(app, body["number"])
    assert row["rating_due_at"] is None  # rated: the window no longer closes it
    assert ("centre", "rating_unsatisfied") in notices(app, body["number"])
    assert rate(client, body, SATISFIED).status_code == 409
    assert supervisions(app, body["number"]) == []


# ---- 回访: the operator's call-back ----------------------------------------------------------


def test_operator_records_the_rating_on_a_call_back(app, as_user):
    body = replied(as_user)

    r = as_user("operator").post(f"/api/v1/appeals/{body['number']}/evaluate", json=SATISFIED)

    assert ok(r)["status"] == "closed"
    assert ratings(app, body["number"]) == [("callback", 0, False)]
    assert events(app, body["number"])[-2][:2] == ("evaluated", "operator")


def test_the_call_back_and_the_citizen_share_one_rating(client, as_user):
    body = replied(as_user)
    ok(rate(client, body, UNSATISFIED))

    r = as_user("reviewer").post(f"/api/v1/appeals/{body['number']}/evaluate", json=SATISFIED)

    assert r.status_code == 409 and "already rated" in r.json["message"]


def test_call_back_roles(as_user):
    body = replied(as_user)
    url = f"/api/v1/appeals/{body['number']}/evaluate"

    assert_envelope(as_user("dispatcher").post(url, json=SATISFIED), 403, "forbidden")
    # A unit never takes a call-back: 403, whether the appeal is its own (cgj) or not (rsj).
    assert_envelope(as_user("cgj").post(url, json=SATISFIED), 403, "forbidden")
    assert_envelope(as_user("rsj").post(url, json=SATISFIED), 403, "forbidden")


# ---- 重办 -------------------------------------------------------------------------------------


def _last_event_at(app: Any, number: str) -> Any:
    with stored(app) as s:
        return s.scalar(
            sa.select(AppealEvent.at)
            .join(Appeal, Appeal.id == AppealEvent.appeal_id)
            .where(Appeal.number == number)
            .order_by(AppealEvent.id.desc())
            .limit(1)
        )


def _unsatisfied(client: Any, as_user: Any) -> dict[str, Any]:
    body = replied(as_user)
    ok(rate(client, body, UNSATISFIED))
    return body


def test_reopen_sends_it_back_to_the_same_unit_with_new_deadlines(app, client, as_user):
    body = _unsatisfied(client, as_user)
    clocks_started_days_ago(app, body["number"], 20)
    before = appeal_row(app, body["number"])

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{body['number']}/reopen",
        json={"reason": "单位未实际清运，群众反映属实", "attributable": True},
    )

    view = ok(r)
    # Back to the unit to sign for again (待签收), no longer straight to handling.
    assert view["status"] == "dispatched" and view["lead_unit"]["code"] == CGJ
    after = appeal_row(app, body["number"])
    assert after["reopen_count"] == 1
    assert after["reply_due_at"] > utcnow() > before["reply_due_at"]
    rule = county_rule(CGJ)
    reopened_at = _last_event_at(app, body["number"])
    expected = compute_deadlines(
        reopened_at, rule.limits["一般"], "一般", WorkCalendar(default_list().calendar)
    )
    assert after["reply_due_at"] == expected.reply_due_at
    assert after["sign_due_at"] == expected.sign_due_at  # a new sign-for deadline, from the reopen
    assert after["signed_at"] is None
    lead = next(a for a in view["assignments"] if a["role"] == "lead" and a["active"])
    assert lead["unit"]["code"] == CGJ
    staff_events = ok(as_user("dispatcher").get(f"/api/v1/appeals/{body['number']}/events"))
    assert staff_events[-1]["action"] == "reopened"
    assert staff_events[-1]["note"] == "单位未实际清运，群众反映属实"
    assert (f"unit:{CGJ}", "appeal_reopened") in notices(app, body["number"])
    citizen = look_up(client, body)
    assert citizen["timeline"][-1]["label"] == "重新办理"
    assert "单位未实际清运" not in str(citizen)
    # The unit must sign for it and reply again; the new round is rated again.
    refused = as_user("cgj").post(f"/api/v1/appeals/{body['number']}/reply", json=REPLY)
    assert refused.status_code == 409 and refused.json["current"]["status"] == "dispatched"
    reply_and_release(as_user, body["number"])
    assert look_up(client, body)["can_evaluate"] is True


def test_a_reopened_appeal_starts_a_new_period_and_is_not_due_soon_at_once(app, client, as_user):
    body = _unsatisfied(client, as_user)
    clocks_started_days_ago(app, body["number"], 60)

    view = ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{body['number']}/reopen", json={"reason": "未清运", "attributable": True}
        )
    )

    assert view["warning"] == "none" and view["time_left_seconds"] > 0
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == body["number"]))
        soon = s.scalar(
            sa.select(AppealAlarm.due_at).where(
                AppealAlarm.appeal_id == appeal.id,
                AppealAlarm.kind == REPLY_DUE_SOON,
                AppealAlarm.done_at.is_(None),
            )
        )
        reopened_at = appeal.reply_started_at
    # A quarter of the new period left, or the working hours before it.
    assert warned_in_working_hours(soon, reopened_at, reopened_at + (view_due(view) - reopened_at) * 3 / 4)
    due_soon = ok(as_user("dispatcher").get("/api/v1/queues/due_soon"))
    assert body["number"] not in [i["number"] for i in due_soon["items"]]


def view_due(view: dict[str, Any]) -> Any:
    return datetime.fromisoformat(view["reply_due_at"])


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"attributable": True}, "reason"),
        ({"reason": "  ", "attributable": True}, "reason"),
        ({"reason": "群众不认可"}, "attributable"),
        ({"reason": "政策所限，无法满足", "attributable": False}, "attributable"),
    ],
)
def test_reopen_needs_a_reason_and_the_units_fault(client, as_user, payload, field):
    body = _unsatisfied(client, as_user)

    r = as_user("dispatcher").post(f"/api/v1/appeals/{body['number']}/reopen", json=payload)

    errors = assert_envelope(r, 422, "validation_error")["errors"]
    assert field in errors
    if payload.get("attributable") is False:
        assert "close" in errors["attributable"][0]


def test_reopen_follows_an_unsatisfied_rating_only(client, as_user):
    unrated = replied(as_user)
    satisfied = replied(as_user)
    ok(rate(client, satisfied, SATISFIED))
    reopen = {"reason": "复核", "attributable": True}
    dispatcher = as_user("dispatcher")

    assert dispatcher.post(f"/api/v1/appeals/{unrated['number']}/reopen", json=reopen).status_code == 409
    r = dispatcher.post(f"/api/v1/appeals/{satisfied['number']}/reopen", json=reopen)
    assert r.status_code == 409 and r.json["current"]["status"] == "closed"


def test_reopen_roles(client, as_user):
    body = _unsatisfied(client, as_user)
    url = f"/api/v1/appeals/{body['number']}/reopen"
    reopen = {"reason": "复核", "attributable": True}

    # A unit may not reopen, whether it handled the appeal (cgj) or no longer holds it (meilin).
    for user in ("operator", "reviewer", "leader", "cgj", "meilin"):
        assert_envelope(as_user(user).post(url, json=reopen), 403, "forbidden")


def test_an_appeal_closed_after_an_unsatisfied_rating_can_still_be_reopened(app, client, as_user):
    body = _unsatisfied(client, as_user)
    ok(as_user("reviewer").post(f"/api/v1/appeals/{body['number']}/close", json={"note": "已解释政策"}))

    r = as_user("admin").post(
        f"/api/v1/appeals/{body['number']}/reopen", json={"reason": "复查发现未整改", "attributable": True}
    )

    assert ok(r)["status"] == "dispatched"
    row = appeal_row(app, body["number"])
    assert (row["closed_at"], row["close_reason"], row["reopen_count"]) == (None, "", 1)


def test_a_second_unsatisfied_rating_raises_supervision(app, client, as_user):
    body = _unsatisfied(client, as_user)
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{body['number']}/reopen", json={"reason": "未整改到位", "attributable": True}
        )
    )
    reply_and_release(as_user, body["number"])

    view = ok(rate(client, body, UNSATISFIED))

    assert view["status"] == "replied"
    assert ratings(app, body["number"]) == [("citizen", 0, True), ("citizen", 1, True)]
    assert supervisions(app, body["number"]) == [("raise", 1, None)]
    assert appeal_row(app, body["number"])["supervision_level"] == 1
    assert ("supervised", "system", "replied") in events(app, body["number"])
    assert (f"unit:{CGJ}", "supervision_raised") in notices(app, body["number"])
    assert view["timeline"][-1]["label"] == "已督办"


# ---- 办结 -------------------------------------------------------------------------------------


def test_close_waits_for_the_rating_window(app, as_user):
    body = replied(as_user)
    url = f"/api/v1/appeals/{body['number']}/close"

    r = as_user("dispatcher").post(url, json={})
    assert r.status_code == 409
    assert "rating window is open until" in r.json["message"] and r.json["rating_due_at"]

    set_rating_due(app, body["number"], -timedelta(minutes=1))
    assert ok(as_user("dispatcher").post(url, json={}))["status"] == "closed"
    row = appeal_row(app, body["number"])
    assert row["close_reason"] == "rating_window"


def test_close_after_an_unsatisfied_rating_not_the_units_fault(app, client, as_user):
    body = _unsatisfied(client, as_user)

    ok(as_user("reviewer").post(f"/api/v1/appeals/{body['number']}/close", json={"note": "诉求超出政策范围"}))

    assert appeal_row(app, body["number"])["close_reason"] == "rated"
    assert look_up(client, body)["timeline"][-1]["label"] == "已办结"


def test_close_roles_and_states(app, as_user):
    body = replied(as_user)
    set_rating_due(app, body["number"], -timedelta(minutes=1))
    handling = logged(as_user)
    ok(as_user("cgj").post(f"/api/v1/appeals/{handling['number']}/sign", json={}))
    url = f"/api/v1/appeals/{body['number']}/close"

    assert_envelope(as_user("operator").post(url, json={}), 403, "forbidden")
    assert_envelope(as_user("cgj").post(url, json={}), 403, "forbidden")
    assert_envelope(as_user("leader").post(url, json={}), 403, "forbidden")
    r = as_user("dispatcher").post(f"/api/v1/appeals/{handling['number']}/close", json={})
    assert r.status_code == 409 and r.json["current"]["status"] == "handling"
    ok(as_user("dispatcher").post(url, json={}))
    assert as_user("dispatcher").post(url, json={}).status_code == 409


def test_close_unrated_closes_once_when_the_window_passed(app, as_user):
    passed = replied(as_user)
    still_open = replied(as_user)
    set_rating_due(app, passed["number"], -timedelta(hours=1))

    with stored(app) as s:
        first = close_unrated(s)
        s.commit()
    with stored(app) as s:
        second = close_unrated(s)
        s.commit()

    assert first == [appeal_row(app, passed["number"])["id"]]
    assert second == []
    assert appeal_row(app, passed["number"])["close_reason"] == "rating_window"
    assert appeal_row(app, still_open["number"])["status"] == "replied"
    closed = [e for e in events(app, passed["number"]) if e[0] == "closed"]
    assert closed == [("closed", "system", "closed")]


def test_close_unrated_leaves_rated_appeals_to_the_centre(app, client, as_user):
    _unsatisfied(client, as_user)

    with stored(app) as s:
        assert close_unrated(s, utcnow() + timedelta(days=30)) == []


def test_the_close_unrated_command(app, as_user, command_line):
    body = replied(as_user)
    set_rating_due(app, body["number"], -timedelta(hours=1))

    result = command_line("appeals", "close-unrated")

    assert result.exit_code == 0, result.output
    assert "closed 1 appeal(s)" in result.output
    assert appeal_row(app, body["number"])["status"] == "closed"
