"""The citizens' portal on a 360 px wide phone: submit, track, read the reply, rate once."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import new_phone
from tests.browser.pages import no_horizontal_scroll as _no_horizontal_scroll
from tests.service.factories import unit_code


def _release_a_reply(app: Any, number: str) -> None:
    """The centre dispatches to 区城管局, the unit signs and replies, the reviewer releases the reply:
    through the JSON API, as each role would."""
    from service import db
    from service.auth.models import User
    from service.auth.operations import create_token

    tokens = {}
    with app.app_context():
        s = db.session()
        for username in ("dispatcher", "cgj", "reviewer"):
            user = s.scalar(sa.select(User).where(User.username == username))
            tokens[username] = create_token(s, user, "browser test")
        s.commit()
    client = app.test_client()

    def post(username: str, action: str, body: dict[str, Any]) -> None:
        r = client.post(
            f"/api/v1/appeals/{number}/{action}",
            json=body,
            headers={"Authorization": f"Bearer {tokens[username]}"},
        )
        assert r.status_code == 200, r.get_data(as_text=True)

    post("dispatcher", "dispatch", {"reason": "噪音由城管执法", "unit": unit_code("区城管局")})
    post("cgj", "sign", {})
    post(
        "cgj",
        "reply",
        {"result": "resolved", "citizen_text": "已责令工地夜间停工，并安排夜查。", "contacted_citizen": True},
    )
    post("reviewer", "review", {"decision": "approve"})


def test_a_citizen_on_a_phone_submits_tracks_and_rates(page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/portal")
    _no_horizontal_scroll(page)
    page.get_by_role("link", name="填写诉求").click()

    page.get_by_label("诉求类型").select_option("投诉")
    page.get_by_label("标题").fill("夜间施工噪音扰民")
    page.get_by_label("具体内容").fill("小区旁边工地每天晚上十一点以后还在施工，噪音很大。")
    page.get_by_label("乡镇（街道）").select_option(label="梅林镇")
    expect(page.get_by_label("村（社区）")).to_be_enabled()
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("联系电话").fill("13600001111")
    _no_horizontal_scroll(page)
    page.get_by_role("button", name="提交诉求").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("诉求已提交")
    number = page.locator("[data-number]").inner_text()
    code = page.locator("[data-query-code]").inner_text()
    assert re.fullmatch(r"\d{6}", code)

    _release_a_reply(live_server.app, number)
    page.goto("/portal/track")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()

    expect(page.locator("[data-reply]")).to_have_text("已责令工地夜间停工，并安排夜查。")
    expect(page.locator(".timeline")).to_contain_text("已答复")
    _no_horizontal_scroll(page)
    page.get_by_role("group", name="承办单位是否与您联系过？").get_by_label("联系过").check()
    page.get_by_role("group", name="问题是否解决？").get_by_label("已解决").check()
    page.get_by_role("group", name="对办理态度是否满意？").get_by_label("满意", exact=True).check()
    page.get_by_role("group", name="对办理结果是否满意？").get_by_label("基本满意").check()
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("status")).to_have_text("感谢您的评价！")
    expect(page.locator("[data-rated]")).to_contain_text("办理态度满意")
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("已办结")


def test_a_township_chosen_before_the_scripts_have_run_still_lists_its_villages(page):
    """A quick tap on a slow phone: the township is chosen while htmx is still downloading. Once
    it starts, the villages of that township are there to choose from."""
    held: list[Any] = []
    page.route("**/js/htmx.min.js", lambda route: held.append(route))
    page.goto("/portal/submit", wait_until="commit")
    page.get_by_label("乡镇（街道）").select_option(label="梅林镇")
    expect(page.get_by_label("村（社区）")).to_be_disabled()
    while not held:  # the request for htmx, held until now
        page.wait_for_timeout(50)
    held[0].continue_()

    villages = page.get_by_label("村（社区）")
    expect(villages).to_be_enabled()
    expect(villages.locator("option", has_text="梅林村")).to_have_count(1)
    expect(page.get_by_label("乡镇（街道）")).to_have_value(re.compile(r"^\d{9}$"))


def test_every_field_in_error_is_outlined_in_red_and_named_at_the_top(page):
    """A phone number typed wrong and the name and phone left empty: each box is outlined in the
    error colour (a text box as well as a select or the content box), and the summary at the top
    names each field."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/portal/submit")
    page.get_by_label("诉求类型").select_option("求助")
    page.get_by_label("具体内容").fill("楼道里的声控灯坏了一个多月。")
    page.get_by_role("button", name="提交诉求").click()

    summary = page.locator(".error-summary li")
    expect(summary).to_have_text(["标题：此项为必填项。", "姓名：此项为必填项。", "联系电话：此项为必填项。"])
    error_red = "rgb(207, 34, 46)"
    for label in ("标题", "姓名", "联系电话"):
        box = page.get_by_label(label)
        expect(box).to_have_css("border-top-color", error_red)
        expect(box).to_have_css("border-top-width", "2px")
    expect(page.get_by_label("具体内容")).to_have_css("border-top-color", "rgb(208, 215, 222)")  # no error
    expect(page.get_by_label("具体内容")).to_have_value("楼道里的声控灯坏了一个多月。")
    _no_horizontal_scroll(page)


def test_after_leaving_the_back_button_does_not_bring_the_appeal_or_its_code_back(
    browser, live_server, screenshots
):
    """A shared computer: the citizen submits, reads the progress and presses 退出查询; the next
    user presses Back. Chromium as installed keeps pages in its back/forward cache (Playwright
    turns that off unless asked), so it is asked to keep it here."""
    real = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        context = real.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="zh-CN"
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/portal/submit")
        page.get_by_label("诉求类型").select_option("咨询")
        page.get_by_label("标题").fill("社保卡补办")
        page.get_by_label("具体内容").fill("社保卡丢了，请问在哪里补办，要带什么材料？")
        page.get_by_label("姓名").fill("赵六")
        page.get_by_label("联系电话").fill(new_phone())
        page.get_by_role("button", name="提交诉求").click()
        code = page.locator("[data-query-code]").inner_text()
        page.get_by_role("link", name="查看办理进度").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("社保卡补办")
        page.get_by_role("button", name="退出查询").click()
        expect(page.get_by_role("status")).to_have_text("已退出查询。再次查看须输入受理编号和查询码。")

        for left in ("progress", "code"):
            page.go_back(wait_until="commit")
            expect(page.get_by_role("heading", level=1)).to_have_text("查询诉求")
            screenshots.take(page, f"back-to-the-{left}")
            expect(page.get_by_text("社保卡补办")).to_have_count(0)
            expect(page.get_by_text(code)).to_have_count(0)
        # Once more: the form it was sent from, without what was typed in it.
        page.go_back(wait_until="commit")
        expect(page.get_by_role("heading", level=1)).to_have_text("填写诉求")
        for label in ("标题", "具体内容", "姓名", "联系电话"):
            expect(page.get_by_label(label)).to_have_value("")
        context.close()
    finally:
        real.close()


def test_a_form_sent_back_with_errors_puts_the_keyboard_on_its_summary(page):
    """After a failed submit the focus is on the list of what to correct (a screen reader reads it,
    Tab goes on to the form), and a focused element's ring stands out from the white page."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/portal/submit")
    page.get_by_label("诉求类型").select_option("求助")
    page.get_by_role("button", name="提交诉求").click()

    expect(page.locator(".error-summary")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("href", re.compile(r"^#f-"))  # the summary's first link
    expect(focused).to_have_css("outline-color", "rgb(31, 35, 40)")
