"""打印答复函 in a real browser: the centre opens the reply letter of a replied appeal from its page
(giving the reason the print is logged with), and printed it is the letter alone, on one A4 sheet."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import expect

from service.handling.letters import chinese_date
from tests.browser.conftest import OUTPUT_DIR
from tests.browser.pages import logged_call, released_reply

REPLY = "经核查，光明路12号小区门口垃圾已于今日清运完毕，环卫所已安排每日定时清运，并将加强巡查。"

A4 = (210, 297)  # mm
#: The printed area of an A4 sheet in CSS pixels: 210 mm less the 22 mm margins each side, and
#: 297 mm less 25 mm at the top and 22 mm at the bottom (letter.css, @page).
PRINTED_AREA = {"width": round((210 - 44) / 25.4 * 96), "height": round((297 - 47) / 25.4 * 96)}


def pdf_pages(pdf: bytes) -> list[tuple[int, int]]:
    """The size of each page of a PDF Chromium wrote, in whole millimetres: its page objects are
    plain dictionaries with their /MediaBox (in points), only the content streams are compressed."""
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) == len(pages), (len(boxes), len(pages))
    return [(round(float(w) * 25.4 / 72), round(float(h) * 25.4 / 72)) for w, h in boxes]


def test_the_printed_reply_letter_is_the_letter_alone_on_one_a4_page(page, log_in, live_server, screenshots):
    tz = live_server.app.config["TZ"]
    number = logged_call(live_server)
    released_reply(live_server, number, REPLY)
    today = {chinese_date(datetime.now(tz).date())}  # the release date, as the letter writes it

    page.goto(f"/centre/appeals/{number}")
    log_in(page, "dispatcher")
    page.get_by_label("打印答复函的事由（将被记录）").fill("群众要求邮寄书面答复")
    page.get_by_role("button", name="打印答复函").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"答复函 {number}")
    expect(page.get_by_role("button", name="打印", exact=True)).to_be_visible()
    expect(page.get_by_text("本次打印已记录，事由：群众要求邮寄书面答复")).to_be_visible()
    letter = page.get_by_role("article", name="诉求办理答复函")

    page.emulate_media(media="print")
    today.add(chinese_date(datetime.now(tz).date()))  # midnight may have passed meanwhile
    for hidden in (
        page.get_by_role("navigation", name="主导航"),
        page.get_by_role("banner"),
        page.get_by_role("contentinfo"),
        page.get_by_role("heading", level=1),
        page.get_by_role("button", name="打印", exact=True),
        page.get_by_role("link", name=f"← 返回诉求 {number}"),
        page.get_by_text("本次打印已记录"),
    ):
        expect(hidden).to_be_hidden()
    expect(letter).to_be_visible()
    expect(letter.locator(".letter-heading")).to_have_text("诉求办理答复函")
    expect(letter).to_contain_text(f"受理编号：{number}")
    expect(letter).to_contain_text("办理结果：已解决")
    expect(letter.locator(".reply-text")).to_have_text(REPLY)
    expect(letter.locator(".sign-off")).to_contain_text("区城管局")
    expect(letter.locator(".sign-off")).to_contain_text(re.compile("|".join(today)))
    expect(letter.locator(".rating-help")).to_contain_text(number)
    # The letter fills the sheet's width between its margins, with no box around it.
    assert letter.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    page.set_viewport_size(PRINTED_AREA)  # the screenshot: as much as one sheet holds
    screenshots.take(page, "letter-print")

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (OUTPUT_DIR / screenshots.folder.name / "letter.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == [A4]  # a short reply: one A4 sheet
