"""统计分析: the leaders' figures of one month (the same as `GET /api/v1/figures`), everyone's
rates, then a table per kind of unit with the top and bottom five, and the XLSX export link."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from dispatch.figures import EXCLUSION_REASONS, LOWER_IS_BETTER, RATES
from service.figures.api import month_figures
from service.figures.queries import RATE_LABELS
from service.figures.schemas import FiguresArgs
from service.web.access import FIGURES_ROLES, login_required
from service.web.blueprint import bp

#: The page's own words for the bad filters (the API's messages are English).
FILTER_ERRORS: dict[str, Any] = {
    "month": _l("请选择 2000-01 至 2099-12 之间的月份（年-月）。"),
    "rank_by": _l("请选择列表中的排名指标。"),
}


@bp.get("/figures")
@login_required(roles=FIGURES_ROLES)
def figures() -> Any:
    """One month's figures; a bad month or ranking is shown next to its field, with this month's."""
    given = {k: v for k, v in request.args.items() if k in ("month", "rank_by") and v}
    bad = FiguresArgs().validate(given)
    errors = {name: [FILTER_ERRORS[name]] for name in bad if name in FILTER_ERRORS}
    f = month_figures(FiguresArgs().load({k: v for k, v in given.items() if k not in bad}))
    rate_labels = {name: gettext(RATE_LABELS[name]) for name in RATES}  # marked in labels.py
    return render_template(
        "figures/index.html",
        f=f,
        errors=errors,
        rates=RATES,
        rate_labels=rate_labels,
        rank_options=list(rate_labels.items()),
        excluded_labels=[gettext(EXCLUSION_REASONS[r]) for r in f["rules"]["excluded"]],
        lower_is_better=LOWER_IS_BETTER,
    ), (422 if errors else 200)
