"""After an outage, the worker's sweep finds several alarms of one appeal due at once: the
appeal's timeline shows what it did in the order the alarms fell due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import escalation as esc
from service.escalation import jobs
from tests.service.escalation.steps import alarms
from tests.service.handling_steps import new_appeal


@pytest.mark.parametrize("urgency", ["特急", "紧急"])
def test_a_reminder_due_before_the_first_escalation_step_shows_first_on_the_timeline(
    app, as_user, monkeypatch, urgency
):
    number = new_appeal(as_user, urgency=urgency)
    planned = alarms(app, number)
    sign_due = next(due for kind, _, due in planned if kind == esc.SIGN_OVERDUE)
    ladder = [due for kind, _, due in planned if kind == esc.ESCALATE]
    assert sign_due < ladder[0] < ladder[1]
    # The worker was down (Redis gone) from before the sign-for deadline until after the ladder's
    # first step: its first sweep finds both due, the second step not yet.
    monkeypatch.setattr(jobs, "utcnow", lambda: ladder[0] + timedelta(minutes=1))
    with app.app_context():
        jobs.run_sweeps()

    timeline = as_user("dispatcher").get(f"/api/v1/appeals/{number}/events").json
    swept = [
        (e["action"], e["note"])
        for e in timeline
        if e["actor_role"] == "system"
        and e["action"]
        in (
            esc.SIGN_OVERDUE,
            "escalated",
        )
    ]
    assert [action for action, _ in swept] == [esc.SIGN_OVERDUE, "escalated"], timeline
    assert swept[0][1] == "签收超时，已提醒承办单位和中心。"
    assert "第1级" in swept[1][1]
