"""打印受理回执: the number and the query code on paper, for the citizen no text or e-mail reached
(dispatch/receipts.py decides; the console sends the operator here for a letter).

Like the reply letter (centre_letter.py) it names the citizen (name and postal address, for the
envelope window), so it is a view of personal data: only the roles that see it unmasked, with a
reason, logged as "print_receipt" in the access log; an appeal whose personal data was erased (or
that never had any) prints without it and logs nothing. The words come from
`service.appeals.receipt_letter` (always Chinese); the page around them follows the page language.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from dispatch.receipts import postal_address
from service import db
from service.appeals import queries
from service.appeals.models import Appeal
from service.appeals.privacy import UNMASKED_ROLES, log_access
from service.appeals.receipt_letter import ReceiptFacts, receipt_for
from service.auth.models import User
from service.db import utcnow
from service.lists.models import Unit
from service.web.access import login_required
from service.web.blueprint import bp
from service.web.centre_letter import printing_user

#: Who issues the receipt when the list names no centre unit.
CENTRE_NAME = "12345政务服务便民热线"


def names_citizen(appeal: Appeal) -> bool:
    """The receipt would show the citizen's name or postal address, the only personal data it
    prints (never a phone, nor an e-mail's From address): not erased, and one of them given."""
    if appeal.personal_data_erased_at is not None:
        return False
    named = appeal.contact is not None and bool(appeal.contact.name.strip())
    return named or bool(postal_address(appeal.channel_meta))


def receipt_offer(appeal: Appeal, user: User) -> dict[str, bool] | None:
    """What the appeal page offers: printing the receipt (asking for a reason when it names the
    citizen), for the roles that may print it; else None."""
    if user.role not in UNMASKED_ROLES:
        return None
    return {"needs_reason": names_citizen(appeal)}


def centre_name(s: Session) -> str:
    """The centre's name as the active list gives it (its unit of kind "centre")."""
    name = s.scalar(
        sa.select(Unit.name).where(Unit.kind == "centre", Unit.active).order_by(Unit.code).limit(1)
    )
    return name or CENTRE_NAME


def facts_of(s: Session, appeal: Appeal, personal: bool) -> ReceiptFacts:
    tz = current_app.config["TZ"]
    unit = s.get(Unit, appeal.lead_unit_code) if appeal.lead_unit_code else None
    contact = appeal.contact if personal else None
    return ReceiptFacts(
        channel=appeal.channel,
        channel_meta=appeal.channel_meta or {},
        number=appeal.number,
        query_code=appeal.query_code,
        received_on=appeal.received_at.astimezone(tz).date(),
        printed_on=utcnow().astimezone(tz).date(),
        centre_name=centre_name(s),
        portal_url=url_for("web.portal", _external=True),
        handling_unit=unit.name if unit is not None else "",
        citizen_name=contact.name if contact is not None else "",
        citizen_address=postal_address(appeal.channel_meta) if personal else "",
    )


@bp.get("/centre/appeals/<number>/receipt")
@login_required()
def centre_receipt(number: str) -> Any:
    """The receipt to print (`?reason=` required when it names the citizen; then logged)."""
    user = printing_user()  # the same roles as the reply letter
    s = db.session()
    appeal = queries.get_visible(s, number, user)
    personal = names_citizen(appeal)
    reason = (request.args.get("reason") or "").strip()
    if personal and not reason:
        errors = {"reason": [_("请填写打印事由：受理回执载有群众的姓名和地址，打印将被记录。")]}
        page = render_template("centre/receipt.html", appeal=appeal, receipt=None, errors=errors)
        return page, 422
    if personal:
        log_access(s, user, appeal, "print_receipt", reason)  # who printed whose name and address, and why
    page = render_template(
        "centre/receipt.html",
        appeal=appeal,
        receipt=receipt_for(facts_of(s, appeal, personal)),
        personal=personal,
        erased=appeal.personal_data_erased_at is not None,
        reason=reason,
    )
    # A name and an address: no cache keeps them, as no staff page (service/web/blueprint.py).
    return page
