"""The printed reply (答复函): which letter an appeal gets, and its words. Pure: no I/O.

Deputies (人大建议) and members (政协提案) get a formal letter in the style of `seeds/000_*.txt`:
"关于…第N号建议答复的函", the reply, the unit and date, and the rating form (征询意见表) they fill in
and send back. Every other citizen gets "诉求办理答复函" with the result, the reply and how to rate
it on the portal (the number and the query code: the paper goes to the citizen alone). The letter
is an official document, so it is always in Chinese, whatever the page language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.appeals.status import REPLY_RESULTS

#: 满意 / 基本满意 / 不满意: the choices of the rating form's two rows (办理态度, 办理结果).
SATISFACTION = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class LetterFacts:
    """What the letter is made of, read by the caller. Personal fields are "" when not printed
    (erased after the retention period, or none given)."""

    channel: str
    channel_meta: Mapping[str, Any]
    number: str
    title: str
    received_on: date
    result: str  # resolved | in_progress | unresolvable
    reason: str  # why it cannot be resolved now
    reply_text: str
    unit_name: str
    released_on: date
    unit_contact: str  # the lead unit's duty contact, "值班室 0797-4400321"
    query_code: str
    track_url: str
    citizen_name: str = ""
    citizen_phone: str = ""
    citizen_address: str = ""  # the sender's address of a letter (来信), for the envelope window


@dataclass(frozen=True)
class RatingForm:
    """征询意见表: the table the deputy or member fills in (labels and the values printed in it)."""

    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value) before the ratings
    ratings: tuple[str, ...] = ("办理态度", "办理结果")
    choices: tuple[str, ...] = SATISFACTION
    opinion: str = ""
    signature: str = ""
    note: str = ""


@dataclass(frozen=True)
class Letter:
    kind: str  # deputy | member | citizen
    heading: str
    salutation: str
    opening: tuple[str, ...]
    reply_text: str
    closing: str
    unit_name: str
    date_line: str
    envelope: tuple[str, ...] = ()  # the recipient's address lines, at the top for the window
    contact_line: str = ""
    rating_form: RatingForm | None = None
    rating_help: tuple[str, ...] = field(default_factory=tuple)


def chinese_date(day: date) -> str:
    """2026年12月6日, as official documents write dates."""
    return f"{day.year}年{day.month}月{day.day}日"


#: The formal kinds: channel → (kind, the document's word, the salutation's title, meta keys).
FORMAL = {
    "npc_suggestion": ("deputy", "建议", "代表", "suggestion_number", "deputy_name"),
    "cppcc_proposal": ("member", "提案", "委员", "proposal_number", "member_name"),
}


def _meta(facts: LetterFacts, key: str) -> str:
    return str(facts.channel_meta.get(key) or "").strip()


def letter_for(facts: LetterFacts) -> Letter:
    """The letter `facts` make: the formal reply with its rating form for a deputy's suggestion or
    a member's proposal, else the citizen's reply letter with how to rate it."""
    if facts.channel in FORMAL:
        return _formal(facts)
    return _citizen(facts)


def _formal(facts: LetterFacts) -> Letter:
    kind, word, person, number_key, name_key = FORMAL[facts.channel]
    session = _meta(facts, "session")
    number = _meta(facts, number_key)
    # A deputy's or member's name describes the appeal (kept after the retention erasure); the
    # contact's name only stands in for it when the channel did not record one.
    name = _meta(facts, name_key) or facts.citizen_name
    title = facts.title.strip().strip("《》")
    numbered = f"第{number}号" if number else ""
    where = f"在{session}上" if session else ""
    contact = " ".join(part for part in (facts.citizen_address, facts.citizen_phone) if part)
    return Letter(
        kind=kind,
        heading=f"关于{session}{numbered}{word}答复的函",
        salutation=f"尊敬的{name}{person}：",
        opening=(
            f"您{where}提出的《{title}》收悉，{facts.unit_name}为该{word}的主办单位。现将有关情况答复如下：",
        ),
        reply_text=facts.reply_text,
        closing=f"再次感谢您对{facts.unit_name}工作的关心和支持！",
        unit_name=facts.unit_name,
        date_line=chinese_date(facts.released_on),
        contact_line=f"联系人及电话：{facts.unit_contact}",
        rating_form=RatingForm(
            title=f"{'人大代表建议' if kind == 'deputy' else '政协委员提案'}办理情况征询意见表",
            rows=(
                (f"{person}姓名", name),
                ("通讯地址及联系电话", contact),
                (f"{word}标题", title),
                (f"{word}编号", number),
                ("承办单位", facts.unit_name),
            ),
            opinion=f"{person}意见：",
            signature=f"{person}签名：",
            note=f"注：必须{person}本人签名；请{person}本人填写后寄回承办单位。",
        ),
    )


def _citizen(facts: LetterFacts) -> Letter:
    result = REPLY_RESULTS.get(facts.result, facts.result)
    if facts.result == "unresolvable" and facts.reason.strip():
        result = f"{result}（原因：{facts.reason.strip()}）"
    envelope = tuple(
        line
        for line in (facts.citizen_address, f"{facts.citizen_name}（收）" if facts.citizen_name else "")
        if line
    )
    return Letter(
        kind="citizen",
        heading="诉求办理答复函",
        salutation=f"{facts.citizen_name}：" if facts.citizen_name else "您好：",
        opening=(
            f"您于{chinese_date(facts.received_on)}反映的“{facts.title.strip()}”"
            f"（受理编号：{facts.number}），由{facts.unit_name}办理，现答复如下：",
            f"办理结果：{result}",
        ),
        reply_text=facts.reply_text,
        closing="感谢您对我们工作的理解和支持！",
        unit_name=facts.unit_name,
        date_line=chinese_date(facts.released_on),
        envelope=envelope if facts.channel == "letter" else (),
        contact_line=f"联系人及电话：{facts.unit_contact}",
        rating_help=(
            "请您对本次办理进行评价（满意 / 基本满意 / 不满意）：",
            f"访问 {facts.track_url}，输入受理编号 {facts.number} 和查询码 {facts.query_code}，"
            "查看办理情况并评价。",
            "查询码仅供您本人使用，请妥善保管。",
        ),
    )
