"""Request bodies of the handling actions (sign, return, extension, contribute, reply, reviews)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates, validates_schema

from service import validate
from service.appeals.status import REPLY_RESULTS
from service.appeals.unit_choice import co_unit_errors
from service.fields import CleanText
from service.handling.return_basis import basis_needed, says_nothing
from service.text import t

UNIT_CODE = validate.Length(min=1, max=32)


class ActionIn(Schema):
    """What every action accepts: the appeal version the caller saw (optimistic lock)."""

    version = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the appeal version you saw; a stale one answers 409 with the current state"
        },
    )


class SignIn(ActionIn):
    """签收: nothing but the optional version."""


class ReturnIn(ActionIn):
    """退单: why the appeal is not the unit's, and on what basis (the list entry or a regulation)."""

    reason = CleanText(required=True, min_length=1, max_length=1000, multiline=True)
    basis = CleanText(
        required=True,
        min_length=1,
        max_length=1000,
        multiline=True,
        metadata={
            "description": "the list entry or the regulation (and article) that puts it elsewhere;"
            " 无, 没有, N/A, punctuation or fewer than 4 letters, digits or characters are refused"
        },
    )

    @validates("basis")
    def _basis_says_something(self, value: str, **_: Any) -> None:
        if says_nothing(value):
            raise ValidationError(basis_needed())


class ReturnReviewIn(ActionIn):
    """退单审核: approve (to `unit` now, or without one back to the dispatch queue) or reject."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    note = CleanText(
        max_length=500,
        multiline=True,
        load_default="",
        metadata={"description": "required to reject; on approval, the reason recorded with the re-dispatch"},
    )
    unit = fields.String(
        load_default=None,
        allow_none=True,
        validate=UNIT_CODE,
        metadata={"description": "on approval: the unit to re-dispatch to now"},
    )
    co_units = fields.List(fields.String(validate=UNIT_CODE), load_default=list)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("decision") == "reject":
            if not data.get("note"):
                errors["note"] = [t("Required to reject: say why the appeal is the unit's.")]
            if data.get("unit") or data.get("co_units"):
                errors["unit"] = [t("A rejected return goes back to the same unit; give no unit.")]
        if data.get("co_units") and not data.get("unit"):
            errors["co_units"] = [t("Co-units only with a lead unit to re-dispatch to.")]
        elif clash := co_unit_errors(data.get("unit"), data.get("co_units") or []):
            errors["co_units"] = clash
        if errors:
            raise ValidationError(errors)


class ExtensionIn(ActionIn):
    """延期: more working days, asked before the reply deadline."""

    days = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=30),
        metadata={"description": "working days"},
    )
    reason = CleanText(required=True, min_length=1, max_length=1000, multiline=True)


class ExtensionReviewIn(ActionIn):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "refuse"]))
    note = CleanText(
        max_length=500, multiline=True, load_default="", metadata={"description": "required to refuse"}
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "refuse" and not data.get("note"):
            raise ValidationError({"note": [t("Required to refuse: say why.")]})


class ContributeIn(ActionIn):
    """协办意见: the co-unit's input to the lead unit."""

    text = CleanText(required=True, min_length=1, max_length=5000, multiline=True)


class ReplyIn(ActionIn):
    """答复: the result, the text the citizen will read, and what stays inside."""

    result = fields.String(
        required=True,
        validate=validate.OneOf(list(REPLY_RESULTS), labels=list(REPLY_RESULTS.values())),
        metadata={"description": "resolved (已解决), in_progress (正在解决), unresolvable (暂无法解决)"},
    )
    reason = CleanText(
        max_length=1000,
        multiline=True,
        load_default="",
        metadata={"description": "required when unresolvable: why it cannot be resolved now"},
    )
    citizen_text = CleanText(
        required=True,
        min_length=1,
        max_length=5000,
        multiline=True,
        metadata={"description": "the reply the citizen reads once the centre approves it"},
    )
    internal_note = CleanText(max_length=5000, multiline=True, load_default="")
    contacted_citizen = fields.Boolean(
        required=True, metadata={"description": "did the unit contact the citizen before replying"}
    )

    # Also when other fields failed: every error of the form is told at once, not one batch a submission.
    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("result") == "unresolvable" and not data.get("reason"):
            raise ValidationError({"reason": [t("Required when the result is unresolvable: say why.")]})


class ReviewIn(ActionIn):
    """答复审核: approve (released to the citizen) or send back with reasons."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "send_back"]))
    reasons = fields.List(
        CleanText(min_length=1, max_length=500),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "required to send back"},
    )
    note = CleanText(
        max_length=1000,
        multiline=True,
        load_default="",
        metadata={
            "description": "the centre's internal note (内部备注), in the event's payload as centre_note:"
            " the centre's roles read it, units do not; what the unit must correct goes in reasons"
        },
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "send_back" and not data.get("reasons"):
            raise ValidationError({"reasons": [t("Required to send back: at least one reason.")]})


class ReplyToCorrectOut(Schema):
    """The reply the centre sent back (答复退回重办), for the lead unit to correct and submit again."""

    result = fields.String(metadata={"description": "resolved, in_progress or unresolvable"})
    reason = fields.String(metadata={"description": "why it cannot be resolved now (unresolvable)"})
    citizen_text = fields.String()
    internal_note = fields.String(metadata={"description": "the unit's own note to the centre"})
    contacted_citizen = fields.Boolean()
    submitted_at = fields.DateTime()
    sent_back_at = fields.DateTime()
    reasons = fields.List(
        fields.String(), metadata={"description": "the reviewer's reasons for sending it back"}
    )
