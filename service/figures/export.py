"""The month's figures as a workbook, for leaders who pass them on in Excel: a summary sheet,
the volumes (诉求量: the splits, the hot spots, the days, each against the month before), then
one sheet per group of units (every rate with its numerator and denominator) and its top and
bottom five.

In the reader's language: `_` says each word of the workbook (a Chinese text of the pages'
catalogue, marked here for extraction) and each label of the service's vocabulary (a rate, a group
of units, an exclusion reason); by default as written, in Chinese. Names (units, categories) are
data and stay as they are."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from dispatch.figures import EXCLUSION_REASONS, RATES
from service.figures.queries import RATE_LABELS
from service.figures.volumes_sheet import volumes_sheet


def _percent(rate: dict[str, Any]) -> float | None:
    return None if rate["rate"] is None else round(rate["rate"] * 100, 2)


def _columns(ws: Any, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width


def workbook(figures: dict[str, Any], _: Callable[[str], str] = str, separator: str = "、") -> bytes:
    """`figures` as `service.figures.queries.monthly` returns them; the XLSX file's bytes. `_` says a
    text in the reader's language (`service.i18n.vocabulary_label`), `separator` joins a list."""
    from openpyxl import Workbook  # here: it imports numpy, 0.6 s a process need not spend to start

    wb = Workbook()
    ws = wb.active
    ws.title = _("汇总")
    rules = figures["rules"]
    excluded = separator.join(_(EXCLUSION_REASONS[r]) for r in rules["excluded"])
    ws.append([_("统计月份"), figures["month"]])
    ws.append([_("基本满意权重"), rules["basic_weight"]])
    ws.append([_("不计入统计的评价"), excluded or _("无")])
    # Two bases that differ when an appeal was re-dispatched: leaders see both, named.
    counts = figures["overall"]["counts"]
    ws.append([_("派单次数（改派的诉求每个承办单位各计一次；退单率的基数）"), counts["dispatched"]])
    ws.append([_("派单涉及诉求（件，每件一次）"), figures["overall"].get("appeals_dispatched")])
    ws.append([])
    ws.append([_("指标"), _("比率（%）"), _("分子"), _("分母")])
    rate_labels = {name: _(RATE_LABELS[name]) for name in RATES}
    for name in RATES:
        rate = figures["overall"]["rates"][name]
        ws.append([rate_labels[name], _percent(rate), rate["numerator"], rate["denominator"]])
    _columns(ws, [18, 12, 10, 10])
    volumes_sheet(wb.create_sheet(_("诉求量")), figures["volumes"], _)
    ranked_label = rate_labels[figures["rank_by"]]
    for group in figures["groups"]:
        group_label = group["label"]  # a name, not a literal: extraction must not take "label" for a text
        sheet = wb.create_sheet(_(group_label))
        header = [_("排名"), _("单位"), _("派单次数"), _("评价数")]
        for label in rate_labels.values():
            header += [
                _("%(rate)s（%%）") % {"rate": label},
                _("%(rate)s分子") % {"rate": label},
                _("%(rate)s分母") % {"rate": label},
            ]
        sheet.append(header)
        place = 0
        for unit in group["units"]:
            # Ranked as in the top and bottom five: a rate, on at least the smallest ranked sample.
            rate = unit["rates"][figures["rank_by"]]
            ranked = rate["rate"] is not None and rate["denominator"] >= rules["min_ranked"]
            place += ranked
            row: list[Any] = [
                place if ranked else None,
                unit["name"],
                unit["counts"]["dispatched"],
                unit["counts"]["rated"],
            ]
            for name in RATES:
                rate = unit["rates"][name]
                row += [_percent(rate), rate["numerator"], rate["denominator"]]
            sheet.append(row)
        sheet.append([])
        for title, rows in (
            (_("%(rate)s前五名") % {"rate": ranked_label}, group["best"]),
            (_("%(rate)s后五名") % {"rate": ranked_label}, group["worst"]),
        ):
            sheet.append([title])
            for i, r in enumerate(rows, start=1):
                sheet.append([i, r["name"], round(r["rate"] * 100, 2), r["sample"]])
            if not rows and group["best"]:  # a unit is in one list at most (dispatch.figures.ranking)
                sheet.append([None, _("参与排名的单位均已列入前五名。")])
        sheet.freeze_panes = "C2"
        _columns(sheet, [6, 22] + [12] * (len(header) - 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
