"""打印答复函: the centre prints the released reply as a letter for the citizen, the deputy or the
member (their full name and address on paper), with the rating form or how to rate it.

Printing names the citizen, so it is a view of personal data like the reveal on the appeal page:
only the roles that see it unmasked, with a reason, logged as "print" in the access log. An appeal
whose personal data was erased (or that never had any) prints without it and logs nothing.
The words of the letter come from `service.handling.letters` (always Chinese); the page around
it follows the page language.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from service import db
from service.appeals import queries
from service.appeals.models import Appeal
from service.appeals.privacy import UNMASKED_ROLES, log_access
from service.appeals.status import MERGED
from service.auth.models import User
from service.auth.security import current_user
from service.handling.centre_review import standing_reply
from service.handling.letters import LetterFacts, letter_for
from service.handling.models import Reply
from service.lists.models import Unit
from service.web.access import CENTRE_ROLES, UNIT_ROLES, login_required
from service.web.blueprint import bp


def followed(s: Session, appeal: Appeal) -> Appeal:
    """并案: a merged appeal's citizen gets the master's reply."""
    if appeal.status == MERGED and appeal.master_id is not None:
        return s.get(Appeal, appeal.master_id) or appeal
    return appeal


def released_reply(s: Session, appeal: Appeal) -> Reply | None:
    """The latest reply the centre approved and released to the citizen (that of the master when
    merged), while it stands: not while the appeal is being handled again after a reopen (重办),
    when the citizen has rejected it and a new one is on its way."""
    return standing_reply(s, followed(s, appeal))


def prints_personal_data(appeal: Appeal) -> bool:
    """The letter would show the citizen's name, phone or address (not erased, and some given)."""
    if appeal.personal_data_erased_at is not None:
        return False
    return appeal.contact is not None or bool((appeal.channel_meta or {}).get("sender_address"))


def letter_offer(s: Session, appeal: Appeal, user: User) -> dict[str, bool] | None:
    """What the appeal page offers: printing the letter (asking for a reason when it names the
    citizen), once a reply was released and for the roles that may print it; else None."""
    if user.role not in UNMASKED_ROLES or released_reply(s, appeal) is None:
        return None
    return {"needs_reason": prints_personal_data(appeal)}


def duty_contact(unit: Unit | None) -> str:
    """The unit's first duty contact with a phone, "值班室 0797-4400321" (as its notices reach it)."""
    for contact in (unit.contacts if unit is not None else ()) or ():
        phone = str(contact.get("phone") or "").strip()
        if phone:
            return f"{contact.get('name') or contact.get('title') or ''} {phone}".strip()
    return ""


def facts_of(s: Session, appeal: Appeal, reply: Reply, personal: bool) -> LetterFacts:
    tz = current_app.config["TZ"]
    unit = s.get(Unit, reply.unit_code)
    contact = appeal.contact if personal else None
    meta = appeal.channel_meta or {}
    assert reply.reviewed_at is not None  # approved replies are reviewed
    return LetterFacts(
        channel=appeal.channel,
        channel_meta=meta,
        number=appeal.number,
        title=appeal.title,
        received_on=appeal.received_at.astimezone(tz).date(),
        result=reply.result,
        reason=reply.reason,
        reply_text=reply.citizen_text,
        unit_name=unit.name if unit is not None else reply.unit_code,
        released_on=reply.reviewed_at.astimezone(tz).date(),
        unit_contact=duty_contact(unit),
        query_code=appeal.query_code,
        track_url=url_for("web.portal_track", number=appeal.number, _external=True),
        citizen_name=contact.name if contact is not None else "",
        citizen_phone=contact.phone if contact is not None else "",
        citizen_address=str(meta.get("sender_address") or "") if personal else "",
    )


def printing_user() -> User:
    """Who may print a paper that names the citizen (this letter, the receipt): the roles that see
    the contact unmasked. A unit is told the page does not exist, a leader that it is not theirs."""
    user = current_user()
    assert user is not None
    if user.role in UNIT_ROLES:
        abort(404)  # the centre's page: a unit is told it does not exist, as for others' appeals
    if user.role not in UNMASKED_ROLES:
        abort(403)  # centre roles that see masked data only (leaders)
    return user


@bp.app_template_global()
def appeal_page_url(number: str) -> str:
    """Where "back to the appeal" leads from a printing page (the letter, the receipt): the
    centre's appeal page, or for an operator (who may print but has no centre pages) the
    console's page of the appeal."""
    user = current_user()
    centre = user is not None and user.role in CENTRE_ROLES
    return url_for("web.centre_appeal" if centre else "web.console_result", number=number)


@bp.get("/centre/appeals/<number>/letter")
@login_required()
def centre_letter(number: str) -> Any:
    """The reply letter to print (`?reason=` required when it names the citizen; then logged)."""
    user = printing_user()
    s = db.session()
    appeal = queries.get_visible(s, number, user)
    reply = released_reply(s, appeal)
    if reply is None:
        return render_template("centre/letter.html", appeal=appeal, letter=None, status="no_reply"), 409
    personal = prints_personal_data(appeal)
    reason = (request.args.get("reason") or "").strip()
    if personal and not reason:
        errors = {"reason": [_("请填写打印事由：答复函载有群众的姓名和地址，打印将被记录。")]}
        page = render_template(
            "centre/letter.html", appeal=appeal, letter=None, status="needs_reason", errors=errors
        )
        return page, 422
    if personal:
        log_access(s, user, appeal, "print", reason)  # who printed whose name and address, and why
    letter = letter_for(facts_of(s, appeal, reply, personal))
    page = render_template(
        "centre/letter.html",
        appeal=appeal,
        letter=letter,
        status="ready",
        personal=personal,
        erased=appeal.personal_data_erased_at is not None,
        reason=reason,
    )
    # A name and an address: no cache keeps them, as no staff page (service/web/blueprint.py).
    return page
