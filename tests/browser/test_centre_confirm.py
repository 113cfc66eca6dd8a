"""The centre's irreversible actions in a real browser: 并案 and 办结 ask first and say what will
happen, 返回修改 gives the typed reason back, and the same works with scripts off; the dispatch
form's co-units are checkboxes in groups, narrowed by a filter box and ticked with the keyboard."""

from __future__ import annotations

from playwright.sync_api import expect

from service.demo import DEMO_PASSWORD
from tests.browser.pages import api_as, logged_call, released_reply
from tests.service.closing_arrange import UNSATISFIED

REASON = "同一地点同一问题，来电人相同。"


def test_a_merge_asks_first_and_back_keeps_the_typed_reason(page, log_in, live_server, screenshots):
    master, duplicate = logged_call(live_server), logged_call(live_server)
    page.goto(f"/centre/appeals/{duplicate}")
    log_in(page, "dispatcher")

    merge = page.locator("#action-merge")
    merge.get_by_label("主件编号").fill(master)
    merge.get_by_label("并案理由").fill(REASON)
    merge.get_by_role("button", name="并案").click()

    asked = page.locator("#confirm-merge")
    expect(asked).to_be_focused()  # scrolled to and read first, not somewhere down the page
    expect(asked).to_contain_text(f"诉求 {duplicate} 将并入 {master}（")
    expect(asked).to_contain_text("并案后不能撤销")
    screenshots.take(page, "merge-asked")
    asked.get_by_role("button", name="返回修改").click()

    merge = page.locator("#action-merge")
    expect(merge.get_by_label("并案理由")).to_have_value(REASON)  # nothing lost
    expect(merge.get_by_label("主件编号")).to_have_value(master)
    expect(page.locator("[data-confirm-step]")).to_have_count(0)
    expect(page.locator('.event[data-action="merged"]')).to_have_count(0)  # nothing done
    merge.get_by_role("button", name="并案").click()
    page.locator("#confirm-merge").get_by_role("button", name="确认并案").click()

    expect(page.get_by_role("status")).to_have_text(f"已并入 {master}。")
    expect(page.locator('.event[data-action="merged"]')).to_have_count(1)


def test_a_close_asks_first_with_scripts_off_too(browser, live_server, screenshots):
    number = logged_call(live_server)
    released_reply(live_server, number, "垃圾已清运。")
    r = api_as(live_server, "reviewer").post(
        f"/api/v1/appeals/{number}/evaluate", json=UNSATISFIED
    )  # a satisfied one closes it by itself
    assert r.status_code == 200, r.json
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("用户名").fill("reviewer")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        page.goto(f"/centre/appeals/{number}")
        close = page.locator("#action-close")
        close.get_by_label("办结说明").fill("已回访，群众满意。")
        close.get_by_role("button", name="办结").click()

        asked = page.locator("#confirm-close")
        expect(asked).to_be_focused()  # autofocus: no script needed
        expect(asked).to_contain_text(f"诉求 {number} 将办结归档，不再办理")
        asked.get_by_role("button", name="返回修改").click()
        expect(page.locator("#action-close").get_by_label("办结说明")).to_have_value("已回访，群众满意。")
        page.locator("#action-close").get_by_role("button", name="办结").click()
        page.locator("#confirm-close").get_by_role("button", name="确认办结").click()
        expect(page.get_by_role("status")).to_have_text("已办结。")
        screenshots.take(page, "closed-without-scripts")
    finally:
        context.close()


def test_co_units_are_ticked_in_groups_with_the_keyboard(page, log_in, live_server, screenshots):
    number = logged_call(live_server)
    page.goto(f"/centre/appeals/{number}")
    log_in(page, "dispatcher")

    co_units = page.get_by_role("group", name="协办单位").first
    expect(co_units.get_by_role("group", name="乡镇（街道）")).to_be_visible()
    expect(co_units.get_by_role("group", name="区直部门")).to_be_visible()
    meilin = co_units.get_by_role("checkbox", name="梅林镇人民政府")
    expect(meilin).to_be_checked()  # the co-unit it has now
    # Sixty units: typing part of a name or a code narrows the list, saying how many are left (or
    # that none is); the ticked one stays in sight.
    search = co_units.get_by_label("筛选单位")
    search.fill("没有这个单位")
    expect(co_units.get_by_text("没有名称或代码含所输入文字的单位。")).to_be_visible()
    expect(co_units.get_by_role("checkbox", name="区城管局")).to_be_hidden()
    search.fill("gxq-rsj")
    rsj = co_units.get_by_role("checkbox", name="区人社局")
    expect(rsj).to_be_visible()
    search.fill("人社")
    expect(co_units.get_by_text("符合的单位：1 个（已勾选的始终显示）")).to_be_visible()
    expect(rsj).to_be_visible()
    expect(co_units.get_by_role("checkbox", name="区城管局")).to_be_hidden()
    expect(meilin).to_be_visible()
    expect(co_units.get_by_role("group", name="其他单位")).to_be_hidden()
    screenshots.take(page, "co-units-filtered")
    page.keyboard.press("Enter")  # in the filter box: does not send the form
    expect(page.locator('.event[data-action="co_units_changed"]')).to_have_count(0)
    page.keyboard.press("Tab")  # the first box left in sight
    expect(rsj).to_be_focused()
    page.keyboard.press("Space")
    expect(rsj).to_be_checked()
    co_units.get_by_label("筛选单位").fill("")
    expect(co_units.get_by_role("checkbox", name="区城管局")).to_be_visible()
    dispatch = page.locator("#action-dispatch")
    dispatch.get_by_label("派单理由").fill("欠薪部分请人社局协办")
    dispatch.get_by_role("button", name="派单 / 改派").click()

    expect(page.get_by_role("status")).to_have_text("已调整协办单位。")
    co_units = page.get_by_role("group", name="协办单位").first
    expect(co_units.get_by_role("checkbox", name="区人社局")).to_be_checked()
    expect(co_units.get_by_role("checkbox", name="梅林镇人民政府")).to_be_checked()
