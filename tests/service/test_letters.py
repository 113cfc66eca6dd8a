"""The printed reply's kind and words (service/handling/letters.py): pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from service.handling.letters import LetterFacts, chinese_date, letter_for

FACTS = LetterFacts(
    channel="hotline",
    channel_meta={"call_id": "CALL-1"},
    number="GX20261201-0007",
    title="小区门口垃圾多日无人清运",
    received_on=date(2026, 12, 1),
    result="resolved",
    reason="",
    reply_text="已安排环卫工人清运完毕。",
    unit_name="区城管局",
    released_on=date(2026, 12, 6),
    unit_contact="值班室 0797-4400107",
    query_code="123456",
    track_url="http://minyi.example/portal/track?number=GX20261201-0007",
    citizen_name="张三",
    citizen_phone="13800001234",
)

NPC = replace(
    FACTS,
    channel="npc_suggestion",
    channel_meta={"suggestion_number": "277", "deputy_name": "朱卫英", "session": "区六届人大四次会议"},
    title="关于强化以数字化改革优化营商环境的建议",
)


def test_dates_are_written_as_official_documents_write_them():
    assert chinese_date(date(2026, 12, 6)) == "2026年12月6日"


def test_a_deputys_suggestion_gets_the_formal_letter_with_the_rating_form():
    letter = letter_for(NPC)

    assert letter.kind == "deputy"
    assert letter.heading == "关于区六届人大四次会议第277号建议答复的函"
    assert letter.salutation == "尊敬的朱卫英代表："
    assert "《关于强化以数字化改革优化营商环境的建议》" in letter.opening[0]
    assert "区城管局为该建议的主办单位" in letter.opening[0]
    assert letter.closing == "再次感谢您对区城管局工作的关心和支持！"
    assert (letter.date_line, letter.contact_line) == ("2026年12月6日", "联系人及电话：值班室 0797-4400107")
    form = letter.rating_form
    assert form is not None and form.title == "人大代表建议办理情况征询意见表"
    assert dict(form.rows) == {
        "代表姓名": "朱卫英",
        "通讯地址及联系电话": "13800001234",
        "建议标题": "关于强化以数字化改革优化营商环境的建议",
        "建议编号": "277",
        "承办单位": "区城管局",
    }
    assert form.ratings == ("办理态度", "办理结果") and form.choices == ("满意", "基本满意", "不满意")
    assert (form.opinion, form.signature) == ("代表意见：", "代表签名：")
    assert not letter.rating_help and not letter.envelope


def test_a_members_proposal_is_a_proposal_to_a_member_and_a_missing_session_is_left_out():
    facts = replace(
        FACTS, channel="cppcc_proposal", channel_meta={"proposal_number": "12", "member_name": "李四"}
    )

    letter = letter_for(facts)

    assert letter.kind == "member"
    assert letter.heading == "关于第12号提案答复的函"
    assert letter.salutation == "尊敬的李四委员："
    assert letter.opening[0].startswith(
        "您提出的《小区门口垃圾多日无人清运》收悉，区城管局为该提案的主办单位。"
    )
    assert letter.rating_form is not None and letter.rating_form.title == "政协委员提案办理情况征询意见表"
    assert ("委员姓名", "李四") in letter.rating_form.rows and ("提案编号", "12") in letter.rating_form.rows


def test_a_deputy_without_a_recorded_name_is_addressed_by_the_contact_and_nothing_personal_when_erased():
    facts = replace(NPC, channel_meta={"suggestion_number": "3"}, citizen_name="王五")
    assert letter_for(facts).salutation == "尊敬的王五代表："

    erased = letter_for(replace(facts, citizen_name="", citizen_phone=""))

    assert erased.salutation == "尊敬的代表："
    assert erased.rating_form is not None and ("通讯地址及联系电话", "") in erased.rating_form.rows


@pytest.mark.parametrize(
    ("result", "reason", "said"),
    [
        ("resolved", "", "办理结果：已解决"),
        ("in_progress", "", "办理结果：正在解决"),
        ("unresolvable", "需纳入明年改造计划", "办理结果：暂无法解决（原因：需纳入明年改造计划）"),
    ],
)
def test_a_citizen_gets_the_reply_letter_with_the_result_and_how_to_rate(result, reason, said):
    letter = letter_for(replace(FACTS, result=result, reason=reason))

    assert letter.kind == "citizen" and letter.heading == "诉求办理答复函"
    assert letter.salutation == "张三："
    assert letter.opening == (
        "您于2026年12月1日反映的“小区门口垃圾多日无人清运”（受理编号：GX20261201-0007），由区城管局办理，现答复如下：",
        said,
    )
    assert letter.reply_text == "已安排环卫工人清运完毕。" and letter.rating_form is None
    help_text = "".join(letter.rating_help)
    assert FACTS.track_url in help_text and "GX20261201-0007" in help_text and "查询码 123456" in help_text
    assert letter.envelope == ()  # only a letter (来信) is answered to the sender's address


def test_a_letter_is_answered_to_the_senders_address_for_the_envelope_window():
    facts = replace(FACTS, channel="letter", citizen_address="赣县区梅林镇光明路12号")

    assert letter_for(facts).envelope == ("赣县区梅林镇光明路12号", "张三（收）")
    erased = letter_for(replace(facts, citizen_name="", citizen_phone="", citizen_address=""))
    assert erased.envelope == () and erased.salutation == "您好："
