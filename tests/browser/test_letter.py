"""打印答复函 in a real browser: the centre opens the reply letter of a replied appeal from its page
(giving the reason the print is logged with), and printed it is the letter alone, on one A4 sheet."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from playwright.sync_api import expect

from service.handling.letters import chinese_date
from tests.browser.conftest import OUTPUT_DIR
from tests.browser.pages import logged_call, released_reply

#: Two paragraphs, the second typed with an indent of two full-width spaces of its own.
PARAGRAPHS = (
    "经核查，光明路12号小区门口垃圾已于今日清运完毕，环卫所已安排每日定时清运。",
    "下一步，环卫所将加强巡查，发现满溢及时清运。",
)
REPLY = PARAGRAPHS[0] + "\n\n　　" + PARAGRAPHS[1]

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
    # Each paragraph of the reply a paragraph of the letter, indented two characters, once.
    paragraphs = letter.locator(".reply-text .para")
    expect(paragraphs).to_have_text(list(PARAGRAPHS))
    for i in range(len(PARAGRAPHS)):
        indent, size = paragraphs.nth(i).evaluate(
            "e => [getComputedStyle(e).textIndent, getComputedStyle(e).fontSize].map(parseFloat)"
        )
        assert indent == 2 * size, (i, indent, size)
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


def page_of_each(page: Any, selectors: dict[str, str]) -> dict[str, int]:
    """The PDF page (from 0) each element prints on. Chromium writes a named destination, with
    its page, for every element a link of the page points to: the elements get an id, the end of
    the page a link to each (after the letter, so the letter is laid out as before)."""
    page.evaluate(
        """selectors => { document.querySelectorAll('a.pdf-probe').forEach(a => a.remove());
           for (const [id, sel] of Object.entries(selectors)) {
             document.querySelector(sel).id = id;
             const a = document.createElement('a'); a.href = '#' + id; a.textContent = id; a.className = 'pdf-probe';
             document.body.append(a); } }""",
        selectors,
    )
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    kids = re.search(rb"/Type\s*/Pages\s*/Count\s*\d+\s*/Kids\s*\[([^\]]*)\]", pdf)
    assert kids, "no page tree"
    pages = re.findall(rb"(\d+)\s+0\s+R", kids.group(1))
    found = {
        name.decode(): pages.index(ref)
        for name, ref in re.findall(rb"/([A-Za-z]\w*)\s*\[\s*(\d+)\s+0\s+R\s*/XYZ", pdf)
        if ref in pages
    }
    return {name: found[name] for name in selectors}


def test_however_long_the_reply_the_sign_off_never_prints_alone_on_a_page(page, log_in, live_server):
    number = logged_call(live_server)
    released_reply(live_server, number, PARAGRAPHS[0])
    page.goto(f"/centre/appeals/{number}")
    log_in(page, "dispatcher")
    page.get_by_label("打印答复函的事由（将被记录）").fill("群众要求邮寄书面答复")
    page.get_by_role("button", name="打印答复函").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"答复函 {number}")
    page.emulate_media(media="print")

    # Longer and longer replies, two paragraphs more each time (less than the sign-off with its
    # margin), until the closing line has gone over to the second page: on the way it fell at the
    # foot of the first. The unit and the date always print after the closing, on its page.
    where: list[dict[str, int]] = []
    paragraphs = 8
    while not where or where[-1]["closing"] == 0:
        assert paragraphs < 60, where
        page.evaluate(
            """n => { const text = document.querySelector('.letter .reply-text');
                      const para = text.querySelector('.para');
                      text.replaceChildren(...Array.from({length: n}, () => para.cloneNode(true))); }""",
            paragraphs,
        )
        where.append(page_of_each(page, {"closing": ".letter .closing", "signoff": ".letter .sign-off"}))
        paragraphs += 2
    assert where[0]["closing"] == 0 and len(where) > 1, where  # it started on the first page
    assert all(w["closing"] == w["signoff"] for w in where), where
