"""A reminder is about a deadline: the same deadline missed is reminded once, whatever comes and
goes after (a return refused, a reply sent back: the appeal back with the same deadline); a new
deadline (an approved extension) is a new reminder once it passes."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.escalation import ESCALATE, REPLY_OVERDUE, SIGN_OVERDUE
from service.escalation.sweeps import sweep
from tests.service.escalation.steps import alarms, appeal_row, event_actions, outbox
from tests.service.factories import stored
from tests.service.handling_steps import LEAD, new_appeal, ok, reply_body, signed_appeal

MINUTE = timedelta(minutes=1)
RETURN = {"reason": "该处属社保缴费争议，不属市容环卫", "basis": "职责清单 社会保险类"}


def run(app, kind, at):
    with stored(app) as s:
        result = sweep(s, kind, now=at)
        s.commit()
    return result


def sent(app, number: str, template: str) -> int:
    return [o["template"] for o in outbox(app, number)].count(template)


def due(app, number: str, kind: str) -> list[datetime]:
    return [at for k, _, at in alarms(app, number) if k == kind]


def return_refused(as_user, number: str) -> None:
    ok(as_user(LEAD), number, "return", **RETURN)
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="请签收办理")


def test_a_return_refused_after_the_sign_for_reminder_does_not_remind_again(app, as_user):
    number = new_appeal(as_user)
    deadline = appeal_row(app, number)["sign_due_at"]
    assert len(run(app, SIGN_OVERDUE, deadline + MINUTE).fired) == 2  # the lead's, the co-unit's
    return_refused(as_user, number)
    row = appeal_row(app, number)
    assert (row["status"], row["sign_due_at"]) == ("dispatched", deadline)  # the same deadline
    assert due(app, number, SIGN_OVERDUE) == []
    assert run(app, SIGN_OVERDUE, deadline + timedelta(hours=1)).fired == []
    assert sent(app, number, "sign_overdue") == 1
    assert event_actions(app, number).count(SIGN_OVERDUE) == 1


def test_a_reply_sent_back_after_the_overdue_reminder_does_not_remind_again(app, as_user):
    number = signed_appeal(as_user)
    deadline = appeal_row(app, number)["reply_due_at"]
    assert len(run(app, REPLY_OVERDUE, deadline + MINUTE).fired) == 1
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="send_back", reasons=["未联系诉求人核实"])
    row = appeal_row(app, number)
    assert (row["status"], row["reply_due_at"]) == ("handling", deadline)
    assert due(app, number, REPLY_OVERDUE) == []
    assert run(app, REPLY_OVERDUE, deadline + timedelta(days=1)).fired == []
    assert sent(app, number, "reply_overdue") == 1


def test_an_approved_extension_is_a_new_deadline_and_reminded_when_it_passes(app, as_user):
    number = signed_appeal(as_user)
    deadline = appeal_row(app, number)["reply_due_at"]
    assert len(run(app, REPLY_OVERDUE, deadline + MINUTE).fired) == 1
    ok(as_user(LEAD), number, "extension", days=5, reason="需等待现场勘查")
    ok(as_user("reviewer"), number, "extension-review", decision="approve", note="同意")
    extended = appeal_row(app, number)["reply_due_at"]
    assert extended > deadline
    assert due(app, number, REPLY_OVERDUE) == [extended]
    assert run(app, REPLY_OVERDUE, extended - MINUTE).fired == []
    assert len(run(app, REPLY_OVERDUE, extended + MINUTE).fired) == 1
    assert sent(app, number, "reply_overdue") == 2


def test_the_urgent_ladder_climbed_is_not_climbed_again_after_a_return_refused(app, as_user):
    number = new_appeal(as_user, urgency="紧急")
    ladder = due(app, number, ESCALATE)
    late = ladder[-1] + MINUTE
    assert len(run(app, ESCALATE, late).fired) == len(ladder) == 3
    level = appeal_row(app, number)["supervision_level"]
    return_refused(as_user, number)
    assert appeal_row(app, number)["status"] == "dispatched"
    assert due(app, number, ESCALATE) == []  # the same deadline: each level was reached once
    assert run(app, ESCALATE, late + timedelta(hours=1)).fired == []
    assert sent(app, number, "escalation") == 3
    assert appeal_row(app, number)["supervision_level"] == level
