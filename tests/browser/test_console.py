"""The operator console in a real browser: a call logged with a suggestion picked, the caller's
history on the next call, and a bad form with its errors next to the fields."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import new_phone as _phone


def test_an_operator_logs_a_call_with_a_suggestion_and_reads_back_number_and_code(page, log_in, screenshots):
    page.goto("/console")
    log_in(page, "operator")
    phone = _phone()

    page.get_by_label("来电号码").fill(phone)
    expect(page.locator("#caller-history")).to_contain_text("该号码一年内没有诉求记录")
    page.get_by_label("姓名").fill("赵六")
    page.locator("#f-title").fill("小区垃圾没人清运")
    page.locator("#f-content").fill("王母渡镇光明路小区门口的垃圾堆了三天没人清运，气味很大。")
    page.get_by_label("地址", exact=True).fill("王母渡镇光明路")
    page.get_by_label("地址", exact=True).press("Tab")
    suggested = page.locator("[data-suggested-category]")
    expect(suggested).to_have_count(3)
    screenshots.take(page, "suggestions")
    suggested.first.click()
    code = suggested.first.get_attribute("data-value")
    expect(page.locator("#f-category")).to_have_value(code)
    page.locator("[data-suggested-area]").click()
    expect(page.get_by_label("乡镇（街道）")).to_have_value(re.compile(r"^\d{9}$"))
    page.get_by_label("诉求类型").select_option("投诉")
    page.get_by_role("button", name="登记并派单").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("诉求已登记")
    number = page.locator("[data-number]").inner_text()
    assert re.fullmatch(r"[A-Z]+\d{8}-\d{4,}", number), number
    expect(page.locator("[data-query-code]")).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator("#where-title")).to_be_visible()

    # The same caller rings again: typing the number shows the call just logged.
    page.get_by_role("link", name="登记下一个来电").click()
    page.get_by_label("来电号码").fill(phone)
    expect(page.locator("#caller-history")).to_contain_text(number)
    expect(page.locator("#caller-history")).to_contain_text("1 件诉求")


def test_a_bad_call_shows_its_errors_next_to_the_fields(page, log_in):
    page.goto("/console")
    log_in(page, "operator")

    page.get_by_label("来电号码").fill("12345")
    page.locator("#f-content").fill("来电人询问办事流程。")
    page.get_by_role("button", name="登记并派单").click()

    title = page.locator("#f-title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description("此项为必填项。")
    expect(page.get_by_label("来电号码")).to_have_accessible_description(re.compile("请填写11位手机号码"))
    expect(page.locator("#f-content")).to_have_value("来电人询问办事流程。")
    expect(page.get_by_role("alert")).to_contain_text("请修改以下问题后重新提交")


def test_a_number_typed_before_the_scripts_have_run_still_shows_the_callers_history(page, log_in):
    """A fast operator types the caller's number while htmx is still loading (or the browser
    restores it): once htmx starts, the history of that number is shown all the same."""
    page.goto("/console")
    log_in(page, "operator")
    held: list[Any] = []
    page.route("**/js/htmx.min.js", lambda route: held.append(route))
    page.goto("/console", wait_until="commit")
    page.get_by_label("来电号码").fill(_phone())
    while not held:  # the request for htmx, held until now
        page.wait_for_timeout(50)
    held[0].continue_()

    expect(page.locator("#caller-history")).to_contain_text("该号码一年内没有诉求记录")


def test_the_look_up_button_sits_beside_the_number_at_1280_and_1024_px(page, log_in):
    page.goto("/console")
    log_in(page, "operator")
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        number = page.get_by_label("查询办理进度（受理编号）").bounding_box()
        button = page.get_by_role("button", name="查询", exact=True).bounding_box()
        assert number is not None and button is not None
        assert button["x"] >= number["x"] + number["width"], (width, number, button)  # to its right
        assert abs((button["y"] + button["height"]) - (number["y"] + number["height"])) < 4, (
            width,
            number,
            button,
        )
