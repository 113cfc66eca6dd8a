"""The admin pages in a real browser: uploading a list version, reading its report and diff,
activating it; and the new-account form with its errors next to the fields."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from dispatch.calendar import calendar_gaps
from responsibility_lists.loader import load_file

DEFAULT_LIST = Path(__file__).resolve().parents[2] / "responsibility_lists" / "ganxian.yaml"
OLD_NOTE = "note: 一级兜底：诉求未细化到具体事项时由区住建局先行办理，中心可按具体事项改派"
NEW_NOTE = "note: 一级兜底：诉求未细化到具体事项时由区住建局先行办理，中心可改派"


def test_an_admin_uploads_a_list_sees_report_and_diff_and_activates_it(page, log_in, tmp_path):
    # Only a boundary note changes, so routing in other browser tests is the same either way;
    # the test switches back to the default version at its end all the same.
    text = DEFAULT_LIST.read_text(encoding="utf-8")
    changed = text.replace('version: "2026.11"', 'version: "2026.11-b"', 1).replace(OLD_NOTE, NEW_NOTE, 1)
    assert changed.count(NEW_NOTE) == 1
    upload = tmp_path / "ganxian-b.yaml"
    upload.write_text(changed, encoding="utf-8")

    page.goto("/admin/lists")
    log_in(page, "admin")
    expect(page.locator('tr[data-label="2026.11"]')).to_contain_text("当前启用")
    page.get_by_label("清单文件").set_input_files(upload)
    page.get_by_role("button", name="上传并检查").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("清单检查结果：ganxian-b.yaml")
    # the years without holiday data are warnings (the upload changes only a note, not the calendar)
    gaps = calendar_gaps(load_file(DEFAULT_LIST).calendar, date.today())
    expect(page.locator(".report-summary")).to_have_text(f"0 个错误，{len(gaps)} 个警告。")
    expect(page.get_by_text("检查通过，已存为新版本 2026.11-b（439 条规则），尚未启用。")).to_be_visible()
    diff = page.locator("section.diff")
    expect(diff.get_by_role("heading", level=2)).to_have_text("与当前启用版本 2026.11 的差异")
    expect(diff.locator('[data-kind="rule"] li.changed')).to_contain_text("GX-0001")
    expect(diff.locator('[data-kind="rule"] li.changed')).to_contain_text("中心可改派")

    page.get_by_role("link", name="启用此版本…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("启用版本 2026.11-b")
    page.get_by_role("button", name="确认启用 2026.11-b").click()

    expect(page.get_by_role("status")).to_contain_text("已启用职责清单版本 2026.11-b")
    expect(page.locator('tr[data-label="2026.11-b"]')).to_contain_text("当前启用")
    expect(page.locator('tr[data-label="2026.11"]')).not_to_contain_text("当前启用")

    page.locator('tr[data-label="2026.11"]').get_by_role("link", name="启用…").click()
    page.get_by_role("button", name="确认启用 2026.11").click()
    expect(page.locator('tr[data-label="2026.11"]')).to_contain_text("当前启用")


def test_the_new_account_form_shows_errors_next_to_fields_then_creates_it(page, log_in):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/admin/users")
    log_in(page, "admin")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("textbox", name="用户名", exact=True).fill("operator")
    page.get_by_label("姓名").fill("梅林镇 刘洋")
    page.get_by_label("角色").select_option("unit_staff")
    page.get_by_label("初始密码").fill("short")
    page.get_by_label("再次输入密码").fill("short")
    page.get_by_role("button", name="创建账号").click()

    expect(page.get_by_label("所属单位")).to_have_accessible_description(
        re.compile("承办单位人员必须选择所属单位。")
    )
    expect(page.get_by_label("初始密码")).to_have_accessible_description(re.compile("密码至少 8 个字符。"))
    expect(page.get_by_label("姓名")).to_have_value("梅林镇 刘洋")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("所属单位").select_option(label="梅林镇人民政府（GXZ-MLZ）")
    page.get_by_label("初始密码").fill("Meilin-2026-duty")
    page.get_by_label("再次输入密码").fill("Meilin-2026-duty")
    page.get_by_role("button", name="创建账号").click()

    username = page.get_by_role("textbox", name="用户名", exact=True)
    expect(username).to_have_accessible_description(re.compile("用户名 operator 已被使用。"))
    expect(page.get_by_label("所属单位")).to_have_value("GXZ-MLZ")

    username.fill("meilin2")
    page.get_by_label("初始密码").fill("Meilin-2026-duty")
    page.get_by_label("再次输入密码").fill("Meilin-2026-duty")
    page.get_by_role("button", name="创建账号").click()

    expect(page.get_by_role("status")).to_have_text("已创建账号 meilin2。")
    expect(page.locator('tr[data-username="meilin2"]')).to_contain_text("梅林镇 刘洋")
