"""A refusal names the appeal's status and the action in the reader's language: "Cannot sign for the
appeal now: the appeal is “Return under review”." in English, "诉求当前为“退单审核中”，不能签收。" in
Chinese; never a Chinese label inside an English sentence, nor an action's code as a verb."""

from __future__ import annotations

import pytest

from service.appeals import status as st
from service.handling.workflow import TRANSITIONS
from service.i18n import localize, vocabulary_label
from tests.service.handling_steps import CO, LEAD, act, new_appeal, ok, reply_body, signed_appeal

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def returned_appeal(as_user) -> str:
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "return", reason="属农村垃圾，应由镇政府负责", basis="职责清单 GX-0427")
    return number


def test_a_state_refusal_names_the_status_and_the_action_in_words(as_user):
    number = returned_appeal(as_user)
    co = as_user(CO)

    r = act(co, number, "sign")
    assert r.status_code == 409 and r.json["current"]["status"] == "return_requested"
    assert r.json["message"] == "Cannot sign for the appeal now: the appeal is “Return under review”."

    r = co.post(f"/api/v1/appeals/{number}/sign", json={}, headers=ZH)
    assert r.status_code == 409
    assert r.json["message"] == "诉求当前为“退单审核中”，不能签收。"


def test_a_refusal_to_the_other_part_or_role_names_the_action_as_a_verb(as_user):
    number = signed_appeal(as_user)
    body = {"days": 3, "reason": "需现场勘查"}

    r = act(as_user(CO), number, "extension", **body)
    assert r.status_code == 403
    assert r.json["message"] == "Only the lead unit may request an extension."
    r = as_user(CO).post(f"/api/v1/appeals/{number}/extension", json=body, headers=ZH)
    assert r.json["message"] == "只有主办单位可以申请延期。"

    r = act(as_user("operator"), number, "extension", **body)
    assert r.status_code == 403
    assert r.json["message"] == "Only these roles may request an extension: Unit staff."
    r = as_user("operator").post(f"/api/v1/appeals/{number}/extension", json=body, headers=ZH)
    assert r.json["message"] == "申请延期须由以下角色办理：承办单位人员。"


def test_a_unit_not_yet_signed_is_told_to_sign_first_in_its_language(as_user):
    number = new_appeal(as_user)
    r = as_user(LEAD).post(f"/api/v1/appeals/{number}/reply", json=reply_body(), headers=ZH)
    assert r.status_code == 409
    assert r.json["message"] == "诉求尚未签收，请先签收，再答复。"


@pytest.mark.parametrize("status", list(st.STATUS_LABELS))
def test_a_status_in_a_message_reads_as_the_pages_say_it(app, status):
    """The English of a status in a message is the English pages' label, its Chinese the label."""
    name = st.STATUS_NAMES[status]
    with app.test_request_context("/"):
        assert str(name) == vocabulary_label(st.STATUS_LABELS[status], "en")
        assert localize(name, "zh") == st.STATUS_LABELS[status]


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_an_action_in_a_message_reads_in_chinese_as_its_label(app, action):
    transition = TRANSITIONS[action]
    with app.test_request_context("/"):
        assert localize(transition.doing, "zh") == transition.label
    assert str(transition.doing).isascii() and str(transition.doing)[0].islower()  # a verb phrase


def test_why_a_rule_lost_reads_as_a_sentence_on_an_english_page(app):
    """The routing explanation's overridden rules (dispatch/explanation.py), as the appeal pages show them."""
    from service.appeals.recorded import recorded

    with app.test_request_context("/"):
        assert (
            recorded("范围属地不如梅林镇（乡镇，360704100）具体", "en")
            == "Its scope, territorial, is less specific than the chosen rule's: 梅林镇 (township, 360704100)"
        )
        assert (
            recorded("分类城市管理（15）不如生活垃圾清运（1503）具体", "en")
            == "Its category, 城市管理 (15), is less specific than the chosen rule's: 生活垃圾清运 (1503)"
        )
        assert (
            recorded("范围属地不如梅林镇（乡镇，360704100）具体", "zh")
            == "范围属地不如梅林镇（乡镇，360704100）具体"
        )
