"""Likely duplicates and repeat callers at intake; the centre's list and dismissal of the flags."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.appeals.models import Appeal
from service.db import utcnow
from service.handling.duplicates import resolve_candidates
from service.handling.models import DuplicateCandidate
from tests.service.factories import assert_envelope, county_rule, new_address, stored, unit_code, villages
from tests.service.helpers import appeal_payload

GARBAGE = (
    "小区门口垃圾多日无人清运",
    "光明路12号小区门口的垃圾堆了三天没人清运，气味很大，请尽快处理。",
)
GARBAGE_AGAIN = (
    "光明路垃圾没人收",
    "市民来电反映：光明路12号小区大门口垃圾已经堆了好几天，没有人来清运，臭味很大。",
)
STREET_LAMP = (
    "路灯不亮",
    "光明路12号小区附近的路灯已经坏了一个多星期，晚上一片漆黑，出行很危险。",
)


def payload(text=GARBAGE, *, phone, area=None, days_ago=None, **more):
    title, content = text
    if days_ago:
        more["received_at"] = (utcnow() - timedelta(days=days_ago)).isoformat()
    return appeal_payload(
        title=title, content=content, area=area, contact={"name": "张三", "phone": phone}, **more
    )


def appeal(api, text=GARBAGE, *, phone, headers=None, **more):
    """Register an appeal with that text, caller and place (received `days_ago` days ago)."""
    r = api.post("/api/v1/appeals", json=payload(text, phone=phone, **more), headers=headers or {})
    assert r.status_code == 201, r.json
    return r.json


def flags(body):
    return [(d["number"], d["reason"]) for d in body["duplicates"]]


# ---- at intake -------------------------------------------------------------------------------


def test_a_repeat_call_from_the_same_phone_is_flagged_and_counted(as_user):
    op = as_user("operator")
    first = appeal(op, phone="13800001111", area=villages("王母渡镇")[0])
    other_matter = appeal(op, STREET_LAMP, phone="13800001111")

    again = appeal(op, GARBAGE_AGAIN, phone="13800001111", area=villages("王母渡镇")[0])

    assert again["caller_history"] == 2
    assert again["appeal"]["caller_history"] == 2
    assert flags(again) == [(first["number"], "same_phone"), (other_matter["number"], "same_phone")]
    best, other = again["duplicates"]
    assert best["score"] > other["score"] >= 0.5
    assert best["title"] == GARBAGE[0] and best["decision"] == "open" and best["direction"] == "earlier"
    assert best["status"] == "pending_dispatch" and best["status_label"] == "待分拨"


def test_a_new_caller_has_no_history(as_user):
    body = appeal(as_user("operator"), phone="13800002222")
    assert body["caller_history"] == 0 and body["duplicates"] == []


def test_the_history_covers_the_last_year_and_the_flags_the_last_30_days(as_user):
    op = as_user("operator")
    appeal(op, phone="13800003333", days_ago=400)  # not counted
    earlier = appeal(op, phone="13800003333", days_ago=200)  # counted, not flagged
    recent = appeal(op, phone="13800003333", days_ago=29)

    body = appeal(op, GARBAGE_AGAIN, phone="13800003333")

    assert body["caller_history"] == 2
    assert flags(body) == [(recent["number"], "same_phone")]
    assert earlier["number"] not in {d["number"] for d in body["duplicates"]}


def test_similar_text_in_the_same_village_within_a_week(as_user):
    op = as_user("operator")
    village = villages("王母渡镇")[0]
    first = appeal(op, phone="13800004444", area=village, days_ago=6)

    body = appeal(op, GARBAGE_AGAIN, phone="13900004444", area=village)

    assert flags(body) == [(first["number"], "similar_text")]
    assert 0.3 <= body["duplicates"][0]["score"] < 1
    assert body["caller_history"] == 0


def test_a_village_matches_an_earlier_appeal_that_named_only_its_township(as_user):
    op = as_user("operator")
    village = villages("王母渡镇")[0]
    first = appeal(op, phone="13800005555", area=village[:9])
    assert flags(appeal(op, GARBAGE_AGAIN, phone="13900005555", area=village)) == [
        (first["number"], "similar_text")
    ]


def test_a_township_matches_the_earlier_appeals_of_its_villages_not_of_others(as_user):
    op = as_user("operator")
    village = villages("王母渡镇")[0]
    elsewhere = villages("梅林镇")[0]
    first = appeal(op, phone="13800007771", area=village)
    appeal(op, phone="13800007772", area=elsewhere)

    body = appeal(op, GARBAGE_AGAIN, phone="13900007777", area=village[:9])

    assert flags(body) == [(first["number"], "similar_text")]


def test_not_flagged_elsewhere_later_or_about_something_else(as_user):
    op = as_user("operator")
    here, there = villages("王母渡镇")[:2]
    appeal(op, phone="13800006661", area=there)  # another village
    appeal(op, phone="13800006662", area=here, days_ago=8)  # older than a week
    appeal(op, STREET_LAMP, phone="13800006663", area=here)  # another matter

    body = appeal(op, GARBAGE_AGAIN, phone="13900006666", area=here)

    assert body["duplicates"] == []


def test_merged_appeals_are_not_candidates_but_still_count_as_calls(app, as_user):
    op = as_user("operator")
    first = appeal(op, phone="13800007777")
    with stored(app) as s:
        s.scalar(sa.select(Appeal).where(Appeal.number == first["number"])).status = "merged"
        s.commit()
    body = appeal(op, phone="13800007777")
    assert body["duplicates"] == [] and body["caller_history"] == 1


def test_a_retried_intake_shows_the_same_flags(as_user):
    op = as_user("operator")
    first = appeal(op, phone="13800008888")
    headers = {"Idempotency-Key": "dup-retry-1"}
    one = appeal(op, phone="13800008888", headers=headers)
    two = op.post("/api/v1/appeals", json=payload(phone="13800008888"), headers=headers)
    assert two.status_code == 201 and two.headers["Idempotent-Replayed"] == "true"
    assert flags(one) == flags(two.json) == [(first["number"], "same_phone")]


def test_the_citizen_portal_flags_too_but_shows_the_citizen_nothing(app, client, as_user):
    op = as_user("operator")
    first = appeal(op, phone="13800009999")
    r = client.post(
        "/api/v1/public/appeals",
        json={
            "appeal_type": "投诉",
            "title": GARBAGE_AGAIN[0],
            "content": GARBAGE_AGAIN[1],
            "contact": {"name": "李四", "phone": "13800009999"},
        },
        environ_base={"REMOTE_ADDR": new_address()},
    )
    assert r.status_code == 201, r.json
    assert "duplicates" not in r.json and "caller_history" not in r.json
    listed = as_user("dispatcher").get(f"/api/v1/appeals/{r.json['number']}/duplicates").json
    assert [(d["number"], d["reason"]) for d in listed] == [(first["number"], "same_phone")]


# ---- the centre's list and decisions ------------------------------------------------------------


def _pair(as_user):
    op = as_user("operator")
    first = appeal(op, phone="13700001234", area=villages("王母渡镇")[0])
    second = appeal(op, GARBAGE_AGAIN, phone="13700001234", area=villages("王母渡镇")[0])
    return first["number"], second["number"]


def test_both_appeals_list_the_flag(as_user):
    first, second = _pair(as_user)
    disp = as_user("dispatcher")
    [on_second] = disp.get(f"/api/v1/appeals/{second}/duplicates").json
    [on_first] = disp.get(f"/api/v1/appeals/{first}/duplicates").json
    assert (on_second["number"], on_second["direction"]) == (first, "earlier")
    assert (on_first["number"], on_first["direction"]) == (second, "later")
    assert on_first["score"] == on_second["score"]


def test_a_dispatcher_dismisses_a_flag(as_user):
    first, second = _pair(as_user)
    disp = as_user("dispatcher")
    version = disp.get(f"/api/v1/appeals/{second}").json["version"]

    r = disp.post(
        f"/api/v1/appeals/{second}/duplicates/{first}/dismiss", json={"note": "不同诉求", "version": version}
    )

    assert r.status_code == 200, r.json
    assert r.json["number"] == first and r.json["decision"] == "dismissed"
    assert r.json["decided_by"]["username"] == "dispatcher" and r.json["decided_at"]
    [listed] = disp.get(f"/api/v1/appeals/{first}/duplicates").json
    assert listed["decision"] == "dismissed"
    events = disp.get(f"/api/v1/appeals/{second}/events").json
    assert events[-1]["action"] == "duplicate_dismissed"
    assert events[-1]["note"] == "不同诉求" and events[-1]["payload"]["candidate"] == first
    assert events[-1]["from_status"] == events[-1]["to_status"] == "pending_dispatch"
    queue = disp.get("/api/v1/queues/possible_duplicates").json
    assert second not in [a["number"] for a in queue["items"]]


def test_the_citizen_sees_nothing_of_it(client, as_user):
    op = as_user("operator")
    first = appeal(op, phone="13700004321")
    second = appeal(op, GARBAGE_AGAIN, phone="13700004321")
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{second['number']}/duplicates/{first['number']}/dismiss", json={}
    )
    assert r.status_code == 200
    public = client.get(
        f"/api/v1/public/appeals/{second['number']}",
        query_string={"code": second["query_code"]},
        environ_base={"REMOTE_ADDR": new_address()},
    )
    assert public.status_code == 200, public.json
    assert [e["action"] for e in public.json["timeline"]] == ["registered"]
    assert first["number"] not in public.get_data(as_text=True)


def test_the_flag_can_be_dismissed_from_the_earlier_appeal_too(as_user):
    first, second = _pair(as_user)
    r = as_user("admin").post(f"/api/v1/appeals/{first}/duplicates/{second}/dismiss", json={})
    assert r.status_code == 200, r.json
    assert r.json["direction"] == "later" and r.json["decision"] == "dismissed"


def test_a_decided_flag_cannot_be_dismissed_again(as_user):
    first, second = _pair(as_user)
    disp = as_user("dispatcher")
    assert disp.post(f"/api/v1/appeals/{second}/duplicates/{first}/dismiss", json={}).status_code == 200
    r = disp.post(f"/api/v1/appeals/{second}/duplicates/{first}/dismiss", json={})
    assert r.status_code == 409
    assert r.json["error"] == "conflict" and r.json["current"] == {"decision": "dismissed"}
    events = disp.get(f"/api/v1/appeals/{second}/events").json
    assert [e["action"] for e in events].count("duplicate_dismissed") == 1


def test_a_stale_version_is_refused(as_user):
    first, second = _pair(as_user)
    disp = as_user("dispatcher")
    r = disp.post(f"/api/v1/appeals/{second}/duplicates/{first}/dismiss", json={"version": 99})
    assert r.status_code == 409 and r.json["current"]["status"] == "pending_dispatch"
    assert disp.get(f"/api/v1/appeals/{second}/duplicates").json[0]["decision"] == "open"


def test_no_such_flag_is_404(as_user):
    first, second = _pair(as_user)
    stranger = appeal(as_user("operator"), STREET_LAMP, phone="13600000000")["number"]
    disp = as_user("dispatcher")
    assert_envelope(
        disp.post(f"/api/v1/appeals/{second}/duplicates/{stranger}/dismiss", json={}), 404, "not_found"
    )
    assert_envelope(
        disp.post(f"/api/v1/appeals/{second}/duplicates/GX0-0/dismiss", json={}), 404, "not_found"
    )
    assert_envelope(disp.post(f"/api/v1/appeals/GX0-0/duplicates/{first}/dismiss", json={}), 404, "not_found")


def test_a_flag_the_url_names_is_found_before_the_body_is_read(as_user):
    """The other appeal is in the URL: no flag with it is 404 whatever the body says (README "API")."""
    first, second = _pair(as_user)
    stranger = appeal(as_user("operator"), STREET_LAMP, phone="13600000000")["number"]
    disp = as_user("dispatcher")
    for other in (stranger, "GX0-0"):
        url = f"/api/v1/appeals/{second}/duplicates/{other}/dismiss"
        for body in ({"json": {"note": "x" * 501, "version": "v"}}, {"json": {"version": 99}}):
            assert_envelope(disp.post(url, **body), 404, "not_found")
        assert_envelope(disp.post(url, data=b"note=x", content_type="text/plain"), 404, "not_found")
    assert disp.get(f"/api/v1/appeals/{second}/duplicates").json[0]["decision"] == "open"


def test_who_may_read_and_dismiss(as_user):
    # Routed to 区城管局 so that its staff hold the appeal: still 403, duplicates are the centre's.
    rule = county_rule(unit_code("区城管局"))
    op = as_user("operator")
    first = appeal(op, phone="13500001234", category=rule.category, area=villages("梅林镇")[0])["number"]
    second = appeal(op, phone="13500001234", category=rule.category, area=villages("梅林镇")[0])["number"]
    url = f"/api/v1/appeals/{second}/duplicates"
    for user in ("operator", "reviewer", "leader"):
        assert as_user(user).get(url).status_code == 200, user
        assert_envelope(as_user(user).post(f"{url}/{first}/dismiss", json={}), 403, "forbidden")
    assert_envelope(as_user("cgj").get(url), 403, "forbidden")
    assert_envelope(as_user("cgj").post(f"{url}/{first}/dismiss", json={}), 403, "forbidden")
    assert as_user("dispatcher").get(f"{url}").json[0]["decision"] == "open"


def test_bad_dismiss_bodies_are_422(as_user):
    first, second = _pair(as_user)
    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{second}/duplicates/{first}/dismiss", json={"note": "x" * 501, "version": "v"}
    )
    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {"note", "version"}


def test_a_merge_resolves_the_flag_between_the_two(app, as_user):
    first, second = _pair(as_user)
    third = appeal(as_user("operator"), phone="13700001234")["number"]
    with stored(app) as s:
        a, master, other = (
            s.scalar(sa.select(Appeal).where(Appeal.number == n)) for n in (second, first, third)
        )
        assert resolve_candidates(s, a, master, actor=None) == 1
        assert resolve_candidates(s, a, master, actor=None) == 0  # already decided
        s.commit()
    decisions = {
        d["number"]: d["decision"]
        for d in as_user("dispatcher").get(f"/api/v1/appeals/{second}/duplicates").json
    }
    assert decisions == {first: "merged", third: "open"}
    with stored(app) as s:
        rows = s.scalars(sa.select(DuplicateCandidate).where(DuplicateCandidate.status == "merged")).all()
        assert len(rows) == 1 and rows[0].decided_at is not None
