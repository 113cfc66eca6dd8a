"""The portal's phone field takes a mobile or a landline; only a mobile is sent the 受理回执 by text.

The form says so (联系电话, not 手机号码), and the page after submitting says whether the number and
query code went by text or, for a landline, that nothing was sent and the page is all there is.
"""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from flask import Flask

from service.notices.fake_gateway import FakeGateway, start_in_thread
from tests.web.test_portal import _submission, citizen  # noqa: F401  (the fixture)

LANDLINE = "0797-4412345"
MOBILE = "13600001111"
SMS_HINT = "留手机号码的，会收到含查询码的受理短信。承办单位只能看到隐去中间四位的号码。"


@pytest.fixture
def sms(app: Flask) -> Any:
    """This installation sends texts (to a fake gateway)."""
    server: FakeGateway = start_in_thread()
    app.config["SMS_URL"] = f"{server.url}/sms"
    yield server
    server.stop()


def phone_field(page: str) -> str:
    """The phone field's label, control and hint."""
    return page.split('for="f-contact-phone"', 1)[1].split("</fieldset>", 1)[0]


def submitted(client: Any, phone: str, lang: str = "") -> str:
    """The page after submitting the form with `phone` (in English with lang="en")."""
    r = client.post("/portal/submit", data=_submission(client, **{"contact.phone": phone}))
    assert r.status_code == 303, r.get_data(as_text=True)
    page = unescape(client.get(r.location + (f"?lang={lang}" if lang else "")).get_data(as_text=True))
    if lang:
        client.get("/lang/zh")
    return page


def test_the_phone_field_is_labelled_phone_and_says_a_mobile_gets_the_text(sms, citizen):  # noqa: F811
    field = phone_field(citizen.get("/portal/submit").get_data(as_text=True))

    assert ">联系电话" in field and "手机号码<" not in field
    assert SMS_HINT in field


def test_the_phone_field_reads_in_english(sms, citizen):  # noqa: F811
    field = phone_field(citizen.get("/portal/submit?lang=en").get_data(as_text=True))
    citizen.get("/lang/zh")

    assert ">Phone" in field and "Mobile number" not in field
    assert "A mobile number gets a text with the appeal number and query code." in field


def test_no_text_is_promised_where_this_installation_sends_none(citizen):  # noqa: F811
    field = phone_field(citizen.get("/portal/submit").get_data(as_text=True))

    assert ">联系电话" in field and "短信" not in field and "承办单位只能看到隐去中间四位的号码。" in field


def test_after_submitting_with_a_landline_the_page_says_no_text_was_sent(sms, citizen):  # noqa: F811
    page = submitted(citizen, LANDLINE)

    assert 'data-receipt="landline_only"' in page
    assert "您留的是固定电话，收不到短信，所以没有发送短信回执。请务必记下下面的受理编号和查询码。" in page
    assert "已用短信发送" not in page
    assert "data-query-code>" in page


def test_after_submitting_with_a_landline_the_page_says_so_in_english(sms, citizen):  # noqa: F811
    page = submitted(citizen, LANDLINE, lang="en")

    assert "You gave a landline, which cannot receive texts, so no text was sent." in page
    assert "Please note the appeal number and query code below." in page


def test_after_submitting_with_a_mobile_the_page_names_it_masked(sms, citizen):  # noqa: F811
    page = submitted(citizen, MOBILE)
    english = submitted(citizen, "136 0000 2222", lang="en")

    assert 'data-receipt="sent"' in page and "受理编号和查询码将用短信发送到 136****1111，请同时记下" in page
    assert MOBILE not in page and "固定电话" not in page
    assert "are being sent by text to 136****2222; note them down" in english


def test_with_no_text_sent_from_here_a_mobile_is_told_to_note_the_codes(citizen):  # noqa: F811
    page = submitted(citizen, MOBILE)

    assert 'data-receipt="no_channel"' in page
    assert "没有发送短信回执。请务必记下下面的受理编号和查询码。" in page and "已用短信发送" not in page
