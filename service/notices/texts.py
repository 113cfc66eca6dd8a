"""The texts of notices, in Simplified Chinese: pure functions from a template name and a context.

``render(template, context, recipient=...)`` returns the e-mail subject and the body; the body
begins with the sign (【赣县12345】, or ``context["sign"]``) and is short enough for one SMS (about 70
Chinese characters) with an appeal's title cut to 10 characters. Unknown template:
`UnknownTemplate`; a context without a key the template needs: `MissingContext` (both KeyErrors,
naming the template and the keys). Some templates have a text per audience (``recipient`` is the
outbox's ``citizen`` | ``unit:<code>`` | ``centre``); a template is never rendered for an audience it
was not written for, so a unit's text cannot reach a citizen.

Citizen texts use only the appeal's number, its query code and dates: never the title (it may
hold what the citizen said about others), internal notes, units' staff or other citizens' data.

Context keys every template may use: ``number``, ``title``, ``unit_name``, ``category_name``,
``urgency`` (一般 / 紧急 / 特急), ``due_at_local`` (formatted, e.g. "11月24日 17:30", or
"11月23日 24:00" for a deadline at midnight: the deadline the notice is about, named in the
table; the sign-for deadline while the unit has not signed, else the reply deadline),
``due_label`` (签收时限 or 答复时限, which of the two ``due_at_local`` is), ``query_code`` (citizen
notices only), ``sign`` (optional: the sign's name, default 赣县12345). Below, the keys each template
needs; ``[key]`` is optional.

=======================  =========  ==========================================================
template                 audience   keys (due_at_local is ...)
=======================  =========  ==========================================================
appeal_registered        citizen    number, query_code (受理回执, when the appeal is registered)
reply_released           citizen    number, query_code, [master]
appeal_merged            citizen    number, master
appeal_merged            unit       number, master
appeal_reopened          citizen    number, query_code
appeal_reopened          unit       number, title, round, due_at_local, [due_label], [part] (the new sign-for deadline)
extension_approved       citizen    number, due_at_local (the new reply deadline)
appeal_closed            citizen    number, query_code, [master]
appeal_closed_directly   citizen    number, query_code, [master]
supervision_pressed      unit       number, title, due_at_local, [due_label] (签收时限 or 答复时限)
supervision_raised       unit       number, title, level, [level_title]
rating_unsatisfied       centre     number, title, unit_name, round
urgent_appeal            unit       number, title, urgency, sign_limit_minutes
urgent_appeal            centre     number, title, urgency, unit_name, sign_limit_minutes
escalation               unit       number, title, level_title, unit_name, minutes_overdue
escalation               centre     number, title, level_title, unit_name, minutes_overdue
sign_overdue             unit       number, title, due_at_local (the sign-for deadline)
sign_overdue             centre     number, title, unit_name, due_at_local (the sign-for deadline)
co_sign_overdue          unit       number, title, due_at_local (the co-unit's own sign-for deadline)
co_sign_overdue          centre     number, title, unit_name (the co-unit), due_at_local (its deadline)
units_sign_overdue       centre     number, units (the units of one appeal a sweep found late to sign)
reply_due_soon           unit       number, title, due_at_local (the reply deadline)
reply_overdue            unit       number, title, due_at_local (the reply deadline)
reply_overdue            centre     number, title, unit_name, due_at_local (the reply deadline)
review_waiting           centre     number, title, unit_name, waiting_hours
rating_callback          centre     number, title, [due_at_local] (the end of the rating window)
=======================  =========  ==========================================================

``units`` of units_sign_overdue is a list of ``{"unit": code, "name": ..., "part": "lead" | "co"}``,
the lead unit first: one text for the centre in place of one per late unit (a unit past its deadline
alone is told of with sign_overdue or co_sign_overdue).

Where the existing calls' data come from: ``round`` of appeal_reopened is the appeal's reopen count
after reopening (1 = the first reopening), its ``part`` "co" for a co-unit (协办单位), which signs for
its part again by its ``due_at_local``; ``round`` of rating_unsatisfied is the evaluation's round
(0 = the first rating, shown as 第1轮); ``master`` is the master appeal's number of a merged appeal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from service.handling.workflow import UNIT_PARTS

DEFAULT_SIGN = "赣县12345"
AUDIENCES = ("citizen", "unit", "centre")
#: How much of an appeal's title a short text quotes.
TITLE_CHARS = 10


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str


class UnknownTemplate(KeyError):
    """No such template (or none for that audience)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class MissingContext(KeyError):
    """The context lacks keys the template needs."""

    def __str__(self) -> str:
        return str(self.args[0])


class _Context:
    """The context as the text functions see it: values cleaned to one line."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def __getitem__(self, key: str) -> str:
        return _one_line(self.values[key])

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return None if value is None or value == "" else _one_line(value)

    def title(self) -> str:
        title = self["title"]
        return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"

    def integer(self, key: str) -> int:
        return int(self.values[key])

    def records(self, key: str) -> list[dict[str, str]]:
        """A list of records (``units``), each value cleaned to one line."""
        return [{k: _one_line(v) for k, v in record.items()} for record in self.values[key]]


TextFunction = Callable[[_Context], tuple[str, str]]  # (subject, body without the sign)


@dataclass(frozen=True)
class Template:
    name: str
    audience: str
    keys: tuple[str, ...]
    optional: tuple[str, ...]
    text: TextFunction


TEMPLATES: dict[tuple[str, str], Template] = {}


def _one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def template(
    name: str, audiences: str | tuple[str, ...], keys: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Callable[[TextFunction], TextFunction]:
    def register(fn: TextFunction) -> TextFunction:
        for audience in (audiences,) if isinstance(audiences, str) else audiences:
            if audience not in AUDIENCES or (name, audience) in TEMPLATES:
                raise ValueError(f"template {name!r}: bad or repeated audience {audience!r}")
            TEMPLATES[(name, audience)] = Template(name, audience, keys, optional, fn)
        return fn

    return register


def templates() -> Iterator[Template]:
    """Every template and audience, in the order they are defined."""
    return iter(TEMPLATES.values())


def audience_of(recipient: str) -> str:
    """ "unit:360704001" -> "unit"; "citizen" -> "citizen"."""
    return recipient.split(":", 1)[0]


def render(template: str, context: Mapping[str, Any], recipient: str | None = None) -> RenderedText:
    """The subject and body of `template` for `recipient` (``citizen`` | ``unit:<code>`` | ``centre``).

    `recipient` may be left out for a template written for one audience only.
    """
    variants = {aud: t for (name, aud), t in TEMPLATES.items() if name == template}
    if not variants:
        raise UnknownTemplate(f"unknown notice template {template!r}")
    if recipient is None:
        if len(variants) > 1:
            raise UnknownTemplate(
                f"notice template {template!r} has texts for {', '.join(variants)}: name the recipient"
            )
        chosen = next(iter(variants.values()))
    else:
        audience = audience_of(recipient)
        if audience not in variants:
            raise UnknownTemplate(
                f"notice template {template!r} has no text for {audience!r} (only {', '.join(variants)})"
            )
        chosen = variants[audience]
    missing = [key for key in chosen.keys if context.get(key) is None or context.get(key) == ""]
    if missing:
        raise MissingContext(
            f"notice template {template!r} ({chosen.audience}) needs {', '.join(missing)} in its context"
        )
    ctx = _Context(context)
    subject, body = chosen.text(ctx)
    sign = ctx.get("sign") or DEFAULT_SIGN
    sign = sign if sign.startswith("【") else f"【{sign}】"
    return RenderedText(subject=f"{sign.strip('【】')}：{subject}", body=sign + body)


# ---- to citizens: number, query code and dates only --------------------------------------------


def _as_merged(c: _Context) -> str:
    return f"（已并入{c['master']}）" if c.get("master") else ""


@template("appeal_registered", "citizen", ("number", "query_code"))
def _registered(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已受理",
        f"您的诉求已受理，编号{c['number']}，查询码{c['query_code']}，可凭编号和查询码查询办理进度。",
    )


@template("reply_released", "citizen", ("number", "query_code"), ("master",))
def _reply_released(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已答复",
        f"您的诉求{c['number']}{_as_merged(c)}已答复，请凭查询码{c['query_code']}查看并评价。",
    )


@template("appeal_merged", "citizen", ("number", "master"))
def _merged_citizen(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已并案办理",
        f"您的诉求{c['number']}已并入{c['master']}一并办理，结果将一并告知您。",
    )


@template("appeal_reopened", "citizen", ("number", "query_code"))
def _reopened_citizen(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已重新办理",
        f"您的诉求{c['number']}已重新办理，可凭查询码{c['query_code']}查看进展。",
    )


@template("extension_approved", "citizen", ("number", "due_at_local"))
def _extension_approved(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}办理时限延长",
        f"您的诉求{c['number']}办理时限已延长至{c['due_at_local']}，我们将跟进办理，请耐心等待。",
    )


@template("appeal_closed", "citizen", ("number", "query_code"), ("master",))
def _closed(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已办结",
        f"您的诉求{c['number']}{_as_merged(c)}已办结，可凭查询码{c['query_code']}查看结果。",
    )


@template("appeal_closed_directly", "citizen", ("number", "query_code"), ("master",))
def _closed_directly(c: _Context) -> tuple[str, str]:
    return (
        f"诉求{c['number']}已答复办结",
        f"您的诉求{c['number']}{_as_merged(c)}已答复办结，可凭查询码{c['query_code']}查看答复。",
    )


# ---- to units ------------------------------------------------------------------------------------


@template("appeal_merged", "unit", ("number", "master"))
def _merged_unit(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}已并案",
        f"工单{c['number']}已并入{c['master']}办理，贵单位对此工单的办理任务结束。",
    )


@template("appeal_reopened", "unit", ("number", "title", "round", "due_at_local"), ("due_label", "part"))
def _reopened_unit(c: _Context) -> tuple[str, str]:
    # Reopened, the appeal waits for the unit to sign for it again: due_at_local is the new
    # sign-for deadline until it has signed (the reply deadline once it has, when sent later).
    # A co-unit signs for its part again, by its part's deadline (one SMS: no room for the why).
    if c.get("part") == "co":
        return (
            f"工单{c['number']}重办",
            f"工单{c['number']}（{c.title()}）第{c.integer('round')}次重办，"
            f"请于{c['due_at_local']}前重新签收协办任务。",
        )
    step = "答复" if c.get("due_label") == "答复时限" else "签收"
    return (
        f"工单{c['number']}重办",
        f"工单{c['number']}（{c.title()}）评价不满意，第{c.integer('round')}次重办，"
        f"请于{c['due_at_local']}前重新{step}。",
    )


@template("supervision_pressed", "unit", ("number", "title", "due_at_local"), ("due_label",))
def _pressed(c: _Context) -> tuple[str, str]:
    return (
        f"催办：工单{c['number']}",
        f"催办：工单{c['number']}（{c.title()}）请抓紧办理，{c.get('due_label') or '答复时限'}{c['due_at_local']}。",
    )


@template("supervision_raised", "unit", ("number", "title", "level"), ("level_title",))
def _raised(c: _Context) -> tuple[str, str]:
    by = c.get("level_title") or f"第{c.integer('level')}级"
    return (
        f"督办：工单{c['number']}",
        f"督办：工单{c['number']}（{c.title()}）已提请{by}督办，请从速办理并答复。",
    )


@template("urgent_appeal", "unit", ("number", "title", "urgency", "sign_limit_minutes"))
def _urgent_unit(c: _Context) -> tuple[str, str]:
    return (
        f"{c['urgency']}工单{c['number']}请立即签收",
        f"{c['urgency']}工单{c['number']}（{c.title()}），请{c.integer('sign_limit_minutes')}分钟内签收并处置。",
    )


@template("sign_overdue", "unit", ("number", "title", "due_at_local"))
def _sign_overdue_unit(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}签收超时",
        f"工单{c['number']}（{c.title()}）签收时限{c['due_at_local']}已过，请立即签收。",
    )


@template("co_sign_overdue", "unit", ("number", "title", "due_at_local"))
def _co_sign_overdue_unit(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}协办签收超时",
        f"工单{c['number']}（{c.title()}）协办签收时限{c['due_at_local']}已过，请立即签收。",
    )


@template("reply_due_soon", "unit", ("number", "title", "due_at_local"))
def _reply_due_soon(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}即将到期",
        f"工单{c['number']}（{c.title()}）将于{c['due_at_local']}到期，请及时答复。",
    )


@template("reply_overdue", "unit", ("number", "title", "due_at_local"))
def _reply_overdue_unit(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}答复超时",
        f"工单{c['number']}（{c.title()}）已超答复时限{c['due_at_local']}，请尽快答复。",
    )


# ---- to the centre (and up the escalation ladder) -------------------------------------------------


@template("urgent_appeal", "centre", ("number", "title", "urgency", "unit_name", "sign_limit_minutes"))
def _urgent_centre(c: _Context) -> tuple[str, str]:
    return (
        f"{c['urgency']}工单{c['number']}已派{c['unit_name']}",
        f"{c['urgency']}工单{c['number']}（{c.title()}）已派{c['unit_name']}，"
        f"限{c.integer('sign_limit_minutes')}分钟签收，请关注。",
    )


@template(
    "escalation", ("unit", "centre"), ("number", "title", "level_title", "unit_name", "minutes_overdue")
)
def _escalation(c: _Context) -> tuple[str, str]:
    return (
        f"升级提醒：工单{c['number']}未签收",
        f"{c['level_title']}：工单{c['number']}（{c.title()}）{c['unit_name']}"
        f"超时{c.integer('minutes_overdue')}分钟未签收，请督促处置。",
    )


@template("sign_overdue", "centre", ("number", "title", "unit_name", "due_at_local"))
def _sign_overdue_centre(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}签收超时",
        f"工单{c['number']}（{c.title()}）{c['unit_name']}未在{c['due_at_local']}前签收，请督促。",
    )


@template("co_sign_overdue", "centre", ("number", "title", "unit_name", "due_at_local"))
def _co_sign_overdue_centre(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}协办签收超时",
        f"工单{c['number']}（{c.title()}）协办单位{c['unit_name']}逾{c['due_at_local']}未签收，请督促。",
    )


#: How much of one SMS the list of late units may take (what the sign, a number and the words around
#: leave of 70 characters); a longer list is cut, and says how many units it names in all.
_UNITS_CHARS = 33


@template("units_sign_overdue", "centre", ("number", "units"))
def _units_sign_overdue(c: _Context) -> tuple[str, str]:
    named = [f"{u['name']}（{UNIT_PARTS[u['part']]}）" for u in c.records("units")]
    listed = "、".join(named)
    shown = len(named)
    while shown > 1 and len(listed) > _UNITS_CHARS:
        shown -= 1
        listed = "、".join(named[:shown]) + f"等{len(named)}个单位"
    return (
        f"工单{c['number']}签收超时（{len(named)}个单位）",
        f"工单{c['number']}：{listed}签收已超时，请督促。",
    )


@template("reply_overdue", "centre", ("number", "title", "unit_name", "due_at_local"))
def _reply_overdue_centre(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}答复超时",
        f"工单{c['number']}（{c.title()}）{c['unit_name']}已超答复时限{c['due_at_local']}，请督办。",
    )


@template("review_waiting", "centre", ("number", "title", "unit_name", "waiting_hours"))
def _review_waiting(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}答复待审核",
        f"{c['unit_name']}对工单{c['number']}（{c.title()}）的答复已待审核"
        f"{c.integer('waiting_hours')}小时，请及时审核。",
    )


@template("rating_callback", "centre", ("number", "title"), ("due_at_local",))
def _rating_callback(c: _Context) -> tuple[str, str]:
    until = f"（评价期至{c.get('due_at_local')}）" if c.get("due_at_local") else ""
    return (
        f"工单{c['number']}待回访",
        f"工单{c['number']}（{c.title()}）待回访{until}，请电话回访录入评价。",
    )


@template("rating_unsatisfied", "centre", ("number", "title", "unit_name", "round"))
def _rating_unsatisfied(c: _Context) -> tuple[str, str]:
    return (
        f"工单{c['number']}评价不满意",
        f"工单{c['number']}（{c.title()}）{c['unit_name']}办理第{c.integer('round') + 1}轮评价不满意，"
        f"请研判是否重办。",
    )
