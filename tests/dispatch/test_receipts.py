"""受理回执, the pure decision: who is sent the number and the query code, by which channel, and
what the operator does for those who are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import receipts as r

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BOTH = {"sms", "email"}


def decide(phone=None, email=None, channels=BOTH, days_ago=0, closed=False):
    return r.decide_receipt(
        phone=phone,
        email=email,
        channels=channels,
        received_at=NOW - timedelta(days=days_ago),
        registered_at=NOW,
        closed_at_first_contact=closed,
    )


@pytest.mark.parametrize(
    ("contact", "channels", "expected"),
    [
        # A mobile gets a text, an e-mail address an e-mail, both get both.
        ({"phone": "13912345678"}, BOTH, r.Receipt(channels=("sms",))),
        ({"phone": "13912345678", "email": "li@example.com"}, BOTH, r.Receipt(channels=("sms", "email"))),
        ({"phone": "+86 139-1234-5678"}, BOTH, r.Receipt(channels=("sms",))),
        # A landline takes no text: the e-mail alone, if any.
        ({"phone": "0797-4412345", "email": "li@example.com"}, BOTH, r.Receipt(channels=("email",))),
        ({"phone": "0797-4412345"}, BOTH, r.Receipt(reason=r.LANDLINE_ONLY)),
        ({}, BOTH, r.Receipt(reason=r.NO_CONTACT)),
        # Only the channels this installation sends by count.
        ({"phone": "13912345678", "email": "li@example.com"}, {"sms"}, r.Receipt(channels=("sms",))),
        ({"phone": "13912345678", "email": "li@example.com"}, {"email"}, r.Receipt(channels=("email",))),
        ({"phone": "13912345678"}, {"email", "webhook"}, r.Receipt(reason=r.NO_CHANNEL)),
        ({"phone": "0797-4412345", "email": "li@example.com"}, {"sms"}, r.Receipt(reason=r.NO_CHANNEL)),
        ({"phone": "0797-4412345"}, set(), r.Receipt(reason=r.LANDLINE_ONLY)),  # no channel would reach it
    ],
)
def test_the_receipt_goes_by_every_configured_channel_that_reaches_the_contact(contact, channels, expected):
    assert decide(**contact, channels=channels) == expected


def test_a_call_closed_at_first_contact_and_history_carried_over_get_none_whatever_the_contact():
    assert decide("13912345678", closed=True) == r.Receipt(reason=r.CLOSED_AT_FIRST_CONTACT)
    assert decide("13912345678", days_ago=31) == r.Receipt(reason=r.HISTORY)
    # A letter registered within the month it came is still waited for.
    assert decide("13912345678", days_ago=30) == r.Receipt(channels=("sms",))


def test_the_decision_is_kept_without_personal_data_and_read_back_as_it_was():
    for receipt in (decide("13912345678", "li@example.com"), decide("0797-4412345")):
        record = receipt.as_record()
        assert "13912345678" not in str(record) and "li@" not in str(record)
        assert r.Receipt.from_record(record) == receipt
    assert decide("0797-4412345").sent is False and decide("13912345678").sent is True
    assert r.Receipt.from_record(None) is None  # registered before the decision was kept
    assert r.Receipt.from_record({}) is None


def test_the_citizens_addresses_are_a_mobile_for_text_and_an_email_address():
    assert r.citizen_addresses("139 1234 5678", " li@example.com ") == [
        ("sms", "13912345678"),
        ("email", "li@example.com"),
    ]
    assert r.citizen_addresses("0797-4412345", None) == []
    assert r.sms_number("8613912345678") == "8613912345678" and r.sms_number("") is None


def test_a_postal_address_is_a_letters_sender_address_not_an_e_mails():
    assert r.postal_address({"sender_address": " 赣县区梅林镇光明路12号 "}) == "赣县区梅林镇光明路12号"
    assert r.postal_address({"sender_address": "li@example.com"}) == ""
    assert r.postal_address({}) == "" and r.postal_address(None) == ""


def test_without_a_receipt_a_caller_is_told_on_the_phone_and_a_letter_writer_on_paper():
    none = r.Receipt(reason=r.LANDLINE_ONLY)
    assert r.advice("hotline", none, "") == r.READ_BACK
    assert r.advice("hotline", r.Receipt(reason=r.CLOSED_AT_FIRST_CONTACT), "") == r.READ_BACK
    assert r.advice("letter", none, "赣县区梅林镇光明路12号") == r.PRINT_AND_MAIL
    assert r.advice("npc_suggestion", r.Receipt(reason=r.NO_CONTACT), "赣县区人大常委会") == r.PRINT_AND_MAIL
    assert r.advice("mayor_mailbox", none, "") == r.CONTACT_BY_HAND  # ring the landline
    assert r.advice("email", r.Receipt(reason=r.NO_CHANNEL), "") == r.CONTACT_BY_HAND  # write by hand
    assert r.advice("mayor_mailbox", r.Receipt(reason=r.NO_CONTACT), "") == r.UNREACHABLE
    assert r.advice("letter", r.Receipt(reason=r.HISTORY), "赣县区梅林镇光明路12号") is None
    assert r.advice("letter", r.Receipt(channels=("sms",)), "赣县区梅林镇光明路12号") is None


@pytest.mark.parametrize(
    ("contact_email", "meta", "expected"),
    [
        (
            "lisi@example.com",
            {"sender_address": "other@example.com"},
            "lisi@example.com",
        ),  # the contact's first
        (None, {"sender_address": " zhaoliu@example.com "}, "zhaoliu@example.com"),  # an e-mail's From
        ("", {"sender_address": "赣县区梅林镇光明路12号"}, None),  # a letter's: a place, not an address
        (None, {}, None),
        (None, None, None),
    ],
)
def test_the_citizen_s_e_mail_is_the_contact_s_else_the_sender_s(contact_email, meta, expected):
    assert r.citizen_email(contact_email, meta) == expected
