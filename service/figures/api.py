"""The leaders' figures: `GET /api/v1/figures` (one month, JSON) and `GET /api/v1/figures/export`
(the same month as an XLSX workbook). Leaders and the centre read them; other roles get 403."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from service import db
from service.db import utcnow
from service.extensions import Blueprint
from service.figures import queries, volumes
from service.figures.export import workbook
from service.figures.schemas import FiguresArgs, FiguresOut
from service.i18n import LANGUAGES, LIST_SEPARATORS, response_language, vocabulary_label

blp = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Figures for leaders (统计)")

READERS = ("leader", "dispatcher", "reviewer", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_figures(args: dict[str, Any]) -> dict[str, Any]:
    """The figures of `args["month"]` (default: this month): the rates ranked by `args["rank_by"]`,
    and the volumes (诉求量与热点)."""
    tz = current_app.config["TZ"]
    now = utcnow()
    month = args.get("month") or queries.month_of(now, tz)
    s = db.session()
    figures = queries.monthly(s, month, tz, current_app.config["FIGURE_RULES"], now, rank_by=args["rank_by"])
    figures["volumes"] = volumes.monthly(s, month, tz)
    return figures


@blp.route("")
class Figures(MethodView):
    @blp.requires(*READERS)
    @blp.arguments(FiguresArgs, location="query")
    @blp.response(200, FiguresOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """One month's figures: the volumes (appeals received by channel, type, urgency and
        disposition, the hot categories and townships, the days, each against the month before),
        then the rates (response, resolution, satisfaction, on-time sign-for, return, on-time
        completion, reopen, repeat call): everyone's, per unit by kind, top and bottom five."""
        return month_figures(args)


@blp.route("/export")
class FiguresExport(MethodView):
    @blp.requires(*READERS)
    @blp.arguments(FiguresArgs, location="query")
    @blp.response(200, description="An XLSX workbook", content_type=XLSX)
    def get(self, args: dict[str, Any]) -> Response:
        """The same month as an XLSX workbook: a summary, the volumes (诉求量), then one sheet per
        kind of unit. Its sheets, headers and labels in the language Accept-Language asks for, else
        Chinese, as the JSON answer's labels are."""
        return export_response(month_figures(args), response_language())


def export_response(figures: dict[str, Any], language: str) -> Response:
    """The workbook of `figures` in `language` (zh or en), as a download (the API's and the page's)."""
    data = workbook(figures, lambda text: vocabulary_label(text, language), LIST_SEPARATORS[language])
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="figures-{figures["month"]}.xlsx"',
            "Content-Language": LANGUAGES[language][1],
        },
    )
