"""统计分析: the leaders' figures of one month (the same as `GET /api/v1/figures`): the volumes
first (诉求量: totals, splits, hot spots, a bar per day drawn as inline SVG, no script), then
everyone's rates, a table per kind of unit with the top and bottom five, and the XLSX export, in
the page's language."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from dispatch.figures import EXCLUSION_REASONS, LOWER_IS_BETTER, RATES
from service.figures.api import export_response, month_figures
from service.figures.queries import RATE_LABELS
from service.figures.schemas import FiguresArgs
from service.i18n import current_language
from service.web.access import FIGURES_ROLES, login_required
from service.web.blueprint import bp

#: The page's own words for the bad filters (the API's messages are English).
FILTER_ERRORS: dict[str, Any] = {
    "month": _l("请选择 2000-01 至 2099-12 之间的月份（年-月）。"),
    "rank_by": _l("请选择列表中的排名指标。"),
}


#: The daily chart's geometry, in SVG user units (the SVG scales to the page's width).
BAR, GAP, LEFT, PLOT, LABELS = 14, 6, 24, 120, 14


def day_bars(days: list[int]) -> dict[str, Any]:
    """Where each day's bar goes: its height in proportion to the busiest day (none: all flat)."""
    most = max(days, default=0)
    base = PLOT + 4
    bars = []
    for i, count in enumerate(days):
        height = round(PLOT * count / most, 1) if most else 0
        bars.append(
            {"day": i + 1, "count": count, "x": LEFT + i * (BAR + GAP), "y": base - height, "height": height}
        )
    return {
        "days": bars,
        "most": most,
        "bar": BAR,
        "left": LEFT,
        "base": base,
        "width": LEFT + len(days) * (BAR + GAP),
        "height": base + LABELS,
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
        bars=day_bars(f["volumes"]["days"]),
        errors=errors,
        rates=RATES,
        rate_labels=rate_labels,
        rank_options=list(rate_labels.items()),
        excluded_labels=[gettext(EXCLUSION_REASONS[r]) for r in f["rules"]["excluded"]],
        lower_is_better=LOWER_IS_BETTER,
        # the page's language said in the link: `?lang=` alone sets no cookie
        export_url=url_for(
            "web.figures_export", month=f["month"], rank_by=f["rank_by"], lang=current_language()
        ),
    ), (422 if errors else 200)


@bp.get("/figures/export")
@login_required(roles=FIGURES_ROLES)
def figures_export() -> Any:
    """导出 Excel: the month's workbook in the page's language (`GET /api/v1/figures/export` follows
    Accept-Language); a bad month or ranking falls back to this month's, as the page does."""
    given = {k: v for k, v in request.args.items() if k in ("month", "rank_by") and v}
    bad = FiguresArgs().validate(given)
    args = FiguresArgs().load({k: v for k, v in given.items() if k not in bad})
    return export_response(month_figures(args), current_language())
