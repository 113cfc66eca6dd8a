"""What the service wrote into an appeal's record in Chinese, said in the reader's language.

The record keeps the service's own words as it wrote them, in Chinese: the notes of the events it
records (按时签收…, 自动派单, the escalation steps), the messages on the citizen's timeline
(已转交区城管局办理。), why an assignment ended (并案：并入…), the dispatch note, and the routing
explanation the list gives (按规则 GX-0400（…）派至…). On a page in another language, `recorded`
says such a text in the page language (the `recorded` filter of the pages), or in the language a
JSON API client asked for (`recorded(text, response_language())`: the citizen's timeline, the staff
timeline's notes), with what it names kept as written (a unit, a number, a level title, the reason someone typed). Anything else,
what people wrote, is shown as it is; so is everything in Chinese.

Each text is a page text (a Chinese msgid, `N_`-marked, its English in messages.po) whose
`%(name)s` stand for the values; a value named in `CONVERT` is said in the page language too (an
urgency, a duration, a date, a scope). A text the service writes must match its msgid here, as a
whole: tests/web/test_page_language.py reads every page in English and fails on Chinese left over.
The texts are the pages' (their catalogue, `service/web/translations`), so the extraction of the
pages' texts reads this file too (service/web/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from flask_babel import force_locale, gettext, pgettext

from service.text import N_

#: The citizen's timeline (public messages).
PUBLIC_MESSAGES = (
    N_("您的诉求已受理。"),
    N_("已转交%(unit)s办理。"),
    N_("办理时限延长至%(date)s"),
    N_("您的评价已收到。"),
    N_("已完成回访评价。"),
    N_("您的诉求已重新交由承办单位办理。"),
    N_("您的诉求已重新受理，正在重新确定承办单位。"),
    N_("已提请%(title)s督办。"),
    N_("诉求已办结，感谢您的评价。"),
    N_("诉求已办结。"),
    N_("您的诉求已并入%(number)s号诉求一并办理。"),
)

#: The event notes, dispatch notes and ended assignments the service writes.
NOTES = (
    N_("自动派单"),
    N_("签收"),
    N_("按时签收（距签收时限%(duration)s）"),
    N_("超时签收（超出签收时限%(duration)s）"),
    N_("%(urgency)s诉求：已通知承办单位值班人员和中心带班领导，%(minutes)s分钟内签收。"),
    N_("签收超时，已提醒承办单位和中心。"),
    N_("协办单位%(unit)s签收超时，已提醒该单位和中心。"),
    N_("答复即将到期，已提醒承办单位。"),
    N_("答复已超期，已提醒承办单位和中心。"),
    N_("答复待审时间过长，已提醒中心审核。"),
    N_("尚未评价，已提醒中心回访。"),
    N_("%(urgency)s诉求超时未签收，已逐级升级至%(title)s（第%(level)s级）。"),
    N_("第%(round)s轮评价仍不满意，自动督办"),
    N_("退单审核通过"),
    N_("延期申请已撤回：已提交答复"),
    N_("延期申请已撤回：已申请退单"),
    N_("评价剔除：%(exclusion)s。%(note)s"),
    N_("评价恢复计入。%(note)s"),
    N_("随%(via)s并入%(number)s：%(reason)s"),
    N_("并案：并入%(number)s"),
    N_("改派：%(reason)s"),
    N_("退单：%(reason)s"),
    N_("调整协办单位：%(reason)s"),
    N_("退单待重新分拨：%(reason)s"),
    N_("重办：协办单位已停用，不再协办"),
    N_("重办：承办单位已停用，待重新分拨"),
    N_("重办：承办单位%(unit)s已停用，待重新分拨"),
    N_("缺少%(missing)s，待人工分拨"),
    N_("未启用职责清单，待人工分拨"),
)

#: The routing explanation (dispatch/explanation.py) and why the list routes nowhere (dispatch/routing.py).
EXPLANATIONS = (
    N_("按规则 %(rule)s（%(category)s · %(scope)s）派至 %(lead)s，配合：%(co)s"),
    N_("按规则 %(rule)s（%(category)s · %(scope)s）派至 %(lead)s"),
    N_("分拨员手工派至%(unit)s"),
    N_("属地规则：由事发乡镇%(township)s的%(lead)s（%(code)s）主办"),
    N_("%(scope)s的规则按属地派单：由事发乡镇%(township)s的%(lead)s（%(code)s）主办"),
    N_("%(scope)s适用的规则"),
    N_("%(scope)s的规则，即诉求发生地"),
    N_("%(scope)s的规则，包含诉求发生地%(area)s"),
    N_("分类%(category)s不如%(winner)s具体"),
    N_("与规则 %(rule)s 重复（分类和范围相同），以先列出的规则为准"),
    N_("范围%(scope)s不如%(winner_scope)s具体"),
    N_("属地规则须知道事发乡镇：诉求发生地只到县级"),
    N_("诉求未选择分类，无法按职责清单派单"),
    N_("诉求未填写发生地（区划代码），无法按职责清单派单"),
    N_("职责清单（版本 %(version)s）中没有分类 %(category)s"),
    N_("职责清单（版本 %(version)s）的区划中没有 %(area)s"),
    N_("规则 %(rule)s 按属地派单，须指定乡镇（街道）或村（社区）；当前发生地仅到%(area)s"),
    N_("职责清单中没有适用于分类「%(category)s」（含上级分类）和发生地「%(area)s」的规则，请人工派单"),
    N_("规则 %(rule)s 按属地派单，但职责清单中没有%(township)s（%(code)s）的乡镇人民政府单位"),
    N_("规则 %(rule)s 未设置「%(urgency)s」诉求的时限"),
)

#: A scope inside an explanation: 属地, 赣县区全域, or 梅林镇（乡镇，360704100）; else an area's name.
SCOPES = (
    N_("属地"),
    N_("%(name)s全域"),
    N_("%(name)s（%(kind)s，%(code)s）"),
)
#: The kinds of scope (dispatch/explanation.py KIND_NAMES).
SCOPE_KINDS = (N_("县级"), N_("属地"), N_("乡镇"), N_("村/社区"))

_DURATION = re.compile(r"(?:(\d+)天)?(?:(\d+)小时)?(?:(\d+)分钟)?")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def _label(value: str) -> str:
    """A label the catalogue holds (紧急, 恶意评价, 乡镇); else as it is."""
    return gettext(value)


def _labels(value: str) -> str:
    """Labels joined by 、 (分类、区划)."""
    return ", ".join(gettext(v) for v in value.split("、"))


def _names(value: str) -> str:
    """Names joined by 、 (the co-units): kept, joined the page's way."""
    return ", ".join(value.split("、"))


def _duration(value: str) -> str:
    """2天3小时5分钟, as the appeal page says time left."""
    match = _DURATION.fullmatch(value)
    if not match or not value:
        return value
    days, hours, minutes = match.groups()
    parts = [
        gettext("%(n)s天", n=days) if days else "",
        gettext("%(n)s小时", n=hours) if hours else "",
        gettext("%(n)s分钟", n=minutes) if minutes else "",
    ]
    return " ".join(part for part in parts if part)  # said in another language than Chinese: words


_NAMED_CODE = re.compile(r"(?P<name>.+)（(?P<code>[0-9A-Za-z_.-]+)）")  # a code, not a name's own（…）


def _named_code(value: str) -> str:
    """城管（02）: a name as written, its code in the page's brackets, 城管 (02)."""
    match = _NAMED_CODE.fullmatch(value)
    return f"{match['name']} ({match['code']})" if match else value


def _date(value: str) -> str:
    """2026年12月24日 → 2026-12-24."""
    match = _DATE.fullmatch(value)
    if not match:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _scope(value: str) -> str:
    return _said(value, SCOPES) or value


#: How a value inside a text is said; a value not named here is kept as written.
CONVERT: dict[str, Callable[[str], str]] = {
    "urgency": _label,
    "exclusion": _label,
    "kind": _label,
    "missing": _labels,
    "co": _names,
    "duration": _duration,
    "date": _date,
    "scope": _scope,
    "winner_scope": _scope,
    "category": _named_code,
    "winner": _named_code,
    # a reason the service wrote itself (改派：退单审核通过, the note of an approved return)
    "reason": lambda value: _said(value, NOTES) or value,
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns(msgids: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each msgid with the pattern its stored text matches (a value: any text, as short as fits)."""
    compiled = []
    for msgid in msgids:
        pieces = _PLACEHOLDER.split(msgid)
        pattern = "".join(
            re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)" for i, piece in enumerate(pieces)
        )
        compiled.append((msgid, re.compile(pattern, re.S)))
    return tuple(compiled)


def _said(text: str, msgids: tuple[str, ...]) -> str | None:
    for msgid, pattern in _patterns(msgids):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {name: CONVERT.get(name, str)(value) for name, value in match.groupdict().items()}
        return gettext(msgid, **values) if values else gettext(msgid)
    return None


ALL = PUBLIC_MESSAGES + NOTES + EXPLANATIONS

#: Stored notes that are an event's own word, said as the timeline says that event (the context
#: "event", service/web/appeal_page.py): the note 签收 (a signing with no deadline) reads "Signed for",
#: not the button's "Sign for".
EVENT_WORDS = frozenset({"签收"})


def recorded(text: str | None, language: str | None = None) -> str:
    """A text of the record in `language` (by default the page language) when the service wrote it;
    else as it is."""
    # the languages of the pages and the API (imports the pages' package: not at import time)
    from service.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language

    language = language or current_language()
    if not text or language == DEFAULT_LANGUAGE:
        return text or ""
    with force_locale(LANGUAGES[language][0]):
        if str(text) in EVENT_WORDS:
            return pgettext("event", str(text))
        return _said(str(text), ALL) or str(text)
