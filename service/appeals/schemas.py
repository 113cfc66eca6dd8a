"""marshmallow schemas of the staff's appeal API: what comes in (validated: intake, the list's filters, a
dispatch) and what goes out. The citizens' side: service/appeals/public_schemas.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, pre_load, validates_schema

from dispatch.receipts import REASONS
from service import validate
from service.appeals.status import (
    APPEAL_TYPES,
    CHANNEL_META_FIELDS,
    CHANNELS,
    PHONE_OPTIONAL_CHANNELS,
    STATUS_LABELS,
    URGENCIES,
)
from service.appeals.unit_choice import co_unit_errors
from service.db import utcnow
from service.fields import (
    CleanText,
    DayOrInstant,
    IdNumber,
    Label,
    Phone,
    clean_text,
    range_end,
    range_start,
)
from service.handling.closing_schemas import DirectAnswerIn
from service.handling.duplicate_schemas import DuplicateOut
from service.text import t

AREA_CODE = validate.Regexp(r"^\d{6}(\d{3}(\d{3})?)?$", error=t("A division code has 6, 9 or 12 digits."))
CATEGORY_CODE = validate.Regexp(r"^[0-9A-Za-z_.-]{1,32}$", error=t("Not a category code."))


#: A contact with no phone on a channel that needs one (a call: the caller's number).
PHONE_REQUIRED = t(
    "Required: only a written appeal (a letter, an e-mail, the mayor's mailbox, "
    "a deputy's suggestion or a member's proposal) may leave the phone number out."
)


def _blank(value: Any) -> bool:
    """No phone number: null, or text that is empty once cleaned ("", spaces, a full-width space)."""
    return value is None or (isinstance(value, str) and not clean_text(value, multiline=False))


def _phone_given(contact: Any) -> bool:
    return isinstance(contact, Mapping) and not _blank(contact.get("phone"))


class ContactIn(Schema):
    name = CleanText(max_length=50, load_default="")
    # Required but for a written appeal's contact (`AppealIn` checks it against the channel).
    phone = Phone(
        load_default="",
        metadata={
            "description": "required, except for a written appeal ("
            + ", ".join(sorted(PHONE_OPTIONAL_CHANNELS))
            + ")"
        },
    )
    id_number = IdNumber(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AppealIn(Schema):
    """An appeal as any channel delivers it."""

    channel = fields.String(
        required=True, validate=validate.OneOf(list(CHANNELS), labels=list(CHANNELS.values()))
    )
    channel_meta = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    appeal_type = fields.String(required=True, validate=validate.OneOf(APPEAL_TYPES))
    title = CleanText(required=True, min_length=1, max_length=100)
    content = CleanText(required=True, min_length=1, max_length=5000, multiline=True)
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    area = fields.String(load_default=None, allow_none=True, validate=AREA_CODE)
    address = CleanText(max_length=200, load_default="")
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    urgency = fields.String(load_default="一般", validate=validate.OneOf(URGENCIES))
    contact = fields.Nested(ContactIn, load_default=None, allow_none=True)
    confidential = fields.Boolean(load_default=False)
    consent_publish = fields.Boolean(load_default=False)
    received_at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "when the appeal arrived; default now"}
    )
    close_directly = fields.Nested(
        DirectAnswerIn,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "直接办结: the answer given on the phone (and the knowledge-base article "
            "used), to register the appeal closed at first contact: not dispatched, no receipt sent. "
            "Operators and administrators only (403); a consultation or other non-urgent appeal, "
            "never a 投诉 or 举报 (422)"
        },
    )

    @pre_load
    def _blank_phone_is_absent(self, data: Any, **_: Any) -> Any:
        """An integration that sends every field sends `"phone": ""` (or null) for a letter without
        a number: read as no phone, which a written appeal may have (`_check_phone`); a call is
        still refused, with the message that says a phone is required, not "not a mobile number"."""
        contact = data.get("contact") if isinstance(data, Mapping) else None
        if isinstance(contact, Mapping) and "phone" in contact and not _phone_given(contact):
            data = {**data, "contact": {k: v for k, v in contact.items() if k != "phone"}}
        return data

    # Also when other fields are wrong: a 422 names every wrong field at once, not the channel's
    # metadata only once the title is fixed.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        allowed = CHANNEL_META_FIELDS.get(data.get("channel", ""), ())
        unknown = sorted(set(data.get("channel_meta") or {}) - set(allowed))
        if unknown and data.get("channel") in CHANNELS:
            errors["channel_meta"] = [
                t(
                    "Unknown key(s) for channel {channel}: {keys}; allowed: {allowed}.",
                    channel=data["channel"],
                    keys=unknown,
                    allowed=list(allowed),
                )
            ]
        for key, value in (data.get("channel_meta") or {}).items():
            if len(value) > 200:
                errors.setdefault("channel_meta", []).append(t("{key}: at most 200 characters.", key=key))
        # Judged once both coordinates sent are valid: one message about a coordinate at a time.
        sent = original if isinstance(original, Mapping) else {}
        given = [sent.get(k) is not None for k in ("latitude", "longitude")]
        loaded = [data.get(k) is not None for k in ("latitude", "longitude")]
        if given == loaded and given[0] != given[1]:
            errors["latitude"] = [t("Give latitude and longitude together, or neither.")]
        received = data.get("received_at")
        if received is not None and (problem := _received_problem(received, utcnow())):
            errors["received_at"] = [problem]
        if errors:
            raise ValidationError(errors)

    # Also when other fields are wrong: the console names every missing field at once.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_phone(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """A call's contact has the caller's number; a written appeal's may have none (its citizen is
        answered at the postal or e-mail address, or not at all: `dispatch.receipts`). A phone given
        but wrong is the field's own error, said once."""
        contact, channel = data.get("contact"), data.get("channel")
        given = (original.get("contact") or {}) if isinstance(original, Mapping) else {}
        if contact is None or _phone_given(given) or channel not in CHANNELS:
            return
        if channel not in PHONE_OPTIONAL_CHANNELS:
            raise ValidationError({"contact": {"phone": [PHONE_REQUIRED]}})


#: The earliest arrival time taken: late letters and appeals carried over from an older system are
#: logged with their own date, but nothing from before the hotlines (and year 1 at UTC+14 is out
#: of range for any time arithmetic).
EARLIEST_RECEIVED_YEAR = 2000


def _received_problem(received: datetime, now: datetime) -> str | None:
    if received.year < EARLIEST_RECEIVED_YEAR:  # checked first, before any arithmetic on it
        return t("Cannot be before {year}.", year=EARLIEST_RECEIVED_YEAR)
    if received > now + timedelta(minutes=5):
        return t("Cannot be in the future.")
    return None


#: The search's 派单方式 (`AppealListArgs.dispatch`, `queries.filtered`).
DISPATCH_WAYS = ("auto", "manual")


class AppealListArgs(Schema):
    status = fields.String(validate=validate.OneOf(list(STATUS_LABELS), labels=list(STATUS_LABELS.values())))
    channel = fields.String(validate=validate.OneOf(list(CHANNELS), labels=list(CHANNELS.values())))
    type = fields.String(validate=validate.OneOf(APPEAL_TYPES))
    category = fields.String(validate=CATEGORY_CODE, metadata={"description": "includes sub-categories"})
    area = fields.String(validate=AREA_CODE, metadata={"description": "includes the places inside it"})
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    unit = fields.String(validate=validate.Length(max=32), metadata={"description": "lead or co unit code"})
    dispatch = fields.String(
        validate=validate.OneOf(DISPATCH_WAYS),
        metadata={
            "description": "how it was dispatched: auto, by the responsibility list on intake with no "
            "dispatcher changing its units since (for spot checks); manual, by a dispatcher at least once"
        },
    )
    received_from = DayOrInstant(
        metadata={"description": "from this instant, or a date: from that day's start (service time zone)"}
    )
    received_to = DayOrInstant(
        metadata={"description": "before this instant, or a date: through that day's end (service time zone)"}
    )
    q = CleanText(
        max_length=100,
        metadata={
            "description": "free text in number, title, content, address; units and leaders search "
            "title and content as they read them (personal data masked)"
        },
    )
    order = fields.String(
        load_default="-received_at",
        validate=validate.OneOf(
            [p + k for k in ("received_at", "reply_due_at", "sign_due_at", "number") for p in ("", "-")]
        ),
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _check_range(self, data: dict[str, Any], **_: Any) -> None:
        """A reversed range finds nothing: say so rather than answer "0 found"."""
        start, end = data.get("received_from"), data.get("received_to")
        if start is None or end is None:
            return
        if isinstance(start, datetime) != isinstance(end, datetime):  # a day and an instant
            if not has_app_context():
                return
            tz = current_app.config["TZ"]
            start, end = range_start(start, tz), range_end(end, tz) - timedelta(microseconds=1)
        if end < start:
            raise ValidationError({"received_to": [t("The end date is before the start date.")]})


class RefOut(Schema):
    code = fields.String()
    name = fields.String()


class ContactOut(Schema):
    name = fields.String()
    phone = fields.String()
    id_number = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    masked = fields.Boolean()
    erased = fields.Boolean(metadata={"description": "erased after the retention period"})


class AssignmentOut(Schema):
    unit = fields.Nested(RefOut)
    role = fields.String()
    list_version = fields.String(allow_none=True)
    rule_id = fields.String(allow_none=True)
    manual = fields.Boolean()
    active = fields.Boolean()
    assigned_at = fields.DateTime()
    sign_due_at = fields.DateTime(allow_none=True)
    reply_due_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    ended_reason = fields.String()
    explanation = fields.Dict()


class AppealOut(Schema):
    number = fields.String()
    query_code = fields.String(metadata={"description": "only for centre roles"})
    channel = fields.String()
    channel_meta = fields.Dict()
    appeal_type = fields.String()
    title = fields.String()
    content = fields.String()
    category = fields.Nested(RefOut, allow_none=True)
    area = fields.Nested(RefOut, allow_none=True)
    address = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    urgency = fields.String()
    confidential = fields.Boolean()
    consent_publish = fields.Boolean()
    status = fields.String()
    status_label = Label()
    received_at = fields.DateTime()
    dispatched_at = fields.DateTime(allow_none=True)
    lead_unit = fields.Nested(RefOut, allow_none=True)
    sign_due_at = fields.DateTime(allow_none=True)
    reply_due_at = fields.DateTime(allow_none=True)
    dispatch_note = fields.String()
    signed_at = fields.DateTime(allow_none=True, metadata={"description": "when the lead unit signed for it"})
    replied_at = fields.DateTime(allow_none=True, metadata={"description": "when the reply was released"})
    rating_due_at = fields.DateTime(allow_none=True, metadata={"description": "closes unrated after this"})
    closed_at = fields.DateTime(allow_none=True)
    close_reason = fields.String(metadata={"description": "rated | rating_window | direct | merged | centre"})
    direct_answer = fields.String(metadata={"description": "the answer given at first contact (直接办结)"})
    reopen_count = fields.Integer()
    supervision_level = fields.Integer()
    merged_into = fields.String(allow_none=True, metadata={"description": "the master appeal's number"})
    contact = fields.Nested(ContactOut, allow_none=True)
    assignments = fields.List(fields.Nested(AssignmentOut))
    caller_history = fields.Integer(
        metadata={"description": "the caller's appeals (same phone) of the year before"}
    )
    time_left_seconds = fields.Integer(
        allow_none=True,
        metadata={"description": "until the reply deadline; negative: overdue; null: no clock"},
    )
    warning = fields.String(metadata={"description": "none | yellow (under a quarter left) | red (overdue)"})
    sign_time_left_seconds = fields.Integer(
        allow_none=True,
        metadata={
            "description": "until the sign-for deadline: the appeal's (the lead unit's); for the staff"
            " of a co-unit, their own assignment's, until they signed for their part"
        },
    )
    sign_warning = fields.String(
        metadata={
            "description": "none | yellow | red, while not signed for (the same clock as sign_time_left_seconds)"
        }
    )
    version = fields.Integer()


class AppealPage(Schema):
    items = fields.List(fields.Nested(AppealOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ActorOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()


#: How the API says the texts the service wrote into the record (service/appeals/recorded.py).
RECORDED_TEXT = (
    "the service's own words in the language Accept-Language asks for, else as stored, in Chinese (what "
    "they name, a unit, a number or a typed reason, as written); what people wrote as written"
)


class EventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor = fields.Nested(ActorOut, allow_none=True)
    actor_role = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(metadata={"description": RECORDED_TEXT})
    public_message = fields.String(allow_none=True, metadata={"description": RECORDED_TEXT})
    payload = fields.Dict()


class ReceiptOut(Schema):
    """受理回执: how the citizen learns the number and the query code."""

    sent = fields.Boolean(metadata={"description": "the number and query code are sent to the citizen"})
    sms = fields.String(
        allow_none=True, metadata={"description": "the mobile the text goes to, masked (139****5678)"}
    )
    email = fields.String(
        allow_none=True, metadata={"description": "the e-mail address it goes to, masked (l***@example.com)"}
    )
    reason = fields.String(
        allow_none=True,
        metadata={"description": "why none is sent; null when sent", "enum": [*REASONS, None]},
    )
    message = fields.String(
        allow_none=True,
        metadata={"description": "why none is sent, in the request's language (Accept-Language)"},
    )


class IntakeOut(Schema):
    number = fields.String()
    query_code = fields.String()
    status = fields.String()
    status_label = Label()
    appeal = fields.Nested(AppealOut)
    caller_history = fields.Integer(metadata={"description": "the caller's earlier appeals (last 365 days)"})
    duplicates = fields.List(
        fields.Nested(DuplicateOut), metadata={"description": "likely duplicates flagged"}
    )
    receipt = fields.Nested(
        ReceiptOut,
        allow_none=True,
        metadata={
            "description": "how the citizen learns the number and the query code: by the text or "
            "e-mail sent (受理回执), else read back on the phone or sent on paper"
        },
    )


class DispatchIn(Schema):
    """派单/改派 by the centre: by the list after correcting category/area/urgency, or to a chosen unit."""

    reason = CleanText(required=True, min_length=1, max_length=500)
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    co_units = fields.List(fields.String(validate=validate.Length(max=32)), load_default=list)
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    area = fields.String(load_default=None, allow_none=True, validate=AREA_CODE)
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(URGENCIES))
    version = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "the appeal version you saw (optimistic lock)"},
    )

    @validates_schema
    def _check_units(self, data: dict[str, Any], **_: Any) -> None:
        if clash := co_unit_errors(data.get("unit"), data.get("co_units") or []):
            raise ValidationError({"co_units": clash})
