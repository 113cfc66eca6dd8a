"""The unit workbench: the unit's appeals by deadline with warnings, only its own, the citizen's
contact masked, and sign / return / extension / contribute / reply through their forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal, PersonalDataAccess
from service.auth.models import User
from service.db import utcnow
from tests.service.closing_arrange import UNSATISFIED
from tests.service.factories import stored, unit_code
from tests.service.handling_steps import CITIZEN_TEXT, CO, LEAD, new_appeal, ok, replied_appeal, stored_appeal
from tests.web.conftest import csrf_token_of
from tests.web.test_centre import count_of, page_of, post_form, waiting_appeal

RSJ = unit_code("区人社局")


def set_due(app, number: str, *, left: timedelta, total: timedelta = timedelta(days=10)) -> None:
    """Move the appeal's reply clock: `left` until the deadline, of `total` since dispatch."""
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        now = utcnow()
        appeal.dispatched_at = appeal.reply_started_at = now + left - total
        appeal.reply_due_at = now + left
        s.commit()


def test_the_workbench_lists_the_unit_s_appeals_by_deadline_with_yellow_and_red(app, as_user, logged_in):
    calm, late, soon = new_appeal(as_user), new_appeal(as_user), new_appeal(as_user)
    ok(as_user(LEAD), calm, "sign")
    ok(as_user(LEAD), late, "sign")
    ok(as_user(LEAD), soon, "sign")
    set_due(app, late, left=timedelta(hours=-5))
    set_due(app, soon, left=timedelta(days=1))
    elsewhere = waiting_appeal(as_user)
    ok(as_user("dispatcher"), elsewhere, "dispatch", unit=RSJ, reason="人社局办理")

    page = page_of(logged_in("cgj"), "/unit")

    assert page.index(late) < page.index(soon) < page.index(calm)  # by deadline, the overdue first
    assert elsewhere not in page
    late_item = page[page.index(late) - 300 : page.index(soon)]
    assert "warning-red" in late_item and 'data-warning="red"' in late_item and "已超期5小时" in late_item
    soon_item = page[page.index(soon) - 300 : page.index(calm)]
    assert "warning-yellow" in soon_item and 'data-warning="yellow"' in soon_item
    assert (
        count_of(page, "my_unit") == 3
        and count_of(page, "overdue") == 1
        and count_of(page, "due_soon") == 1
        and count_of(page, "to_sign") == 0  # all three signed for
    )


def test_another_unit_s_appeal_is_not_found(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("rsj")

    assert client.get(f"/unit/appeals/{number}").status_code == 404
    assert client.get(f"/unit/appeals/{number.lower()}").status_code == 404
    assert number not in page_of(client, "/unit")
    r = client.post(
        f"/unit/appeals/{number}/sign", data={"csrf_token": csrf_token_of(page_of(client, "/unit"))}
    )
    assert r.status_code == 404


def test_the_unit_finds_its_appeal_with_the_number_in_lower_case(as_user, logged_in):
    number = new_appeal(as_user)

    assert "小区门口垃圾多日无人清运" in page_of(logged_in("cgj"), f"/unit/appeals/{number.lower()}")


def test_the_unit_sees_the_phone_masked_and_no_identity_on_a_confidential_appeal(as_user, logged_in):
    number = new_appeal(as_user)
    secret = new_appeal(as_user, confidential=True, appeal_type="举报")
    client = logged_in("cgj")

    page = page_of(client, f"/unit/appeals/{number}")
    assert "138****1234" in page and "张*" in page
    assert "13800001234" not in page and "张三" not in page  # masked by default
    page = page_of(client, f"/unit/appeals/{secret}")
    assert "保密件，不显示来电人信息" in page and "138****1234" not in page and "张*" not in page
    assert "由分拨中心联系群众" in page and 'id="f-reveal-reason"' not in page
    page = page_of(client, f"/unit/appeals/{secret}?reason=联系群众")  # no way round it
    assert "13800001234" not in page and "张三" not in page


def test_the_lead_unit_shows_the_citizen_s_contact_with_a_reason_and_the_view_is_logged(
    app, as_user, logged_in
):
    number = new_appeal(
        as_user, address="光明路12号张三家门口", content="我是张三，电话13800001234，垃圾没人清运。"
    )
    client = logged_in("cgj")

    page = page_of(client, f"/unit/appeals/{number}")
    assert 'id="f-reveal-reason"' in page and "13800001234" not in page
    page = page_of(client, f"/unit/appeals/{number}?reason=电话联系群众")

    assert '张三 <span class="phone">13800001234</span>' in page and "已脱敏" not in page
    assert "我是张三，电话13800001234" in page and "光明路12号张三家门口" in page  # as the centre reads them
    with stored(app) as s:
        access = s.execute(
            sa.select(User.username, PersonalDataAccess.action, PersonalDataAccess.reason)
            .join(User, User.id == PersonalDataAccess.user_id)
            .join(Appeal, Appeal.id == PersonalDataAccess.appeal_id)
            .where(Appeal.number == number)
        ).all()
        assert [tuple(a) for a in access] == [("cgj", "view", "电话联系群众")]
    audit = page_of(logged_in("admin"), f"/admin/access?appeal={number}")  # 个人信息查看记录
    assert "电话联系群众" in audit and "cgj" in audit


def test_a_co_unit_sees_the_contact_masked_whatever_it_asks(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in(CO)

    page = page_of(client, f"/unit/appeals/{number}?reason=联系群众")

    assert "138****1234" in page and "13800001234" not in page and 'id="f-reveal-reason"' not in page
    with stored(app) as s:
        assert not s.scalars(sa.select(PersonalDataAccess)).all()


def test_the_unit_page_says_in_english_that_the_centre_contacts_a_confidential_citizen(as_user, logged_in):
    secret = new_appeal(as_user, confidential=True, appeal_type="举报")

    page = page_of(logged_in("cgj"), f"/unit/appeals/{secret}?lang=en")

    assert "the dispatch centre contacts the citizen" in page


def test_the_unit_page_masks_the_address_as_the_content(as_user, logged_in):
    number = new_appeal(as_user, address="光明路12号张三家门口，13800001234")
    secret = new_appeal(as_user, confidential=True, appeal_type="举报", address="光明路12号张三家门口")
    client = logged_in("cgj")

    assert "光明路12号张*家门口，138****1234" in page_of(client, f"/unit/appeals/{number}")
    page = page_of(client, f"/unit/appeals/{secret}")
    assert "光明路12号***家门口" in page and "张三" not in page and "张*" not in page


def test_the_lead_unit_signs_then_replies(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("cgj")
    page = page_of(client, f"/unit/appeals/{number}")
    assert 'id="action-sign"' in page and 'id="action-reply"' not in page

    r = post_form(client, number, "sign", area="unit")

    assert r.status_code == 302
    page = page_of(client, r.location)
    assert "已签收。" in page and 'data-action="signed"' in page
    assert 'id="action-sign"' not in page and 'id="action-reply"' in page
    r = post_form(
        client,
        number,
        "reply",
        area="unit",
        result="resolved",
        citizen_text=CITIZEN_TEXT,
        internal_note="内部",
        contacted_citizen="true",
    )
    assert r.status_code == 302
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.status == "reply_review"


def test_a_reply_missing_fields_shows_each_error_next_to_its_field_and_keeps_the_text(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")

    r = post_form(
        logged_in("cgj"), number, "reply", area="unit", result="unresolvable", internal_note="已约谈承包公司"
    )

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert '<p class="field-error" id="f-reply-citizen_text-error">此项为必填项。</p>' in page
    assert '<p class="field-error" id="f-reply-contacted_citizen-error">此项为必填项。</p>' in page
    assert ">已约谈承包公司</textarea>" in page
    assert '<option value="unresolvable" selected>' in page


def test_a_reply_s_errors_are_all_told_at_once_and_summed_up_at_the_top(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")

    r = post_form(logged_in("cgj"), number, "reply", area="unit", result="unresolvable", reason=" ")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    for name in ("reason", "citizen_text", "contacted_citizen"):
        assert f'id="f-reply-{name}-error"' in page, name
    summary = page[page.index('class="error-summary"') : page.index('id="h-record"')]
    assert "请修改以下问题后重新提交" in summary
    assert page.index('class="error-summary"') < page.index('id="action-reply"')  # at the top
    for name, label in (
        ("reason", "无法解决的原因"),
        ("citizen_text", "答复群众内容"),
        ("contacted_citizen", "是否已联系群众"),
    ):
        assert f'<a href="#f-reply-{name}"><span class="error-field">{label}：</span>' in summary, name


def test_the_unresolvable_reason_is_asked_for(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")

    r = post_form(
        logged_in("cgj"),
        number,
        "reply",
        area="unit",
        result="unresolvable",
        citizen_text=CITIZEN_TEXT,
        contacted_citizen="false",
    )

    assert r.status_code == 422
    assert 'id="f-reply-reason-error">暂无法解决的须说明原因。</p>' in r.get_data(as_text=True)


def test_the_lead_unit_returns_with_a_reason_and_the_centre_sees_it(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("cgj")

    r = post_form(client, number, "return", area="unit", reason="属于劳动保障事项", basis="职责清单 GX-0100")

    assert r.status_code == 302
    with stored(app) as s:
        assert stored_appeal(s, number).status == "return_requested"
    page = page_of(client, r.location)  # still the unit's until the centre decides
    assert "退单申请已提交" in page and 'id="action-return"' not in page


def test_a_return_without_a_basis_is_refused_next_to_the_field(as_user, logged_in):
    number = new_appeal(as_user)

    r = post_form(logged_in("cgj"), number, "return", area="unit", reason="不是我们的")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-return-basis-error">此项为必填项。</p>' in page and ">不是我们的</textarea>" in page


def test_a_return_whose_basis_says_nothing_is_refused_saying_what_is_expected(as_user, logged_in):
    number = new_appeal(as_user)

    r = post_form(logged_in("cgj"), number, "return", area="unit", reason="不是我们的", basis="无")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    error = re.search(r'id="f-return-basis-error">([^<]*)</p>', page)
    assert error and "职责清单条目" in error.group(1) and "法规名称及条款" in error.group(1)
    assert ">不是我们的</textarea>" in page and ">无</textarea>" in page


def test_a_reply_sent_back_is_shown_to_the_unit_and_fills_its_reply_form(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    first = "已派环卫工人清运，后续每日巡查。"
    phone = "已电话13800001234联系诉求人。"
    body = {"result": "in_progress", "citizen_text": first + phone, "internal_note": "已约谈承包公司"}
    ok(as_user(LEAD), number, "reply", **body, reason="", contacted_citizen=False)
    for username, url in ((CO, f"/unit/appeals/{number}"), ("leader", f"/centre/appeals/{number}")):
        other = page_of(logged_in(username), url)  # the reply awaiting review is not theirs to read
        assert 'id="h-reply"' not in other and "13800001234" not in other, username
    reviewer = logged_in("reviewer")
    review_form = page_of(reviewer, f"/centre/appeals/{number}")
    pending = review_form[review_form.index('id="h-reply"') : review_form.index('id="h-units"')]
    assert first + phone in pending  # the reviewer reads the very words the citizen will get
    assert "内部备注（仅分拨中心可见）" in review_form and "承办单位看不到" in review_form
    r = post_form(
        reviewer,
        number,
        "review",
        decision="send_back",
        reasons="未写明清运时间\n未联系群众",
        note="请补充处理时间",
    )
    assert r.status_code == 302

    centre = page_of(reviewer, f"/centre/appeals/{number}")
    assert "内部备注（仅分拨中心可见）：请补充处理时间" in centre
    page = page_of(logged_in("cgj"), f"/unit/appeals/{number}")
    assert "请补充处理时间" not in page  # the centre's own note
    sent_back = page[page.index("data-sent-back") : page.index('id="h-units"')]
    assert "未写明清运时间" in sent_back and "未联系群众" in sent_back and first in sent_back
    assert "已电话138****1234联系诉求人。" in sent_back and "13800001234" not in sent_back
    for username, url in ((CO, f"/unit/appeals/{number}"), ("leader", f"/centre/appeals/{number}")):
        other = page_of(logged_in(username), url)
        assert "data-sent-back" not in other and "13800001234" not in other, username
    form = page[page.index('id="action-reply"') :]
    assert '<option value="in_progress" selected>' in form
    # Its own words, the citizen's phone masked as the page shows it: sent as it stands, it reaches
    # the citizen (and the public, if they agreed) without it.
    assert re.search(
        rf'id="f-reply-citizen_text"[^>]*>{first}已电话138\*\*\*\*1234联系诉求人。</textarea>', form
    )
    assert "13800001234" not in page
    assert ">已约谈承包公司</textarea>" in form
    contacted = form[form.index('id="f-reply-contacted_citizen"') :]
    assert '<option value="false" selected>' in contacted[: contacted.index("</select>")]

    r = post_form(
        logged_in("cgj"),
        number,
        "reply",
        area="unit",
        result="resolved",
        citizen_text="已于12月8日上午清运完毕，并已电话告知您。",
        contacted_citizen="true",
    )
    assert r.status_code == 302
    assert "data-sent-back" not in page_of(logged_in("cgj"), f"/unit/appeals/{number}")


@pytest.mark.parametrize(
    ("confidential", "hidden"), [(False, ("张*", "138****1234", "z***@example.com")), (True, ("***",) * 3)]
)
def test_the_reply_form_to_correct_starts_without_the_citizen_s_data_but_the_unit_s_phone(
    as_user, logged_in, confidential, hidden
):
    contact = {"name": "张三", "phone": "13800001234", "email": "zhangsan@example.com"}
    number = new_appeal(as_user, contact=contact, confidential=confidential, appeal_type="举报")
    ok(as_user(LEAD), number, "sign")
    text = "张三您好：已电话138 0000 1234与您联系，书面答复已发至zhangsan@example.com。如有疑问请拨0797-4400321。"
    ok(
        as_user(LEAD),
        number,
        "reply",
        citizen_text=text,
        internal_note="张三表示认可",
        result="resolved",
        contacted_citizen=True,
    )
    ok(as_user("reviewer"), number, "review", decision="send_back", reasons=["请写明清运时间"])
    client = logged_in("cgj")

    # Even after the unit asked to see the contact (logged), the form starts masked.
    page = page_of(client, f"/unit/appeals/{number}" + ("" if confidential else "?reason=联系群众核实"))
    form = page[page.index('id="action-reply"') :]

    name, phone, email = hidden
    assert (
        f">{name}您好：已电话{phone}与您联系，书面答复已发至{email}。如有疑问请拨0797-4400321。</textarea>"
        in form
    )
    assert f">{name}表示认可</textarea>" in form
    assert "张三" not in form and "13800001234" not in form and "zhangsan@" not in form

    # The sent-back reply shown above it reads the same: the unit's own telephone as written.
    shown = page_of(client, f"/unit/appeals/{number}")
    box = shown[shown.index("data-sent-back") : shown.index('id="action-reply"')]
    assert f"{name}您好：已电话{phone}与您联系，书面答复已发至{email}。如有疑问请拨0797-4400321。" in box
    assert "张三" not in box and "13800001234" not in box and "zhangsan@" not in box


def test_a_return_filed_while_an_extension_waits_withdraws_it_on_the_unit_s_timeline(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "extension", days=3, reason="需现场勘查")
    client = logged_in("cgj")

    r = post_form(client, number, "return", area="unit", reason="属社保缴费争议", basis="职责清单 社会保险类")

    assert r.status_code == 302
    page = page_of(client, r.location)
    assert 'data-action="extension_withdrawn"' in page and "延期申请已撤回：已申请退单" in page
    assert 'id="h-extension"' not in page  # no longer shown as waiting
    english = page_of(client, f"/unit/appeals/{number}?lang=en")
    assert "Extension request withdrawn: a return was asked for" in english


def test_the_lead_unit_asks_for_an_extension(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")

    r = post_form(logged_in("cgj"), number, "extension", area="unit", days="5", reason="需协调多部门")

    assert r.status_code == 302
    page = page_of(logged_in("cgj"), f"/unit/appeals/{number}")
    assert "申请延期 5 个工作日。" in page and 'data-action="extension_requested"' in page

    r = post_form(logged_in("cgj"), number, "extension", area="unit", days="3", reason="再延几天")
    assert r.status_code == 409  # one request at a time, said in Chinese with the local time
    asked = re.search(
        r"(\d{4}-\d\d-\d\d \d\d:\d\d) 申请的延期 5 个工作日正在等待分拨中心审核", r.get_data(as_text=True)
    )
    assert asked is not None and "T" not in asked.group(1)


def test_an_extension_too_late_names_the_passed_deadline_as_the_page_does(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    with stored(app) as s:  # the reply deadline was yesterday's 24:00
        appeal = stored_appeal(s, number)
        local = utcnow().astimezone(app.config["TZ"])
        appeal.reply_due_at = local.replace(hour=0, minute=0, second=0, microsecond=0)
        s.commit()
        yesterday = (local - timedelta(days=1)).date()

    r = post_form(logged_in("cgj"), number, "extension", area="unit", days="3", reason="来不及")

    assert r.status_code == 409
    assert f"本件答复期限已于 {yesterday:%Y-%m-%d} 24:00 届满" in r.get_data(as_text=True)


@pytest.mark.parametrize("days", ["2.5", "１２", "1" * 5000], ids=["fraction", "full-width", "5000 digits"])
def test_extension_days_on_the_page_are_a_whole_number(as_user, logged_in, days):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")

    r = post_form(logged_in("cgj"), number, "extension", area="unit", days=days, reason="需协调多部门")

    assert r.status_code == 422
    assert 'id="f-extension-days-error">请输入整数。</p>' in r.get_data(as_text=True)


def test_the_co_unit_contributes_but_may_not_reply(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    client = logged_in(CO)
    page = page_of(client, f"/unit/appeals/{number}")
    assert 'id="action-contribute"' in page and 'id="action-reply"' not in page

    r = post_form(client, number, "contribute", area="unit", text="本镇已派人到现场核实")
    assert r.status_code == 302
    assert "本镇已派人到现场核实" in page_of(client, f"/unit/appeals/{number}")

    r = post_form(
        client, number, "reply", area="unit", result="resolved", citizen_text="x", contacted_citizen="true"
    )
    assert r.status_code == 403 and "您的角色不能进行此操作：只有主办单位可以答复。" in r.get_data(
        as_text=True
    )
    # From a page loaded before the contribution (an older version): still told it may not, not
    # that the page was stale.
    r = post_form(
        client,
        number,
        "reply",
        area="unit",
        result="resolved",
        citizen_text="x",
        contacted_citizen="true",
        version="1",
    )
    assert r.status_code == 403 and "只有主办单位可以答复" in r.get_data(as_text=True)


def test_a_sign_on_a_page_older_than_a_press_goes_through(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("cgj")
    page = page_of(client, f"/unit/appeals/{number}")
    ok(
        as_user("dispatcher"), number, "supervise", kind="press", note="请尽快签收"
    )  # the centre presses meanwhile
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)

    r = client.post(f"/unit/appeals/{number}/sign", data={"csrf_token": csrf_token_of(page), "version": seen})

    assert r.status_code == 302
    assert "已签收。" in page_of(client, r.headers["Location"])


@pytest.mark.parametrize(
    ("action", "fields", "done"),
    [
        ("return", {"reason": "不属本单位职责", "basis": "职责清单第3项"}, "退单申请已提交，等待中心审核。"),
        ("extension", {"days": "3", "reason": "需协调多部门现场核查"}, "延期申请已提交。"),
    ],
)
def test_a_request_on_a_page_older_than_a_press_goes_through(as_user, logged_in, action, fields, done):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    client = logged_in("cgj")
    page = page_of(client, f"/unit/appeals/{number}")
    ok(
        as_user("dispatcher"), number, "supervise", kind="press", note="请尽快答复"
    )  # the centre presses meanwhile
    seen = re.search(rf'action="/unit/appeals/{number}/{action}".*?name="version" value="(\d+)"', page, re.S)

    r = client.post(
        f"/unit/appeals/{number}/{action}",
        data={"csrf_token": csrf_token_of(page), "version": seen.group(1), **fields},
    )

    assert r.status_code == 302
    assert done in page_of(client, r.headers["Location"])


def test_a_sign_on_a_page_older_than_a_return_says_reload(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("cgj")
    page = page_of(client, f"/unit/appeals/{number}")
    ok(
        as_user(LEAD), number, "return", reason="不属本单位职责", basis="职责清单第3项"
    )  # a colleague returns it
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)

    r = client.post(f"/unit/appeals/{number}/sign", data={"csrf_token": csrf_token_of(page), "version": seen})

    assert r.status_code == 409 and "该诉求已被他人修改" in r.get_data(as_text=True)


def test_a_reopened_appeal_waits_for_the_unit_to_sign_for_it_again(as_user, logged_in):
    number = replied_appeal(as_user)
    ok(as_user("reviewer"), number, "review", decision="approve")
    ok(as_user("reviewer"), number, "evaluate", **UNSATISFIED)  # a call-back rating
    ok(as_user("dispatcher"), number, "reopen", reason="群众反映垃圾仍未清运", attributable=True)
    client = logged_in("cgj")

    listed = page_of(client, "/unit")
    item = re.search(
        rf'<li class="work-item[^"]*">\s*<p class="work-head"><a href="[^"]*">{number}</a>.*?</li>',
        listed,
        re.S,
    )
    assert item and "待签收" in item.group(0)
    page = page_of(client, f"/unit/appeals/{number}")
    assert "待签收" in page and f'action="/unit/appeals/{number}/sign"' in page
    assert "To sign for" in page_of(client, f"/unit/appeals/{number}?lang=en")

    r = post_form(client, number, "sign", area="unit")

    assert r.status_code == 302
    page = page_of(client, f"/unit/appeals/{number}")
    assert "待签收" not in page and f'action="/unit/appeals/{number}/reply"' in page


def test_the_centre_roles_cannot_open_the_workbench(logged_in):
    assert logged_in("dispatcher").get("/unit").status_code == 403


def test_the_workbench_reads_in_english(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("cgj")

    page = page_of(client, f"/unit/appeals/{number}?lang=en")

    assert f"Appeal {number}" in page and "Sign for" in page and "Timeline" in page and "Registered" in page
    assert "Our open appeals" in page_of(client, "/unit?lang=en")


def timeline_label(page: str, action: str) -> str:
    """What the appeal page's timeline calls the last event `action`."""
    return re.findall(rf'data-action="{action}">\s*<p><strong>([^<]*)</strong>', page)[-1]


def test_the_timeline_says_what_happened_where_the_button_says_what_to_do(as_user, logged_in):
    """签收 is a button ("Sign for") and an event ("Signed for"): in English each reads its own way."""
    number = new_appeal(as_user)
    client = logged_in("cgj")

    post_form(client, number, "sign", area="unit")

    english = page_of(client, f"/unit/appeals/{number}?lang=en")
    assert timeline_label(english, "signed") == "Signed for"
    assert timeline_label(page_of(client, f"/unit/appeals/{number}?lang=zh"), "signed") == "签收"


def test_no_event_on_the_timeline_reads_as_the_button_that_made_it(app):
    from service.web.appeal_page import EVENT_LABELS
    from service.web.centre_actions import CENTRE_ACTIONS
    from service.web.unit_actions import UNIT_ACTIONS

    actions = [*CENTRE_ACTIONS.values(), *UNIT_ACTIONS.values()]
    with app.test_request_context("/?lang=en"):
        same = {
            (str(action.label), event)
            for action in actions
            for event in action.events
            if str(EVENT_LABELS[event]) == str(action.label)
        }
        assert same == set()
        assert [str(EVENT_LABELS[e]) for e in ("pressed", "reopened", "merged", "closed")] == [
            "Pressed",
            "Reopened",
            "Merged",
            "Closed",
        ]
    with app.test_request_context("/?lang=zh"):
        assert [str(EVENT_LABELS[e]) for e in ("signed", "pressed", "reopened")] == ["签收", "催办", "重办"]


def test_a_working_day_deadline_reads_as_the_24_00_of_its_last_day(as_user, logged_in):
    number = new_appeal(as_user)  # ordinary: a reply limit in working days, ending at midnight
    page = page_of(logged_in("cgj"), f"/unit/appeals/{number}")
    reply = re.search(r"<dt>答复时限</dt><dd><time[^>]*>([^<]+)</time>", page)
    assert reply and reply.group(1).endswith(" 24:00"), page


def test_a_phone_number_in_the_content_is_masked_on_the_units_page_and_hidden_when_confidential(
    as_user, logged_in
):
    content = "张三家门口的垃圾三天没人清运，请打13800001234联系他。"
    plain, confidential = (
        new_appeal(as_user, content=content),
        new_appeal(as_user, content=content, confidential=True),
    )
    client = logged_in(LEAD)

    page = page_of(client, f"/unit/appeals/{plain}")
    hidden = page_of(client, f"/unit/appeals/{confidential}")

    assert "张*家门口的垃圾三天没人清运，请打138****1234联系他。" in page
    assert "***家门口的垃圾三天没人清运，请打***联系他。" in hidden
    for text in (page, hidden):
        assert "13800001234" not in text and "张三" not in text


def test_the_units_timeline_shows_a_rating_comment_masked(client, as_user, logged_in):
    from tests.service.closing_arrange import SATISFIED, rate, replied

    body = replied(as_user)
    assert rate(client, body, {**SATISFIED, "comment": "张三说有事打13800001234"}).status_code == 200

    page = page_of(logged_in("cgj"), f"/unit/appeals/{body['number']}")

    assert "张*说有事打138****1234" in page and "13800001234" not in page


def test_a_supervised_appeal_is_marked_in_the_work_list_and_its_level_named_in_the_timeline(
    as_user, logged_in
):
    number, quiet = new_appeal(as_user), new_appeal(as_user)
    ok(as_user("dispatcher"), number, "supervise", kind="raise", note="群众多次来电，提请督办")
    client = logged_in("cgj")

    page = page_of(client, "/unit")
    item = page[page.index(f">{number}<") : page.index("</li>", page.index(f">{number}<"))]
    assert 'data-supervision="1">1级督办<' in item
    other = page[page.index(f">{quiet}<") : page.index("</li>", page.index(f">{quiet}<"))]
    assert "data-supervision" not in other
    page = page_of(client, f"/unit/appeals/{number}")
    assert "督办级别提升至第 1 级（单位负责人）" in page
    page = page_of(client, f"/unit/appeals/{number}?lang=en")
    assert "Supervision raised to level 1 (单位负责人)" in page
    assert "Supervised, level 1" in page_of(client, "/unit?lang=en")


def work_item(page: str, number: str) -> str:
    """The work list's entry of the appeal."""
    start = page.index(f">{number}<")
    return page[start : page.index("</li>", start)]


def state_box(page: str) -> str:
    """The appeal page's 状态 line (its badges)."""
    start = page.index("<dt>状态</dt>")
    return page[start : page.index("</dd>", start)]


def test_each_unit_sees_its_own_signing_as_待签收_and_the_centre_the_lead_s(as_user, logged_in):
    number = new_appeal(as_user)  # 区城管局 leads, 梅林镇 co-handles; nobody has signed yet

    def seen_by(username: str) -> tuple[str, str]:
        client = logged_in(username)
        area = "centre" if username == "dispatcher" else "unit"
        listed = page_of(client, "/centre/search?status=dispatched" if area == "centre" else "/unit")
        return work_item(listed, number), state_box(page_of(client, f"/{area}/appeals/{number}"))

    for shown in seen_by(LEAD):
        assert 'data-sign="pending">待签收<' in shown and "data-part" not in shown
    for shown in seen_by(CO):  # its own part still to sign for, marked as a co-unit's
        assert 'data-sign="pending">待签收<' in shown and 'data-part="co">协办<' in shown
    assert count_of(page_of(logged_in(CO), "/unit"), "to_sign") == 1  # the list says as the badge
    assert number in page_of(logged_in(CO), "/unit?queue=to_sign")

    ok(as_user(CO), number, "sign")  # 协办单位签收: its part signed, the lead's still not

    assert count_of(page_of(logged_in(CO), "/unit"), "to_sign") == 0
    assert count_of(page_of(logged_in(LEAD), "/unit"), "to_sign") == 1

    for shown in seen_by(CO):
        assert "data-sign" not in shown and 'data-part="co">协办<' in shown
    for shown in seen_by(LEAD):
        assert 'data-sign="pending">待签收<' in shown
    for shown in seen_by("dispatcher"):  # the centre: the lead unit has not signed
        assert 'data-sign="pending">待签收<' in shown and "data-part" not in shown
    english = page_of(logged_in(CO), f"/unit/appeals/{number}?lang=en")
    assert 'data-part="co">co-unit<' in english and "data-sign" not in english
    logged_in(CO).get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    ok(as_user(LEAD), number, "sign")

    for username in (LEAD, CO):
        for shown in seen_by(username):
            assert "data-sign" not in shown, username
    assert "data-sign" not in state_box(page_of(logged_in("dispatcher"), f"/centre/appeals/{number}"))
    assert count_of(page_of(logged_in(LEAD), "/unit"), "to_sign") == 0


def test_a_co_unit_still_has_its_part_to_sign_for_once_the_lead_has_signed(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")  # handling: the centre no longer shows 待签收

    page = page_of(logged_in(CO), "/unit")
    assert 'data-sign="pending">待签收<' in work_item(page, number)
    assert count_of(page, "to_sign") == 1  # its own part, in its 待签收 list
    assert count_of(page_of(logged_in(LEAD), "/unit"), "to_sign") == 0
    assert "data-sign" not in state_box(page_of(logged_in("dispatcher"), f"/centre/appeals/{number}"))


def test_the_extension_form_is_not_offered_while_the_unit_s_request_waits(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    form = f'action="/unit/appeals/{number}/extension"'
    client = logged_in("cgj")
    assert form in page_of(client, f"/unit/appeals/{number}")

    assert (
        post_form(client, number, "extension", area="unit", days="5", reason="需协调多部门").status_code
        == 302
    )
    page = page_of(client, f"/unit/appeals/{number}")
    assert form not in page and "申请延期 5 个工作日。" in page  # the request shows; asking again would fail

    ok(as_user("reviewer"), number, "extension-review", decision="refuse", note="时限充足")
    assert form in page_of(client, f"/unit/appeals/{number}")  # decided: the unit may ask again
