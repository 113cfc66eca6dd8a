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


def test_the_lead_unit_shows_the_contact_with_a_reason_logged_as_the_centre_s_views(app, as_user):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user, contact=CITIZEN, content=WRITTEN)
    api = as_user("cgj")

    masked = api.get(f"/api/v1/appeals/{number}").json
    shown = api.get(f"/api/v1/appeals/{number}", query_string={"reason": "电话联系群众"}).json

    assert masked["contact"]["masked"] is True and masked["contact"]["phone"] == "138****1234"
    assert shown["contact"] == {**CITIZEN, "id_number": None, "masked": False}  # to reach, not to identify
    # As the centre reads it when it shows the contact, but for the ID number, as in the contact.
    assert shown["content"] == WRITTEN.replace(CITIZEN["id_number"], "1****************X")
    assert CITIZEN["id_number"] not in json.dumps(shown, ensure_ascii=False)
    assert "query_code" not in shown and shown["channel_meta"] == {}
    assert access_log(app, number) == [("cgj", "view", "电话联系群众")]
    audit = as_user("admin").get("/api/v1/admin/personal-data-access", query_string={"appeal": number}).json
    assert [(r["user"]["username"], r["user"]["unit_code"], r["reason"]) for r in audit["items"]] == [
        ("cgj", unit_code("区城管局"), "电话联系群众")
    ]


@pytest.mark.parametrize("username", ["meilin", "leader"])
def test_co_units_and_leaders_see_the_contact_masked_whatever_reason_they_give(app, as_user, username):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user, contact=CITIZEN)

    r = as_user(username).get(f"/api/v1/appeals/{number}", query_string={"reason": "联系群众"})

    assert r.json["contact"]["masked"] is True and CITIZEN["phone"] not in r.get_data(as_text=True)
    assert access_log(app, number) == []


def test_no_unit_shows_a_confidential_reporter(app, as_user):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user, contact=CITIZEN, confidential=True, appeal_type="举报", content=WRITTEN)

    r = as_user("cgj").get(f"/api/v1/appeals/{number}", query_string={"reason": "联系举报人"})

    assert r.json["contact"] is None
    for trace in ("张三丰", "13800001234", "张**", "138****1234"):
        assert trace not in r.get_data(as_text=True), trace
    assert access_log(app, number) == []


def test_a_unit_no_longer_leading_the_appeal_shows_the_contact_no_more(app, as_user):
    from tests.service.handling_steps import new_appeal, ok

    number = new_appeal(as_user, contact=CITIZEN)
    cgj, meilin = unit_code("区城管局"), unit_code("梅林镇人民政府")
    ok(as_user("dispatcher"), number, "dispatch", unit=meilin, co_units=[cgj], reason="改由属地主办")

    was_lead = as_user("cgj").get(f"/api/v1/appeals/{number}", query_string={"reason": "联系群众"})
    new_lead = as_user("meilin").get(f"/api/v1/appeals/{number}", query_string={"reason": "联系群众"})

    assert was_lead.json["contact"]["masked"] is True
    assert new_lead.json["contact"]["phone"] == CITIZEN["phone"]
    assert access_log(app, number) == [("meilin", "view", "联系群众")]


def test_nothing_is_shown_nor_logged_after_the_retention_erasure(app, as_user):
    from service.appeals.retention import erase_personal_data
    from service.db import utcnow
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user, contact=CITIZEN)
    with stored(app) as s:
        erase_personal_data(s, s.scalar(sa.select(Appeal).where(Appeal.number == number)), utcnow())
        s.commit()

    r = as_user("cgj").get(f"/api/v1/appeals/{number}", query_string={"reason": "联系群众"})

    assert r.json["contact"]["erased"] is True and CITIZEN["phone"] not in r.get_data(as_text=True)
    assert access_log(app, number) == []


ADDRESS = "梅林镇建设路3号张三丰家楼下，电话13800001234"


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_personal_data_written_into_the_address_is_masked_like_the_content(as_user, rsj_appeal, username):
    number = rsj_appeal(address=ADDRESS)
    api = as_user(username)

    item = api.get(f"/api/v1/appeals/{number}").json
    listed = api.get("/api/v1/appeals", query_string={"q": number}).json["items"][0]

    for view in (item, listed):
        assert view["address"] == "梅林镇建设路3号张**家楼下，电话138****1234"
    for hidden in ("张三丰", "13800001234"):
        assert number not in _found(api, hidden), hidden
    assert number in _found(api, "建设路3号张**家")


@pytest.mark.parametrize("username", ["rsj", "leader"])
def test_the_address_of_a_confidential_appeal_does_not_name_its_reporter(as_user, rsj_appeal, username):
    number = rsj_appeal(confidential=True, appeal_type="举报", address=ADDRESS)
    api = as_user(username)

    r = api.get(f"/api/v1/appeals/{number}")

    assert r.json["address"] == "梅林镇建设路3号***家楼下，电话***"
    for trace in ("张三丰", "张**", "13800001234", "138****1234"):
        assert trace not in r.get_data(as_text=True), trace
        assert number not in _found(api, trace), trace
    assert number in _found(api, "梅林镇建设路3号")


def test_the_centre_reads_the_address_as_written_with_the_contact_and_finds_it(as_user, rsj_appeal):
    number = rsj_appeal(address=ADDRESS)
    api = as_user("dispatcher")

    assert api.get(f"/api/v1/appeals/{number}", query_string={"reason": "回访"}).json["address"] == ADDRESS
    assert api.get("/api/v1/appeals", query_string={"q": number}).json["items"][0]["address"] == (
        "梅林镇建设路3号张**家楼下，电话138****1234"  # lists never unmask
    )
    assert number in _found(api, "张三丰家楼下")


def test_the_retention_erasure_removes_the_citizen_from_the_address(app, as_user, rsj_appeal):
    from service.appeals.retention import erase_personal_data
    from service.db import utcnow

    number = rsj_appeal(address=ADDRESS)
    with stored(app) as s:
        erase_personal_data(s, s.scalar(sa.select(Appeal).where(Appeal.number == number)), utcnow())
        s.commit()

    for username in ("dispatcher", "rsj"):
        assert (
            as_user(username).get(f"/api/v1/appeals/{number}").json["address"]
            == "梅林镇建设路3号***家楼下，电话***"
        )
