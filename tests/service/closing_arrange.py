"""Arranging appeals for the closing tests, through the API as each role would: intake, sign,
reply, review; and the rating forms."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from service.appeals.models import Appeal, AppealEvent
from service.db import utcnow
from service.handling.models import Evaluation, Supervision
from service.notices.models import OutboxMessage
from tests.service.factories import county_rule, register, stored, unit_code, villages

CGJ = unit_code("区城管局")
RSJ = unit_code("区人社局")

SATISFIED = {"contacted": True, "resolved": "yes", "attitude": "满意", "result": "基本满意"}
UNSATISFIED = {
    "contacted": True,
    "resolved": "no",
    "attitude": "基本满意",
    "result": "不满意",
    "comment": "垃圾还是没有清走",
}
REOPEN_REASON = "复查发现垃圾仍未清运，单位敷衍"
REPLY = {
    "result": "resolved",
    "citizen_text": "已安排环卫工人清运完毕，并增加了清运频次。",
    "internal_note": "环卫三队负责",
    "contacted_citizen": True,
}


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)
    return r.json


def logged(as_user: Any, unit: str = CGJ, **overrides: Any) -> dict[str, Any]:
    """An operator logs a call the list routes to `unit` (dispatched at once); the 201 body."""
    rule = county_rule(unit)
    body = register(as_user("operator"), category=rule.category, area=villages("王母渡镇")[0], **overrides)
    assert body["status"] == "dispatched" and body["appeal"]["lead_unit"]["code"] == unit, body
    return body


def reply_and_release(as_user: Any, number: str, unit_user: str = "cgj") -> None:
    """The lead unit signs (again, after a reopen) and replies; the reviewer releases the reply."""
    unit_api = as_user(unit_user)
    ok(unit_api.post(f"/api/v1/appeals/{number}/sign", json={}))
    ok(unit_api.post(f"/api/v1/appeals/{number}/reply", json=REPLY))
    ok(as_user("reviewer").post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))


def replied(as_user: Any, unit: str = CGJ, unit_user: str = "cgj", **overrides: Any) -> dict[str, Any]:
    """An appeal whose reply was released to the citizen (status replied): the intake body."""
    body = logged(as_user, unit, **overrides)
    reply_and_release(as_user, body["number"], unit_user)
    return body


def rate(client: Any, body: dict[str, Any], rating: dict[str, Any], code: str | None = None) -> Any:
    """The citizen rates on the public API with the number and query code."""
    return client.post(
        f"/api/v1/public/appeals/{body['number']}/evaluate",
        json={**rating, "code": code or body["query_code"]},
    )


def release(as_user: Any, number: str, reply: dict[str, Any]) -> None:
    """区城管局, which signed for the appeal, replies with `reply`; the reviewer releases it."""
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/reply", json=reply))
    ok(as_user("reviewer").post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"}))


def reopened_after_an_extension(app: Any, client: Any, as_user: Any) -> tuple[dict[str, Any], datetime]:
    """An appeal whose first round had its time limit extended, was replied to, rated unsatisfied
    and reopened: its intake body, and the extended deadline of the first round."""
    body = logged(as_user)
    number = body["number"]
    ok(as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={}))
    ok(
        as_user("cgj").post(
            f"/api/v1/appeals/{number}/extension", json={"days": 10, "reason": "需协调清运车辆"}
        )
    )
    ok(as_user("reviewer").post(f"/api/v1/appeals/{number}/extension-review", json={"decision": "approve"}))
    extended = appeal_row(app, number)["reply_due_at"]
    release(as_user, number, REPLY)
    ok(rate(client, body, UNSATISFIED))
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{number}/reopen", json={"reason": REOPEN_REASON, "attributable": True}
        )
    )
    return body, extended


def look_up(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    return ok(
        client.get(f"/api/v1/public/appeals/{body['number']}", query_string={"code": body["query_code"]})
    )


def appeal_row(app: Flask, number: str) -> dict[str, Any]:
    """What is stored about an appeal (plain values, read in a session of its own)."""
    with stored(app) as s:
        a = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert a is not None
        return {
            c: getattr(a, c)
            for c in (
                "id",
                "status",
                "version",
                "lead_unit_code",
                "sign_due_at",
                "signed_at",
                "reply_due_at",
                "rating_due_at",
                "closed_at",
                "close_reason",
                "direct_answer",
                "kb_article_id",
                "master_id",
                "reopen_count",
                "supervision_level",
            )
        }


def set_rating_due(app: Flask, number: str, delta: timedelta) -> None:
    """Move the rating window's end to now + delta (the passing of time)."""
    with stored(app) as s:
        a = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert a is not None
        a.rating_due_at = utcnow() + delta
        s.commit()


def events(app: Flask, number: str) -> list[tuple[str, str, str | None]]:
    """(action, actor role, to status) of every event of the appeal, in order."""
    with stored(app) as s:
        rows = s.execute(
            sa.select(AppealEvent.action, AppealEvent.actor_role, AppealEvent.to_status)
            .join(Appeal, Appeal.id == AppealEvent.appeal_id)
            .where(Appeal.number == number)
            .order_by(AppealEvent.at, AppealEvent.id)
        ).all()
        return [tuple(r) for r in rows]


def notices(app: Flask, number: str) -> list[tuple[str, str]]:
    """(recipient, template) of the notices queued about the appeal."""
    with stored(app) as s:
        rows = s.execute(
            sa.select(OutboxMessage.recipient, OutboxMessage.template)
            .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
            .where(Appeal.number == number)
            .order_by(OutboxMessage.id)
        ).all()
        return [tuple(r) for r in rows]


def supervisions(app: Flask, number: str) -> list[tuple[str, int, int | None]]:
    """(kind, level, by user id) of the appeal's supervisions."""
    with stored(app) as s:
        rows = s.execute(
            sa.select(Supervision.kind, Supervision.level, Supervision.by_id)
            .join(Appeal, Appeal.id == Supervision.appeal_id)
            .where(Appeal.number == number)
            .order_by(Supervision.id)
        ).all()
        return [tuple(r) for r in rows]


def ratings(app: Flask, number: str) -> list[tuple[str, int, bool]]:
    """(source, round, unsatisfied) of the appeal's ratings."""
    with stored(app) as s:
        rows = s.scalars(
            sa.select(Evaluation)
            .join(Appeal, Appeal.id == Evaluation.appeal_id)
            .where(Appeal.number == number)
            .order_by(Evaluation.id)
        ).all()
        return [(e.source, e.round, e.unsatisfied) for e in rows]


def clocks_started_days_ago(app: Any, number: str, days: int) -> None:
    """Let time pass: the appeal's clocks started `days` ago (its deadlines have passed)."""
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        shift = timedelta(days=days)
        for obj in (appeal, *appeal.assignments):
            obj.sign_due_at -= shift
            obj.reply_due_at -= shift
        appeal.dispatched_at -= shift
        appeal.reply_started_at -= shift
        s.commit()
