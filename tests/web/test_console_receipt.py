"""The console after submitting: whether the citizen is sent the 受理回执, and when not, what the
operator does instead (tell the caller; print the receipt and post it)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from service.appeals.models import Appeal
from service.notices.fake_gateway import FakeGateway, start_in_thread
from service.notices.models import OutboxMessage
from tests.service.factories import stored
from tests.web.conftest import csrf_token_of

KEY_INPUT = re.compile(r'name="intake_key" value="([0-9a-f]+)"')
ADDRESS = "赣县区梅林镇光明路12号"


@pytest.fixture
def gateway() -> Any:
    server: FakeGateway = start_in_thread()
    yield server
    server.stop()


def submit(client: Any, **fields: str) -> tuple[str, str]:
    """Log an appeal on the console; (its number, the result page)."""
    page = client.get("/console").get_data(as_text=True)
    key = KEY_INPUT.search(page)
    assert key
    data = {
        "csrf_token": csrf_token_of(page),
        "intake_key": key.group(1),
        "contact.phone": "0797-4412345",
        "contact.name": "李四",
        "title": "路灯不亮",
        "content": "王母渡镇光明路的路灯一个星期都不亮了，晚上走路很危险。",
        "appeal_type": "求助",
        "urgency": "一般",
        "channel": "hotline",
        "action": "submit",
        **fields,
    }
    r = client.post("/console", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    number = r.location.rsplit("/", 1)[1]
    return number, unescape(client.get(r.location).get_data(as_text=True))


def queued(app: Flask, number: str) -> list[str]:
    """The templates of the notices queued about the appeal."""
    with stored(app) as s:
        return list(
            s.scalars(
                sa.select(OutboxMessage.template)
                .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
                .where(Appeal.number == number)
            )
        )


def receipt_section(page: str) -> str:
    return page.split('<section class="receipt"', 1)[1].split("</section>", 1)[0]


def test_a_caller_on_a_landline_gets_no_text_and_the_operator_is_told_to_read_the_codes_out(logged_in):
    _number, page = submit(logged_in("operator"))

    section = receipt_section(page)
    assert 'data-receipt="landline_only"' in section
    assert "未发送受理回执：固定电话无法接收短信，且群众没有留下电子邮箱。" in section
    assert "请向来电人告知受理编号和查询码" in section and "打印受理回执" not in section
    assert "请向来电人读出：" in page  # the codes, big, above it


def test_a_letter_with_a_postal_address_is_answered_on_paper(logged_in):
    client = logged_in("operator")

    number, page = submit(client, channel="letter", **{"channel_meta.sender_address": ADDRESS})

    section = receipt_section(page)
    assert 'data-advice="print_and_mail"' in section and "请打印受理回执并邮寄" in section
    assert f'<a href="/centre/appeals/{number}/receipt">打印受理回执</a>' in section
    assert "请向来电人" not in page  # nobody is on the line
    english = unescape(client.get(f"/console/appeals/{number}?lang=en").get_data(as_text=True))
    section = receipt_section(english)
    assert "Print the receipt and post it" in section
    assert "No receipt is sent: a landline cannot receive text messages" in section


def test_a_letter_with_a_landline_and_no_address_is_answered_by_phone(logged_in):
    client = logged_in("operator")

    number, page = submit(client, channel="letter")  # the default contact: a landline

    section = receipt_section(page)
    assert 'data-receipt="landline_only"' in section and 'data-advice="contact_by_hand"' in section
    assert "请通过群众留下的电话或电子邮箱告知受理编号和查询码" in section
    assert "无法告知" not in section and "打印受理回执" not in section
    english = unescape(client.get(f"/console/appeals/{number}?lang=en").get_data(as_text=True))
    assert "by the phone or e-mail address they gave" in receipt_section(english)


def test_a_letter_with_no_way_back_to_its_writer_says_so(logged_in):
    client = logged_in("operator")

    _number, page = submit(client, channel="letter", **{"contact.phone": "", "contact.name": ""})

    section = receipt_section(page)
    assert 'data-receipt="no_contact"' in section and 'data-advice="unreachable"' in section
    assert "无法告知受理编号和查询码" in section


def test_a_mobile_is_sent_the_receipt_and_the_page_names_it_masked(app: Flask, gateway, logged_in):
    app.config["SMS_URL"] = f"{gateway.url}/sms"

    number, page = submit(
        logged_in("operator"), **{"contact.phone": "13912345678", "contact.email": "lisi@example.com"}
    )

    assert queued(app, number) == ["appeal_registered"]
    section = receipt_section(page)
    assert 'data-receipt="sent"' in section and "受理编号和查询码已发送给群众：" in section
    assert "短信 139****5678" in section and "13912345678" not in section
    assert "电子邮件" not in section  # no e-mail is configured here: none is promised
    assert "请向来电人告知" not in section


def test_a_call_closed_at_first_contact_is_read_out_on_the_phone(app: Flask, gateway, logged_in):
    app.config["SMS_URL"] = f"{gateway.url}/sms"

    number, page = submit(
        logged_in("operator"),
        action="close",
        appeal_type="咨询",
        answer="每年9月至12月缴纳下一年度医保费用。",
        **{"contact.phone": "13912345678"},
    )

    section = receipt_section(page)
    assert 'data-receipt="closed_at_first_contact"' in section
    assert "来电已当场答复并直接办结" in section and "请向来电人告知受理编号和查询码" in section
    assert queued(app, number) == []  # a gateway is there, and still no 受理回执 goes out


def test_a_postal_address_on_a_call_is_refused_next_to_its_field(logged_in):
    client = logged_in("operator")
    page = client.get("/console").get_data(as_text=True)
    assert 'name="channel_meta.sender_address"' in page and 'name="contact.email"' in page
    key = KEY_INPUT.search(page)
    assert key

    form = {
        "csrf_token": csrf_token_of(page),
        "intake_key": key.group(1),
        "contact.phone": "0797-4412345",
        "title": "路灯不亮",
        "content": "路灯一个星期都不亮了。",
        "appeal_type": "求助",
        "channel": "hotline",
        "action": "submit",
        "channel_meta.sender_address": ADDRESS,
    }
    r = client.post("/console", data=form)

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    error = html.split('id="f-channel_meta-sender_address-error">', 1)[1].split("</p>", 1)[0]
    # Said in the operator's words: which channels take a postal address, not the API's key names.
    assert error == (
        "来源渠道为“12345热线”的诉求不登记通信地址。通信地址用于电子邮件、来信、区长信箱、人大建议、政协提案："
        "请清空此项，或改选来源渠道。"
    )
    assert 'href="#f-channel_meta-sender_address"' in html  # the summary links to the field
    assert ADDRESS in html  # what was typed is kept
    english = unescape(client.post("/console?lang=en", data=form).get_data(as_text=True))
    assert (
        "An appeal from “12345 hotline” takes no postal address. The postal address is for "
        "E-mail, Letter, District head's mailbox, Deputies' suggestion, CPPCC members' proposal: "
        "clear it, or choose another channel." in english
    )
