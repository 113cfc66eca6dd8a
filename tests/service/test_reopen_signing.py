"""重办 sends the appeal back to the same unit to sign for again: a new sign-for deadline and a new
reply period, both counted from the reopen; an urgent one alerts again; the figures count each
dispatch's first signing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from dispatch.calendar import WorkCalendar
from dispatch.deadlines import compute_deadlines
from dispatch.escalation import SIGN_OVERDUE
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.db import utcnow
from service.escalation.models import AppealAlarm
from service.figures.queries import month_of
from service.queues.clocks import clock_fields
from tests.service.closing_arrange import (
    CGJ,
    REPLY,
    UNSATISFIED,
    appeal_row,
    clocks_started_days_ago,
    notices,
    ok,
    rate,
    replied,
)
from tests.service.factories import county_rule, stored
from tests.service.helpers import default_list
from tests.service.test_figures import unit_row


def _reopened(client: Any, as_user: Any, **overrides: Any) -> dict[str, Any]:
    body = replied(as_user, **overrides)
    ok(rate(client, body, UNSATISFIED))
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{body['number']}/reopen", json={"reason": "垃圾仍未清运", "attributable": True}
        )
    )
    return body


def _sign_events(app: Any, number: str) -> list[dict[str, Any]]:
    with stored(app) as s:
        return [
            p
            for p in s.scalars(
                sa.select(AppealEvent.payload)
                .join(Appeal, Appeal.id == AppealEvent.appeal_id)
                .where(Appeal.number == number, AppealEvent.action == "signed")
                .order_by(AppealEvent.id)
            )
        ]


def test_the_unit_signs_for_a_reopened_appeal_again_by_the_new_deadline(app, client, as_user):
    body = _reopened(client, as_user)
    number = body["number"]
    unit = as_user("cgj")

    mine = ok(unit.get("/api/v1/queues/my_unit"))["items"]
    assert [(i["status"], i["signed_at"]) for i in mine if i["number"] == number] == [("dispatched", None)]
    signed = ok(unit.post(f"/api/v1/appeals/{number}/sign", json={}))

    assert signed["status"] == "handling" and signed["signed_at"] is not None
    first, again = _sign_events(app, number)
    assert (first["round"], first["again"]) == (0, False)
    # Measured against the reopen's sign-for deadline, not the first dispatch's.
    assert (again["round"], again["again"], again["on_time"]) == (1, True, True)
    assert again["sign_due_at"] == appeal_row(app, number)["sign_due_at"].isoformat()
    twice = unit.post(f"/api/v1/appeals/{number}/sign", json={})
    assert twice.status_code == 409 and "already" in twice.json["message"]
    ok(unit.post(f"/api/v1/appeals/{number}/reply", json=REPLY))


def test_the_sign_for_clock_and_its_warnings_count_from_the_reopen(app, client, as_user):
    body = replied(as_user)
    ok(rate(client, body, UNSATISFIED))
    clocks_started_days_ago(app, body["number"], 30)  # every deadline of the first round long passed
    view = ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{body['number']}/reopen", json={"reason": "未清运", "attributable": True}
        )
    )

    assert view["status"] == "dispatched"
    assert view["sign_warning"] == "none" and view["sign_time_left_seconds"] > 0
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == body["number"]))
        reopened_at, due = appeal.reply_started_at, appeal.sign_due_at
        expected = compute_deadlines(
            reopened_at, county_rule(CGJ).limits["一般"], "一般", WorkCalendar(default_list().calendar)
        )
        assert due == expected.sign_due_at
        # Yellow once a quarter of the time from the reopen is left, not at once.
        halfway = clock_fields(appeal, reopened_at + (due - reopened_at) / 2)
        late = clock_fields(appeal, reopened_at + (due - reopened_at) * 4 / 5)
        assert (halfway["sign_warning"], late["sign_warning"]) == ("none", "yellow")
        overdue = s.scalars(
            sa.select(AppealAlarm.due_at).where(
                AppealAlarm.appeal_id == appeal.id,
                AppealAlarm.kind == SIGN_OVERDUE,
                AppealAlarm.done_at.is_(None),
            )
        ).all()
    assert overdue == [due]
    assert body["number"] not in [
        i["number"] for i in ok(as_user("dispatcher").get("/api/v1/queues/overdue"))["items"]
    ]


def test_a_reopened_urgent_appeal_alerts_the_unit_again(app, client, as_user):
    body = _reopened(client, as_user, urgency="特急")

    with stored(app) as s:
        alerts = s.scalars(
            sa.select(AppealEvent.action)
            .join(Appeal, Appeal.id == AppealEvent.appeal_id)
            .where(Appeal.number == body["number"], AppealEvent.action == "urgent_alerted")
        ).all()
    assert len(alerts) == 2  # the dispatch's, and the reopen's
    sent = [n for n in notices(app, body["number"]) if n[1] == "urgent_appeal"]
    assert sent.count((f"unit:{CGJ}", "urgent_appeal")) == 2


def test_on_time_sign_for_counts_each_dispatch_s_first_signing(app, client, as_user):
    body = replied(as_user)
    number = body["number"]
    with stored(app) as s:  # the first signing was just in time
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        signed_at = s.scalar(
            sa.select(AppealEvent.at).where(
                AppealEvent.appeal_id == appeal.id, AppealEvent.action == "signed"
            )
        )
        s.execute(
            sa.update(AppealAssignment)
            .where(AppealAssignment.appeal_id == appeal.id)
            .values(sign_due_at=signed_at + timedelta(microseconds=1))
        )
        s.commit()
    ok(rate(client, body, UNSATISFIED))
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{number}/reopen", json={"reason": "未清运", "attributable": True}
        )
    )
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={}))  # after the dispatch's deadline

    month = month_of(utcnow(), app.config["TZ"])
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    rate_ = unit_row(figures, CGJ)["rates"]["sign_on_time_rate"]
    assert (rate_["numerator"], rate_["denominator"]) == (1, 1)
