"""marshmallow's validators, failing with messages a page can show in the reader's language.

The schemas use this module where they would use `marshmallow.validate` (`from service import
validate`, then `validate.OneOf(...)`, `validate.Length(...)`). Each validator fails with
marshmallow's own English message, so the API says what it always said, but made as a
`service.text.Text` (the template and its values): `service.web.helpers.errors_of` then shows it on
a form in the page language from the `errors` catalogue, as it shows a domain operation's message,
and one Chinese text serves every field (`Must be one of: {choices}.`), not one per field and value.
A schema's own message is given as `error=t("…")` and said as it is. `OneOf(codes, labels=…)` gives
the words of codes (a channel's 12345热线 for `hotline`): a form names the choices by them.

marshmallow's fixed field messages ("Missing data for required field.", "Not a valid integer.")
have no values; `service.web.labels.SCHEMA_MESSAGES` gives them their page texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import validate

from service.text import Text, t

__all__ = ["Length", "OneOf", "Range", "Regexp"]


def _own(validator: Any, default: str | None) -> str | None:
    """The schema's own message (a `Text`, or plain text said as it is), None for marshmallow's."""
    return None if validator.error in (None, default) else validator.error


class OneOf(validate.OneOf):
    def _format_error(self, value: Any) -> str:
        if (own := _own(self, self.default_message)) is not None:
            return own if isinstance(own, Text) else super()._format_error(value)
        # The labels (marshmallow's own argument: the choices' words, in Chinese) ride along unsaid:
        # the API names the values a program sends, a page the words its reader picked from.
        return t(
            "Must be one of: {choices}.",
            choices=[str(c) for c in self.choices],
            labels=[str(label) for label in self.labels],
        )


class Length(validate.Length):
    def _format_error(self, value: Any, message: str) -> str:
        if (own := _own(self, None)) is not None:
            return own if isinstance(own, Text) else super()._format_error(value, message)
        if message == self.message_equal:
            return t("Length must be {equal}.", equal=self.equal)
        if message == self.message_min:
            return t("Shorter than minimum length {min}.", min=self.min)
        if message == self.message_max:
            return t("Longer than maximum length {max}.", max=self.max)
        return t("Length must be between {min} and {max}.", min=self.min, max=self.max)


#: Range's messages by (lower bound, upper bound): "gte"/"gt", "lte"/"lt", None when not bounded.
_RANGE_TEXTS: dict[tuple[str | None, str | None], Callable[[Any, Any], Text]] = {
    ("gte", None): lambda low, _high: t("Must be greater than or equal to {min}.", min=low),
    ("gt", None): lambda low, _high: t("Must be greater than {min}.", min=low),
    (None, "lte"): lambda _low, high: t("Must be less than or equal to {max}.", max=high),
    (None, "lt"): lambda _low, high: t("Must be less than {max}.", max=high),
    ("gte", "lte"): lambda low, high: t(
        "Must be greater than or equal to {min} and less than or equal to {max}.", min=low, max=high
    ),
    ("gt", "lte"): lambda low, high: t(
        "Must be greater than {min} and less than or equal to {max}.", min=low, max=high
    ),
    ("gte", "lt"): lambda low, high: t(
        "Must be greater than or equal to {min} and less than {max}.", min=low, max=high
    ),
    ("gt", "lt"): lambda low, high: t("Must be greater than {min} and less than {max}.", min=low, max=high),
}


class Range(validate.Range):
    def _format_error(self, value: Any, message: str) -> str:
        if (own := _own(self, None)) is not None:
            return own if isinstance(own, Text) else super()._format_error(value, message)
        low: str | None = "gte" if self.min_inclusive else "gt"
        high: str | None = "lte" if self.max_inclusive else "lt"
        if message == self.message_min:
            high = None
        elif message == self.message_max:
            low = None
        return _RANGE_TEXTS[(low, high)](self.min, self.max)


class Regexp(validate.Regexp):
    def _format_error(self, value: Any) -> str:
        if (own := _own(self, self.default_message)) is not None:
            return own if isinstance(own, Text) else super()._format_error(value)
        return t("String does not match expected pattern.")
