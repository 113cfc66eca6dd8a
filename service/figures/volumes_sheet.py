"""The sheet 诉求量 of the figures' workbook: `volumes` of the figures (service.figures.volumes),
as tables a leader pastes into the monthly report (月度民意分析). Percentages as numbers (25.0
for 25%), empty where there is nothing to compare with. In the reader's language as the workbook is
(service/figures/export.py): `_` says each word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)


def _change(row: dict[str, Any]) -> list[Any]:
    return [row["previous"], row["change"], _percent(row["change_rate"])]


def _shared(row: dict[str, Any]) -> list[Any]:
    return [row["count"], _percent(row["share"]), *_change(row)]


def volumes_sheet(ws: Any, v: dict[str, Any], _: Callable[[str], str] = str) -> None:
    """Write `v` (the figures' `volumes`) into the worksheet `ws`, its words said by `_`."""
    change = [_("上月"), _("增减"), _("增减（%）")]
    shared = [_("件数"), _("占比（%）"), *change]

    def township(hot: dict[str, Any]) -> str:
        t = hot["township"]
        return _("%(name)s（%(n)s 件）") % {"name": t["name"], "n": t["count"]} if t else ""

    ws.append([_("统计月份"), v["month"]])
    ws.append([_("环比月份"), v["previous_month"]])
    ws.append([])
    ws.append([_("项目"), _("件数"), *change])
    ws.append([_("受理量"), v["received"]["count"], *_change(v["received"])])
    ws.append([_("并案（不计入受理量）"), v["merged"]["count"], *_change(v["merged"])])
    for title, rows in (
        (_("渠道"), v["channels"]),
        (_("诉求类型"), v["appeal_types"]),
        (_("紧急程度"), v["urgencies"]),
        (_("办理方式"), v["dispositions"]),
    ):
        ws.append([])
        ws.append([title, *shared])
        for row in rows:
            label = row["label"]  # a name, not a literal: extraction must not take "label" for a text
            ws.append([_(label), *_shared(row)])
    for title, first, rows in (
        (_("热点问题（前十）"), [_("排名"), _("事项"), _("一级分类")], v["hot_categories"]),
        (_("热点问题（一级分类前十）"), [_("排名"), _("一级分类")], v["hot_top_categories"]),
    ):
        ws.append([])
        ws.append([title])
        ws.append([*first, *shared, _("最多的乡镇（街道）")])
        for place, hot in enumerate(rows, start=1):
            top = [hot["top_level"]["name"]] if "top_level" in hot else []
            ws.append([place, hot["name"], *top, *_shared(hot), township(hot)])
    ws.append([])
    ws.append([_("乡镇（街道）"), *shared])
    for row in v["townships"]:
        ws.append([row["name"], *_shared(row)])
    ws.append([_("未定位到乡镇（街道）"), *_shared(v["unplaced"])])
    ws.append([_("未分类"), *_shared(v["uncategorised"])])
    ws.append([])
    month = v["month"]
    ws.append([_("日期"), *(f"{month}-{day:02d}" for day in range(1, len(v["days"]) + 1))])
    ws.append([_("诉求量"), *v["days"]])
    ws.column_dimensions["A"].width = 22
    for letter in "BCDEFGHI":
        ws.column_dimensions[letter].width = 12
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["I"].width = 20
