"""The sheet 诉求量 of the figures' workbook: `volumes` of the figures (service.figures.volumes),
as tables a leader pastes into the monthly report (月度民意分析). Percentages as numbers (25.0
for 25%), empty where there is nothing to compare with."""

from __future__ import annotations

from typing import Any

CHANGE = ["上月", "增减", "增减（%）"]
SHARED = ["件数", "占比（%）", *CHANGE]


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)


def _change(row: dict[str, Any]) -> list[Any]:
    return [row["previous"], row["change"], _percent(row["change_rate"])]


def _shared(row: dict[str, Any]) -> list[Any]:
    return [row["count"], _percent(row["share"]), *_change(row)]


def _township(hot: dict[str, Any]) -> str:
    t = hot["township"]
    return f"{t['name']}（{t['count']} 件）" if t else ""


def volumes_sheet(ws: Any, v: dict[str, Any]) -> None:
    """Write `v` (the figures' `volumes`) into the worksheet `ws`."""
    ws.append(["统计月份", v["month"]])
    ws.append(["环比月份", v["previous_month"]])
    ws.append([])
    ws.append(["项目", "件数", *CHANGE])
    ws.append(["受理量", v["received"]["count"], *_change(v["received"])])
    ws.append(["并案（不计入受理量）", v["merged"]["count"], *_change(v["merged"])])
    for title, rows in (
        ("渠道", v["channels"]),
        ("诉求类型", v["appeal_types"]),
        ("紧急程度", v["urgencies"]),
        ("办理方式", v["dispositions"]),
    ):
        ws.append([])
        ws.append([title, *SHARED])
        for row in rows:
            ws.append([row["label"], *_shared(row)])
    for title, first, rows in (
        ("热点问题（前十）", ["排名", "事项", "一级分类"], v["hot_categories"]),
        ("热点问题（一级分类前十）", ["排名", "一级分类"], v["hot_top_categories"]),
    ):
        ws.append([])
        ws.append([title])
        ws.append([*first, *SHARED, "最多的乡镇（街道）"])
        for place, hot in enumerate(rows, start=1):
            top = [hot["top_level"]["name"]] if "top_level" in hot else []
            ws.append([place, hot["name"], *top, *_shared(hot), _township(hot)])
    ws.append([])
    ws.append(["乡镇（街道）", *SHARED])
    for row in v["townships"]:
        ws.append([row["name"], *_shared(row)])
    ws.append(["未定位到乡镇（街道）", *_shared(v["unplaced"])])
    ws.append(["未分类", *_shared(v["uncategorised"])])
    ws.append([])
    month = v["month"]
    ws.append(["日期", *(f"{month}-{day:02d}" for day in range(1, len(v["days"]) + 1))])
    ws.append(["诉求量", *v["days"]])
    ws.column_dimensions["A"].width = 22
    for letter in "BCDEFGHI":
        ws.column_dimensions[letter].width = 12
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["I"].width = 20
