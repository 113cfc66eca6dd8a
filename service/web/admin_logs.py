"""The administrator's log pages (个人信息查看记录, 安全审计): the filters typed in a GET form, loaded
with the API's schema; a bad filter is shown next to its field (422) with no rows rather than all
of them; the filters kept from page to page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template
from marshmallow import Schema

from service import db
from service.web.helpers import load_filters


def log_page(
    template: str,
    schema: Schema,
    filters: tuple[str, ...],
    rows: Callable[[Any, dict[str, Any]], dict[str, Any]],
    **context: Any,
) -> Any:
    """Render `template` with `found`, the page `rows(session, args)` gives for the filters typed
    (None when one is wrong), `given` (what was typed), `errors` and `params` (for the pager)."""
    given, args, errors = load_filters(schema, filters)
    if args is None:
        page = render_template(template, given=given, errors=errors, found=None, params={}, **context)
        return page, 422
    params = {name: value for name, value in given.items() if value}
    found = rows(db.session(), args)
    return render_template(template, given=given, errors={}, found=found, params=params, **context)
