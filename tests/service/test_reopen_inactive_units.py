"""A reopen (重办) sends nothing to the units a newer responsibility list deactivated (停用)
since the dispatch.

A co-unit no longer active: its part ends with the reason on record, the event names it, no SMS.
A lead unit no longer active: the appeal goes back to the centre's dispatch queue (待分拨), the
reopen still counted, for a dispatcher to give it to the unit that took the work over."""

from __future__ import annotations

from typing import Any

from dispatch.escalation import CO_SIGN_OVERDUE
from tests.service.closing_arrange import appeal_row, notices
from tests.service.escalation.steps import alarms
from tests.service.factories import a_newer_list_drops, unit_code
from tests.service.handling_steps import LEAD, act, events, ok
from tests.service.test_queues import numbers
from tests.service.test_reopen_co_units import first_round, reopen

CGJ, MEILIN, RSJ = unit_code("区城管局"), unit_code("梅林镇人民政府"), unit_code("区人社局")


def rated_unsatisfied(as_user: Any, client: Any) -> str:
    """An appeal of 区城管局 (lead) and 梅林镇 (co), both signed for, answered and rated unsatisfied."""
    return first_round(as_user, client, co_signs=True)["number"]


def parts(view: dict[str, Any]) -> list[tuple[str, str, bool, str]]:
    return [(a["unit"]["code"], a["role"], a["active"], a["ended_reason"]) for a in view["assignments"]]


def test_a_reopen_ends_the_part_of_a_co_unit_no_longer_active_and_does_not_tell_it(app, as_user, client):
    number = rated_unsatisfied(as_user, client)
    a_newer_list_drops(app, MEILIN)

    view = reopen(as_user, number)

    assert view["status"] == "dispatched" and view["reopen_count"] == 1
    assert view["lead_unit"]["code"] == CGJ
    assert (MEILIN, "co", False, "重办：协办单位已停用，不再协办") in parts(view)
    assert (CGJ, "lead", True, "") in parts(view)
    told = sorted(r for r, template in notices(app, number) if template == "appeal_reopened")
    assert told == ["citizen", f"unit:{CGJ}"]  # not 梅林镇
    (event,) = [e for e in events(as_user, number) if e["action"] == "reopened"]
    assert event["payload"]["co_units"] == [] and event["payload"]["dropped_co_units"] == [MEILIN]
    english = next(e for e in events(as_user, number, language="en") if e["action"] == "reopened")
    assert english["payload"]["dropped_co_units"] == [MEILIN]
    # Nothing left for it to do: no part to sign for, no reminder planned; the lead signs anew.
    assert act(as_user("meilin"), number, "sign").status_code == 404
    assert CO_SIGN_OVERDUE not in [kind for kind, _level, _due in alarms(app, number)]
    assert number in numbers(as_user(LEAD), "to_sign")


def test_a_reopen_whose_lead_unit_is_no_longer_active_goes_back_to_the_dispatch_queue(app, as_user, client):
    number = rated_unsatisfied(as_user, client)
    a_newer_list_drops(app, CGJ)

    view = reopen(as_user, number)

    assert view["status"] == "pending_dispatch" and view["reopen_count"] == 1  # still counted
    assert view["lead_unit"] is None and view["sign_due_at"] is None and view["reply_due_at"] is None
    assert view["dispatch_note"] == "重办：承办单位区城管局已停用，待重新分拨"
    assert sorted(parts(view)) == sorted(
        [
            (CGJ, "lead", False, "重办：承办单位已停用，待重新分拨"),
            (MEILIN, "co", False, "重办：承办单位已停用，待重新分拨"),
        ]
    )
    told = [r for r, template in notices(app, number) if template == "appeal_reopened"]
    assert told == ["citizen"]  # no unit is sent the appeal
    (event,) = [e for e in events(as_user, number) if e["action"] == "reopened"]
    assert event["to_status"] == "pending_dispatch"
    assert event["payload"]["inactive_lead"] == event["payload"]["unit"] == CGJ  # counted against it
    english = next(e for e in events(as_user, number, language="en") if e["action"] == "reopened")
    assert english["payload"]["inactive_lead"] == CGJ
    assert event["public_message"] == "您的诉求已重新受理，正在重新确定承办单位。"  # no unit has it yet
    disp = as_user("dispatcher")
    assert number in numbers(disp, "to_dispatch")
    assert number not in numbers(as_user(LEAD), "to_sign")
    assert [kind for kind, _level, _due in alarms(app, number)] == []  # no unit's clock runs
    assert appeal_row(app, number)["lead_unit_code"] is None

    # The dispatcher gives it to the unit that took the work over; it signs for the new round.
    again = ok(disp, number, "dispatch", reason="城管职能划入人社局（示例）", unit=RSJ)
    assert again["status"] == "dispatched" and again["reopen_count"] == 1
    assert ok(as_user("rsj"), number, "sign")["status"] == "handling"
