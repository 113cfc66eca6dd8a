"""What a form says when the JSON API's schema or operation refuses what was posted.

The forms validate with the API's schemas and call its operations (README.md, "Forms"), so the
messages come worded for the API's readers: programs, whom they send to an endpoint ("see GET
/api/v1/categories"), and who send codes ("Must be one of: hotline, web, …"). A page's reader
picked from a list and pressed a button: `page_message` says the message in page terms, in the
page language, and leaves every other message to `i18n.localize` (the API's own text, translated).
The JSON API keeps its messages: nothing here is used by it.
"""

from __future__ import annotations

from flask_babel import gettext

from service.i18n import LIST_SEPARATORS, current_language, localize
from service.text import Text
from service.web.labels import N_, SCHEMA_MESSAGES

#: service.validate.OneOf's message: the page names the choices by their words.
ONE_OF = "Must be one of: {choices}."
CHOOSE_ONE_OF = N_("请选择以下之一：%(choices)s。")
#: When the choices are codes the schema gives no words for: the page offered them as a list.
CHOOSE_FROM_LIST = N_("请从列表中选择。")

#: marshmallow's message for a field the schema does not have: under its name in the API's
#: envelope; on a page, where it shows in the error summary without a label, it names the field.
UNKNOWN_FIELD = "Unknown field."
UNKNOWN_FIELD_NAMED = N_("未知的字段“%(field)s”：本表单没有这一项。")

#: The API's messages that point a program at an endpoint (by their templates), as a page says them.
PAGE_TEXTS: dict[str, str] = {
    "Unknown category {code!r}; see GET /api/v1/categories.": N_("请从列表中选择分类。"),
    "Unknown area {code!r}; see GET /api/v1/areas.": N_("请从列表中选择发生地点。"),
    "Not the unit's fault: close the appeal instead (POST …/close).": N_(
        "不属于承办单位责任的不满意评价不能重办，请直接办结。"
    ),
    "A reopen sends the appeal back to the unit for its own failing. "
    "If the unit is not at fault, close the appeal instead (POST …/close).": N_(
        "重办是因承办单位自身的原因把诉求交回其重新办理；不属承办单位责任的，请直接办结。"
    ),
}


def page_message(message: str, field: str = "") -> str:
    """A refusal's message as a form shows it, in the page language; `field`: the name of the
    field it was said of, if any."""
    if message == UNKNOWN_FIELD and field:
        return gettext(UNKNOWN_FIELD_NAMED, field=field)
    if isinstance(message, Text):
        if message.template == ONE_OF:
            return _choose(message)
        if message.template in PAGE_TEXTS:
            return gettext(PAGE_TEXTS[message.template])
        return localize(message)
    if message in SCHEMA_MESSAGES:  # marshmallow's fixed messages
        return gettext(SCHEMA_MESSAGES[message])
    return localize(message)


def _choose(message: Text) -> str:
    """The "Must be one of" message with the choices' words: the labels the schema gives, else the values when
    they are words themselves (咨询, 一般, 满意: Chinese, page texts). Codes without words (approve,
    raise) are not shown to a reader who never saw them."""
    choices = [str(c) for c in message.params.get("choices", ())]
    words = [str(w) for w in message.params.get("labels", ())]
    if not words and choices and not any(c.isascii() for c in choices):
        words = choices
    if not words or len(words) != len(choices):
        return gettext(CHOOSE_FROM_LIST)
    said = LIST_SEPARATORS[current_language()].join(gettext(w) for w in words)
    return gettext(CHOOSE_ONE_OF, choices=said)
