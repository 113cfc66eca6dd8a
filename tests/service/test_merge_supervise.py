"""并案 (merge into a master appeal) and 督办 / 催办 (supervision)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal
from service.handling.merging import notify_merged_citizens
from service.notices.models import OutboxMessage
from service.notices.operations import addresses
from tests.service.closing_arrange import (
    CGJ,
    SATISFIED,
    appeal_row,
    events,
    logged,
    look_up,
    notices,
    ok,
    rate,
    replied,
    reply_and_release,
    supervisions,
)
from tests.service.factories import assert_envelope, stored


def _merge(api: Any, number: str, master: str, **extra: Any) -> Any:
    return api.post(
        f"/api/v1/appeals/{number}/merge", json={"master": master, "reason": "同一地点同一问题", **extra}
    )


# ---- 并案 -------------------------------------------------------------------------------------


def test_a_merged_appeal_leaves_the_units_work_and_follows_its_master(app, client, as_user):
    master = logged(as_user)
    dup = logged(as_user)

    view = ok(_merge(as_user("dispatcher"), dup["number"], master["number"]))

    assert view["status"] == "merged"
    assert all(not a["active"] and a["ended_reason"].startswith("并案") for a in view["assignments"])
    row = appeal_row(app, dup["number"])
    assert row["master_id"] == appeal_row(app, master["number"])["id"]
    assert events(app, dup["number"])[-1] == ("merged", "dispatcher", "merged")
    assert events(app, master["number"])[-1] == ("merge_received", "dispatcher", "dispatched")
    assert ("citizen", "appeal_merged") in notices(app, dup["number"])
    assert (f"unit:{CGJ}", "appeal_merged") in notices(app, dup["number"])
    # The unit no longer sees it; its list holds the master only.
    assert as_user("cgj").get(f"/api/v1/appeals/{dup['number']}").status_code == 404
    # The citizen reads the master's progress.
    citizen = look_up(client, dup)
    assert citizen["merged_into"] == master["number"]
    assert citizen["status"] == "dispatched" and citizen["handling_unit"] == "区城管局"
    assert citizen["timeline"][-1]["label"] == "已并案办理"
    assert master["number"] in citizen["timeline"][-1]["message"]
    assert citizen["can_evaluate"] is False and citizen["reply"] is None

    reply_and_release(as_user, master["number"])

    assert ("citizen", "reply_released") in notices(app, dup["number"])  # every citizen is told
    citizen = look_up(client, dup)
    assert citizen["status"] == "replied"
    assert citizen["reply"]["text"] == look_up(client, master)["reply"]["text"]
    assert citizen["can_evaluate"] is False  # the master's citizen rates
    assert rate(client, dup, SATISFIED).status_code == 409


def test_every_merged_citizen_is_told_when_the_master_closes(app, client, as_user):
    master = replied(as_user)
    dups = [logged(as_user) for _ in range(2)]
    for dup in dups:
        ok(_merge(as_user("dispatcher"), dup["number"], master["number"]))
    for dup in dups:  # merged after the reply went out: told the reply at once
        assert ("citizen", "reply_released") in notices(app, dup["number"])

    ok(rate(client, master, SATISFIED))

    for dup in dups:
        assert ("citizen", "appeal_closed") in notices(app, dup["number"])
        assert look_up(client, dup)["status_label"] == "已办结"


def test_notify_merged_citizens_queues_once_per_occasion(app, as_user):
    master = logged(as_user)
    dup = logged(as_user)
    ok(_merge(as_user("dispatcher"), dup["number"], master["number"]))

    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == master["number"]))
        first = notify_merged_citizens(s, appeal, "reply_released", "reply-released:1")
        again = notify_merged_citizens(s, appeal, "reply_released", "reply-released:1")
        s.commit()

    assert [m.recipient for m in first] == ["citizen"] and again == []
    assert notices(app, dup["number"]).count(("citizen", "reply_released")) == 1
    assert ("citizen", "reply_released") not in notices(app, master["number"])


def test_a_merged_appeal_cannot_be_acted_on(as_user):
    master = logged(as_user)
    dup = logged(as_user)
    dispatcher = as_user("dispatcher")
    ok(_merge(dispatcher, dup["number"], master["number"]))

    for action, body in (
        ("supervise", {"kind": "press", "note": "请尽快办理"}),
        ("merge", {"master": master["number"], "reason": "再并一次"}),
        ("close", {}),
        ("reopen", {"reason": "复核", "attributable": True}),
    ):
        r = dispatcher.post(f"/api/v1/appeals/{dup['number']}/{action}", json=body)
        assert r.status_code == 409, (action, r.json)
        assert r.json["current"]["status"] == "merged"


def test_merging_into_a_merged_appeal_names_its_master(as_user):
    master = logged(as_user)
    merged = logged(as_user)
    third = logged(as_user)
    dispatcher = as_user("dispatcher")
    ok(_merge(dispatcher, merged["number"], master["number"]))

    r = _merge(dispatcher, third["number"], merged["number"])

    assert r.status_code == 409 and master["number"] in r.json["message"]


def test_merging_a_master_moves_its_merged_appeals_along(app, client, as_user):
    top = logged(as_user)
    middle = logged(as_user)
    leaf = logged(as_user)
    dispatcher = as_user("dispatcher")
    ok(_merge(dispatcher, leaf["number"], middle["number"]))

    ok(_merge(dispatcher, middle["number"], top["number"]))

    assert appeal_row(app, leaf["number"])["master_id"] == appeal_row(app, top["number"])["id"]
    assert look_up(client, leaf)["merged_into"] == top["number"]


@pytest.mark.parametrize("target", ["self", "unknown"])
def test_merge_needs_another_known_master(as_user, target):
    dup = logged(as_user)
    master = dup["number"] if target == "self" else "GX20000101-0001"

    r = _merge(as_user("dispatcher"), dup["number"], master)

    assert "master" in assert_envelope(r, 422, "validation_error")["errors"]


def test_merge_into_a_closed_appeal_is_refused(app, client, as_user):
    master = replied(as_user)
    ok(rate(client, master, SATISFIED))
    dup = logged(as_user)

    r = _merge(as_user("dispatcher"), dup["number"], master["number"])

    assert r.status_code == 409 and r.json["master"]["status"] == "closed"
    current = r.json["current"]  # the appeal being merged, not the master
    assert (current["status"], current["version"]) == (
        "dispatched",
        appeal_row(app, dup["number"])["version"],
    )
    assert appeal_row(app, dup["number"])["status"] == "dispatched"


def test_merge_roles(as_user):
    master = logged(as_user)
    dup = logged(as_user)

    # A unit may not merge, whether the appeal is its own (cgj) or not (rsj).
    for user in ("operator", "reviewer", "leader", "cgj", "rsj"):
        assert_envelope(_merge(as_user(user), dup["number"], master["number"]), 403, "forbidden")
    assert ok(_merge(as_user("admin"), dup["number"], master["number"]))["status"] == "merged"


def test_merge_checks_the_version_seen(app, as_user):
    master = logged(as_user)
    dup = logged(as_user)
    version = appeal_row(app, dup["number"])["version"]

    r = _merge(as_user("dispatcher"), dup["number"], master["number"], version=version - 1)

    assert r.status_code == 409 and r.json["current"]["version"] == version


# ---- 督办 / 催办 ------------------------------------------------------------------------------


def _supervise(api: Any, number: str, kind: str, note: str = "群众多次来电，请加快办理") -> Any:
    return api.post(f"/api/v1/appeals/{number}/supervise", json={"kind": kind, "note": note})


def test_pressing_reminds_the_lead_unit(app, as_user):
    body = logged(as_user)

    view = ok(_supervise(as_user("dispatcher"), body["number"], "press"))

    assert view["status"] == "dispatched"
    assert supervisions(app, body["number"])[0][:2] == ("press", 0)
    assert events(app, body["number"])[-1] == ("pressed", "dispatcher", "dispatched")
    assert (f"unit:{CGJ}", "supervision_pressed") in notices(app, body["number"])
    staff = ok(as_user("dispatcher").get(f"/api/v1/appeals/{body['number']}/events"))
    assert staff[-1]["note"] == "群众多次来电，请加快办理"


def test_raising_climbs_the_units_ladder_up_to_three_levels(app, client, as_user):
    body = logged(as_user)
    leader = as_user("leader")

    for _ in range(3):
        ok(_supervise(leader, body["number"], "raise"))
    r = _supervise(leader, body["number"], "raise")

    assert r.status_code == 409 and "highest level" in r.json["message"]
    assert [s[:2] for s in supervisions(app, body["number"])] == [("raise", 1), ("raise", 2), ("raise", 3)]
    assert appeal_row(app, body["number"])["supervision_level"] == 3
    staff = ok(leader.get(f"/api/v1/appeals/{body['number']}/events"))
    titles = [e["payload"]["level_title"] for e in staff if e["action"] == "supervised"]
    assert titles == ["单位负责人", "中心领导", "区政府办"]  # 区城管局's ladder in the list
    # Each level's people and units are told as well, as when the worker escalates: 局长 at level 1.
    raised = [r for r, template in notices(app, body["number"]) if template == "supervision_raised"]
    assert [r for r in raised if r.startswith("ladder:")] == [f"ladder:{CGJ}:{n}" for n in (1, 2, 3)]
    with stored(app) as s:
        first = s.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == f"ladder:{CGJ}:1"))
        reached = {a.destination for a in addresses(s, first, None)}
        top = s.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == f"ladder:{CGJ}:3"))
        office = {a.destination for a in addresses(s, top, None)}
        zfb = {a.destination for a in addresses(s, OutboxMessage(recipient="unit:GXQ-ZFB"), None)}
    assert "13907971200" in reached  # the 局长 of 区城管局, named in its ladder
    assert office == zfb and zfb  # level 3: the government office's duty contacts
    citizen = look_up(client, body)
    assert [e["label"] for e in citizen["timeline"]].count("已督办") == 3
    assert "群众多次来电" not in str(citizen)


def test_supervise_needs_a_kind_and_a_note(as_user):
    body = logged(as_user)
    url = f"/api/v1/appeals/{body['number']}/supervise"
    dispatcher = as_user("dispatcher")

    assert (
        "note"
        in assert_envelope(dispatcher.post(url, json={"kind": "press"}), 422, "validation_error")["errors"]
    )
    r = dispatcher.post(url, json={"kind": "shout", "note": "快"})
    assert "kind" in assert_envelope(r, 422, "validation_error")["errors"]


def test_supervise_roles_and_states(client, as_user):
    body = logged(as_user)
    pending = ok(
        as_user("operator").post(
            "/api/v1/appeals",
            json={
                "channel": "hotline",
                "appeal_type": "求助",
                "title": "路灯不亮",
                "content": "小区门口路灯坏了好几天。",
            },
        ),
        201,
    )
    done = replied(as_user)

    # A unit may not press another, whether the appeal is its own (cgj) or not (rsj).
    for user in ("operator", "reviewer", "cgj", "rsj"):
        assert_envelope(_supervise(as_user(user), body["number"], "press"), 403, "forbidden")
    r = _supervise(as_user("dispatcher"), pending["number"], "press")
    assert r.status_code == 409 and r.json["current"]["status"] == "pending_dispatch"
    r = _supervise(as_user("dispatcher"), done["number"], "raise")
    assert r.status_code == 409 and r.json["current"]["status"] == "replied"
