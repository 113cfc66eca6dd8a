"""The printed 受理回执: the number and the query code on paper, for a citizen no text or e-mail
reaches (a letter writer with a landline, a deputy's suggestion passed on on paper). Pure: no I/O.

It says that the appeal was received and registered, its number, query code and date, the unit
handling it once dispatched, and how to track and rate it (the portal, the 12345 hotline); nothing
of what the appeal says and no staff names. Addressed for the envelope window when the citizen gave
a postal address. An official document: always in Chinese, whatever the page language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.handling.letters import FORMAL, chinese_date

#: The hotline the receipt names for tracking by phone.
HOTLINE = "12345"


@dataclass(frozen=True)
class ReceiptFacts:
    """What the receipt is made of, read by the caller. Personal fields are "" when not printed
    (erased after the retention period, or none given)."""

    channel: str
    channel_meta: Mapping[str, Any]
    number: str
    query_code: str
    received_on: date
    printed_on: date
    centre_name: str  # who issues it: the centre (12345热线 / 民意速办中心)
    portal_url: str
    handling_unit: str = ""  # the lead unit, once dispatched
    citizen_name: str = ""
    citizen_address: str = ""  # the postal address, for the envelope window


@dataclass(frozen=True)
class PrintedReceipt:
    heading: str
    salutation: str
    opening: str
    rows: tuple[tuple[str, str], ...]  # (label, value): number, query code, date, unit
    how_to: tuple[str, ...]
    sign_off: str
    date_line: str
    envelope: tuple[str, ...] = ()


def receipt_for(facts: ReceiptFacts) -> PrintedReceipt:
    """The receipt `facts` make: to a deputy or a member by their title, else to the citizen."""
    received = chinese_date(facts.received_on)
    if facts.channel in FORMAL:
        _kind, word, person, _number_key, name_key = FORMAL[facts.channel]
        # As on the reply letter: the name the channel recorded, else the contact's.
        name = str(facts.channel_meta.get(name_key) or "").strip() or facts.citizen_name
        addressee = f"{name}{person}" if name else ""
        salutation = f"尊敬的{addressee}：" if addressee else "您好："
        opening = f"您于{received}提出的{word}已收到，现已登记受理"
    else:
        addressee = facts.citizen_name
        salutation = f"{addressee}：" if addressee else "您好："
        opening = f"您于{received}反映的诉求已收到，现已登记受理"
    if facts.handling_unit:
        opening += f"，转交{facts.handling_unit}办理"
    rows = [("受理编号", facts.number), ("查询码", facts.query_code), ("受理日期", received)]
    if facts.handling_unit:
        rows.append(("承办单位", facts.handling_unit))
    envelope = (facts.citizen_address, f"{addressee}（收）") if addressee else (facts.citizen_address,)
    return PrintedReceipt(
        heading="受理回执",
        salutation=salutation,
        opening=f"{opening}。",
        rows=tuple(rows),
        how_to=(
            f"查询和评价：访问 {facts.portal_url}，输入受理编号和查询码，可查询办理进度、查看答复并进行评价；"
            f"也可拨打{HOTLINE}热线查询。",
            "查询码仅供您本人使用，请妥善保管。",
        ),
        sign_off=facts.centre_name,
        date_line=chinese_date(facts.printed_on),
        envelope=envelope if facts.citizen_address else (),
    )
