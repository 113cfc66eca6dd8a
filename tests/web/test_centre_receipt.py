"""打印受理回执: the number and the query code on paper for a citizen no text reaches, addressed for
the envelope window, logged as a view of personal data with its reason."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal, PersonalDataAccess
from service.handling.letters import chinese_date
from tests.service import test_retention as retention
from tests.service.closing_arrange import logged
from tests.service.factories import register, stored

LETTER_META = {"sender_address": "赣县区梅林镇光明路12号", "tracking_number": "XA123456789CN"}
LANDLINE = {"name": "李四", "phone": "0797-4412345"}


def receipt_url(number: str, reason: str | None = "邮寄受理回执") -> str:
    return f"/centre/appeals/{number}/receipt" + (f"?reason={reason}" if reason is not None else "")


def printed(client, number: str, **kwargs) -> str:
    r = client.get(receipt_url(number, **kwargs))
    assert r.status_code == 200, r.get_data(as_text=True)
    return unescape(r.get_data(as_text=True))


def article_of(html: str) -> str:
    return html.split('<article class="letter letter-receipt"', 1)[1].split("</article>", 1)[0]


def accesses(app, number: str) -> list[tuple[str, str]]:
    with stored(app) as s:
        rows = s.execute(
            sa.select(PersonalDataAccess.action, PersonalDataAccess.reason)
            .join(Appeal, Appeal.id == PersonalDataAccess.appeal_id)
            .where(Appeal.number == number)
        ).all()
        return [tuple(r) for r in rows]


def received_on(app, number: str) -> str:
    with stored(app) as s:
        at = s.scalar(sa.select(Appeal.received_at).where(Appeal.number == number))
    return chinese_date(at.astimezone(app.config["TZ"]).date())


def test_a_letters_receipt_is_addressed_for_the_window_with_the_codes_and_how_to_track(
    app, as_user, logged_in
):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    html = printed(logged_in("operator"), body["number"])

    receipt = article_of(html)
    envelope = receipt.split('<address class="envelope">', 1)[1].split("</address>", 1)[0]
    assert "赣县区梅林镇光明路12号" in envelope and "李四（收）" in envelope
    assert receipt.index("envelope") < receipt.index("受理回执</h2>")
    assert "李四：" in receipt
    assert f'<th scope="row">受理编号</th><td>{body["number"]}</td>' in receipt
    assert f'<th scope="row">查询码</th><td>{body["query_code"]}</td>' in receipt
    assert f'<th scope="row">受理日期</th><td>{received_on(app, body["number"])}</td>' in receipt
    assert '<th scope="row">承办单位</th><td>区城管局</td>' in receipt and "转交区城管局办理" in receipt
    assert "http://localhost/portal" in receipt and "拨打12345热线" in receipt
    assert "赣县区12345政务服务便民热线（民意速办中心）" in receipt  # the centre issues it, no person
    for staff in ("话务员", "王小敏", "operator", "0797-4412345"):
        assert staff not in receipt, staff
    assert body["appeal"]["title"] not in receipt  # nothing of what the appeal says


def test_before_dispatch_the_receipt_names_no_unit(as_user, logged_in):
    body = register(as_user("operator"), channel="letter", channel_meta=LETTER_META, contact=LANDLINE)
    assert body["status"] == "pending_dispatch"

    receipt = article_of(printed(logged_in("dispatcher"), body["number"]))

    assert "承办单位" not in receipt and "转交" not in receipt
    assert body["query_code"] in receipt


def test_a_deputys_suggestion_on_paper_is_answered_to_the_deputy(as_user, logged_in):
    meta = {
        "suggestion_number": "277",
        "deputy_name": "朱卫英",
        "sender_address": "赣县区人大常委会代表工作室",
    }
    body = register(as_user("operator"), channel="npc_suggestion", channel_meta=meta, contact=None)

    receipt = article_of(printed(logged_in("reviewer"), body["number"]))

    assert "朱卫英代表（收）" in receipt and "赣县区人大常委会代表工作室" in receipt
    assert "尊敬的朱卫英代表：" in receipt and "提出的建议已收到" in receipt


def test_printing_is_logged_with_its_reason_and_read_back_by_the_administrator(app, as_user, logged_in):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    r = logged_in("operator").get(receipt_url(body["number"], reason="邮寄受理回执"))

    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert accesses(app, body["number"]) == [("print_receipt", "邮寄受理回执")]
    admin = logged_in("admin")
    html = admin.get(f"/admin/access?appeal={body['number']}&action=print_receipt").get_data(as_text=True)
    assert "<td>已打印受理回执</td>" in html and "邮寄受理回执" in html and "共 1 条记录。" in html
    english = admin.get(f"/admin/access?appeal={body['number']}&lang=en").get_data(as_text=True)
    assert "<td>Printed the receipt</td>" in english


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_without_a_reason_the_page_asks_for_one_and_prints_and_logs_nothing(app, as_user, logged_in, reason):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    r = logged_in("operator").get(receipt_url(body["number"], reason=reason))

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="f-reason"' in html and "请填写打印事由：受理回执载有群众的姓名和地址" in html
    assert "李四" not in html and body["query_code"] not in html and "letter-receipt" not in html
    assert accesses(app, body["number"]) == []


def test_unit_staff_get_404_and_a_leader_403(as_user, logged_in):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    assert logged_in("cgj").get(receipt_url(body["number"])).status_code == 404
    assert logged_in("leader").get(receipt_url(body["number"])).status_code == 403
    for role in ("operator", "dispatcher", "reviewer", "admin"):
        assert logged_in(role).get(receipt_url(body["number"])).status_code == 200, role
    assert logged_in("dispatcher").get(receipt_url("GX20990101-0001")).status_code == 404


def test_the_appeal_page_offers_the_receipt_with_a_reason_to_the_roles_that_may_print_it(as_user, logged_in):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    page = logged_in("dispatcher").get(f"/centre/appeals/{body['number']}").get_data(as_text=True)

    form = page.split('class="reveal print-receipt"', 1)[1].split("</form>", 1)[0]
    assert f'action="/centre/appeals/{body["number"]}/receipt"' in form
    assert 'id="f-print-receipt-reason" name="reason" required' in form and "打印受理回执" in form
    leader_page = logged_in("leader").get(f"/centre/appeals/{body['number']}").get_data(as_text=True)
    assert "print-receipt" not in leader_page


def test_an_erased_appeal_prints_without_name_and_address_and_logs_nothing(app, client, as_user, logged_in):
    body = retention.closed_appeal(client, as_user, closed_days_ago=retention.DAYS + 1)
    retention.erase(app)

    html = printed(logged_in("dispatcher"), body["number"], reason=None)  # no reason needed

    assert "个人信息已按保存期限删除，受理回执不含姓名和地址" in html
    receipt = article_of(html)
    assert "您好：" in receipt and body["number"] in receipt and 'class="envelope"' not in receipt
    assert "张三" not in html and "13800001234" not in html
    assert accesses(app, body["number"]) == []


def test_the_page_reads_in_english_around_the_chinese_receipt(as_user, logged_in):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)

    english = unescape(
        logged_in("dispatcher").get(receipt_url(body["number"], "mail") + "&lang=en").get_data(as_text=True)
    )

    assert f"Receipt {body['number']}" in english and "Print on A4" in english
    assert "This print was logged" in english and "window envelope" in english
    receipt = article_of(english)
    assert "受理回执</h2>" in receipt and "查询码仅供您本人使用" in receipt
    assert 'lang="zh-Hans-CN"' in english


def test_a_receipt_naming_nobody_needs_no_reason_and_logs_nothing(app, as_user, logged_in):
    # An e-mail appeal from a nameless sender: the receipt prints no name and no postal address (it
    # never prints a phone or the e-mail's From address), so there is nothing to account for.
    body = logged(
        as_user,
        channel="email",
        channel_meta={"sender_address": "someone@example.com"},
        contact={"name": "", "phone": "0797-4412345"},
    )

    html = printed(logged_in("operator"), body["number"], reason=None)

    assert body["query_code"] in article_of(html) and "someone@example.com" not in html
    assert accesses(app, body["number"]) == []


@pytest.mark.parametrize(
    ("username", "back"), [("operator", "/console/appeals/"), ("dispatcher", "/centre/appeals/")]
)
def test_back_to_the_appeal_leads_to_a_page_the_printer_may_open(as_user, logged_in, username, back):
    body = logged(as_user, channel="letter", channel_meta=LETTER_META, contact=LANDLINE)
    client = logged_in(username)

    html = printed(client, body["number"])

    link = f"{back}{body['number']}"
    assert f'<a href="{link}">← 返回诉求 {body["number"]}</a>' in html
    assert client.get(link).status_code == 200
