"""打印受理回执 in a real browser: an operator logs a letter whose writer has only a landline, is told
no text goes out and to post the receipt, follows the link, gives the reason the print is logged
with, and printed it is the receipt alone, addressed for the window, on one A4 sheet."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import OUTPUT_DIR
from tests.browser.test_letter import A4, PRINTED_AREA, pdf_pages

ADDRESS = "赣县区梅林镇光明路12号"


def test_a_letter_writer_without_a_mobile_is_posted_the_printed_receipt(page, log_in, screenshots):
    page.goto("/console")
    log_in(page, "operator")
    page.get_by_label("来电号码").fill("0797-4412345")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("通信地址").fill(ADDRESS)
    page.locator("#f-title").fill("路灯不亮")
    page.locator("#f-content").fill("王母渡镇光明路的路灯一个星期都不亮了，晚上走路很危险。")
    page.get_by_label("诉求类型").select_option("求助")
    page.get_by_label("来源渠道").select_option(label="来信")
    page.get_by_role("button", name="登记并派单").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("诉求已登记")
    number = page.locator("[data-number]").inner_text()
    code = page.locator("[data-query-code]").inner_text()
    receipt_box = page.get_by_role("region", name="受理回执")
    expect(receipt_box).to_contain_text("未发送受理回执：固定电话无法接收短信")
    expect(receipt_box).to_contain_text("请打印受理回执并邮寄")
    expect(page.get_by_text("请向来电人")).to_have_count(0)
    screenshots.take(page, "console-result")

    receipt_box.get_by_role("link", name="打印受理回执").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"受理回执 {number}")
    page.get_by_label("打印事由").fill("来信人无手机，邮寄受理回执")
    page.get_by_role("button", name="打印受理回执").click()
    expect(page.get_by_text("本次打印已记录，事由：来信人无手机，邮寄受理回执")).to_be_visible()
    receipt = page.get_by_role("article", name="受理回执")

    page.emulate_media(media="print")
    for hidden in (
        page.get_by_role("navigation", name="主导航"),
        page.get_by_role("banner"),
        page.get_by_role("heading", level=1),
        page.get_by_role("button", name="打印", exact=True),
        page.get_by_text("本次打印已记录"),
    ):
        expect(hidden).to_be_hidden()
    expect(receipt).to_be_visible()
    envelope = receipt.locator(".envelope")
    expect(envelope).to_contain_text(ADDRESS)
    expect(envelope).to_contain_text("李四（收）")
    # The address comes first on the sheet, where the envelope's window is.
    assert envelope.bounding_box()["y"] < receipt.locator(".letter-heading").bounding_box()["y"]
    expect(receipt.locator(".receipt-table")).to_contain_text(number)
    expect(receipt.locator(".receipt-table")).to_contain_text(code)
    expect(receipt).to_contain_text("/portal")
    expect(receipt).to_contain_text("12345热线")
    expect(receipt).not_to_contain_text("话务员")
    assert receipt.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    page.set_viewport_size(PRINTED_AREA)
    screenshots.take(page, "receipt-print")

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (OUTPUT_DIR / screenshots.folder.name / "receipt.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == [A4]
