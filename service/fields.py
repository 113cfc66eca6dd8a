"""marshmallow fields for text from the public: valid Unicode (no lone surrogates), control
characters stripped, lengths bounded, mainland phone numbers and resident ID numbers checked; and
the labels of the service's own vocabulary in the answers, said in the client's language (`Label`)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from flask import has_request_context
from marshmallow import ValidationError, fields

from service import validate
from service.text import Text, t

#: A zero-width joiner that joins no two emoji: between two, it makes one picture of them (👨‍👩‍👧, a
#: family, not a man, a woman and a girl; 🐈‍⬛, a black cat) and is kept.
_EMOJI = r"\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"  # 🐈‍⬛ ends in U+2B1B
_STRAY_JOINER = rf"(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])"
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\ufeff]|"
    + _STRAY_JOINER
)
_CONTROL_SINGLE_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\ufeff]|" + _STRAY_JOINER
)


# JSON's "\ud800"-"\udfff" escapes decode to lone surrogates (json.loads joins a proper pair into
# one character): half a character, which no database, page or log can encode as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def lone_surrogate_error() -> Text:
    return t("Not valid text: it holds a lone surrogate (U+D800 to U+DFFF), half of a character.")


def clean_text(value: str, multiline: bool) -> str:
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = (_CONTROL if multiline else _CONTROL_SINGLE_LINE).sub("", value)
    return value.strip()


class CleanText(fields.String):
    """A string with control characters removed and surrounding space trimmed, then length-checked;
    text holding a lone surrogate is refused (the JSON API refuses it in any field before this).
    With a `min_length`, text that is empty once cleaned is refused as missing."""

    def __init__(self, *, max_length: int, min_length: int = 0, multiline: bool = False, **kwargs: Any):
        self.multiline = multiline
        self.min_length = min_length
        kwargs.setdefault("validate", validate.Length(min=min_length, max=max_length))
        super().__init__(**kwargs)
        self.metadata.setdefault("maxLength", max_length)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_lone_surrogate(text):
            raise ValidationError(lone_surrogate_error())
        cleaned = clean_text(text, self.multiline)
        if not cleaned and self.min_length:
            # Not "Length must be between 1 and 100.": what is missing is the text, not its length.
            raise ValidationError(
                t("Required: it may not be empty (spaces and control characters do not count).")
            )
        return cleaned


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")


#: Dashes a Chinese input method or a word processor types for a hyphen (NFKC keeps them).
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff70]")


def hyphenated(text: str) -> str:
    """`text` with the dashes an input method or a word processor types for a hyphen (—, –, −, ー)
    as the hyphen: what a phone number, an appeal number or a unit code is written with. NFKC
    leaves them; the full-width hyphen (－) NFKC folds itself."""
    return _DASHES.sub("-", text)


def typed_code(text: str) -> str:
    """A code (a unit's, a role's) as an administrator typed it, as the codes are written:
    full-width letters, digits and dashes folded (NFKC), a long dash (GXQ—CGJ) the hyphen, spaces
    around and inside dropped. The case is the caller's to compare."""
    return hyphenated("".join(unicodedata.normalize("NFKC", text).split()))


#: An extension as people write it after a landline: 0797-4412345转801, 分机 801, ext. 801, x801.
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x)\s*(\d{1,6})$", re.IGNORECASE)


def normalise_phone(value: str) -> str:
    """Mainland mobile (13812345678) or landline with area code (0797-4412345, ext. allowed: kept
    as 0797-4412345-801, however it was written).

    Read in NFKC form first: full-width digits, spaces, hyphens and plus signs (１３８１２３４５６７８,
    typed with a Chinese input method in full-width mode) are the ASCII ones. Nothing left once
    spaces and control characters are dropped is a missing number, not a malformed one."""
    raw = hyphenated(unicodedata.normalize("NFKC", clean_text(value, multiline=False)))
    if not raw:
        raise ValidationError(
            t("Required: it may not be empty (spaces and control characters do not count).")
        )
    raw = _EXTENSION.sub(r"-\1", raw)
    compact = re.sub(r"[\s()（）]", "", raw)
    compact = re.sub(r"^(\+86|0086)-?", "", compact)
    if _MOBILE.match(compact.replace("-", "")):
        return compact.replace("-", "")
    if _LANDLINE.match(compact):
        return compact
    raise ValidationError(
        t(
            "Not a mainland mobile number (11 digits starting 13-19) "
            "or a landline with its area code (e.g. 0797-4412345)."
        )
    )


class Phone(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return normalise_phone(super()._deserialize(value, attr, data, **kwargs))


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class IdNumber(fields.String):
    """An 18-digit resident identity number (GB 11643) with its check digit verified."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = clean_text(super()._deserialize(value, attr, data, **kwargs), multiline=False).upper()
        if not re.fullmatch(r"\d{17}[\dX]", text):
            raise ValidationError(t("An ID number has 17 digits and a check digit (0-9 or X)."))
        total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] != text[17]:
            raise ValidationError(t("The ID number's check digit does not match."))
        return text


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


#: The years a time range may name.
FIRST_YEAR, LAST_YEAR = 1900, 9000


class DayOrInstant(fields.AwareDateTime):
    """A bound of a time range: an aware date-time ("2026-01-01T08:00:00+08:00"), or a plain date
    ("2026-01-01") for a whole day in the service's time zone. Loads as a `datetime` or a `date`;
    `range_start` and `range_end` turn either into the instant the range starts or ends at."""

    default_error_messages = {
        "invalid": t(
            "Not a date (2026-01-01) nor a date and time with its time zone (2026-01-01T08:00:00+08:00)."
        ),
        "invalid_awareness": t(
            "A date and time needs its time zone (2026-01-01T08:00:00+08:00); or give a date."
        ),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            try:
                found: date | datetime = date.fromisoformat(value.strip())
            except ValueError as error:
                raise self.make_error("invalid") from error
        else:
            found = super()._deserialize(value, attr, data, **kwargs)
        # Years 1 and 9999 have no day before or after in any time zone: arithmetic on them overflows.
        if not FIRST_YEAR <= found.year <= LAST_YEAR:
            raise ValidationError(t("A year from {first} to {last}.", first=FIRST_YEAR, last=LAST_YEAR))
        return found


def range_start(bound: date | datetime, tz: tzinfo) -> datetime:
    """Where a range from `bound` starts: the instant itself, or the start of the day in `tz`."""
    if isinstance(bound, datetime):
        return bound
    return datetime.combine(bound, time.min, tzinfo=tz)


def range_end(bound: date | datetime, tz: tzinfo) -> datetime:
    """Where a range to `bound` ends (not included): the instant itself, or the end of the day in
    `tz`, so that the day itself is in the range."""
    if isinstance(bound, datetime):
        return bound
    return datetime.combine(bound + timedelta(days=1), time.min, tzinfo=tz)


#: How the OpenAPI document describes a `Label`.
LABEL_LANGUAGE = "in the language Accept-Language asks for, else Chinese (Content-Language says which)"


class Label(fields.String):
    """A label of the service's own vocabulary (a status 待分拨, a step of the citizen's timeline
    诉求已受理, a role, a work list, a rate), dumped in the language of the JSON answer: the one
    Accept-Language asks for, else Chinese as the service writes it, the rule of the recorded
    texts beside it (`service.i18n.response_language`, which sets Content-Language and Vary).

    Only for words the service wrote: names it did not (a unit, a category) stay `String`. Outside
    a request (a job, a webhook), as it is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        described = self.metadata.get("description")
        said = f"{described}; {LABEL_LANGUAGE}" if described else LABEL_LANGUAGE
        self.metadata = {**self.metadata, "description": said}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        label = super()._serialize(value, attr, obj, **kwargs)
        if not label or not has_request_context():
            return label
        # the pages' package and its catalogues: not at import time (service.web imports this module)
        from service.i18n import response_language, vocabulary_label

        return vocabulary_label(label, response_language())
