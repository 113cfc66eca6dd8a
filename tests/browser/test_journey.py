"""The whole journey of one appeal, entirely through the pages, in a real browser.

An operator logs a garbage complaint in 梅林镇 on the console (it is dispatched on intake to
区城管局 by the responsibility list) and reads back the number and query code; the unit signs and
replies on its workbench; the reviewer approves the reply in the centre; the citizen, on a 360 px
phone, tracks the appeal with number and query code, reads the reply and rates it; the leader sees
the rating counted in the month's figures (统计分析), then the appeal closed in the centre, with the
rating in the timeline.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import log_out, new_phone, no_horizontal_scroll

TITLE = "梅林镇圩镇垃圾桶满溢无人清运"
CONTENT = "梅林镇圩镇菜市场旁边的垃圾桶已经满了三天，垃圾没人清运，气味很大，请尽快处理。"
REPLY = "经核查，梅林镇菜市场旁垃圾桶已于今日清运完毕，并已安排每日定时清运。"
COMMENT = "清运及时，谢谢。"


def test_an_appeal_from_call_to_rating_to_closed(page, log_in, screenshots):
    # -- 话务员: the call, logged on the console ----------------------------------------------
    phone = new_phone()
    page.goto("/console")
    log_in(page, "operator")
    expect(page.get_by_role("heading", level=1)).to_have_text("话务台：来电登记")
    page.get_by_label("来电号码").fill(phone)
    expect(page.locator("#caller-history")).to_contain_text("该号码一年内没有诉求记录")
    page.get_by_label("姓名").fill("李四")
    page.locator("#f-title").fill(TITLE)
    page.locator("#f-content").fill(CONTENT)
    page.get_by_label("地址", exact=True).fill("梅林镇圩镇菜市场")
    page.get_by_label("地址", exact=True).press("Tab")
    # The category from the text's suggestions, the area from the picker.
    garbage = page.locator("[data-suggested-category]", has_text="生活垃圾清运")
    expect(garbage).to_have_count(1)
    garbage.click()
    expect(page.locator("#f-category option:checked")).to_contain_text("生活垃圾清运")
    page.get_by_label("乡镇（街道）").select_option(label="梅林镇")
    expect(page.get_by_label("村（社区）")).to_be_enabled()
    page.get_by_label("诉求类型").select_option("投诉")
    # The likely-duplicate check has run on what was typed (other tests' appeals may show up).
    expect(page.locator("#duplicates [data-duplicates]")).to_be_visible()
    page.get_by_role("button", name="登记并派单").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("诉求已登记")
    number = page.locator("[data-number]").inner_text()
    code = page.locator("[data-query-code]").inner_text()
    assert re.fullmatch(r"[A-Z]+\d{8}-\d{4,}", number), number
    assert re.fullmatch(r"\d{6}", code), code
    where = page.locator("section", has=page.locator("#where-title"))
    expect(where.locator("[data-status]").first).to_have_text("已派单")
    expect(page.locator("[data-lead-unit]")).to_have_text("区城管局")
    log_out(page)

    # -- 承办单位 (区城管局): sign, then reply with the result ---------------------------------
    log_in(page, "cgj")  # on the log-in page the log-out left; a unit's staff land on the workbench
    expect(page).to_have_url(re.compile(r"/unit$"))
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"诉求 {number}")
    expect(page.locator(".contact .phone")).to_have_text(f"{phone[:3]}****{phone[-4:]}")
    page.locator("#action-sign").get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_have_text("已签收。")
    form = page.locator("#action-reply")
    form.get_by_label("办理结果").select_option(label="已解决")
    form.get_by_label("答复群众内容").fill(REPLY)
    form.get_by_label("内部备注").fill("已督促环卫所加密清运频次")
    form.get_by_label("是否已联系群众").select_option(label="已联系")
    form.get_by_role("button", name="答复").click()
    expect(page.get_by_role("status")).to_have_text("答复已提交，等待中心审核。")
    expect(page.locator(".facts").first).to_contain_text("答复审核中")
    log_out(page)

    # -- 审核员: the reply approved, released to the citizen ----------------------------------
    log_in(page, "reviewer")
    expect(page).to_have_url(re.compile(r"/centre$"))
    page.get_by_role("link", name=re.compile("答复待审")).click()
    page.get_by_role("link", name=number).click()
    expect(page.locator(".pending")).to_contain_text(REPLY)
    form = page.locator("#action-review")
    form.get_by_label("审核结果").select_option(label="通过，答复群众")
    form.get_by_role("button", name="答复审核").click()
    expect(page.get_by_role("status")).to_have_text("答复已审核通过，已发布给群众。")
    expect(page.locator(".facts").first).to_contain_text("已答复")
    log_out(page)

    # -- 群众, on a phone: track with number and query code, read the reply, rate it -------------
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/portal")
    no_horizontal_scroll(page)
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("[data-reply]")).to_have_text(REPLY)
    expect(page.locator(".facts [data-status]")).to_have_text("已答复")
    no_horizontal_scroll(page)
    page.get_by_role("group", name="承办单位是否与您联系过？").get_by_label("联系过").check()
    page.get_by_role("group", name="问题是否解决？").get_by_label("已解决").check()
    page.get_by_role("group", name="对办理态度是否满意？").get_by_label("满意", exact=True).check()
    page.get_by_role("group", name="对办理结果是否满意？").get_by_label("满意", exact=True).check()
    page.get_by_label("意见（选填）").fill(COMMENT)
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("status")).to_have_text("感谢您的评价！")
    expect(page.locator("[data-rated]")).to_contain_text("办理态度满意，办理结果满意")
    expect(page.locator(".facts [data-status]")).to_have_text("已办结")
    no_horizontal_scroll(page)
    screenshots.take(page, "portal-rated-360")

    # -- 领导: the month's figures count the rating; in the centre, the appeal closed ------------
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "leader")
    expect(page).to_have_url(re.compile(r"/figures$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("统计分析")
    departments = page.locator('section[data-group="department"]')
    expect(departments.locator('[data-ranking="best"]')).to_contain_text("区城管局")
    row = departments.get_by_role("row", name=re.compile("区城管局"))
    expect(row.locator('td[data-rate="satisfaction_rate"]')).to_have_text(re.compile(r"^\d+\.\d%$"))
    screenshots.take(page, "figures")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="分拨中心").click()
    expect(page).to_have_url(re.compile(r"/centre$"))
    page.get_by_label("按编号查找诉求").fill(number)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"诉求 {number}")
    expect(page.locator(".facts [data-status]").first).to_have_text("已办结")
    rated = page.locator('.event[data-action="evaluated"]')
    expect(rated).to_contain_text("评价")
    expect(rated).to_contain_text("群众")
    expect(rated.locator("[data-rating]")).to_have_text("办理态度满意，办理结果满意；已解决；已联系群众。")
    expect(rated).to_contain_text(COMMENT)
    expect(page.locator(".timeline .event").last).to_contain_text("已办结")
