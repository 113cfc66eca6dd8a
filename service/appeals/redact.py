"""Personal data written into free text: a citizen who types their phone number, ID number, e-mail
address or name into what they ask (我叫张三，电话 138 1234 5678 ...) identifies themselves there as
much as in the contact fields. Pure functions, no I/O.

`mask` shows such text as the contact is shown to those who see it masked (138****5678, 张**);
`remove` leaves nothing of it (`REMOVED`): for units reading a confidential appeal (保密件), and
for the erasure after the retention period (service/appeals/retention.py).

What is recognised: mainland mobile numbers (with or without +86, spaces or hyphens between the
groups), landline numbers with their area code (0797-8123456), 18-character resident ID numbers,
e-mail addresses, and the names given (the citizen's, from the contact; names of one character are
left alone, they would match half the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What stands where personal data was removed.
REMOVED = "***"

#: An 18-character resident ID number (居民身份证号码), not part of a longer word or number.
_ID_NUMBER = r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"
_ID_PATTERN = re.compile(_ID_NUMBER)
_PATTERN = re.compile(
    rf"""
    (?P<id_number>{_ID_NUMBER})
    | (?P<mobile>(?<![0-9+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{{4}}){{2}}(?!\d))
    | (?P<landline>(?<!\d)0\d{{2,3}}[\s-]?[2-9]\d{{6,7}}(?!\d))
    | (?P<email>[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)
    """,
    re.VERBOSE,
)


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(phone) > 6:
        return phone[: len(phone) - 6] + "****" + phone[-2:]
    return "****"


def mask_email(email: str) -> str:
    """l***@example.com: the first character of the mailbox, and the domain."""
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}***@{domain}" if domain else "****"


def mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def _masked(kind: str, found: str) -> str:
    if kind == "mobile":
        digits = re.sub(r"\D", "", found)[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if kind == "landline":
        return mask_phone(re.sub(r"\s", "", found))
    if kind == "id_number":
        return found[0] + "*" * 16 + found[-1]
    return mask_email(found)


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    usable = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in usable)) if usable else None


def mask(text: str, names: Iterable[str] = ()) -> str:
    """`text` with each phone number, ID number and e-mail address masked, and each of `names`
    shown as its surname (张**)."""
    text = _PATTERN.sub(lambda m: _masked(m.lastgroup or "", m.group()), text)
    if (pattern := _names_pattern(names)) is not None:
        text = pattern.sub(lambda m: mask_name(m.group()), text)
    return text


def mask_id_numbers(text: str) -> str:
    """`text` with each ID number masked and all else as written: what the lead unit reads after it
    showed the contact, which does not include the citizen's identity document."""
    return _ID_PATTERN.sub(lambda m: _masked("id_number", m.group()), text)


def _key(kind: str, found: str) -> str:
    """What identifies a match whatever its spacing: an e-mail address in lower case, a number by its
    digits (a mobile without its +86)."""
    if kind == "email":
        return found.lower()
    digits = re.sub(r"[^0-9Xx]", "", found).upper()
    return digits[-11:] if kind == "mobile" else digits


def hide_known(text: str, known: Iterable[str], names: Iterable[str] = (), *, removed: bool = False) -> str:
    """`text` with the phone numbers, ID numbers and e-mail addresses written in `known` (the
    citizen's contact and their own words) masked as `mask` does (or replaced by `REMOVED` when
    `removed`), however they are spaced, and each of `names` likewise; any other number (a
    unit's own telephone in its reply) as written."""
    keys = {_key(m.lastgroup or "", m.group()) for k in known if k for m in _PATTERN.finditer(k)}

    def hidden(m: re.Match[str]) -> str:
        if _key(m.lastgroup or "", m.group()) not in keys:
            return m.group()
        return REMOVED if removed else _masked(m.lastgroup or "", m.group())

    text = _PATTERN.sub(hidden, text)
    if (pattern := _names_pattern(names)) is not None:
        text = pattern.sub(lambda m: REMOVED if removed else mask_name(m.group()), text)
    return text


def remove(text: str, names: Iterable[str] = ()) -> str:
    """`text` with each phone number, ID number, e-mail address and each of `names` replaced by
    `REMOVED`."""
    text = _PATTERN.sub(REMOVED, text)
    if (pattern := _names_pattern(names)) is not None:
        text = pattern.sub(REMOVED, text)
    return text
