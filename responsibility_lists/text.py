"""Messages said in English that a page shows in the reader's language.

A domain operation refuses with an English message: the API's error envelope carries it as it is,
for the programs that call it. The pages show the same refusal to a unit clerk or a dispatcher
who reads Chinese, so the message keeps its template and its values: `t("Only the {part} unit
may {action}.", part="lead", action="reply")` is the English string (what the API, the logs and
the tests read) and also says how it was made, so `service.web.i18n.localize` can look the
template up in the Chinese catalogue (`errors` domain) and fill the translation with the same
values. Values that are themselves `Text` are translated too.

The list checker's findings are made the same way (`minyi lists check` prints them in English, the
admin pages show them in the page language), so this module lives in the lowest of the three
packages: pure, no I/O, no Flask. The service imports it as `service.text`. `pybabel extract -k t`
finds the templates (service/web/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any


class Text(str):
    """An English message made from a template and named values (`str.format` placeholders).

    A list or tuple value is a list of items: joined with ", " in English, and item by item in the
    reader's language by `translated`. A datetime value reads as ISO 8601 in English; `translated`
    takes how the page shows one (in the service's time zone).
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Text:
        text = super().__new__(cls, _fill(template, params, _english, ", "))
        text.template = template
        text.params = params
        return text

    def translated(
        self, gettext: Callable[[str], str], separator: str, show: Callable[[Any], str] = str
    ) -> str:
        """This message in another language: its template through `gettext` (the template itself
        when the catalogue has none), filled with its values translated the same way and the others
        as `show` gives them; the English text when the translation cannot be filled (a test keeps
        the catalogue right: tests/web/test_messages.py)."""

        def each(value: Any) -> str:
            return value.translated(gettext, separator, show) if isinstance(value, Text) else show(value)

        try:
            return _fill(gettext(self.template), self.params, each, separator)
        except (KeyError, IndexError, ValueError):  # a translation naming a value it was not given
            return str(self)


def _english(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _fill(template: str, params: Mapping[str, Any], each: Callable[[Any], str], separator: str) -> str:
    if not params:
        return template
    values = {
        name: separator.join(each(v) for v in value) if isinstance(value, list | tuple) else each(value)
        for name, value in params.items()
    }
    return template.format(**values)


def t(template: str, /, **params: Any) -> Text:
    """A translatable English message; mark every template with this so extraction finds it."""
    return Text(template, **params)
