"""Arranging escalation tests: appeals through the API, then a look at their alarms and notices."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from dispatch.calendar import WorkCalendar
from service.appeals.models import Appeal, AppealEvent
from service.escalation.models import AppealAlarm
from service.notices.models import OutboxMessage
from tests.service.factories import SHANGHAI, stored


def alarms(app: Flask, number: str, *, pending: bool = True) -> list[tuple[str, int, datetime]]:
    with stored(app) as s:
        query = (
            sa.select(AppealAlarm.kind, AppealAlarm.level, AppealAlarm.due_at)
            .join(Appeal, Appeal.id == AppealAlarm.appeal_id)
            .where(Appeal.number == number)
            .order_by(AppealAlarm.due_at, AppealAlarm.level)
        )
        if pending:
            query = query.where(AppealAlarm.done_at.is_(None))
        return [tuple(row) for row in s.execute(query)]  # type: ignore[misc]


#: The citizen's 受理回执, queued when the appeal is registered: the first row of every appeal's outbox.
RECEIPT = {"recipient": "citizen", "template": "appeal_registered", "priority": "default", "data": {}}


def outbox(app: Flask, number: str) -> list[dict[str, Any]]:
    with stored(app) as s:
        rows = s.scalars(
            sa.select(OutboxMessage)
            .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
            .where(Appeal.number == number)
            .order_by(OutboxMessage.id)
        )
        return [
            {"recipient": o.recipient, "template": o.template, "priority": o.priority, "data": o.data}
            for o in rows
        ]


def event_actions(app: Flask, number: str) -> list[str]:
    with stored(app) as s:
        return list(
            s.scalars(
                sa.select(AppealEvent.action)
                .join(Appeal, Appeal.id == AppealEvent.appeal_id)
                .where(Appeal.number == number)
                .order_by(AppealEvent.id)
            )
        )


def appeal_row(app: Flask, number: str) -> dict[str, Any]:
    with stored(app) as s:
        a = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert a is not None
        return {
            "status": a.status,
            "version": a.version,
            "supervision_level": a.supervision_level,
            "urgency": a.urgency,
            "sign_due_at": a.sign_due_at,
            "reply_due_at": a.reply_due_at,
            "dispatched_at": a.dispatched_at,
            "updated_at": a.updated_at,
        }


def in_working_hours(at: datetime) -> bool:
    """Whether `at` falls in the hours a routine warning goes off (08:30-18:00 of a working day)."""
    local = at.astimezone(SHANGHAI)
    return WorkCalendar().is_workday(local.date()) and time(8, 30) <= local.time() < time(18, 0)


def warned_in_working_hours(soon: datetime, start: datetime, yellow: datetime) -> bool:
    """A routine appeal's reply warning as planned: at the yellow point (a quarter of the time
    left) when that is in working hours, else earlier in them, after the clock started."""
    return (
        start <= soon <= yellow
        and in_working_hours(soon)
        and (soon == yellow or not in_working_hours(yellow))
    )
