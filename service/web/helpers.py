"""What templates and page views share: filters, labels, and per-field form errors.

Registered on the app by `service.web.init_app`; see README.md for how templates use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext
from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from service.appeals.recorded import recorded
from service.appeals.redact import mask_name, mask_phone
from service.appeals.status import STATUS_LABELS
from service.auth.models import ROLES
from service.errors import DomainError
from service.handling.duplicates import FLAG_STATES
from service.i18n import LIST_SEPARATORS, WORD_SEPARATORS, current_language, deadline, localize
from service.web.flashes import flashed_messages
from service.web.form_messages import page_message
from service.web.labels import NOTICE_CHANNEL_LABELS, NOTICE_STATUS_LABELS

#: Colour class of each status badge (see .badge-* in static/css/minyi.css).
STATUS_TONES: dict[str, str] = {
    "pending_dispatch": "warn",
    "dispatched": "info",
    "handling": "info",
    "return_requested": "warn",
    "reply_review": "warn",
    "replied": "ok",
    "closed": "done",
    "merged": "done",
}

FormErrors = dict[str, list[str]]


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime shown in the service's time zone (app.config["TZ"]); '' for None."""
    if value is None:
        return ""
    return value.astimezone(current_app.config["TZ"]).strftime(fmt)


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def role_label(role: str) -> str:
    return gettext(ROLES.get(role, role))


def flag_state_label(decision: str) -> str:
    """A duplicate flag's state (open, merged, dismissed) in the page language."""
    return gettext(FLAG_STATES.get(decision, decision))


def notice_channel_label(channel: str) -> str:
    """A notice's channel (sms, email, webhook) in the page language."""
    return gettext(NOTICE_CHANNEL_LABELS[channel]) if channel in NOTICE_CHANNEL_LABELS else channel


def notice_status_label(status: str) -> str:
    """A notice's delivery status (pending, sent, failed, …) in the page language."""
    return gettext(NOTICE_STATUS_LABELS[status]) if status in NOTICE_STATUS_LABELS else status


def listed(items: Any) -> str:
    """Items as a list in the page language: "甲、乙" in Chinese, "A, B" in English."""
    return LIST_SEPARATORS[current_language()].join(str(item) for item in items)


def duration(seconds: int) -> str:
    """A length of time in whole units, as the deadlines' countdowns say it: "2天3小时", "45分钟"
    in Chinese, "2 d 3 h", "45 min" in English (days and hours, or minutes under a day)."""
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    parts = [gettext("%(n)s天", n=days)] if days else []
    if hours or days:
        parts.append(gettext("%(n)s小时", n=hours))
    if not days:
        parts.append(gettext("%(n)s分钟", n=minutes))
    return WORD_SEPARATORS[current_language()].join(parts)


def masked_phone(phone: str | None) -> str:
    return mask_phone(phone) if phone else ""


def masked_name(name: str | None) -> str:
    return mask_name(name) if name else ""


def flatten_errors(messages: Any, prefix: str = "") -> FormErrors:
    """marshmallow's nested messages ({"contact": {"phone": [...]}}) as {"contact.phone": [...]}.

    The same dotted names as the JSON API's error envelope, and as the form fields' `name`s.
    """
    if isinstance(messages, Mapping):
        flat: FormErrors = {}
        for key, value in messages.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list | tuple) and messages and all(isinstance(m, str) for m in messages):
        return {prefix or "_form": list(messages)}  # as they are: a `Text` keeps its template
    if isinstance(messages, list | tuple):
        flat = {}
        for item in messages:
            flat.update(flatten_errors(item, prefix))
        return flat
    return {prefix or "_form": [str(messages)]}


def errors_of(exc: SchemaError | DomainError) -> FormErrors:
    """The per-field errors of a failed schema load or domain operation; the message under "_form".

    Every message is shown in the page language and in page terms (`form_messages.page_message`): a
    `Text` (a domain operation's message, a schema's own, a validator's from `service.validate`)
    through `i18n.localize` unless it sends the reader to the API or lists codes, marshmallow's fixed
    field messages through labels.SCHEMA_MESSAGES (an unknown field named, as the page shows it
    without a label); anything else as it is.
    """
    if isinstance(exc, SchemaError):
        errors = flatten_errors(exc.messages)
    else:
        errors = flatten_errors(exc.errors) if exc.errors else {}
        if not errors:
            errors["_form"] = [exc.message]
    return {name: [page_message(m, name) for m in messages] for name, messages in errors.items()}


def form_to_dict(form: MultiDict[str, str], many: tuple[str, ...] = ()) -> dict[str, Any]:
    """A posted form as the nested dict a marshmallow schema loads.

    Dotted names nest ("contact.phone" → {"contact": {"phone": ...}}); empty fields are left out
    (so `required` and defaults behave as in the JSON API); names in `many` keep every value as a
    list (checkboxes, multi-selects). The CSRF token is dropped.
    """
    data: dict[str, Any] = {}
    for name in form:
        if name == "csrf_token":
            continue
        if name in many:
            value: Any = [v for v in form.getlist(name) if v != ""]
        else:
            value = form.get(name, "").strip()
            if value == "":
                continue
        node = data
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


#: ASCII digits only (\d takes any script's), and few enough for an int (Python refuses a string
#: of over 4300 digits); anything else stays text, which the schema refuses with a message.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def form_numbers(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """`form_to_dict`'s output with the whole numbers typed in (days, an article, the version) as
    ints, as the JSON API's schemas take them: their integers are strict, a JSON client's 2.5 or
    "3" is refused. Text that is not a whole number stays text, for the schema to refuse."""
    typed = dict(data)
    for name, field in schema.fields.items():
        key = field.data_key or name
        value = typed.get(key)
        if isinstance(field, fields.Integer) and isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
            typed[key] = int(value)
        elif (
            isinstance(field, fields.Nested) and isinstance(field.schema, Schema) and isinstance(value, dict)
        ):
            typed[key] = form_numbers(field.schema, value)
    return typed


def load_form(schema: Schema, form: MultiDict[str, str], many: tuple[str, ...] = ()) -> dict[str, Any]:
    """Load a posted form with a JSON API schema; raises marshmallow.ValidationError (see `errors_of`)."""
    return schema.load(form_numbers(schema, form_to_dict(form, many)))


def load_filters(
    schema: Schema, names: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, Any] | None, FormErrors]:
    """A GET filter form: what was typed (`names`), the schema's arguments (None when a filter is
    wrong) and the errors. Only the filters and `page` are loaded: the page's other parameters
    (?lang=en) are not the schema's to judge."""
    given = {name: request.args.get(name, "").strip() for name in names}
    wanted = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in (*names, "page")])
    try:
        return given, schema.load(form_numbers(schema, form_to_dict(wanted))), {}
    except SchemaError as exc:
        return given, None, errors_of(exc)


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(localize)  # a `Text` (service/text.py) in the page language
    app.add_template_filter(deadline)
    app.add_template_filter(recorded)  # what the service wrote into the record, in the page language
    app.add_template_filter(status_label)
    app.add_template_filter(role_label)
    app.add_template_filter(flag_state_label)
    app.add_template_filter(notice_channel_label)
    app.add_template_filter(notice_status_label)
    app.add_template_filter(listed)
    app.add_template_filter(duration)
    app.add_template_filter(masked_phone)
    app.add_template_filter(masked_name)
    app.add_template_global(STATUS_TONES, "STATUS_TONES")
    app.add_template_global(flashed_messages)  # the flashes in the page language
