"""Personal data (个人信息保护法): who sees the citizen's contact, how much of it, and the access log."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal, PersonalDataAccess
from service.auth.models import User
from tests.service.factories import county_rule, register, stored, unit_code, villages

CITIZEN = {
    "name": "张三丰",
    "phone": "13800001234",
    "id_number": "11010519491231002X",
    "email": "zsf@example.com",
}
CENTRE = ["operator", "dispatcher", "reviewer", "admin"]


@pytest.fixture
def rsj_appeal(as_user):
    """A function registering an appeal dispatched to 区人社局, with the citizen's full contact."""

    def make(**overrides):
        rule = county_rule(unit_code("区人社局"))
        fields = {
            "category": rule.category,
            "area": villages("王母渡镇")[0],
            "contact": CITIZEN,
            "channel_meta": {"call_id": "CALL-77", "caller_number": CITIZEN["phone"]},
            **overrides,
        }
        return register(as_user("operator"), **fields)["number"]

    return make


def access_log(app, number):
    with stored(app) as s:
        return s.execute(
            sa.select(User.username, PersonalDataAccess.action, PersonalDataAccess.reason)
            .join(User, User.id == PersonalDataAccess.user_id)
            .join(Appeal, Appeal.id == PersonalDataAccess.appeal_id)
            .where(Appeal.number == number)
            .order_by(PersonalDataAccess.id)
        ).all()


@pytest.mark.parametrize("username", CENTRE)
def test_centre_roles_see_the_contact_and_every_view_is_logged(app, as_user, rsj_appeal, username):
    number = rsj_appeal()
    api = as_user(username)

    first = api.get(f"/api/v1/appeals/{number}", query_string={"reason": "回访核实"})
    api.get(f"/api/v1/appeals/{number}", query_string={"reason": "电话催办"})

    assert first.json["contact"] == {**CITIZEN, "masked": False}
    assert access_log(app, number) == [(username, "view", "回访核实"), (username, "view", "电话催办")]


def test_a_view_without_a_reason_is_still_logged(app, as_user, rsj_appeal):
    number = rsj_appeal()

    as_user("operator").get(f"/api/v1/appeals/{number}")

    [(who, action, reason)] = access_log(app, number)
    assert (who, action) == ("operator", "view")
    assert reason


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_units_and_leaders_see_a_masked_phone_and_the_surname_only(app, as_user, rsj_appeal, username):
    number = rsj_appeal()

    r = as_user(username).get(f"/api/v1/appeals/{number}")

    assert r.json["contact"] == {
        "name": "张**",
        "phone": "138****1234",
        "id_number": None,
        "email": None,
        "masked": True,
    }
    text = r.get_data(as_text=True)
    for secret in CITIZEN.values():
        assert secret not in text
    assert access_log(app, number) == []


def test_a_landline_is_masked_too(as_user, rsj_appeal):
    number = rsj_appeal(contact={"name": "李四", "phone": "0797-4412345"})

    r = as_user("rsj").get(f"/api/v1/appeals/{number}")

    assert "4412345" not in r.get_data(as_text=True)
    assert "****" in r.json["contact"]["phone"]


def test_unit_staff_get_neither_the_query_code_nor_the_channel_metadata(as_user, rsj_appeal):
    number = rsj_appeal()

    record = as_user("rsj").get(f"/api/v1/appeals/{number}").json
    listed = as_user("rsj").get("/api/v1/appeals").json["items"][0]

    for view in (record, listed):
        assert "query_code" not in view
        assert view["channel_meta"] == {}


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_a_confidential_appeal_hides_the_citizen_entirely(as_user, rsj_appeal, username):
    number = rsj_appeal(confidential=True, appeal_type="举报")
    api = as_user(username)

    item = api.get(f"/api/v1/appeals/{number}")
    page = api.get("/api/v1/appeals", query_string={"q": number})

    assert item.json["contact"] is None
    assert page.json["items"][0]["contact"] is None
    for text in (item.get_data(as_text=True), page.get_data(as_text=True)):
        for trace in (*CITIZEN.values(), "张**", "138****1234"):
            assert trace not in text


def test_the_centre_still_sees_a_confidential_citizen(as_user, rsj_appeal):
    number = rsj_appeal(confidential=True)

    assert as_user("dispatcher").get(f"/api/v1/appeals/{number}").json["contact"]["phone"] == CITIZEN["phone"]


@pytest.mark.parametrize("username", ["operator", "admin", "rsj"])
def test_the_list_always_masks_and_logs_nothing(app, as_user, rsj_appeal, username):
    number = rsj_appeal()

    r = as_user(username).get("/api/v1/appeals")

    (item,) = [i for i in r.json["items"] if i["number"] == number]
    assert item["contact"]["masked"] is True
    assert item["contact"]["phone"] == "138****1234"
    assert CITIZEN["phone"] not in json.dumps(item["contact"])
    assert CITIZEN["id_number"] not in r.get_data(as_text=True)
    assert access_log(app, number) == []


def test_the_intake_answer_does_not_echo_the_contact_unmasked(as_user):
    r = as_user("operator").post(
        "/api/v1/appeals",
        json={
            "channel": "hotline",
            "appeal_type": "咨询",
            "title": "社保卡补办",
            "content": "社保卡丢了怎么补办？",
            "contact": CITIZEN,
        },
    )

    assert r.json["appeal"]["contact"]["masked"] is True
    assert CITIZEN["id_number"] not in r.get_data(as_text=True)


WRITTEN = "我是张三丰，电话13800001234，身份证11010519491231002X。楼下餐馆油烟太大。"


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_personal_data_written_into_the_content_is_masked_like_the_contact(as_user, rsj_appeal, username):
    number = rsj_appeal(title="张三丰反映餐馆油烟", content=WRITTEN)

    item = as_user(username).get(f"/api/v1/appeals/{number}").json
    listed = as_user(username).get("/api/v1/appeals", query_string={"q": number}).json["items"][0]

    for view in (item, listed):
        assert view["title"] == "张**反映餐馆油烟"
        assert view["content"] == "我是张**，电话138****1234，身份证1****************X。楼下餐馆油烟太大。"


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_a_confidential_appeals_own_words_do_not_name_its_reporter(as_user, rsj_appeal, username):
    number = rsj_appeal(confidential=True, appeal_type="举报", content=WRITTEN)

    r = as_user(username).get(f"/api/v1/appeals/{number}")

    assert r.json["content"] == "我是***，电话***，身份证***。楼下餐馆油烟太大。"
    for trace in ("张**", "138****1234", "张三丰"):
        assert trace not in r.get_data(as_text=True)


def test_the_centre_reads_the_content_as_written_when_it_shows_the_contact(app, as_user, rsj_appeal):
    number = rsj_appeal(confidential=True, content=WRITTEN)
    api = as_user("dispatcher")

    shown = api.get(f"/api/v1/appeals/{number}", query_string={"reason": "核实举报人身份"}).json
    listed = api.get("/api/v1/appeals", query_string={"q": number}).json["items"][0]

    assert shown["content"] == WRITTEN
    assert "138****1234" in listed["content"] and "张**" in listed["content"]  # lists never unmask
    assert access_log(app, number) == [("dispatcher", "view", "核实举报人身份")]


def test_a_rating_comment_on_the_timeline_is_masked_like_the_content(client, as_user):
    from tests.service.closing_arrange import SATISFIED, ok, rate, replied

    body = replied(as_user, contact={"name": "张三丰", "phone": "13800001234"})
    ok(rate(client, body, {**SATISFIED, "comment": "张三丰：有事打13800001234"}))

    for username in ("cgj", "leader", "dispatcher"):
        events = as_user(username).get(f"/api/v1/appeals/{body['number']}/events").json
        (rated,) = [e for e in events if e["action"] == "evaluated"]
        assert rated["note"] == "张**：有事打138****1234", username


def test_units_and_leaders_do_not_learn_from_the_timeline_what_contact_a_confidential_citizen_gave(
    as_user, rsj_appeal
):
    number = rsj_appeal(confidential=True)

    def registered(username):
        events = as_user(username).get(f"/api/v1/appeals/{number}/events").json
        return next(e for e in events if e["action"] == "registered")["payload"]

    assert "receipt" in registered("dispatcher")  # the centre: where the receipt went, or why not
    for username in ("rsj", "leader"):
        payload = registered(username)
        assert "receipt" not in payload and payload["channel"] == "hotline", username


def test_a_leader_reads_duplicate_candidates_titles_masked(as_user):
    from tests.service.handling_steps import new_appeal

    first = new_appeal(as_user, title="张三13800001234反映垃圾", confidential=True)
    second = new_appeal(as_user)  # the same phone: flagged as a likely duplicate of the first

    flags = as_user("leader").get(f"/api/v1/appeals/{second}/duplicates").json
    centre = as_user("dispatcher").get(f"/api/v1/appeals/{second}/duplicates").json

    assert [(f["number"], f["title"]) for f in flags] == [(first, "******反映垃圾")]
    assert [f["title"] for f in centre] == ["张*138****1234反映垃圾"]


def _found(api, q):
    return [item["number"] for item in api.get("/api/v1/appeals", query_string={"q": q}).json["items"]]


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_units_and_leaders_cannot_find_an_appeal_by_personal_data_they_cannot_see(
    as_user, rsj_appeal, username
):
    number = rsj_appeal(title="张三丰反映餐馆油烟", content=WRITTEN)
    api = as_user(username)

    for hidden in ("13800001234", "张三丰", "11010519491231002X", "三丰"):
        assert number not in _found(api, hidden), hidden
    for shown in ("138****1234", "张**反映", "楼下餐馆油烟", number):
        assert number in _found(api, shown), shown
    assert number in _found(as_user("dispatcher"), "13800001234")  # the centre calls citizens back
    assert number in _found(as_user("dispatcher"), "138****1234")  # as pasted from the centre's list


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_nothing_of_a_confidential_reporter_finds_the_appeal_for_units(as_user, rsj_appeal, username):
    number = rsj_appeal(confidential=True, appeal_type="举报", content=WRITTEN)
    api = as_user(username)

    for trace in ("13800001234", "138****1234", "张三丰", "张**"):
        assert number not in _found(api, trace), trace
    assert number in _found(api, "楼下餐馆油烟")
