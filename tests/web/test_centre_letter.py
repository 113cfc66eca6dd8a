"""打印答复函: the centre prints the released reply as a letter (the formal one with its rating
form for deputies and members, the citizen's one with how to rate), logged as a view of personal
data with its reason."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from service.appeals.access_log import ACTIONS
from service.appeals.models import Appeal, PersonalDataAccess
from service.web.admin_access import ACTION_LABELS
from tests.service import test_retention as retention
from tests.service.closing_arrange import REPLY, UNSATISFIED, logged, ok, rate, replied
from tests.service.factories import stored

NPC_META = {"suggestion_number": "277", "deputy_name": "朱卫英", "session": "区六届人大四次会议"}
CPPCC_META = {"proposal_number": "15", "member_name": "李四"}
LETTER_META = {"sender_address": "赣县区梅林镇光明路12号", "tracking_number": "XA123456789CN"}


def letter_url(number: str, reason: str | None = "寄送书面答复") -> str:
    return f"/centre/appeals/{number}/letter" + (f"?reason={reason}" if reason is not None else "")


def printed(client, number: str, **kwargs) -> str:
    r = client.get(letter_url(number, **kwargs))
    assert r.status_code == 200, r.get_data(as_text=True)
    return unescape(r.get_data(as_text=True))


def accesses(app, number: str) -> list[tuple[str, str, str]]:
    with stored(app) as s:
        rows = s.execute(
            sa.select(PersonalDataAccess.action, PersonalDataAccess.reason, Appeal.number)
            .join(Appeal, Appeal.id == PersonalDataAccess.appeal_id)
            .where(Appeal.number == number)
        ).all()
        return [tuple(r) for r in rows]


def test_a_deputys_suggestion_prints_as_the_formal_letter_with_the_rating_form(app, as_user, logged_in):
    body = replied(as_user, channel="npc_suggestion", channel_meta=NPC_META, title="关于加强垃圾分类的建议")

    html = printed(logged_in("dispatcher"), body["number"])

    assert "关于区六届人大四次会议第277号建议答复的函" in html
    assert "尊敬的朱卫英代表：" in html
    assert (
        "您在区六届人大四次会议上提出的《关于加强垃圾分类的建议》收悉，区城管局为该建议的主办单位。" in html
    )
    assert REPLY["citizen_text"] in html
    assert "再次感谢您对区城管局工作的关心和支持！" in html
    assert "联系人及电话：值班室 0797-" in html  # the lead unit's duty room, from the active list
    assert "人大代表建议办理情况征询意见表" in html and 'class="letter rating-form"' in html
    assert '<th scope="row">代表姓名</th><td colspan="3">朱卫英</td>' in html
    assert '<td colspan="3">13800001234</td>' in html  # 通讯地址及联系电话 from the contact
    assert '<th scope="row">办理态度</th>' in html and '<th scope="row">办理结果</th>' in html
    assert html.count("基本满意") >= 2 and "代表签名：" in html
    assert "查询码" not in html  # the deputy rates on the form, not on the portal


def test_a_members_proposal_prints_to_the_member_without_a_missing_session(as_user, logged_in):
    body = replied(as_user, channel="cppcc_proposal", channel_meta=CPPCC_META)

    html = printed(logged_in("reviewer"), body["number"])

    assert "关于第15号提案答复的函" in html and "尊敬的李四委员：" in html
    assert "政协委员提案办理情况征询意见表" in html and "委员姓名" in html
    assert REPLY["citizen_text"] in html


def test_a_citizens_appeal_prints_the_reply_letter_with_how_to_rate_it(app, as_user, logged_in):
    body = replied(as_user)

    html = printed(logged_in("dispatcher"), body["number"])

    assert "诉求办理答复函" in html and "张三：" in html
    assert f"（受理编号：{body['number']}）" in html and "办理结果：已解决" in html
    assert REPLY["citizen_text"] in html and "区城管局" in html
    assert f"http://localhost/portal/track?number={body['number']}" in html
    assert f"查询码 {body['query_code']}" in html
    assert "征询意见表" not in html and 'class="envelope"' not in html


def test_a_letter_is_answered_to_the_senders_address_for_the_envelope_window(as_user, logged_in):
    body = replied(as_user, channel="letter", channel_meta=LETTER_META)

    html = printed(logged_in("dispatcher"), body["number"])

    envelope = html.split('<address class="envelope">', 1)[1].split("</address>", 1)[0]
    assert "赣县区梅林镇光明路12号" in envelope and "张三（收）" in envelope
    assert html.index("envelope") < html.index("诉求办理答复函</h2>")


def test_printing_is_logged_with_its_reason_as_a_print(app, as_user, logged_in):
    body = replied(as_user)

    r = logged_in("dispatcher").get(letter_url(body["number"], reason="寄送书面答复"))

    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"  # no cache keeps the name
    assert accesses(app, body["number"]) == [("print", "寄送书面答复", body["number"])]
    admin = logged_in("admin")
    html = admin.get(f"/admin/access?appeal={body['number']}&action=print").get_data(as_text=True)
    assert "<td>已打印答复函</td>" in html and "寄送书面答复" in html and "共 1 条记录。" in html
    assert "共 0 条记录。" in admin.get(f"/admin/access?appeal={body['number']}&action=view").get_data(
        as_text=True
    )
    english = admin.get(f"/admin/access?appeal={body['number']}&lang=en").get_data(as_text=True)
    assert "<td>Printed the reply letter</td>" in english


def test_the_access_log_names_every_kind_of_access():
    assert set(ACTION_LABELS) == set(ACTIONS) and "print" in ACTIONS


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_without_a_reason_the_page_asks_for_one_and_prints_and_logs_nothing(app, as_user, logged_in, reason):
    body = replied(as_user)

    r = logged_in("dispatcher").get(letter_url(body["number"], reason=reason))

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="f-reason"' in html and "请填写打印事由" in html
    assert "张三" not in html and "诉求办理答复函" not in html
    assert accesses(app, body["number"]) == []


def test_the_appeal_page_offers_printing_with_a_reason_once_the_reply_is_released(as_user, logged_in):
    body = logged(as_user)
    client = logged_in("dispatcher")
    page = client.get(f"/centre/appeals/{body['number']}").get_data(as_text=True)
    assert "打印答复函" not in page  # no released reply yet

    body = replied(as_user)
    page = client.get(f"/centre/appeals/{body['number']}").get_data(as_text=True)

    form = page.split('class="reveal print-letter"', 1)[1].split("</form>", 1)[0]
    assert f'action="/centre/appeals/{body["number"]}/letter"' in form
    assert 'id="f-print-reason" name="reason" required' in form and "打印答复函" in form
    leader_page = logged_in("leader").get(f"/centre/appeals/{body['number']}").get_data(as_text=True)
    assert "print-letter" not in leader_page


def test_before_a_reply_is_released_the_page_says_there_is_none_yet(app, as_user, logged_in):
    body = logged(as_user)

    r = logged_in("dispatcher").get(letter_url(body["number"]))

    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "该诉求还没有经审核发布的答复" in html and "张三" not in html
    assert accesses(app, body["number"]) == []


def test_a_reply_the_citizen_rejected_is_not_printed_while_the_appeal_is_handled_again(
    app, client, as_user, logged_in
):
    body = replied(as_user)
    ok(rate(client, body, UNSATISFIED))
    reopened = as_user("dispatcher").post(
        f"/api/v1/appeals/{body['number']}/reopen", json={"attributable": True, "reason": "垃圾仍未清运"}
    )
    assert reopened.status_code == 200, reopened.json

    r = logged_in("dispatcher").get(letter_url(body["number"]))

    assert r.status_code == 409 and "该诉求还没有经审核发布的答复" in r.get_data(as_text=True)
    assert accesses(app, body["number"]) == []


def test_unit_staff_get_404_and_a_leader_403(as_user, logged_in):
    body = replied(as_user)

    assert logged_in("cgj").get(letter_url(body["number"])).status_code == 404
    assert logged_in("leader").get(letter_url(body["number"])).status_code == 403
    assert logged_in("operator").get(letter_url(body["number"])).status_code == 200
    assert logged_in("dispatcher").get(letter_url("GX20990101-0001")).status_code == 404


def test_an_erased_appeal_prints_without_personal_data_and_logs_nothing(app, client, as_user, logged_in):
    body = retention.closed_appeal(client, as_user, closed_days_ago=retention.DAYS + 1)
    retention.erase(app)

    html = printed(logged_in("dispatcher"), body["number"], reason=None)  # no reason needed

    assert "诉求办理答复函" in html and "个人信息已按保存期限删除" in html
    assert "张三" not in html and "13800001234" not in html and "您好：" in html
    assert accesses(app, body["number"]) == []
    page = logged_in("dispatcher").get(f"/centre/appeals/{body['number']}").get_data(as_text=True)
    assert "print-letter" in page and 'id="f-print-reason"' not in page


def test_the_page_reads_in_english_around_the_chinese_letter(as_user, logged_in):
    body = replied(as_user, channel="npc_suggestion", channel_meta=NPC_META)

    html = printed(logged_in("dispatcher"), f"{body['number']}", reason="mail")
    english = unescape(
        logged_in("dispatcher").get(letter_url(body["number"], "mail") + "&lang=en").get_data(as_text=True)
    )

    assert "Reply letter" in english and "Print on A4" in english and "This print was logged" in english
    assert "关于区六届人大四次会议第277号建议答复的函" in english and "尊敬的朱卫英代表：" in english
    assert 'lang="zh-Hans-CN"' in english and "人大代表建议办理情况征询意见表" in english
    assert "Reply letter" not in html
