"""The citizens' API: submit on the web portal, track with number and query code. No login.

What a citizen sees: the status and a timeline, never staff names, internal notes or anyone's
personal data (phone and ID numbers they wrote into their own title and content are masked). A wrong query code answers exactly like an unknown number.
"""

from __future__ import annotations

import hmac
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask.views import MethodView

from service import db
from service.appeals import queries, receipts, redact
from service.appeals.api import IDEMPOTENCY_HEADER, intake
from service.appeals.citizen_codes import guess_limit, normal_code, normal_number
from service.appeals.models import Appeal
from service.appeals.public_schemas import PublicAppealIn, PublicAppealOut, PublicIntakeOut, PublicLookupArgs
from service.appeals.recorded import recorded
from service.appeals.status import (
    AWAITING_REPLY,
    CITIZEN_STATUS_LABELS,
    MERGED,
    OPEN_STATUSES,
    PUBLIC_ACTIONS,
    REOPENED_LABEL,
    REPLIED,
    REPLY_RESULTS,
    SUPERSEDED_ACTIONS,
)
from service.errors import NotFound
from service.extensions import Blueprint, accepted, limiter
from service.handling.centre_review import standing_reply
from service.handling.closing import citizen_rating_state
from service.i18n import response_language
from service.text import t

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Citizens' portal (no login)")


def _intake_limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _attempt_limit() -> str:
    return current_app.config["PUBLIC_ATTEMPT_RATE_LIMIT"]


def _lookup_limit() -> str:
    return current_app.config["PUBLIC_LOOKUP_RATE_LIMIT"]


@blp.route("/appeals")
class PublicAppeals(MethodView):
    # Only submissions taken count: a citizen's refused ones (422) do not use up the limit; a
    # looser ceiling counts them all.
    decorators = [
        limiter.limit(_intake_limit, methods=["POST"], deduct_when=accepted),
        limiter.limit(_attempt_limit, methods=["POST"]),
    ]

    @blp.arguments(PublicAppealIn)
    @blp.response(201, PublicIntakeOut)
    @blp.rate_limited(
        "Too many submissions from this client: taken ones (MINYI_PUBLIC_RATE_LIMIT), or all, refused "
        "ones too (MINYI_PUBLIC_ATTEMPT_RATE_LIMIT)."
    )
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, data: dict[str, Any]) -> Any:
        """Submit an appeal on the web portal. Keep the number and the query code to track it."""
        data = {
            **data,
            "channel": "web",
            "channel_meta": {
                "client_ip": request.remote_addr or "",
                "user_agent": (request.user_agent.string or "")[:200],
            },
            "urgency": "一般",
        }
        appeal, replayed = intake(
            data, actor=None, actor_role="citizen", scope=f"public:{request.remote_addr}"
        )
        body = {
            "number": appeal.number,
            "query_code": appeal.query_code,
            "status": appeal.status,
            "status_label": CITIZEN_STATUS_LABELS[appeal.status],
            "receipt": receipts.receipt_answer(db.session(), appeal),
        }
        return body, 201, {"Idempotent-Replayed": "true"} if replayed else {}


#: How the citizen's endpoints that take a query code document their 429.
GUESSES_LIMITED = (
    "Too many look-ups from this client (MINYI_PUBLIC_LOOKUP_RATE_LIMIT), or too many wrong query "
    "codes for this number from any client (MINYI_PUBLIC_GUESS_RATE_LIMIT)."
)

#: How the citizen's endpoints document their 404.
WRONG_NUMBER_OR_CODE = (
    "No appeal with this number and query code (a wrong code answers like an unknown number)."
)


def find_for_citizen(number: str, code: str) -> Appeal:
    """The appeal with this number and query code (as a citizen typed them, see `citizen_codes`)."""
    appeal = db.session().scalar(sa.select(Appeal).where(Appeal.number == normal_number(number)))
    # Compare in constant time, and answer a wrong code exactly like an unknown number.
    if appeal is None or not hmac.compare_digest(appeal.query_code.encode(), normal_code(code).encode()):
        raise NotFound(t("No appeal with this number and query code."))
    return appeal


def released_reply(appeal: Appeal) -> dict[str, Any] | None:
    """The reply released to the citizen that stands (`standing_reply`): its result, text and time.
    None before the first, and after a reopen (重办) until the next: the earlier one is history."""
    reply = standing_reply(db.session(), appeal)
    if reply is None:
        return None
    return {
        "result": REPLY_RESULTS.get(reply.result, reply.result),
        "text": reply.citizen_text,
        "released_at": reply.reviewed_at,
    }


def citizen_view(appeal: Appeal, language: str | None = None) -> dict[str, Any]:
    """What the citizen sees of `appeal`. The timeline's messages the service wrote (您的诉求已受理。)
    are said in `language` (the API's: `response_language`), what they name kept as written; without
    one, as stored (the portal's page says them in its own language, with the `recorded` filter).
    The labels are Chinese here; the API's schema says them in its language (`service.fields.Label`)."""
    events = [e for e in queries.events_of(db.session(), appeal) if e.action in PUBLIC_ACTIONS]
    # 重办: the reply and the extensions of a round the appeal was reopened after are history.
    last_reopen = max((i for i, e in enumerate(events) if e.action == "reopened"), default=-1)
    timeline = []
    for i, e in enumerate(events):
        superseded = i < last_reopen and e.action in SUPERSEDED_ACTIONS
        timeline.append(
            {
                "at": e.at,
                "action": e.action,
                "label": SUPERSEDED_ACTIONS[e.action] if superseded else PUBLIC_ACTIONS[e.action],
                "superseded": superseded,
                "status": e.to_status,
                "status_label": CITIZEN_STATUS_LABELS.get(e.to_status) if e.to_status else None,
                "message": recorded(e.public_message, language)
                if language and e.public_message
                else e.public_message,
            }
        )
    # 并案: a merged appeal follows its master (its status, unit and reply); only the master is rated.
    shown = followed_appeal(appeal)
    awaiting_reply = shown.status in AWAITING_REPLY
    # Handled again from the reopen until its new answer, whatever step the round is at: back with
    # the centre to be dispatched again (a return approved without a unit) too.
    reopened = shown.reopen_count > 0 and shown.status in OPEN_STATUSES and shown.status != REPLIED
    return {
        "number": appeal.number,
        "status": shown.status,
        "status_label": REOPENED_LABEL if reopened else CITIZEN_STATUS_LABELS.get(shown.status, shown.status),
        "round": shown.reopen_count,
        "reopened": reopened,
        "reply_due_at": shown.reply_due_at if awaiting_reply else None,
        "appeal_type": appeal.appeal_type,
        # The citizen's own words, with phone and ID numbers masked as staff lists show them: the
        # number and the query code open this page, and the page may be read over a shoulder.
        "title": redact.mask(appeal.title),
        "content": redact.mask(appeal.content),
        "category": appeal.category.name if appeal.category else None,
        "handling_unit": shown.lead_unit.name if shown.lead_unit else None,
        "received_at": appeal.received_at,
        "timeline": timeline,
        "reply": released_reply(shown),
        "merged_into": shown.number if shown is not appeal else None,
        **citizen_rating_state(db.session(), appeal),
    }


def followed_appeal(appeal: Appeal) -> Appeal:
    """The appeal whose progress the citizen sees: the master of a merged appeal, else itself."""
    if appeal.status == MERGED and appeal.master_id is not None:
        return db.session().get(Appeal, appeal.master_id) or appeal
    return appeal


@blp.route("/appeals/<number>")
class PublicAppeal(MethodView):
    decorators = [limiter.limit(_lookup_limit), guess_limit]

    @blp.arguments(PublicLookupArgs, location="query")
    @blp.response(200, PublicAppealOut)
    @blp.refusal(404, WRONG_NUMBER_OR_CODE)
    @blp.rate_limited(GUESSES_LIMITED)
    def get(self, args: dict[str, Any], number: str) -> dict[str, Any]:
        """Track an appeal with its number and 6-digit query code. The timeline's messages are in
        the language Accept-Language asks for, else as stored (Chinese); what they name (a unit, a
        number) and what people wrote (a reply) stay as written. The labels (the status's, each
        step's, the reply's result) are in the language asked for too, else Chinese."""
        return citizen_view(find_for_citizen(number, args["code"]), response_language())
