"""Time left and warning levels (预警): yellow under a quarter of the time left, red when overdue,
from the stored due timestamps, the same in the appeal view and in the work lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal
from service.db import utcnow
from service.queues.clocks import clock_fields
from service.queues.queries import due_soon, overdue
from tests.service.factories import county_rule, register, stored, unit_code, villages

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def routed(api, **more):
    """An appeal dispatched to 区城管局 by the list (a caller and a matter of its own)."""
    rule = county_rule(unit_code("区城管局"))
    return register(api, category=rule.category, area=villages("梅林镇")[0], **more)


def arrange(app, number, **values):
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        for key, value in values.items():
            setattr(appeal, key, value)
        s.commit()


def handling(start, due, status="handling"):
    """A transient appeal with a running reply clock."""
    return Appeal(status=status, received_at=start, dispatched_at=start, reply_due_at=due, signed_at=start)


# ---- the rule, with "now" frozen ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "warning", "seconds"),
    [
        (NOW, "none", 10 * 86400),  # just dispatched
        (NOW + 7.5 * DAY, "none", int(2.5 * 86400)),  # exactly a quarter left: not yet
        (NOW + 7.5 * DAY + timedelta(seconds=1), "yellow", int(2.5 * 86400) - 1),
        (NOW + 10 * DAY, "yellow", 0),  # a reply at the deadline itself is on time
        (NOW + 10 * DAY + timedelta(seconds=1), "red", -1),
        (NOW + 12 * DAY, "red", -2 * 86400),
    ],
)
def test_warning_levels_from_the_stored_timestamps(now, warning, seconds):
    fields = clock_fields(handling(NOW, NOW + 10 * DAY), now)
    assert (fields["warning"], fields["time_left_seconds"]) == (warning, seconds)


@pytest.mark.parametrize("status", ["dispatched", "handling", "return_requested", "reply_review"])
def test_the_reply_clock_runs_while_the_reply_is_owed(status):
    assert clock_fields(handling(NOW, NOW + DAY, status), NOW + 2 * DAY)["warning"] == "red"


@pytest.mark.parametrize("status", ["pending_dispatch", "replied", "closed", "merged"])
def test_no_clock_once_answered_or_before_dispatch(status):
    fields = clock_fields(handling(NOW, NOW + DAY, status), NOW + 2 * DAY)
    assert fields == {
        "time_left_seconds": None,
        "warning": "none",
        "sign_time_left_seconds": None,
        "sign_warning": "none",
    }


def test_the_sign_for_clock_runs_until_signed():
    appeal = Appeal(
        status="dispatched",
        received_at=NOW,
        dispatched_at=NOW,
        sign_due_at=NOW + DAY,
        reply_due_at=NOW + 10 * DAY,
    )
    assert clock_fields(appeal, NOW + 0.8 * DAY)["sign_warning"] == "yellow"
    late = clock_fields(appeal, NOW + 2 * DAY)
    assert (late["sign_warning"], late["sign_time_left_seconds"], late["warning"]) == ("red", -86400, "none")
    appeal.status, appeal.signed_at = "handling", NOW + 2 * DAY
    signed = clock_fields(appeal, NOW + 2 * DAY)
    assert (signed["sign_warning"], signed["sign_time_left_seconds"]) == ("none", None)


def stored_appeal(number, start, due):
    appeal = handling(start, due)
    appeal.number, appeal.query_code, appeal.channel, appeal.appeal_type = number, "000000", "hotline", "投诉"
    appeal.title = appeal.content = "测试"
    appeal.urgency = "一般"
    return appeal


def test_the_lists_agree_with_the_view_to_the_second(app):
    """The SQL conditions of `due_soon` and `overdue` are `warning_level`, evaluated on the stored timestamps."""
    total = 10 * DAY
    elapsed = {
        "just dispatched": timedelta(0),
        "half way": total * 0.5,
        "a quarter and a second left": total * 0.75 - timedelta(seconds=1),
        "a second under a quarter left": total * 0.75 + timedelta(seconds=1),
        "a second left": total - timedelta(seconds=1),
        "due now": total,
        "a second late": total + timedelta(seconds=1),
        "long overdue": total * 2,
    }
    appeals = [stored_appeal(name, NOW - e, NOW - e + total) for name, e in elapsed.items()]
    appeals.append(stored_appeal("due before dispatch", NOW + DAY, NOW + timedelta(hours=1)))
    with stored(app) as s:
        s.add_all(appeals)
        s.flush()
        yellow = set(s.scalars(sa.select(Appeal.number).where(due_soon(NOW))))
        red = set(s.scalars(sa.select(Appeal.number).where(overdue(NOW))))
        by_view = {a.number: clock_fields(a, NOW)["warning"] for a in appeals}
        s.rollback()
    assert by_view == {
        "just dispatched": "none",
        "half way": "none",
        "a quarter and a second left": "none",
        "a second under a quarter left": "yellow",
        "a second left": "yellow",
        "due now": "yellow",
        "a second late": "red",
        "long overdue": "red",
        "due before dispatch": "yellow",  # warning_level: no proper window, warn
    }
    assert yellow == {n for n, w in by_view.items() if w == "yellow"}
    assert red == {n for n, w in by_view.items() if w == "red"}


# ---- through the API -------------------------------------------------------------------------------


def test_a_fresh_appeal_shows_its_time_left(as_user):
    body = routed(as_user("operator"))
    view = body["appeal"]
    assert view["status"] == "dispatched"
    assert view["warning"] == view["sign_warning"] == "none"
    due = datetime.fromisoformat(view["reply_due_at"])
    assert abs(view["time_left_seconds"] - (due - utcnow()).total_seconds()) < 60
    assert 0 < view["sign_time_left_seconds"] < view["time_left_seconds"]


def test_staff_see_yellow_and_red(app, as_user):
    op, now = as_user("operator"), utcnow()
    soon, late, calm = (routed(op, title=t)["number"] for t in ("路灯不亮", "下水道堵塞", "占道经营"))
    arrange(
        app,
        soon,
        status="handling",
        signed_at=now,
        dispatched_at=now - 9 * DAY,
        reply_started_at=now - 9 * DAY,
        reply_due_at=now + DAY,
    )
    arrange(
        app,
        late,
        status="handling",
        signed_at=now,
        dispatched_at=now - 9 * DAY,
        reply_started_at=now - 9 * DAY,
        reply_due_at=now - DAY,
    )
    arrange(
        app,
        calm,
        status="handling",
        signed_at=now,
        dispatched_at=now,
        reply_started_at=now,
        reply_due_at=now + 9 * DAY,
    )
    for user in ("dispatcher", "cgj"):
        api = as_user(user)
        views = {n: api.get(f"/api/v1/appeals/{n}").json for n in (soon, late, calm)}
        assert {n: v["warning"] for n, v in views.items()} == {soon: "yellow", late: "red", calm: "none"}
        assert 0 < views[soon]["time_left_seconds"] <= 86400
        assert -86400 - 60 < views[late]["time_left_seconds"] < -86400 + 60
    items = as_user("cgj").get("/api/v1/queues/due_soon").json["items"]
    assert [(a["number"], a["warning"]) for a in items] == [(soon, "yellow")]
    items = as_user("dispatcher").get("/api/v1/queues/overdue").json["items"]
    assert [(a["number"], a["warning"]) for a in items] == [(late, "red")]


def test_an_unsigned_appeal_past_its_sign_for_deadline(app, as_user):
    number = routed(as_user("operator"))["number"]
    arrange(app, number, sign_due_at=utcnow() - timedelta(minutes=5))
    view = as_user("cgj").get(f"/api/v1/appeals/{number}").json
    assert (view["sign_warning"], view["warning"]) == ("red", "none")
    assert view["sign_time_left_seconds"] < 0
    assert [a["number"] for a in as_user("cgj").get("/api/v1/queues/overdue").json["items"]] == [number]


def test_closed_appeals_show_no_clock(app, as_user):
    number = routed(as_user("operator"))["number"]
    arrange(app, number, status="closed", reply_due_at=utcnow() - DAY)
    view = as_user("dispatcher").get(f"/api/v1/appeals/{number}").json
    assert (view["time_left_seconds"], view["warning"], view["sign_warning"]) == (None, "none", "none")
