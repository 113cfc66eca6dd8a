"""Citizens' portal (public, no log-in, mobile first): submit an appeal, track it with its number and
query code, read the reply, rate it once.

Each page goes through the citizens' API code: intake as `POST /api/v1/public/appeals` does
(channel `web`, rate-limited alike), `find_for_citizen` and `citizen_view` for what a citizen may
see (public messages only), and `closing.evaluate` for the rating. A wrong query code answers like
an unknown number. After a successful look-up the code is kept in the (signed) session, so the
appeal's page has the number alone in its address and the code never lands in a URL or a log; for
PORTAL_TRACK_MINUTES from the look-up only, and 退出查询 (`portal_leave`) forgets it at once: on a
shared computer (a service hall, an internet café) the next user must not find the appeal open.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Response, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from marshmallow import ValidationError as SchemaError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from service import db
from service.appeals import receipts
from service.appeals.api import intake
from service.appeals.citizen_codes import guess_limit, is_code, normal_code, normal_number
from service.appeals.public_api import citizen_view, find_for_citizen
from service.appeals.public_schemas import PublicAppealIn
from service.errors import Conflict, DomainError, NotFound
from service.extensions import accepted, limiter, seconds_to_reset
from service.handling import closing
from service.handling.closing_schemas import RESOLVED, SATISFACTION, PublicRatingIn
from service.notices.channels import configured_channels
from service.web import intake_form
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.helpers import FormErrors, errors_of, form_numbers, form_to_dict, load_form
from service.web.labels import N_

#: Session key: {number: [query code, when looked up (Unix seconds)]} of the appeals this browser
#: looked up or submitted.
CODES_KEY = "portal_codes"
#: How many appeals a browser keeps open at once (the session cookie stays small).
CODES_KEPT = 5
#: The rating form's fields (the query code comes from the session).
RATING_FIELDS = ("contacted", "resolved", "attitude", "result", "comment")


def _intake_limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _attempt_limit() -> str:
    return current_app.config["PUBLIC_ATTEMPT_RATE_LIMIT"]


def _lookup_limit() -> str:
    return current_app.config["PUBLIC_LOOKUP_RATE_LIMIT"]


def _remember(number: str, code: str) -> None:
    codes = _kept()
    codes.pop(number, None)
    codes[number] = [code, int(time.time())]
    session[CODES_KEY] = dict(list(codes.items())[-CODES_KEPT:])


def _kept() -> dict[str, list[Any]]:
    """The appeals this browser looked up within PORTAL_TRACK_MINUTES (older ones are dropped from
    the session, and so are entries of another shape, from before the lifetime)."""
    stored = session.get(CODES_KEY) or {}
    oldest = time.time() - current_app.config["PORTAL_TRACK_MINUTES"] * 60
    kept = {
        number: entry
        for number, entry in stored.items()
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int) and entry[1] > oldest
    }
    if kept != stored:
        session[CODES_KEY] = kept
    return kept


def _code_for(number: str) -> str | None:
    entry = _kept().get(number)
    return str(entry[0]) if entry else None


def _forget_in(number: str) -> int:
    """Seconds until this browser has forgotten `number` (PORTAL_TRACK_MINUTES after its look-up):
    the page showing it reloads then (`portal/_forget.html`), and what is reloaded is the query form."""
    entry = _kept().get(number)
    looked_up = entry[1] if entry else time.time()
    return max(1, math.ceil(looked_up + current_app.config["PORTAL_TRACK_MINUTES"] * 60 - time.time()) + 1)


#: A page that shows an appeal or its query code, or the submission form with what was typed in it,
#: is kept by no cache: after 退出查询 (or the time limit) the browser's Back button must not bring
#: it back from its back/forward cache for the next user of a shared computer (as Chrome does with a
#: page it may store).
PRIVATE = {"Cache-Control": "no-store"}


@bp.post("/portal/leave")
def portal_leave() -> Any:
    """退出查询: this browser forgets every appeal it looked up or submitted."""
    session.pop(CODES_KEY, None)
    flash(N_("已退出查询。再次查看须输入受理编号和查询码。"), "success")
    return redirect(url_for("web.portal"), 303)


@bp.get("/portal")
def portal() -> Any:
    return render_template("portal/index.html")


@bp.get("/portal/areas")
def area_picker() -> Any:
    """The area picker fragment (a township's villages); reference data, public like /api/v1/areas."""
    s = db.session()
    township = request.args.get("township", "")[:12]
    return render_template(
        "portal/_area_picker.html",
        townships=intake_form.townships(s),
        villages=intake_form.villages(s, township),
        township=township,
        village=request.args.get("area", "")[:12],
    )


# ---- submit ------------------------------------------------------------------------------------


def _render_submit(values: dict[str, Any], errors: FormErrors | None = None, status: int = 200) -> Any:
    """The submission form, kept by no cache (`PRIVATE`) like the pages showing an appeal: it holds
    the citizen's name, phone, ID number and account as typed (in the page sent back with an error,
    and in the form left behind once sent), which Back must not bring back to the next user."""
    s = db.session()
    township, village = intake_form.split_area(values.get("area") or values.get("township") or "")
    township = values.get("township") or township
    return (
        render_template(
            "portal/submit.html",
            values=values,
            errors=errors or {},
            appeal_types=intake_form.type_options(),
            intake_key=intake_form.form_key(values),
            townships=intake_form.townships(s),
            villages=intake_form.villages(s, township),
            township=township,
            village=village,
            sends_sms="sms" in configured_channels(current_app.config),
        ),
        status,
        PRIVATE,
    )


@bp.get("/portal/submit")
def portal_submit_form() -> Any:
    return _render_submit({})


def _load_submission(form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted form as the public intake's schema loads it. Name and phone both left empty:
    each is missing, said beside its field, not the contact as a whole (which has no field here)."""
    schema = PublicAppealIn()
    data = form_to_dict(intake_form.intake_data(form))
    data.setdefault("contact", {})
    return schema.load(form_numbers(schema, data))


def _too_many_submissions(limit: RequestLimit) -> Response:
    """Over the intake's rate limit: the form again with everything typed kept, and when it may be
    sent (not the bare error page, which would lose an appeal written at length)."""
    seconds = seconds_to_reset(limit)
    message = _(
        "提交过于频繁：本网络短时间内提交次数过多。您填写的内容已保留，请 %(minutes)s 分钟后再点击“提交诉求”。"
        "情况紧急的，请拨打 12345 热线。",
        minutes=math.ceil(seconds / 60),
    )
    response = make_response(_render_submit(intake_form.form_values(request.form), {"_form": [message]}, 429))
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.post("/portal/submit")
@limiter.limit(_intake_limit, on_breach=_too_many_submissions, deduct_when=accepted)
@limiter.limit(_attempt_limit, on_breach=_too_many_submissions)
def portal_submit() -> Any:
    """提交诉求: the public intake (channel web), then the number and query code to keep."""
    values = intake_form.form_values(request.form)
    try:
        data = _load_submission(request.form)
    except SchemaError as exc:
        return _render_submit(values, {**intake_form.area_errors(request.form), **errors_of(exc)}, 422)
    if wrong_place := intake_form.area_errors(request.form):
        return _render_submit(values, wrong_place, 422)
    # As POST /api/v1/public/appeals does: the channel, where it came from, ordinary urgency.
    data = {
        **data,
        "channel": "web",
        "channel_meta": {
            "client_ip": request.remote_addr or "",
            "user_agent": (request.user_agent.string or "")[:200],
        },
        "urgency": "一般",
    }
    try:
        appeal, _replayed = intake(
            data,
            actor=None,
            actor_role="citizen",
            scope=f"public:{request.remote_addr}",
            key=intake_form.posted_key(request.form),
            body=intake_form.form_body(request.form),
        )
    except DomainError as exc:
        db.session().rollback()  # a refusal after the appeal was flushed: nothing half-made is read back
        if intake_form.key_reused(exc):
            values = {k: v for k, v in values.items() if k != intake_form.KEY_FIELD}
            return _render_submit(values, {"_form": [_(intake_form.KEY_REUSED)]}, 409)
        return _render_submit(values, errors_of(exc), exc.status)
    _remember(appeal.number, appeal.query_code)
    return redirect(url_for("web.portal_submitted", number=appeal.number), 303)


@bp.get("/portal/submitted/<number>")
def portal_submitted(number: str) -> Any:
    """After submitting: the number and query code to keep (shown to the browser that submitted),
    and whether they were also sent by text: to the mobile (masked), or not, for a landline (which
    the form takes too) or where this installation sends no texts: then the page is all there is."""
    code = _code_for(number)
    if code is None:
        return redirect(url_for("web.portal_track", number=number))
    try:
        receipt = receipts.receipt_of_appeal(db.session(), find_for_citizen(number, code))
    except NotFound:
        return redirect(url_for("web.portal_track", number=number))
    page = render_template(
        "portal/submitted.html", number=number, code=code, receipt=receipt, forget_in=_forget_in(number)
    )
    return page, 200, PRIVATE


# ---- track -------------------------------------------------------------------------------------


@bp.route("/portal/track", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, methods=["POST"])
@guess_limit
def portal_track() -> Any:
    """查询: the number and the 6-digit query code; the same "not found" for a wrong code or number."""
    if request.method == "GET":
        return render_template(
            "portal/track.html", values={"number": request.args.get("number", "")}, errors={}
        )
    number = normal_number(request.form.get("number", ""))
    code = normal_code(request.form.get("code", ""))
    values = {"number": number}
    errors: FormErrors = {}
    if not number:
        errors["number"] = [_("请输入受理编号。")]
    if not is_code(code):
        errors["code"] = [_("查询码是6位数字。")]
    if errors:
        return render_template("portal/track.html", values=values, errors=errors), 422
    try:
        appeal = find_for_citizen(number[:32], code)
    except NotFound:
        errors["_form"] = [_("没有找到该诉求，请核对受理编号和查询码。")]
        return render_template("portal/track.html", values=values, errors=errors, not_found=True), 404
    _remember(appeal.number, appeal.query_code)
    return redirect(url_for("web.portal_appeal", number=appeal.number), 303)


def _render_appeal(
    number: str, errors: FormErrors | None = None, rating: dict[str, Any] | None = None, status: int = 200
) -> Any:
    code = _code_for(number)
    if code is None:
        return redirect(url_for("web.portal_track", number=number))
    try:
        appeal = find_for_citizen(number, code)
    except NotFound:
        return redirect(url_for("web.portal_track", number=number))
    return (
        render_template(
            "portal/appeal.html",
            view=citizen_view(appeal),
            errors=errors or {},
            rating=rating or {},
            satisfaction=intake_form.choices(SATISFACTION),
            resolved_options=intake_form.choices(RESOLVED, intake_form.RESOLVED_LABELS),
            forget_in=_forget_in(number),
        ),
        status,
        PRIVATE,
    )


@bp.get("/portal/appeals/<number>")
@limiter.limit(_lookup_limit)
def portal_appeal(number: str) -> Any:
    """The appeal as its citizen sees it: status, public timeline, the released reply, the rating."""
    return _render_appeal(number)


@bp.post("/portal/appeals/<number>/rate")
@limiter.limit(_lookup_limit)
def portal_rate(number: str) -> Any:
    """评价, once: contacted? resolved? attitude and result (满意/基本满意/不满意), a comment."""
    code = _code_for(number)
    if code is None:
        return redirect(url_for("web.portal_track", number=number))
    rating = intake_form.form_values(request.form)
    form = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k in RATING_FIELDS])
    form["code"] = code
    try:
        data = load_form(PublicRatingIn(), form)
    except SchemaError as exc:
        return _render_appeal(number, errors_of(exc), rating, 422)
    try:
        appeal = find_for_citizen(number, code)
        closing.evaluate(db.session(), appeal, None, data)
    except NotFound:
        return redirect(url_for("web.portal_track", number=number))
    except (Conflict, StaleDataError):
        # Rated already (this round; or by the same form sent twice at once, whose first submission
        # won the appeal's optimistic lock), or not ratable: say which.
        db.session().rollback()
        already = closing.current_rating(db.session(), appeal) is not None
        flash(
            N_("您已评价过本次办理结果，不能重复评价。") if already else N_("诉求答复后才能评价。"), "error"
        )
        return _render_appeal(number, status=409)
    flash(N_("感谢您的评价！"), "success")
    return redirect(url_for("web.portal_appeal", number=number), 303)
