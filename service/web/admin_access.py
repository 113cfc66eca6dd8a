"""个人信息查看记录: who saw a citizen's unmasked personal data, the page form of
`GET /api/v1/admin/personal-data-access` (service/appeals/access_log.py), with the same query."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from service import db
from service.appeals.access_log import AccessArgs, page_of, records
from service.web.access import ADMIN_ROLES, login_required
from service.web.blueprint import bp
from service.web.helpers import errors_of, form_numbers, form_to_dict

FILTERS = ("appeal", "user", "since", "until")
PER_PAGE = 50


@bp.get("/admin/access")
@login_required(roles=ADMIN_ROLES)
def admin_access() -> Any:
    """The access records, newest first, filtered by appeal number, username and days; a bad filter
    is shown next to its field (422) with no records rather than all of them."""
    given = {name: request.args.get(name, "").strip() for name in FILTERS}
    schema = AccessArgs()
    try:
        # Only the filters: the page's other parameters (?lang=en) are not the schema's to judge.
        wanted = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in (*FILTERS, "page")])
        args = schema.load(form_numbers(schema, form_to_dict(wanted)))
    except ValidationError as exc:
        errors = errors_of(exc)
        return render_template("admin/access.html", given=given, errors=errors, found=None, params={}), 422
    found = page_of(db.session(), records(args, current_app.config["TZ"]), args["page"], PER_PAGE)
    params = {name: value for name, value in given.items() if value}  # kept from page to page
    return render_template("admin/access.html", given=given, errors={}, found=found, params=params)
