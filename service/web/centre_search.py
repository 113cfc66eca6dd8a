"""工单查询: every appeal the user may see, by status, channel, type, urgency, unit, how it was
dispatched (派单方式: the list's own dispatches, for spot checks), category, place, days and words;
then the list, or the same as an Excel file (工单导出). The page form of `GET /api/v1/appeals` and
`GET /api/v1/appeals/export`, with the same schema and queries."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template
from flask_babel import gettext as _

from service import db
from service.appeals import export, queries
from service.appeals.schemas import DISPATCH_WAYS, AppealListArgs
from service.appeals.status import STATUS_LABELS
from service.auth.security import current_user
from service.db import utcnow
from service.web import intake_form
from service.web.access import CENTRE_ROLES, login_required
from service.web.appeal_page import unit_choices
from service.web.blueprint import bp
from service.web.helpers import load_filters, status_label
from service.web.labels import N_

FILTERS = (
    "q",
    "status",
    "channel",
    "type",
    "urgency",
    "unit",
    "dispatch",
    "category",
    "area",
    "received_from",
    "received_to",
    "order",
)
PER_PAGE = 20
#: 派单方式 (AppealListArgs.dispatch): by the list on intake, untouched since (抽查), or by hand.
DISPATCH_WAY_LABELS = {"auto": N_("自动（职责清单派单，未经人工）"), "manual": N_("人工（分拨员派过单）")}
ORDERS = (
    ("-received_at", N_("受理时间（新的在前）")),
    ("received_at", N_("受理时间（早的在前）")),
    ("reply_due_at", N_("答复时限（近的在前）")),
    ("number", N_("受理编号")),
)


def _context(given: dict[str, str]) -> dict[str, Any]:
    s = db.session()
    everything = [("", _("全部"))]
    return {
        "given": given,
        "statuses": everything + [(code, status_label(code)) for code in STATUS_LABELS],
        "channels": everything + intake_form.channel_options(),
        "types": everything + intake_form.type_options(),
        "urgencies": everything + intake_form.urgency_options(),
        "units": everything + unit_choices(s),
        "dispatch_ways": everything + [(way, _(DISPATCH_WAY_LABELS[way])) for way in DISPATCH_WAYS],
        "categories": everything
        + [(c.code, "　" * (c.level - 1) + c.name) for c in intake_form.category_choices(s)],
        "areas": everything + intake_form.townships(s),
        "orders": [(code, _(label)) for code, label in ORDERS],
        "export_limit": export.EXPORT_LIMIT,
    }


@bp.get("/centre/search")
@login_required(roles=CENTRE_ROLES)
def centre_search() -> Any:
    given, args, errors = load_filters(AppealListArgs(), FILTERS)
    context = _context(given)
    if args is None:
        return render_template("centre/search.html", errors=errors, found=None, **context), 422
    tz = current_app.config["TZ"]
    found = queries.search_page(db.session(), current_user(), args, tz, PER_PAGE, now=utcnow())
    params = {name: value for name, value in given.items() if value}
    return render_template("centre/search.html", errors={}, found=found, params=params, **context)


@bp.get("/centre/search/export")
@login_required(roles=CENTRE_ROLES)
def centre_search_export() -> Any:
    """导出: the search's appeals as an Excel file (no personal data); too many, or a wrong filter,
    and the search page says so."""
    given, args, errors = load_filters(AppealListArgs(), FILTERS)
    if args is not None:
        tz = current_app.config["TZ"]
        try:
            found = export.matching(db.session(), current_user(), args, tz)
        except export.TooMany as exc:
            too_many = _(
                "共有 %(total)s 件诉求符合条件，一次最多导出 %(limit)s 件，请缩小查询范围（如受理日期）。",
                total=exc.total,
                limit=export.EXPORT_LIMIT,
            )
            errors = {"_form": [too_many]}
        else:
            stamp = utcnow().astimezone(tz).strftime("%Y%m%d-%H%M")
            return Response(
                export.workbook(found, tz),
                mimetype=export.XLSX,
                headers={"Content-Disposition": f'attachment; filename="appeals-{stamp}.xlsx"'},
            )
    return render_template("centre/search.html", errors=errors, found=None, **_context(given)), 422
