"""Work lists: which appeals each holds, who may read which, unit scoping, and their query cost."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal
from service.auth.models import User
from service.db import utcnow
from service.handling.models import ExtensionRequest
from tests.service.factories import (
    assert_envelope,
    county_rule,
    register,
    stored,
    territorial_rule,
    unit_code,
    villages,
)
from tests.service.handling_steps import garbage_in_meilin

CGJ = "区城管局"
CENTRE_QUEUES = [
    "to_dispatch",
    "returns",
    "extensions",
    "replies_to_review",
    "overdue",
    "due_soon",
    "possible_duplicates",
]
_phones = itertools.count(13000000000)
# Different matters, so that appeals of one village are not flagged as duplicates of each other.
MATTERS = itertools.cycle(
    [
        "路灯不亮，晚上出行不便",
        "下水道堵塞，污水漫到路面",
        "工地夜间施工，噪音扰民",
        "小区垃圾多日无人清运",
        "店铺占道经营，行人难走",
        "广告牌松动，大风天危险",
        "人行道地砖破损，老人绊倒",
        "绿化带杂草丛生无人修剪",
        "公厕无人打扫，气味难闻",
        "流浪狗聚集，孩子上学害怕",
        "违规停车堵住消防通道",
        "烧烤油烟直排居民楼",
        "井盖缺失，雨天有人掉落",
        "共享单车乱停乱放",
    ]
)


def intake(api, *, unit=None, meilin=False, phone=None, **more):
    """An appeal from a caller of its own: waiting for dispatch, or routed to 区城管局 / 梅林镇."""
    if unit:
        more.update(category=county_rule(unit_code(unit)).category, area=villages("梅林镇")[0])
    if meilin:
        more.update(category=territorial_rule().category, area=villages("梅林镇")[1])
    title = more.pop("title", next(MATTERS))
    contact = {"phone": phone or str(next(_phones))}
    return register(api, title=title, content=f"市民反映：{title}。", contact=contact, **more)["number"]


def arrange(app, number, **values):
    """Set stored fields of an appeal directly (statuses and clocks the other actions would set)."""
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        for key, value in values.items():
            setattr(appeal, key, value)
        s.commit()


def pending_extension(app, number):
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        staff = s.scalar(sa.select(User).where(User.username == "cgj"))
        s.add(
            ExtensionRequest(
                appeal_id=appeal.id,
                unit_code=appeal.lead_unit_code,
                days=5,
                reason="需协调多部门",
                old_due_at=appeal.reply_due_at,
                requested_by_id=staff.id,
            )
        )
        s.commit()


def numbers(api, name, **args):
    r = api.get(f"/api/v1/queues/{name}", query_string=args)
    assert r.status_code == 200, r.json
    return [a["number"] for a in r.json["items"]]


def sizes(api):
    r = api.get("/api/v1/queues")
    assert r.status_code == 200, r.json
    return {q["name"]: q["count"] for q in r.json["queues"]}


@pytest.fixture
def world(app, as_user):
    """One appeal for each list, and some for none, all but two with 区城管局."""
    op = as_user("operator")
    now = utcnow()
    w = {
        "waiting": intake(op),
        "returned": intake(op, unit=CGJ),
        "extension": intake(op, unit=CGJ),
        "in_review": intake(op, unit=CGJ),
        "overdue": intake(op, unit=CGJ),
        "unsigned": intake(op, unit=CGJ),
        "due_soon": intake(op, unit=CGJ),
        "quiet": intake(op, unit=CGJ),  # handling, plenty of time
        "replied_late": intake(op, unit=CGJ),  # the reply was released: no clock
        "closed": intake(op, unit=CGJ),
        "meilin_overdue": intake(op, meilin=True),
    }
    w["repeat"] = intake(op, phone="13999990000")
    w["repeat_again"] = intake(op, phone="13999990000", title="同一来电人再次来电")
    past, signed = now - timedelta(hours=2), now - timedelta(days=3)
    arrange(app, w["returned"], status="return_requested", signed_at=signed)
    arrange(app, w["extension"], status="handling", signed_at=signed)
    pending_extension(app, w["extension"])
    arrange(app, w["in_review"], status="reply_review", signed_at=signed)
    arrange(app, w["overdue"], status="handling", signed_at=signed, reply_due_at=past)
    arrange(app, w["unsigned"], sign_due_at=past)  # still dispatched, never signed
    arrange(
        app,
        w["due_soon"],
        status="handling",
        signed_at=signed,
        dispatched_at=now - timedelta(days=9),
        reply_started_at=now - timedelta(days=9),
        reply_due_at=now + timedelta(days=1),
    )
    arrange(app, w["quiet"], status="handling", signed_at=signed)
    arrange(app, w["replied_late"], status="replied", signed_at=signed, reply_due_at=past, sign_due_at=past)
    arrange(app, w["closed"], status="closed", signed_at=signed, reply_due_at=past)
    arrange(app, w["meilin_overdue"], status="handling", signed_at=signed, reply_due_at=past)
    return w


def test_every_centre_list_holds_its_appeals(world, as_user):
    disp = as_user("dispatcher")
    expected = {
        "to_dispatch": [world["waiting"], world["repeat"], world["repeat_again"]],
        "returns": [world["returned"]],
        "extensions": [world["extension"]],
        "replies_to_review": [world["in_review"]],
        # Most overdue first: the reply deadlines two hours ago, then the never-signed appeal.
        "overdue": sorted([world["overdue"], world["meilin_overdue"]]) + [world["unsigned"]],
        "due_soon": [world["due_soon"]],
        "possible_duplicates": [world["repeat_again"]],
    }
    for name, members in expected.items():
        found = numbers(disp, name)
        if name == "overdue":
            assert sorted(found[:2]) == members[:2] and found[2:] == members[2:], name
        else:
            assert found == members, name
    assert sizes(disp) == {name: len(members) for name, members in expected.items()}


def test_a_list_page_carries_the_total_and_masked_contacts(world, as_user):
    r = as_user("dispatcher").get("/api/v1/queues/to_dispatch", query_string={"page": 2, "per_page": 2})
    assert r.status_code == 200
    body = r.json
    assert (body["name"], body["label"], body["total"], body["page"], body["per_page"]) == (
        "to_dispatch",
        "待分拨",
        3,
        2,
        2,
    )
    assert [a["number"] for a in body["items"]] == [world["repeat_again"]]
    assert body["items"][0]["contact"]["masked"] is True
    assert body["items"][0]["contact"]["phone"] == "139****0000"
    assert body["items"][0]["caller_history"] == 1


def test_operators_see_the_dispatch_queue_and_the_duplicates(world, as_user):
    op = as_user("operator")
    assert sizes(op) == {"to_dispatch": 3, "possible_duplicates": 1}
    for name in ("returns", "extensions", "replies_to_review", "overdue", "due_soon", "to_sign", "my_unit"):
        assert_envelope(op.get(f"/api/v1/queues/{name}"), 403, "forbidden")


@pytest.mark.parametrize("role", ["dispatcher", "reviewer", "leader", "admin"])
def test_centre_roles_see_the_centre_lists_but_no_unit_list(world, as_user, role):
    api = as_user(role)
    assert list(sizes(api)) == CENTRE_QUEUES
    assert_envelope(api.get("/api/v1/queues/my_unit"), 403, "forbidden")


def test_unit_staff_see_their_own_unit_only(world, as_user):
    cgj = as_user("cgj")
    assert sizes(cgj) == {"overdue": 2, "due_soon": 1, "to_sign": 1, "my_unit": 8}
    mine = numbers(cgj, "my_unit")
    assert set(mine) == {
        world[k]
        for k in (
            "returned",
            "extension",
            "in_review",
            "overdue",
            "unsigned",
            "due_soon",
            "quiet",
            "replied_late",
        )
    }
    assert mine[0] == world["overdue"]  # by reply deadline, the most pressing first
    assert numbers(cgj, "overdue") == [world["overdue"], world["unsigned"]]
    assert numbers(cgj, "due_soon") == [world["due_soon"]]
    assert numbers(cgj, "to_sign") == [world["unsigned"]]  # the only one still dispatched, unsigned

    meilin = as_user("meilin")
    assert sizes(meilin) == {"overdue": 1, "due_soon": 0, "to_sign": 0, "my_unit": 1}
    assert numbers(meilin, "overdue") == numbers(meilin, "my_unit") == [world["meilin_overdue"]]

    for name in ("to_dispatch", "returns", "extensions", "replies_to_review", "possible_duplicates"):
        assert_envelope(cgj.get(f"/api/v1/queues/{name}"), 403, "forbidden")


def test_to_sign_holds_what_the_unit_has_not_signed_for_as_lead_or_as_co_unit(as_user):
    """The garbage in 梅林镇 itself: 区城管局 leads, 梅林镇 co-handles; each signs for its own part."""
    alone = intake(as_user("operator"), unit=CGJ)  # 区城管局 alone
    shared = intake(as_user("operator"), **garbage_in_meilin())
    cgj, meilin = as_user("cgj"), as_user("meilin")
    assert set(numbers(cgj, "to_sign")) == {alone, shared}
    assert shared in numbers(meilin, "my_unit") and numbers(meilin, "to_sign") == [shared]

    assert cgj.post(f"/api/v1/appeals/{shared}/sign", json={}).status_code == 200
    assert numbers(cgj, "to_sign") == [alone]
    assert numbers(meilin, "to_sign") == [shared]  # the lead's signing is not the co-unit's

    assert meilin.post(f"/api/v1/appeals/{shared}/sign", json={}).status_code == 200  # 协办单位签收
    assert numbers(meilin, "to_sign") == [] and sizes(meilin)["to_sign"] == 0
    assert numbers(cgj, "to_sign") == [alone]


def test_a_unit_loses_an_appeal_re_dispatched_elsewhere(world, as_user):
    disp = as_user("dispatcher")
    r = disp.post(
        f"/api/v1/appeals/{world['quiet']}/dispatch",
        json={"reason": "属梅林镇", "unit": unit_code("梅林镇人民政府")},
    )
    assert r.status_code == 200, r.json
    assert world["quiet"] not in numbers(as_user("cgj"), "my_unit")
    assert world["quiet"] in numbers(as_user("meilin"), "my_unit")


def test_unknown_list_is_404(as_user):
    assert_envelope(as_user("dispatcher").get("/api/v1/queues/everything"), 404, "not_found")
    assert_envelope(as_user("cgj").get("/api/v1/queues/everything"), 404, "not_found")


def test_lists_need_a_login_and_sane_paging(client, as_user):
    assert_envelope(client.get("/api/v1/queues"), 401, "unauthorized")
    assert_envelope(client.get("/api/v1/queues/to_dispatch"), 401, "unauthorized")
    r = as_user("dispatcher").get("/api/v1/queues/to_dispatch", query_string={"per_page": 101, "page": 0})
    assert set(assert_envelope(r, 422, "validation_error")["errors"]) == {"per_page", "page"}


# ---- a list costs a fixed number of queries -----------------------------------------------------------


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["minyi.engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_units_overdue_appeals_are_one_query_on_the_stored_deadlines(app, as_user):
    op = as_user("operator")
    past = utcnow() - timedelta(hours=1)
    for _ in range(12):
        number = intake(op, unit=CGJ)
        arrange(app, number, status="handling", signed_at=past, reply_due_at=past)
    cgj = as_user("cgj")
    numbers(cgj, "overdue", per_page=1)  # warm up: the token's first use is recorded

    with counting_queries(app) as one:
        assert len(numbers(cgj, "overdue", per_page=1)) == 1
    with counting_queries(app) as twelve:
        assert len(numbers(cgj, "overdue", per_page=12)) == 12

    assert len(twelve) == len(one), "\n".join(twelve)
    on_appeals = [
        q for q in twelve if q.startswith("SELECT") and " FROM appeals " in q.split(" WHERE ")[0] + " "
    ]
    # One statement counts the list, one reads the page; both filter on the stored due times.
    assert len(on_appeals) == 2, "\n".join(on_appeals)
    assert all("reply_due_at <" in q and "sign_due_at <" in q for q in on_appeals)
    assert all("appeal_assignments.unit_code" in q for q in on_appeals)
    assert len(twelve) <= 8, "\n".join(twelve)


def test_the_counts_of_all_lists_are_one_query(app, world, as_user):
    disp = as_user("dispatcher")
    sizes(disp)
    with counting_queries(app) as statements:
        sizes(disp)
    assert len([q for q in statements if "count(" in q.lower()]) == 1, "\n".join(statements)
