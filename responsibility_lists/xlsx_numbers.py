"""A number or date cell as the clerk sees it: its value shown through its number format.

A clerk reads the cell, not the value behind it: 3 formatted `0"个工作日"` is "3个工作日", 101
formatted `0000` is "0101", 2026.1 formatted `0.00` is "2026.10". The reader takes that text, so
the list says what the clerk saw. Where the format rounds (2.5 shown as "3个工作日") the two differ,
and the reader refuses the cell rather than pick one (`Shown.hides`).

Only what a list needs is rendered: digit placeholders, decimals, percent, literal text and
dates. Thousands separators are left out on purpose: a comma separates list items in a cell.
Pure: plain values in, text out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .dump import number_text

#: Built-in number formats of Chinese (zh-CN) Excel and WPS that openpyxl does not know: a cell
#: saved with one of these ids has no format text in the file, and openpyxl reads its date as a
#: bare serial number (46388 for 2027-01-01). Time-only ids (32-35, 55, 56) are not dates.
CJK_DATE_FORMATS = {
    27: 'yyyy"年"m"月"',
    28: 'm"月"d"日"',
    29: 'm"月"d"日"',
    30: "m-d-yy",
    31: 'yyyy"年"m"月"d"日"',
    36: 'yyyy"年"m"月"',
    50: 'yyyy"年"m"月"',
    51: 'm"月"d"日"',
    52: 'yyyy"年"m"月"',
    53: 'm"月"d"日"',
    54: 'm"月"d"日"',
    57: 'yyyy"年"m"月"',
    58: 'm"月"d"日"',
}

_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
#: One token of a format section: a quoted literal, an escaped character, a spacing (_x) or fill
#: (*x) instruction, a bracketed part ([Red], [$-804], [DBNum1], [>=100]), or one character.
_TOKEN = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|.', re.DOTALL)
_DIGITS = set("0#?")


@dataclass(frozen=True)
class Shown:
    """What a cell shows. `number`: a number shown without leading zeros (typed as a number, so a
    code in it may have lost its zeros). `hides`: the value the cell holds when its format rounds
    it to something else (then `text` is what the clerk sees, and cannot be trusted)."""

    text: str
    number: bool = False
    hides: str | None = None


def shown(value: Any, number_format: str | None, format_id: int = 0, epoch_1904: bool = False) -> Shown:
    """The text of a cell's `value` (as openpyxl reads it) under its number format."""
    if value is None:
        return Shown("")
    if isinstance(value, bool):
        return Shown("是" if value else "否")
    if isinstance(value, datetime | date):
        return Shown(_date_text(value, number_format or ""))
    if isinstance(value, time | timedelta):
        return Shown(str(value))
    if isinstance(value, int | float):
        if format_id in CJK_DATE_FORMATS and value >= 1:
            day = (_EPOCH_1904 if epoch_1904 else _EPOCH_1900) + timedelta(days=int(value))
            return Shown(_date_text(day, CJK_DATE_FORMATS[format_id]))
        return _number(value, number_format or "General")
    return Shown(str(value))


def _sections(number_format: str) -> list[list[str]]:
    sections: list[list[str]] = [[]]
    for token in _TOKEN.findall(number_format):
        if token == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    return sections


def _number(value: float, number_format: str) -> Shown:
    sections = _sections(number_format)
    section = sections[0]
    sign = "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        section, sign = sections[1], ""  # the negative section writes its own sign, if any
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    digits = [i for i, tok in enumerate(section) if tok in _DIGITS]
    plain = "".join(tok for tok in section if len(tok) == 1).lower()
    if not section or "e" in plain or plain.strip() in ("general", "@"):
        return Shown(number_text(value), number=True)
    if not digits:
        return Shown(_literal(section))  # a section without digits (`"-"` for zero) shows only text
    first, last = digits[0], digits[-1]
    body = section[first : last + 1]
    percent = "%" in plain
    amount = abs(Decimal(repr(float(value)))) * (100 if percent else 1)
    point = body.index(".") if "." in body else len(body)
    decimals = sum(tok in _DIGITS for tok in body[point:])
    min_decimals = sum(tok == "0" for tok in body[point:])
    min_whole = sum(tok == "0" for tok in body[:point])
    exact = amount.normalize()
    needed = max(0, -exact.as_tuple().exponent)  # type: ignore[operator]
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)  # as Excel
    whole, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0").ljust(min_decimals, "0")
    whole = whole.lstrip("0").rjust(min_whole, "0")
    text = sign + _literal(section[:first]) + whole + ("." + fraction if fraction else "")
    text += _literal([tok for tok in section[last + 1 :] if tok != "%"]) + ("%" if percent else "")
    hides = number_text(value) if needed > decimals else None
    return Shown(text, number=not whole.startswith("0") or whole == "0", hides=hides)


def _literal(tokens: list[str]) -> str:
    out = []
    for tok in tokens:
        if tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif tok.startswith(("_", "*", "[")) and len(tok) > 1:
            continue
        elif tok not in _DIGITS and tok not in ",.%":
            out.append(tok)
    return "".join(out)


def _date_text(value: date, number_format: str) -> str:
    """A full date as YYYY-MM-DD whatever its format; a format without the year or the day shows
    what the clerk sees (2027年1月), which a date column then refuses rather than guess the day."""
    day = value.date() if isinstance(value, datetime) else value
    tokens = _TOKEN.findall(number_format)
    letters = "".join(tok for tok in tokens if len(tok) == 1).lower()
    if ("y" in letters and "d" in letters) or not ("y" in letters or "d" in letters):
        return day.isoformat()
    out: list[str] = []
    for tok in tokens:
        low = tok.lower()
        if out and low in "ymd" and out[-1][0] == low:  # a run: yyyy, mm, dd
            out[-1] += low
        else:
            out.append(low if low in "ymd" else tok)
    parts = {"y": f"{day.year}", "m": f"{day.month}", "d": f"{day.day}"}
    text = []
    for tok in out:
        if tok[0] in parts and set(tok) == {tok[0]}:
            value_text = parts[tok[0]]
            text.append(value_text[-2:] if tok == "yy" else value_text.rjust(min(len(tok), 2), "0"))
        else:
            text.append(_literal([tok]))
    return "".join(text)
