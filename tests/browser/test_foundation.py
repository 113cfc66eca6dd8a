"""The pages' foundation in a real browser: log-in and the role's nav, errors next to fields,
the language toggle, CSRF, and a 360 px wide screen."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_dispatcher_logs_in_and_sees_the_centre_nav(page, log_in):
    page.goto("/centre")
    expect(page).to_have_url(re.compile(r"/login\?next=/centre$"))

    log_in(page, "dispatcher")

    expect(page).to_have_url(re.compile(r"/centre$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("分拨中心")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link")).to_have_text(["话务台", "分拨中心", "统计分析", "知识库"])
    expect(nav.get_by_role("link", name="分拨中心")).to_have_attribute("aria-current", "page")
    expect(page.locator(".who")).to_contain_text("分拨员 刘建国")

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    page.goto("/centre")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_wrong_password_shows_its_error_next_to_the_field(page, log_in):
    log_in(page, "cgj", password="not-the-password")

    password = page.get_by_label("密码")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description("用户名或密码不正确。")
    expect(page.locator("#f-password-error")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_value("cgj")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确。")


def test_the_language_toggle_switches_to_english_and_back(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff log-in")
    page.goto("/portal")  # the choice is remembered
    expect(page.get_by_role("heading", level=1)).to_have_text("Citizens' appeals")

    page.get_by_role("link", name="中文").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("群众诉求")


def test_a_form_posted_without_its_csrf_token_is_refused(page):
    page.goto("/login")
    page.locator('input[name="csrf_token"]').evaluate("el => el.remove()")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("demo1234")

    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("请求无效")
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_log_in_page_fits_a_360_px_screen_and_is_keyboard_friendly(page, log_in):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/login")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_label("用户名")).to_be_focused()  # autofocus: type at once

    page.goto("/portal")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    log_in(page, "meilin")
    expect(page.get_by_role("heading", level=1)).to_have_text("承办单位工作台")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
