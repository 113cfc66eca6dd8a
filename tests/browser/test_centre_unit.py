"""The centre and the unit workbench in a real browser: a return and re-dispatch between units,
and a unit signing and replying, with the reply form's errors shown next to its fields."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import log_out, logged_call
from tests.service.handling_steps import CITIZEN_TEXT


def test_a_unit_returns_an_appeal_and_the_centre_re_dispatches_it_to_another_unit(page, log_in, live_server):
    number = logged_call(live_server)

    page.goto("/unit")
    log_in(page, "cgj")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"诉求 {number}")
    expect(page.locator(".contact .phone")).to_have_text("138****1234")
    form = page.locator("#action-return")
    form.get_by_label("退单理由").fill("反映的是劳动报酬问题，不属于城管职责")
    form.get_by_label("依据").fill("职责清单：劳动保障监察由区人社局负责")
    form.get_by_role("button", name="申请退单").click()
    expect(page.get_by_role("status")).to_have_text("退单申请已提交，等待中心审核。")
    log_out(page)

    page.goto("/centre")  # logged out: the log-in page, then straight back here
    log_in(page, "dispatcher")
    page.get_by_role("link", name=re.compile("退单待审")).click()
    page.get_by_role("link", name=number).click()
    expect(page.locator(".pending")).to_contain_text("反映的是劳动报酬问题")
    form = page.locator("#action-return-review")
    form.get_by_label("审核结果").select_option(label="同意退单")
    form.get_by_label("改派至").select_option(label="区人社局")
    form.get_by_label("审核意见").fill("改派区人社局办理")
    form.get_by_role("button", name="退单审核").click()
    expect(page.get_by_role("status")).to_have_text("已同意退单，已改派至区人社局。")
    expect(page.locator(".facts").first).to_contain_text("区人社局")
    expect(page.locator('.event[data-action="return_approved"]')).to_be_visible()
    log_out(page)

    log_in(page, "rsj")
    expect(page).to_have_url(re.compile(r"/unit$"))
    page.get_by_role("link", name=number).click()
    expect(page.locator("#action-sign")).to_be_visible()
    log_out(page)

    log_in(page, "cgj")  # the first unit no longer sees it
    expect(page.get_by_role("link", name=number)).to_have_count(0)


def test_a_unit_signs_and_replies_and_a_missing_field_is_shown_next_to_it(page, log_in, live_server):
    number = logged_call(live_server)
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(f"/unit/appeals/{number}")
    log_in(page, "cgj")
    page.locator("#action-sign").get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_have_text("已签收。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    form = page.locator("#action-reply")
    form.get_by_label("办理结果").select_option(label="已解决")
    form.get_by_label("内部备注").fill("环卫所已约谈承包公司")
    form.get_by_role("button", name="答复").click()

    form = page.locator("#action-reply")
    text = form.get_by_label("答复群众内容")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_have_accessible_description(re.compile("此项为必填项。"))
    expect(form.locator("#f-reply-contacted_citizen-error")).to_have_text("此项为必填项。")
    expect(form.get_by_label("内部备注")).to_have_value("环卫所已约谈承包公司")
    expect(form.get_by_label("办理结果")).to_have_value("resolved")

    text.fill(CITIZEN_TEXT)
    form.get_by_label("是否已联系群众").select_option(label="已联系")
    form.get_by_role("button", name="答复").click()
    expect(page.get_by_role("status")).to_have_text("答复已提交，等待中心审核。")
    expect(page.locator(".facts").first).to_contain_text("答复审核中")
