"""The figures name the base of each count: a re-dispatched appeal is one appeal dispatched (去向)
but two dispatches (one per unit, the return rate's base), on the page and in the workbook."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.service.closing_arrange import CGJ, RSJ, logged, ok
from tests.web.test_centre import page_of


def redispatched(as_user) -> str:
    """One appeal, dispatched to 区城管局 on intake, then re-dispatched to 区人社局."""
    number = logged(as_user, CGJ)["number"]
    ok(as_user("dispatcher").post(f"/api/v1/appeals/{number}/dispatch", json={"unit": RSJ, "reason": "改派"}))
    return number


def test_the_figures_page_says_dispatches_and_the_appeals_they_were_of(as_user, logged_in):
    redispatched(as_user)
    client = logged_in("leader")

    page = page_of(client, "/figures")

    assert "派单 2 次（1 件诉求；改派的诉求每个承办单位各计一次" in page
    assert "去向按本月受理的诉求计，每件一次" in page and ">派单次数</th>" in page
    english = page_of(client, "/figures?lang=en")
    assert "Dispatches: 2 (appeals dispatched: 1; a re-dispatched appeal counts once for each unit" in english


def test_the_workbook_names_both_bases(as_user):
    redispatched(as_user)

    r = as_user("leader").get("/api/v1/figures/export")
    figures = ok(as_user("leader").get("/api/v1/figures"))

    wb = load_workbook(io.BytesIO(r.get_data()))
    summary = {row[0]: row[1:] for row in wb["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["派单次数（改派的诉求每个承办单位各计一次；退单率的基数）"][0] == 2
    assert summary["派单涉及诉求（件，每件一次）"][0] == 1
    assert next(wb["区直部门"].iter_rows(values_only=True))[2] == "派单次数"
    assert figures["overall"]["counts"]["dispatched"] == 2 and figures["overall"]["appeals_dispatched"] == 1
