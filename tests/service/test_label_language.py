"""The labels of the service's own vocabulary in the JSON answers (a status, a step of the citizen's
timeline, a role, a work list, a rate) follow Accept-Language like the messages beside them: the
language it asks for, else Chinese, as they always were; `Content-Language` says which. Names the
service did not write (a unit, a category) stay as written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.closing_arrange import logged, look_up, replied
from tests.service.factories import county_rule, new_address, unit_code, villages
from tests.service.helpers import appeal_payload

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
ASKED_FOR_NOTHING: list[dict[str, str]] = [
    {},
    {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
    {"Accept-Language": "fr"},
]


def answer(r: Any, status: int = 200) -> tuple[dict[str, Any], str]:
    assert r.status_code == status, r.get_data(as_text=True)
    assert "Accept-Language" in r.headers["Vary"]
    return r.json, r.headers["Content-Language"]


@pytest.fixture
def citizen(client):
    client.environ_base["REMOTE_ADDR"] = new_address()
    return client


def submitted(citizen: Any, headers: dict[str, str]) -> tuple[dict[str, Any], str]:
    rule = county_rule(unit_code("区人社局"))
    body = {
        "appeal_type": "求助",
        "title": "社保卡补办进度",
        "content": "上个月在王母渡镇申请补办社保卡，至今没有消息。",
        "category": rule.category,
        "area": villages("王母渡镇")[0],
        "contact": {"name": "李四光", "phone": "13900001111"},
    }
    return answer(citizen.post("/api/v1/public/appeals", json=body, headers=headers), 201)


def tracked(citizen: Any, body: dict[str, Any], headers: dict[str, str]) -> tuple[dict[str, Any], str]:
    return answer(
        citizen.get(
            f"/api/v1/public/appeals/{body['number']}",
            query_string={"code": body["query_code"]},
            headers=headers,
        )
    )


def test_the_citizen_reads_the_labels_in_english_when_asking_for_it(citizen):
    body, language = submitted(citizen, ENGLISH)
    assert (body["status"], body["status_label"], language) == ("dispatched", "Forwarded", "en")

    seen, language = tracked(citizen, body, ENGLISH)

    assert language == "en"
    assert seen["status_label"] == "Forwarded"
    assert [(e["label"], e["status_label"]) for e in seen["timeline"]] == [
        ("Appeal received", "Received"),
        ("Passed to the handling unit", "Forwarded"),
    ]
    assert seen["timeline"][1]["message"] == "Passed on to 区人社局 to handle."  # the name as written
    assert seen["handling_unit"] == "区人社局"


@pytest.mark.parametrize("headers", ASKED_FOR_NOTHING)
def test_the_citizen_reads_the_labels_in_chinese_unless_asking_for_english(citizen, headers):
    body, language = submitted(citizen, headers)
    assert (body["status_label"], language) == ("已转办", "zh-CN")

    seen, language = tracked(citizen, body, headers)

    assert language == "zh-CN"
    assert seen["status_label"] == "已转办"
    assert [(e["label"], e["status_label"]) for e in seen["timeline"]] == [
        ("诉求已受理", "已受理"),
        ("已转交承办单位", "已转办"),
    ]


def test_the_released_reply_says_its_result_in_the_language_asked_for(as_user, client):
    body = replied(as_user)

    english = client.get(
        f"/api/v1/public/appeals/{body['number']}", query_string={"code": body["query_code"]}, headers=ENGLISH
    ).json
    chinese = look_up(client, body)

    assert (english["status_label"], english["reply"]["result"]) == ("Replied", "Resolved")
    assert (chinese["status_label"], chinese["reply"]["result"]) == ("已答复", "已解决")
    assert (
        english["reply"]["text"] == chinese["reply"]["text"] == "已安排环卫工人清运完毕，并增加了清运频次。"
    )
    assert [e["label"] for e in english["timeline"]][-1] == "Replied"


def test_staff_read_the_status_labels_in_the_language_asked_for(as_user):
    operator = as_user("operator")
    rule = county_rule(unit_code("区人社局"))
    place = {"category": rule.category, "area": villages("王母渡镇")[0]}

    intake, language = answer(
        operator.post("/api/v1/appeals", json=register_body(**place), headers=ENGLISH), 201
    )
    assert language == "en"
    assert (intake["status_label"], intake["appeal"]["status_label"]) == ("Dispatched", "Dispatched")
    assert intake["appeal"]["lead_unit"]["name"] == "区人社局"
    number = intake["number"]
    # a second call from the same phone: the first is its likely duplicate, with the first's status
    again, _ = answer(operator.post("/api/v1/appeals", json=register_body(**place), headers=ENGLISH), 201)
    assert [(d["number"], d["status_label"]) for d in again["duplicates"]] == [(number, "Dispatched")]

    one, language = answer(operator.get(f"/api/v1/appeals/{number}", headers=ENGLISH))
    assert (one["status_label"], language) == ("Dispatched", "en")
    listed, language = answer(operator.get("/api/v1/appeals", headers=ENGLISH))
    assert {a["status_label"] for a in listed["items"]} == {"Dispatched"} and language == "en"

    for headers in ASKED_FOR_NOTHING:
        one, language = answer(operator.get(f"/api/v1/appeals/{number}", headers=headers))
        assert (one["status_label"], language) == ("已派单", "zh-CN")
        listed, _ = answer(operator.get("/api/v1/appeals", headers=headers))
        assert {a["status_label"] for a in listed["items"]} == {"已派单"}
        duplicates, _ = answer(operator.get(f"/api/v1/appeals/{again['number']}/duplicates", headers=headers))
        assert [d["status_label"] for d in duplicates] == ["已派单"]


def register_body(**overrides: Any) -> dict[str, Any]:
    return appeal_payload(contact={"name": "王五", "phone": "13700002222"}, **overrides)


def test_a_refused_change_shows_the_current_status_in_the_language_asked_for(as_user):
    number = logged(as_user)["number"]
    unit = as_user("cgj")

    english = unit.post(f"/api/v1/appeals/{number}/sign", json={"version": 0}, headers=ENGLISH)
    chinese = unit.post(f"/api/v1/appeals/{number}/sign", json={"version": 0})

    assert english.status_code == chinese.status_code == 409
    assert english.json["current"]["status_label"] == "Dispatched"
    assert chinese.json["current"]["status_label"] == "已派单"


def test_the_role_and_the_work_lists_are_named_in_the_language_asked_for(as_user):
    dispatcher = as_user("dispatcher")

    me, language = answer(dispatcher.get("/api/v1/auth/me", headers=ENGLISH))
    assert (me["role_label"], language) == ("Dispatcher", "en")
    me, language = answer(dispatcher.get("/api/v1/auth/me"))
    assert (me["role_label"], language) == ("分拨员", "zh-CN")

    queues, _ = answer(dispatcher.get("/api/v1/queues", headers=ENGLISH))
    assert {q["name"]: q["label"] for q in queues["queues"]}["returns"] == "Returns to review"
    one, _ = answer(dispatcher.get("/api/v1/queues/to_dispatch", headers=ENGLISH))
    assert one["label"] == "To dispatch"
    queues, _ = answer(dispatcher.get("/api/v1/queues"))
    assert {q["name"]: q["label"] for q in queues["queues"]}["returns"] == "退单待审"


def test_the_figures_name_rates_groups_and_volumes_in_the_language_asked_for(as_user):
    month = logged(as_user)["appeal"]["received_at"][:7]  # one appeal this month: volumes to show
    leader = as_user("leader")

    english, language = answer(leader.get("/api/v1/figures", query_string={"month": month}, headers=ENGLISH))
    chinese, _ = answer(leader.get("/api/v1/figures", query_string={"month": month}))

    assert language == "en"
    assert english["overall"]["rates"]["response_rate"]["label"] == "Response rate"
    assert chinese["overall"]["rates"]["response_rate"]["label"] == "响应率"
    assert {g["kind"]: g["label"] for g in english["groups"]}["department"] == "County department"
    assert {g["kind"]: g["label"] for g in chinese["groups"]}["department"] == "区直部门"
    assert [g["units"][0]["name"] for g in english["groups"]] == [
        g["units"][0]["name"] for g in chinese["groups"]
    ]
    volumes = english["volumes"]
    assert {c["code"]: c["label"] for c in volumes["channels"]}["hotline"] == "12345 hotline"
    assert {c["code"]: c["label"] for c in volumes["urgencies"]}["一般"] == "Ordinary"
    assert {c["code"]: c["label"] for c in volumes["dispositions"]}["direct"] == "Closed at first contact"
    assert {c["code"]: c["label"] for c in chinese["volumes"]["channels"]}["hotline"] == "12345热线"


def test_every_label_of_the_vocabulary_has_its_english(app):
    """A label without its English would stay Chinese in an English answer: every word of the
    vocabularies the answers label is in the English catalogue."""
    from service.appeals import status as st
    from service.auth.models import ROLES
    from service.figures.queries import GROUPS, RATE_LABELS
    from service.figures.volumes import DISPOSITIONS
    from service.i18n import vocabulary_label
    from service.queues.queries import QUEUES

    labels = {
        *st.STATUS_LABELS.values(),
        *st.PUBLIC_ACTIONS.values(),
        *st.REPLY_RESULTS.values(),
        *ROLES.values(),
        *(q.label for q in QUEUES.values()),
        *RATE_LABELS.values(),
        *(label for _kind, label in GROUPS),
        *(label for code, label in st.CHANNELS.items() if code != "open311"),  # Open311 is its name
        *st.APPEAL_TYPES,
        *st.URGENCIES,
        *DISPOSITIONS.values(),
    }
    with app.test_request_context():
        untranslated = sorted(label for label in labels if vocabulary_label(label, "en") == label)
    assert untranslated == []
