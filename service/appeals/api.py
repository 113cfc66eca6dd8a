"""Staff and integration API for appeals: intake from every channel, search, record, timeline."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import RAISE

from service import db
from service.appeals import dispatching, export, operations, queries, receipts
from service.appeals.models import Appeal, IdempotencyKey
from service.appeals.privacy import event_payload, free_text, log_access, may_reveal, sees_unmasked
from service.appeals.recorded import recorded
from service.appeals.schemas import (
    AppealIn,
    AppealListArgs,
    AppealOut,
    AppealPage,
    DispatchIn,
    EventOut,
    IntakeOut,
)
from service.appeals.status import STATUS_LABELS
from service.auth.models import User
from service.db import utcnow
from service.errors import Forbidden, ValidationFailed
from service.extensions import Blueprint, body_object, loader
from service.handling import closing, duplicates
from service.handling.workflow import TRANSITIONS, needs_roles
from service.i18n import response_language
from service.lists.operations import active_context, number_prefix
from service.notices.channels import configured_channels
from service.text import t

blp = Blueprint("appeals", __name__, url_prefix="/api/v1/appeals", description="Appeals (诉求工单)")

STAFF = ("operator", "dispatcher", "reviewer", "unit_staff", "leader", "admin")
INTAKE = ("operator", "dispatcher", "admin")

#: How the document describes the 409 of an action on an appeal.
STATE_CONFLICT = (
    "The appeal's status does not allow this now, or it was changed meanwhile (the version sent is "
    "not its version): `current` holds its status and version now."
)

IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 128},
    "description": "A retried POST with the same key returns the first appeal instead of creating a second.",
}


def claim_key(scope: str, key: str, body: Any) -> Appeal | IdempotencyKey | None:
    """An intake's Idempotency-Key (README "Retries"): None without one; the appeal an earlier request
    with the key created (a retry, or the same form sent twice); else the claim to attach the new one to.

    `body` is what the request asked for, as JSON-able data: the same key with another body is a 409.
    """
    if not key:
        return None
    if len(key) > 128:
        raise ValidationFailed(
            t("Invalid input: {fields}", fields=["Idempotency-Key"]),
            {"Idempotency-Key": [t("At most {n} characters.", n=128)]},
        )
    return operations.claim_idempotency_key(db.session(), scope, key, operations.request_fingerprint(body))


def intake(
    data: dict[str, Any],
    *,
    actor: Any,
    scope: str,
    actor_role: str | None = None,
    key: str | None = None,
    body: Any = None,
) -> tuple[Appeal, bool]:
    """Register (and, when it can, dispatch) an appeal, or with `close_directly` in `data` register
    and close it at first contact; honour Idempotency-Key. Returns (appeal, replayed).

    The key is the request's `Idempotency-Key` header and the body its JSON, unless a page form
    gives both (`key`, `body`: its hidden key field and its fields).
    """
    s = db.session()
    if key is None:
        key = request.headers.get("Idempotency-Key", "").strip()
        # The body as JSON, not as bytes: a retry that serialises the same fields in another order
        # or with other spacing is the same request (the body was parsed already to validate it).
        body = request.get_json(silent=True)
    claim = claim_key(scope, key, body)
    if isinstance(claim, Appeal):
        return claim, True
    ctx = active_context(s)
    where = {
        "prefix": ctx.lst.jurisdiction.prefix if ctx else number_prefix(s, current_app.config),
        "tz": current_app.config["TZ"],
        "ctx": ctx,
        "channels": configured_channels(current_app.config),
    }
    if (direct := data.get("close_directly")) is not None:
        appeal = closing.register_closed_directly(
            s, data, actor=actor, answer=direct["answer"], kb_article_id=direct["kb_article"], **where
        )
    else:
        appeal = operations.register_appeal(
            s, data, actor=actor, actor_role=actor_role, dispatch=True, **where
        )
    if claim is not None:
        claim.appeal_id = appeal.id
    s.flush()
    return appeal, False


@loader(
    refuses="`close_directly` sent by a role that may not close an appeal at first contact "
    f"(only: {', '.join(sorted(TRANSITIONS['close-directly'].roles))}).",
    finds=False,
)
def may_close_directly(user: User, **_: Any) -> dict[str, Any]:
    """`Blueprint.requires`' loader of the intake: a body asking to close the appeal at first
    contact (`close_directly`) from a role that may not do that is refused (403) before the body is
    validated, as a role that may not take in appeals at all is."""
    body = body_object()  # unreadable: the body's own error (400, 415) says so
    if body is not None and body.get("close_directly") is not None:
        transition = TRANSITIONS["close-directly"]
        if user.role not in transition.roles:
            raise Forbidden(needs_roles(transition.doing, transition.roles))
    return {}


def _named_in_body(exc: ValidationFailed) -> ValidationFailed:
    """The direct close's refusal of its article (`kb_article`) named where the intake's body has it."""
    errors = dict(exc.errors or {})
    if "kb_article" not in errors:
        return exc
    errors["close_directly"] = {"kb_article": errors.pop("kb_article")}
    return ValidationFailed(t("Invalid input: {fields}", fields=["close_directly.kb_article"]), errors)


def visible_appeal(user: User, number: str, **_: Any) -> dict[str, Appeal]:
    """`Blueprint.requires`' loader for the URLs naming an appeal: the appeal <number> if the caller
    may see it (404 otherwise: unknown and not theirs answer alike), as the view's `appeal`."""
    return {"appeal": queries.get_visible(db.session(), number, user)}


def names_for(appeal: Appeal) -> queries.Names | None:
    ctx = active_context(db.session())
    if ctx is None or appeal.list_version_id not in (None, ctx.version_id):
        return None
    return queries.Names(ctx)


@blp.route("")
class AppealCollection(MethodView):
    @blp.requires(*STAFF)
    @blp.arguments(AppealListArgs, location="query", unknown=RAISE)
    @blp.response(200, AppealPage)
    def get(self, args: dict[str, Any], user: User) -> dict[str, Any]:
        """Search appeals, with filters, ordering and pagination (unit staff: their unit's only)."""
        tz = current_app.config["TZ"]
        return queries.search_page(db.session(), user, args, tz, args["per_page"])

    @blp.requires(*INTAKE, load=may_close_directly)
    @blp.arguments(AppealIn)
    @blp.response(201, IntakeOut)
    @blp.conflict(
        "The Idempotency-Key was used before with a different body, or a conflicting change was "
        "stored at the same time."
    )
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, data: dict[str, Any], user: User) -> Any:
        """Take in an appeal from any channel (operators, the centre, integrations).

        With `close_directly` (operator, admin), a consultation answered on the phone is registered
        and closed at once (直接办结): not dispatched, and no receipt is sent (`receipt.reason`
        closed_at_first_contact)."""
        try:
            appeal, replayed = intake(data, actor=user, scope=f"user:{user.id}")
        except ValidationFailed as exc:
            raise _named_in_body(exc) from exc
        body = {
            "number": appeal.number,
            "query_code": appeal.query_code,
            "status": appeal.status,
            "status_label": STATUS_LABELS[appeal.status],
            # A new appeal is shown with names from the compiled list: no query per relationship.
            "appeal": queries.appeal_view(appeal, user, masked=True, names=names_for(appeal)),
            # For the operator on the phone: is this a repeat call, or an appeal already known?
            "caller_history": appeal.caller_history,
            "duplicates": (
                duplicates.candidates_of(db.session(), appeal, user)
                if replayed
                else appeal.flagged_duplicates
            ),
            # How the citizen learns the number and the query code (受理回执), as decided at intake.
            "receipt": receipts.receipt_answer(db.session(), appeal),
        }
        return body, 201, {"Idempotent-Replayed": "true"} if replayed else {}


@blp.route("/export")
class AppealExport(MethodView):
    @blp.requires(*STAFF)
    @blp.arguments(AppealListArgs, location="query", unknown=RAISE)
    @blp.response(200, description="An XLSX workbook", content_type=export.XLSX)
    def get(self, args: dict[str, Any], user: User) -> Response:
        """The appeals of a search (the filters and order of `GET /api/v1/appeals`; no paging) as an
        XLSX workbook, at most 10,000 (more: 422). No personal data: no contact, no content."""
        tz = current_app.config["TZ"]
        found = export.matching(db.session(), user, args, tz)
        stamp = utcnow().astimezone(tz).strftime("%Y%m%d-%H%M")
        return Response(
            export.workbook(found, tz),
            mimetype=export.XLSX,
            headers={"Content-Disposition": f'attachment; filename="appeals-{stamp}.xlsx"'},
        )


@blp.route("/<number>")
class AppealItem(MethodView):
    @blp.requires(*STAFF, load=visible_appeal)
    @blp.response(200, AppealOut)
    @blp.doc(
        parameters=[
            {
                "in": "query",
                "name": "reason",
                "schema": {"type": "string"},
                "description": "why the citizen's personal data is viewed (logged); the lead "
                "unit's staff see the contact unmasked only when they give one",
            }
        ]
    )
    def get(self, number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """One appeal. Centre roles see the citizen's contact unmasked, and the view is logged.
        The lead unit's staff see it (name, phone, e-mail) unmasked when they give a `reason`, to
        contact the citizen, logged the same way; not on a confidential appeal (保密件: the centre
        contacts the citizen), and co-units and leaders never (`contact.masked` says which)."""
        s = db.session()
        reason = (request.args.get("reason") or "").strip()
        if sees_unmasked(user) and not reason:
            reason = "工单查看"
        if reason and may_reveal(user, appeal):
            log_access(s, user, appeal, "view", reason)
            return queries.appeal_view(appeal, user, masked=False)
        return queries.appeal_view(appeal, user, masked=True)


@blp.route("/<number>/events")
class AppealEvents(MethodView):
    @blp.requires(*STAFF, load=visible_appeal)
    @blp.response(200, EventOut(many=True))
    def get(self, number: str, user: User, appeal: Appeal) -> list[dict[str, Any]]:
        """The appeal's timeline: every change, who made it, from which status to which. The notes
        and messages the service wrote (自动派单, 已转交区城管局办理。) are in the language
        Accept-Language asks for, else as stored (Chinese); what they name (a unit, a number, a
        typed reason) and what people wrote stay as written."""
        s = db.session()
        language = response_language()
        return [
            {
                "id": e.id,
                "at": e.at,
                "action": e.action,
                "actor": (
                    {"username": e.actor.username, "display_name": e.actor.display_name, "role": e.actor.role}
                    if e.actor
                    else None
                ),
                "actor_role": e.actor_role,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": recorded(free_text(e.note, appeal, user, masked=True), language)
                if e.note
                else e.note,
                "public_message": recorded(free_text(e.public_message, appeal, user, masked=True), language)
                if e.public_message
                else e.public_message,
                "payload": event_payload(e.payload, user),
            }
            for e in queries.events_of(s, appeal)
        ]


@blp.route("/<number>/dispatch")
class AppealDispatch(MethodView):
    @blp.requires("dispatcher", "admin", load=visible_appeal)
    @blp.arguments(DispatchIn)
    @blp.response(200, AppealOut)
    @blp.conflict(STATE_CONFLICT)
    def post(self, data: dict[str, Any], number: str, user: User, appeal: Appeal) -> dict[str, Any]:
        """Dispatch or re-dispatch by hand, with a reason; recorded like an automatic dispatch.

        A re-dispatch to the lead unit the appeal is with, correcting nothing (category, area,
        urgency), changes its co-units alone (调整协办单位: the lead's part, signing and clocks
        kept); one that would change nothing at all is refused (409)."""
        s = db.session()
        dispatching.dispatch_by_hand(
            s,
            appeal,
            actor=user,
            reason=data["reason"],
            tz=current_app.config["TZ"],
            unit=data["unit"],
            co_units=data["co_units"],
            category=data["category"],
            area=data["area"],
            urgency=data["urgency"],
            expected_version=data["version"],
        )
        return queries.appeal_view(appeal, user, masked=True)
