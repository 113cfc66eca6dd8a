"""The wording of published lists: time limits, 属地层级 and name lists as a clerk writes them.

Limits: 签收时限 "24小时；紧急2小时；特急0.5小时" and 办理时限 "10个工作日；紧急24小时；特急4小时".
The first part without a prefix is 一般; each urgency may appear once. Working hours (工作时间):
"08:30-12:00、14:30-17:30".
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date

from .dump import number_text, ordered_limits
from .loader_calendar import Period, PeriodError, working_periods
from .model import SCOPE_COUNTY, SCOPE_TERRITORIAL, URGENCIES, Area, Category, Limit, Unit, period_text
from .text import t

SEP = "、"
COUNTY_WORDS = "全区"
TERRITORIAL_WORDS = "属地(乡镇)"
TERRITORIAL_LEAD = "属地乡镇"
TOWNSHIP_PREFIX = "乡镇:"
VILLAGE_PREFIX = "村(社区):"

_PART = re.compile(r"^(一般|紧急|特急)?\s*(\d+(?:\.\d+)?)\s*(小时|个工作日|工作日|分钟)?$")
#: What separates the items of a cell: 、 ， , ； ; or a line break (Alt+Enter).
_SEPARATORS = re.compile(r"[、，,；;\r\n]")


def normal(text: str) -> str:
    """Full-width digits, letters, brackets and punctuation as their plain forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


#: The dashes a clerk may put between a period's opening and closing (after `normal`).
_DASHES = re.compile(r"[–—~〜]")

_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_day(text: str) -> date:
    """A date as clerks write it, year first: 2026-11-01, 2026/11/1, 2026.11.01, 2026年11月1日.

    Raises ValueError for anything else (day-first forms such as 01/11/2026 are ambiguous).
    """
    match = _DAY.match(normal(text))
    if match is None:
        raise ValueError(text)
    return date(*(int(g) for g in match.groups()))


def code_text(text: str) -> str:
    """A code cell: plain forms, without the apostrophe or spaces a clerk typed to keep it text."""
    return normal(text).lstrip("'‘’`").strip()


def _prefix(urgency: str) -> str:
    return "" if urgency == URGENCIES[0] else urgency


def format_sign(limits: dict[str, Limit]) -> str:
    return "；".join(f"{_prefix(u)}{number_text(lim.sign_hours)}小时" for u, lim in ordered_limits(limits))


def format_reply(limits: dict[str, Limit]) -> str:
    parts = []
    for u, lim in ordered_limits(limits):
        if lim.reply_working_days is not None:
            parts.append(f"{_prefix(u)}{lim.reply_working_days}个工作日")
        if lim.reply_hours is not None:
            parts.append(f"{_prefix(u)}{number_text(lim.reply_hours)}小时")
    return "；".join(parts)


def format_limits(limits: dict[str, Limit]) -> str:
    """Both texts in one line, for diffs and reports."""
    return f"签收 {format_sign(limits) or '—'}，办理 {format_reply(limits) or '—'}"


def _parse_parts(text: str, column: str, errors: list[str]) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for raw in _SEPARATORS.split(text or ""):
        part = normal(raw)
        if not part:
            continue
        match = _PART.match(part)
        if match is not None and match.group(3) is None and column != "签收时限":
            errors.append(
                t(
                    "{column}: {part!r} has no unit; write e.g. 10个工作日 or 24小时",
                    column=column,
                    part=part,
                )
            )
            continue
        if match is None and column == "签收时限":  # always in hours (README): no 工作日 in the example
            errors.append(
                t(
                    "{column}: cannot read {part!r}; write e.g. 24小时, 紧急2小时, 特急0.5小时",
                    column=column,
                    part=part,
                )
            )
            continue
        if match is None:
            errors.append(
                t(
                    "{column}: cannot read {part!r}; write e.g. 24小时, 10个工作日, 紧急2小时",
                    column=column,
                    part=part,
                )
            )
            continue
        urgency = match.group(1) or URGENCIES[0]
        if urgency in out:
            errors.append(t("{column}: {urgency} is given twice", column=column, urgency=urgency))
            continue
        value = float(match.group(2))
        unit = match.group(3) or "小时"  # 签收时限 is in hours: a bare number (24) is 24小时
        if unit == "分钟":
            value, unit = value / 60, "小时"
        out[urgency] = (int(value) if value.is_integer() else value, unit)
    return out


def parse_limits(sign_text: str, reply_text: str, errors: list[str]) -> dict[str, Limit]:
    """Read the two limit cells back; problems are appended to `errors` as messages."""
    before = len(errors)
    signs = _parse_parts(sign_text, "签收时限", errors)
    signs_readable = len(errors) == before
    replies = _parse_parts(reply_text, "办理时限", errors)
    limits: dict[str, Limit] = {}
    for urgency in URGENCIES:
        if urgency in replies and urgency not in signs and signs_readable:
            errors.append(t("办理时限 gives {urgency} but 签收时限 does not", urgency=urgency))
        if urgency not in signs:
            continue
        sign, unit = signs[urgency]
        if unit != "小时":
            errors.append(
                t("签收时限 {urgency} must be in 小时 (hours), not {unit}", urgency=urgency, unit=unit)
            )
            continue
        if sign <= 0:
            errors.append(t("签收时限 {urgency} must be above 0", urgency=urgency))
            continue
        days = hours = None
        if urgency in replies:
            value, unit = replies[urgency]
            if unit == "小时" and value > 0:
                hours = value
            elif unit != "小时" and float(value).is_integer() and value >= 1:
                days = int(value)
            else:
                errors.append(
                    t(
                        "办理时限 {urgency} must be whole 工作日 (at least 1) or hours above 0",
                        urgency=urgency,
                    )
                )
                continue
        limits[urgency] = Limit(sign_hours=sign, reply_working_days=days, reply_hours=hours)
    return limits


def scope_words(scope: str, areas: dict[str, Area]) -> str:
    """全区 / 属地(乡镇) / 乡镇:梅林镇 / 村(社区):梅林镇/城东居委会 (a bare code when unknown)."""
    if scope == SCOPE_COUNTY:
        return COUNTY_WORDS
    if scope == SCOPE_TERRITORIAL:
        return TERRITORIAL_WORDS
    area = areas.get(scope)
    if area is None:
        return scope
    if area.level == "township":
        return TOWNSHIP_PREFIX + area.name
    if area.level == "village":
        parent = areas.get(area.parent or "")
        return VILLAGE_PREFIX + (f"{parent.name}/" if parent else "") + area.name
    return area.name


def parse_scope(words: str, areas: tuple[Area, ...], errors: list[str]) -> str:
    text = normal(words)
    if text in (COUNTY_WORDS, "全县", "全市", "county"):
        return SCOPE_COUNTY
    if text in (TERRITORIAL_WORDS, "属地", "属地乡镇", "territorial"):
        return SCOPE_TERRITORIAL
    if text.isdigit():
        return text
    townships = {normal(a.name): a for a in areas if a.level == "township"}
    if text.startswith(TOWNSHIP_PREFIX):
        name = text[len(TOWNSHIP_PREFIX) :].strip()
        if name in townships:
            return townships[name].code
        errors.append(t("属地层级: no township named {name!r} in the 区划 sheet", name=name))
        return ""
    if text.startswith(VILLAGE_PREFIX):
        township, _, name = text[len(VILLAGE_PREFIX) :].strip().rpartition("/")
        matches = [
            a
            for a in areas
            if a.level == "village"
            and normal(a.name) == normal(name)
            and (not township or a.parent == getattr(townships.get(township), "code", None))
        ]
        if len(matches) == 1:
            return matches[0].code
        named = text[len(VILLAGE_PREFIX) :]
        if matches:
            errors.append(
                t("属地层级: several villages are named {name!r}; write 村(社区):镇名/村名", name=named)
            )
        else:
            errors.append(t("属地层级: no village is named {name!r}; write 村(社区):镇名/村名", name=named))
        return ""
    errors.append(
        t(
            "属地层级: cannot read {words!r}; write 全区, 属地(乡镇), 乡镇:镇名 or 村(社区):镇名/村名",
            words=words,
        )
    )
    return ""


def join_names(values: tuple[str, ...] | list[str]) -> str:
    """Items joined with 、 (a JSON list if an item would not survive splitting, so nothing is lost)."""
    if any(_SEPARATORS.search(v) for v in values) or any(v != v.strip() or not v for v in values):
        return json.dumps(list(values), ensure_ascii=False)
    return SEP.join(values)


def split_names(text: str) -> tuple[str, ...]:
    text = (text or "").strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return tuple(values)
    return tuple(p.strip() for p in _SEPARATORS.split(text) if p.strip())


def format_working_hours(periods: tuple[Period, ...]) -> str:
    """ "08:30-12:00、14:30-17:30"; empty for the default working hours (none given)."""
    return SEP.join(period_text(opening, closing) for opening, closing in periods)


def parse_working_hours(text: str) -> tuple[Period, ...]:
    """Working periods separated like a cell's other items; empty text is the default (none).

    A period may be written with full-width characters or an en dash, em dash or tilde
    (08:30–12:00, 08：30～12：00). Raises `loader_calendar.PeriodError` as `working_periods` does,
    its value the period as the clerk wrote it.
    """
    written = [part.strip() for part in _SEPARATORS.split(text or "") if normal(part)]
    try:
        return working_periods(_DASHES.sub("-", normal(part)) for part in written)
    except PeriodError as exc:
        raise PeriodError(written[exc.index], exc.index, exc.overlaps) from None


def category_cells(code: str, cats: dict[str, Category]) -> tuple[str, str, str]:
    """一级分类, 二级分类, 三级分类/事项 of a category (deeper levels joined with " / ")."""
    names: list[str] = []
    while code in cats and len(names) <= len(cats):
        names.insert(0, cats[code].name)
        code = cats[code].parent or ""
    return (names[0] if names else "", names[1] if len(names) > 1 else "", " / ".join(names[2:]))


def lead_words(lead: str, units: dict[str, Unit]) -> str | None:
    """主责单位 as published: the unit's name, 属地乡镇 for territorial rules, None if unknown."""
    if lead == SCOPE_TERRITORIAL:
        return TERRITORIAL_LEAD
    return units[lead].name if lead in units else None
