"""统计分析: the leaders' figures of one month (the same as `GET /api/v1/figures`), everyone's
rates, then a table per kind of unit with the top and bottom five, and the XLSX export link."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from dispatch.figures import LOWER_IS_BETTER, RATES
from service.figures.api import month_figures
from service.figures.schemas import FiguresArgs
from service.web.access import FIGURES_ROLES, login_required
from service.web.blueprint import bp

#: The rates' names on the page (the API's labels are Chinese data; these follow the page language).
RATE_LABELS: dict[str, Any] = {
    "response_rate": _l("响应率"),
    "resolution_rate": _l("解决率"),
    "satisfaction_rate": _l("满意率"),
    "attitude_satisfaction_rate": _l("态度满意率"),
    "sign_on_time_rate": _l("按时签收率"),
    "return_rate": _l("退单率"),
    "completion_on_time_rate": _l("按时办结率"),
    "reopen_rate": _l("重办率"),
    "repeat_call_rate": _l("重复来电率"),
}
GROUP_LABELS: dict[str, Any] = {
    "township": _l("乡镇（街道）"),
    "department": _l("区直部门"),
    "other": _l("其他单位"),
}
EXCLUSION_LABELS: dict[str, Any] = {
    "malicious": _l("恶意评价"),
    "unreachable": _l("无法联系"),
    "invalid": _l("无效评价"),
}


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
    return render_template(
        "figures/index.html",
        f=f,
        errors=errors,
        rates=RATES,
        rate_labels=RATE_LABELS,
        rank_options=[(name, RATE_LABELS[name]) for name in RATES],
        group_labels=GROUP_LABELS,
        excluded_labels=[EXCLUSION_LABELS[r] for r in f["rules"]["excluded"]],
        lower_is_better=LOWER_IS_BETTER,
    ), (422 if errors else 200)
