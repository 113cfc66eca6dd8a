"""Operator console (话务员): log a call fast, see the caller's history and likely duplicates, answer
from the knowledge base and close at first contact (直接办结), then read back the number.

The form posts the JSON API's intake schema (`AppealIn`) and goes through the same operation
(`service.appeals.api.intake` → `operations.register_appeal`, or for 登记并直接办结
`closing.register_closed_directly`, the intake's `close_directly`), so its errors are the API's, shown
next to the fields. The helpers beside the form (caller history, suggestions, duplicates, category
and knowledge-base search) are htmx fragments; without scripts the "check" button posts the form
and the page comes back with all of them filled in, nothing stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from dispatch import receipts as decide
from service import db
from service.appeals import operations, queries, receipts
from service.appeals.api import intake
from service.appeals.citizen_codes import normal_number
from service.appeals.models import Appeal, AppealContact
from service.appeals.schemas import AppealIn
from service.appeals.status import CHANNEL_META_FIELDS, CHANNELS
from service.auth.security import current_user
from service.db import utcnow
from service.errors import DomainError, NotFound
from service.fields import normalise_phone
from service.handling import duplicates
from service.handling.closing_schemas import DirectAnswerIn
from service.handling.workflow import TRANSITIONS
from service.i18n import LIST_SEPARATORS, current_language
from service.knowledge import operations as kb
from service.knowledge.api import local_today
from service.suggestions.operations import suggest
from service.web import appeal_page, intake_form
from service.web.access import CONSOLE_ROLES, login_required
from service.web.blueprint import bp
from service.web.helpers import FormErrors, errors_of, load_form
from service.web.labels import N_

#: How many of the caller's earlier appeals the phone lookup lists.
CALLER_ROWS = 10
DEFAULTS = {"channel": "hotline", "urgency": "一般", "appeal_type": "咨询"}


def _render_form(
    values: dict[str, Any], errors: FormErrors | None = None, status: int = 200, **extra: Any
) -> Any:
    s = db.session()
    township, village = intake_form.split_area(values.get("area") or values.get("township") or "")
    township = values.get("township") or township
    context = {
        "values": values,
        "errors": errors or {},
        "channels": intake_form.channel_options(),
        "appeal_types": intake_form.type_options(),
        "urgencies": intake_form.urgency_options(),
        "categories": intake_form.category_choices(s),
        "townships": intake_form.townships(s),
        "villages": intake_form.villages(s, township),
        "township": township,
        "village": values.get("area") if len(values.get("area") or "") >= 12 else village,
        # 直接办结 is offered to the roles that may do it (a dispatcher logs calls, never closes them).
        "may_close_directly": (user := current_user()) is not None
        and user.role in TRANSITIONS["close-directly"].roles,
        "intake_key": intake_form.form_key(values),
        **extra,
    }
    return render_template("console/index.html", **context), status


@bp.get("/console")
@login_required(roles=CONSOLE_ROLES)
def console() -> Any:
    return _render_form(dict(DEFAULTS))


@bp.post("/console")
@login_required(roles=CONSOLE_ROLES)
def console_submit() -> Any:
    """登记 (action "submit"), 登记并直接办结 (action "close"), or "check": helpers only, nothing stored."""
    user = current_user()
    assert user is not None
    form = request.form
    values = intake_form.form_values(form)
    action = form.get("action", "submit")
    if action == "check":
        return _render_form(values, **_assist_context(form))

    errors: FormErrors = {}
    data: dict[str, Any] = {}
    answer: dict[str, Any] = {}
    try:
        data = load_form(AppealIn(), intake_form.intake_data(form))
    except SchemaError as exc:
        errors.update(errors_of(exc))
        if "channel_meta" in errors:  # the form's one channel field: the errors go next to it
            errors["channel_meta.sender_address"] = _postal_address_errors(
                form.get("channel", ""), errors.pop("channel_meta")
            )
    if "area" not in errors:
        errors.update(intake_form.area_errors(form))
    if action == "close":
        try:
            answer = load_form(
                DirectAnswerIn(),
                MultiDict([(k, form.get(k, "")) for k in ("answer", "kb_article")]),
            )
        except SchemaError as exc:
            errors.update(errors_of(exc))
    if errors:
        return _render_form(values, errors, 422, **_assist_context(form))

    scope, key, body = f"user:{user.id}", intake_form.posted_key(form), intake_form.form_body(form)
    if action == "close":  # answered now: registered and closed, not dispatched, no receipt
        data["close_directly"] = answer
    try:
        # The same form sent twice (a double click): the first made the appeal, both show it.
        appeal, _replayed = intake(data, actor=user, scope=scope, key=key, body=body)
    except DomainError as exc:
        # Nothing is kept, and nothing half-made is shown: the refusal may come after the appeal was
        # flushed (an urgent call closed on the phone), and the side panels read the session. Rolled
        # back now, they list the caller's stored appeals only, never the refused one under a number
        # that was never given.
        db.session().rollback()
        if intake_form.key_reused(exc):
            values = {k: v for k, v in values.items() if k != intake_form.KEY_FIELD}
            errors = {"_form": [gettext(intake_form.KEY_REUSED)]}
            return _render_form(values, errors, 409, **_assist_context(form))
        return _render_form(values, errors_of(exc), exc.status, **_assist_context(form))
    return redirect(url_for("web.console_result", number=appeal.number), 303)


#: Said when the postal address is filled in for a channel that takes none (a call, say).
NO_POSTAL_ADDRESS = N_(
    "来源渠道为“%(channel)s”的诉求不登记通信地址。通信地址用于%(channels)s：请清空此项，或改选来源渠道。"
)


def _postal_address_errors(channel: str, messages: list[str]) -> list[str]:
    """The schema names the channel's metadata keys (API words); the operator reads which channels
    take a postal address. Any other complaint about the field (too long) is kept as it is."""
    if channel not in CHANNELS or "sender_address" in CHANNEL_META_FIELDS[channel]:
        return messages
    labels = dict(intake_form.channel_options())
    takers = [labels[c] for c in CHANNELS if "sender_address" in CHANNEL_META_FIELDS[c]]
    return [
        gettext(
            NO_POSTAL_ADDRESS,
            channel=labels[channel],
            channels=LIST_SEPARATORS[current_language()].join(takers),
        )
    ]


@bp.get("/console/appeals/<number>")
@login_required(roles=CONSOLE_ROLES)
def console_result(number: str) -> Any:
    """After submitting: the number and query code to read back, and where the appeal went."""
    user = current_user()
    assert user is not None
    s = db.session()
    appeal = queries.get_visible(s, number, user)
    view = queries.appeal_view(appeal, user, masked=True)
    units = {a["unit"]["code"]: a for a in view["assignments"] if a["active"] and a["unit"]}
    receipt = operations.receipt_of(s, appeal)
    return render_template(
        "console/result.html",
        appeal=view,
        receipt=receipts.receipt_view(appeal, receipt),
        # Without a receipt: read the number back, or print the receipt and mail it (dispatch/receipts.py).
        advice=(
            decide.advice(appeal.channel, receipt, decide.postal_address(appeal.channel_meta))
            if receipt is not None
            else None
        ),
        lead=next((a for a in units.values() if a["role"] == "lead"), None),
        co_units=[a for a in units.values() if a["role"] == "co"],
        duplicates=duplicates.candidates_of(s, appeal, user),
    )


# ---- the progress of an appeal, for a citizen calling back ("where is my appeal?") ------------


@bp.get("/console/appeals/<number>/progress")
@login_required(roles=CONSOLE_ROLES)
def console_appeal(number: str) -> Any:
    """The appeal page (appeal_page) read-only: status, units, deadlines, the released reply, the
    rating, the timeline; the contact as the operator's role may see it. No workflow action."""
    return appeal_page.show(normal_number(number), area="console", actions={})


#: Said on the console when the number typed to look up is not an appeal's.
NO_SUCH_APPEAL = N_("没有编号为 %(number)s 的诉求，请核对受理编号。")


@bp.get("/console/lookup")
@login_required(roles=CONSOLE_ROLES)
def console_lookup() -> Any:
    """A number typed on the console (any case, spaces, full-width digits): its progress page."""
    user = current_user()
    assert user is not None
    number = normal_number(request.args.get("number", ""))[:32]
    try:
        queries.get_visible(db.session(), number, user)
    except NotFound:
        lookup = {"number": request.args.get("number", "")[:32]}
        problem = gettext(NO_SUCH_APPEAL, number=number) if number else gettext(NO_NUMBER)
        return _render_form(dict(DEFAULTS), status=404, lookup=lookup, lookup_error=problem)
    return redirect(url_for("web.console_appeal", number=number))


NO_NUMBER = N_("请输入受理编号。")


# ---- htmx helpers (each also reached through the "check" button) -----------------------------


def _assist_context(form: MultiDict[str, str]) -> dict[str, Any]:
    """Everything the helpers show for this form: for the plain-form "check" and for a re-shown form."""
    return {
        **_caller_context(form.get("contact.phone", "")),
        **_suggest_context(form),
        **_duplicates_context(form),
        "category_hits": _category_hits(form.get("category_q", "")),
        **_knowledge_context(form.get("kb_q", "")),
    }


def _phone_of(raw: str) -> str:
    try:
        return normalise_phone(raw) if raw.strip() else ""
    except SchemaError:
        return ""


def _caller_context(raw_phone: str) -> dict[str, Any]:
    phone = _phone_of(raw_phone)
    if not phone:
        return {"caller": None}
    s = db.session()
    # The same window as the intake's repeat-caller count (caller_history).
    query = (
        sa.select(Appeal)
        .join(AppealContact, AppealContact.appeal_id == Appeal.id)
        .where(
            AppealContact.phone == phone,
            Appeal.received_at >= utcnow() - duplicates.CALLER_HISTORY_WINDOW,
        )
    )
    total = s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = s.scalars(query.order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(CALLER_ROWS)).all()
    return {"caller": {"phone": phone, "total": total, "appeals": rows}}


def _suggest_context(form: MultiDict[str, str]) -> dict[str, Any]:
    text = "\n".join(v for v in (form.get("title", "").strip(), form.get("content", "").strip()) if v)
    address = form.get("address", "").strip()
    if not text and not address:
        return {"suggestions": None}
    return {"suggestions": suggest(db.session(), text[:5000], address[:200], 3)}


def _duplicates_context(form: MultiDict[str, str]) -> dict[str, Any]:
    title, content = form.get("title", "").strip(), form.get("content", "").strip()
    phone = _phone_of(form.get("contact.phone", ""))
    area = form.get("area") or form.get("township") or None
    if not (title or content) and not phone:
        return {"likely_duplicates": None}
    found, history = intake_form.preview_duplicates(
        db.session(), phone=phone, title=title[:100], content=content[:5000], area=area
    )
    return {"likely_duplicates": found, "caller_history": history}


def _category_hits(q: str) -> list[intake_form.CategoryChoice] | None:
    q = q.strip()[:50]
    if not q:
        return None
    return intake_form.search_categories(intake_form.category_choices(db.session()), q)


def _knowledge_context(q: str) -> dict[str, Any]:
    q = q.strip()[:100]
    if not q:
        return {"kb_hits": None}
    hits, total = kb.search(db.session(), today=local_today(), q=q, per_page=5)
    return {"kb_hits": [h.article for h in hits], "kb_total": total, "kb_q": q}


@bp.get("/console/caller")
@login_required(roles=CONSOLE_ROLES)
def console_caller() -> Any:
    """The caller's earlier appeals, as the phone number is typed."""
    return render_template("console/_caller.html", **_caller_context(request.args.get("contact.phone", "")))


# The two panels read the call being typed: posted, since its content (up to 5000 characters) does
# not fit in a URL. They store nothing.


@bp.post("/console/suggest")
@login_required(roles=CONSOLE_ROLES)
def console_suggest() -> Any:
    """The three likeliest categories for the text and the area named in the address."""
    return render_template("console/_suggest.html", **_suggest_context(request.form))


@bp.post("/console/duplicates")
@login_required(roles=CONSOLE_ROLES)
def console_duplicates() -> Any:
    """The appeals this call would be flagged as a likely duplicate of, before it is submitted."""
    return render_template("console/_duplicates.html", **_duplicates_context(request.form))


@bp.get("/console/categories")
@login_required(roles=CONSOLE_ROLES)
def console_categories() -> Any:
    return render_template(
        "console/_categories.html", category_hits=_category_hits(request.args.get("category_q", ""))
    )


@bp.get("/console/knowledge")
@login_required(roles=CONSOLE_ROLES)
def console_knowledge() -> Any:
    return render_template("console/_knowledge.html", **_knowledge_context(request.args.get("kb_q", "")))
