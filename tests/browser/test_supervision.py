"""催办 and 督办 in a real browser: the centre presses and supervises an appeal its unit has not
signed for yet, and the unit reads both on its appeal page; an empty note is refused in Chinese
and records nothing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import log_out, logged_call

PRESS_NOTE = "请区城管局今日内签收，尽快安排清运。"
RAISE_NOTE = "群众多次来电，提请分管领导督办。"


def test_the_centre_presses_and_supervises_and_the_unit_sees_both(page, log_in, live_server, screenshots):
    number = logged_call(live_server)  # dispatched to 区城管局, not signed for yet

    page.goto(f"/centre/appeals/{number}")
    log_in(page, "dispatcher")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"诉求 {number}")
    expect(page.locator(".facts [data-sign]")).to_have_text("待签收")
    expect(page.locator(".facts").first).not_to_contain_text("督办级别")

    # 催办 without the note: refused next to the field, nothing recorded.
    press = page.locator("#action-press")
    press.get_by_role("button", name="催办").click()
    press = page.locator("#action-press")
    note = press.get_by_label("催办意见")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(press.locator("#f-press-note-error")).to_have_text("此项为必填项。")
    expect(note).to_have_accessible_description(re.compile("此项为必填项。"))
    expect(page.get_by_role("status")).to_have_count(0)
    expect(page.locator('.event[data-action="pressed"]')).to_have_count(0)
    screenshots.take(page, "press-without-note")

    note.fill(PRESS_NOTE)
    press.get_by_role("button", name="催办").click()
    expect(page.get_by_role("status")).to_have_text("已催办，已提醒承办单位。")
    pressed = page.locator('.event[data-action="pressed"]')
    expect(pressed).to_have_count(1)
    expect(pressed).to_contain_text("催办")
    expect(pressed).to_contain_text(PRESS_NOTE)
    expect(page.locator(".facts").first).not_to_contain_text("督办级别")  # 催办 keeps the level
    expect(page.locator("[data-supervision-level]")).to_have_count(0)

    # 督办 without the note: refused too, the level unchanged.
    supervise = page.locator("#action-raise")
    expect(supervise).to_contain_text("当前第 0 级")
    supervise.get_by_role("button", name="督办（提升一级）").click()
    supervise = page.locator("#action-raise")
    expect(supervise.locator("#f-raise-note-error")).to_have_text("此项为必填项。")
    expect(page.locator('.event[data-action="supervised"]')).to_have_count(0)
    expect(page.locator(".facts").first).not_to_contain_text("督办级别")

    supervise.get_by_label("督办意见").fill(RAISE_NOTE)
    supervise.get_by_role("button", name="督办（提升一级）").click()
    # Asked first: what will happen, nothing done yet.
    asked = page.locator("#confirm-raise")
    expect(asked).to_be_focused()
    expect(asked).to_contain_text(
        "督办级别将由第 0 级提升到第 1 级（单位负责人），通知承办单位区城管局和该级督办人员。"
    )
    expect(page.locator('.event[data-action="supervised"]')).to_have_count(0)
    asked.get_by_role("button", name="确认督办（提升一级）").click()
    expect(page.get_by_role("status")).to_have_text("已督办，督办级别已提升一级。")
    expect(page.locator(".facts dt", has_text="督办级别")).to_have_count(1)
    expect(page.locator(".facts dt:has-text('督办级别') + dd")).to_have_text("1")
    expect(page.locator("#action-raise")).to_contain_text("当前第 1 级")
    supervised = page.locator('.event[data-action="supervised"]')
    expect(supervised).to_contain_text(RAISE_NOTE)
    expect(supervised.locator("[data-supervision-level]")).to_have_text("督办级别提升至第 1 级（单位负责人）")
    log_out(page)

    # 区城管局: the appeal marked in its work list; on its page both, in the order they came.
    log_in(page, "cgj")
    item = page.locator(".work-item", has=page.get_by_role("link", name=number))
    expect(item.locator("[data-supervision]")).to_have_text("1级督办")
    expect(item.locator("[data-sign]")).to_have_text("待签收")
    item.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"诉求 {number}")
    expect(page.locator(".facts [data-sign]")).to_have_text("待签收")
    expect(page.locator(".facts dt:has-text('督办级别') + dd")).to_have_text("1")
    events = page.locator(".timeline .event")
    expect(events.last).to_have_attribute("data-action", "supervised")
    expect(events.last).to_contain_text(RAISE_NOTE)
    expect(events.last).to_contain_text("督办级别提升至第 1 级（单位负责人）")
    expect(events.nth(-2)).to_have_attribute("data-action", "pressed")
    expect(events.nth(-2)).to_contain_text(PRESS_NOTE)
    expect(page.locator("#action-press")).to_have_count(0)  # the centre's forms are not the unit's
    expect(page.locator("#action-sign")).to_be_visible()
