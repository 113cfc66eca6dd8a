"""待签收 on the unit workbench in a real browser: the list of appeals dispatched to the unit and not
yet signed for, with its count, which drops by one when the unit signs; another unit does not
count them."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import api_as, log_out, logged_call
from tests.service.factories import township
from tests.service.helpers import default_list

LABOUR = "劳动合同纠纷"  # the default list gives it to 区人社局 alone


def to_sign(page: Any) -> Any:
    """The workbench's 待签收 list link (its count in `.count`)."""
    return page.get_by_role("navigation", name="工作清单").get_by_role("link", name=re.compile("待签收"))


def to_sign_now(live_server: Any, username: str) -> int:
    """How many the unit has to sign for now (the API's count of the same list), before the test."""
    r = api_as(live_server, username).get("/api/v1/queues")
    assert r.status_code == 200, r.json
    return next(q["count"] for q in r.json["queues"] if q["name"] == "to_sign")


def labour_call(live_server: Any, title: str) -> str:
    """A labour contract dispute in 梅林镇, dispatched to 区人社局 on intake; its number."""
    category = next(c.code for c in default_list().categories if c.name == LABOUR)
    return logged_call(
        live_server,
        category=category,
        area=township("梅林镇"),
        title=title,
        content="梅林镇某工厂不与工人签订劳动合同，工人要求补签，厂方一直推脱，请求帮助。",
    )


def test_the_unit_counts_what_it_has_to_sign_for_and_signing_one_takes_it_off(page, log_in, live_server):
    before, cgj_before = to_sign_now(live_server, "rsj"), to_sign_now(live_server, "cgj")
    first = labour_call(live_server, "工厂不签劳动合同")
    second = labour_call(live_server, "工厂不签劳动合同又一例")

    page.goto("/unit")
    log_in(page, "rsj")
    expect(page).to_have_url(re.compile(r"/unit$"))
    expect(to_sign(page).locator(".count")).to_have_text(str(before + 2))
    to_sign(page).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"待签收（{before + 2}）")
    for number in (first, second):
        item = page.locator(".work-item", has=page.get_by_role("link", name=number))
        expect(item.locator("[data-sign]")).to_have_text("待签收")

    page.get_by_role("link", name=first).click()
    page.locator("#action-sign").get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_have_text("已签收。")
    expect(page.locator(".facts [data-sign]")).to_have_count(0)
    page.get_by_role("link", name="← 返回工作台").click()
    expect(to_sign(page).locator(".count")).to_have_text(str(before + 1))
    mine = page.locator(".work-item", has=page.get_by_role("link", name=first))
    expect(mine).to_contain_text("办理中")
    expect(mine.locator("[data-sign]")).to_have_count(0)
    log_out(page)

    # 区城管局 neither counts nor lists 区人社局's appeals.
    log_in(page, "cgj")
    expect(to_sign(page).locator(".count")).to_have_text(str(cgj_before))
    to_sign(page).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"待签收（{cgj_before}）")
    expect(page.get_by_role("link", name=second)).to_have_count(0)


def test_a_co_unit_sees_its_own_part_to_sign_for_and_not_the_lead_s(page, log_in, live_server):
    co_before = to_sign_now(live_server, "meilin")
    number = logged_call(live_server, title="梅林镇垃圾无人清运")  # 区城管局 leads, 梅林镇 co-handles

    page.goto("/unit")
    log_in(page, "meilin")
    item = page.locator(".work-item", has=page.get_by_role("link", name=number))
    expect(item.locator("[data-sign]")).to_have_text("待签收")
    expect(item.locator("[data-part]")).to_have_text("协办")
    expect(to_sign(page).locator(".count")).to_have_text(str(co_before + 1))  # its part, in its list

    page.get_by_role("link", name=number).click()
    page.locator("#action-sign").get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_have_text("已签收。")
    expect(page.locator(".facts [data-sign]")).to_have_count(0)  # the lead unit has still to sign
    expect(page.locator(".facts [data-part]")).to_have_text("协办")
    page.get_by_role("link", name="← 返回工作台").click()
    expect(item.locator("[data-sign]")).to_have_count(0)
    expect(to_sign(page).locator(".count")).to_have_text(str(co_before))
    log_out(page)

    log_in(page, "cgj")
    page.goto(f"/unit/appeals/{number}")
    expect(page.locator(".facts [data-sign]")).to_have_text("待签收")
    expect(page.locator(".facts [data-part]")).to_have_count(0)
