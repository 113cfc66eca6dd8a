"""The month's figures as a workbook, for leaders who pass them on in Excel: a summary sheet,
the volumes (诉求量: the splits, the hot spots, the days, each against the month before), then
one sheet per group of units (every rate with its numerator and denominator) and its top and
bottom five."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from dispatch.figures import EXCLUSION_REASONS, RATES
from service.figures.queries import RATE_LABELS
from service.figures.volumes_sheet import volumes_sheet


def _percent(rate: dict[str, Any]) -> float | None:
    return None if rate["rate"] is None else round(rate["rate"] * 100, 2)


def _columns(ws: Any, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width


def workbook(figures: dict[str, Any]) -> bytes:
    """`figures` as `service.figures.queries.monthly` returns them; the XLSX file's bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    rules = figures["rules"]
    ws.append(["统计月份", figures["month"]])
    ws.append(["基本满意权重", rules["basic_weight"]])
    ws.append(["不计入统计的评价", "、".join(EXCLUSION_REASONS[r] for r in rules["excluded"]) or "无"])
    ws.append([])
    ws.append(["指标", "比率（%）", "分子", "分母"])
    for name in RATES:
        rate = figures["overall"]["rates"][name]
        ws.append([RATE_LABELS[name], _percent(rate), rate["numerator"], rate["denominator"]])
    _columns(ws, [18, 12, 10, 10])
    volumes_sheet(wb.create_sheet("诉求量"), figures["volumes"])
    ranked_label = RATE_LABELS[figures["rank_by"]]
    for group in figures["groups"]:
        sheet = wb.create_sheet(group["label"])
        header = ["排名", "单位", "派单数", "评价数"]
        for name in RATES:
            header += [f"{RATE_LABELS[name]}（%）", f"{RATE_LABELS[name]}分子", f"{RATE_LABELS[name]}分母"]
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
            (f"{ranked_label}前五名", group["best"]),
            (f"{ranked_label}后五名", group["worst"]),
        ):
            sheet.append([title])
            for i, r in enumerate(rows, start=1):
                sheet.append([i, r["name"], round(r["rate"] * 100, 2), r["sample"]])
            if not rows and group["best"]:  # a unit is in one list at most (dispatch.figures.ranking)
                sheet.append([None, "参与排名的单位均已列入前五名。"])
        sheet.freeze_panes = "C2"
        _columns(sheet, [6, 22] + [12] * (len(header) - 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
