"""The leaders' figures over the API (`GET /api/v1/figures`, its XLSX export) after real journeys
through the API, and the centre setting a rating aside (`POST …/exclude-rating`)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dispatch.figures import FigureRules
from service.appeals.models import Appeal, AppealAssignment
from service.db import utcnow
from service.figures.queries import month_of
from service.lists.models import Unit
from tests.service.closing_arrange import CGJ, RSJ, SATISFIED, UNSATISFIED, logged, ok, rate, replied
from tests.service.factories import assert_envelope, stored

RATED_PARTLY = {"contacted": False, "resolved": "partly", "attitude": "满意", "result": "满意"}


@pytest.fixture
def month(app: Any) -> str:
    return month_of(utcnow(), app.config["TZ"])


@pytest.fixture
def journeys(as_user: Any, client: Any) -> dict[str, dict[str, Any]]:
    """This month: two appeals of 区城管局 (one rated satisfied, one unsatisfied and reopened; the
    same caller twice), two of 区人社局 (one rated, one returned unsigned)."""
    a = replied(as_user, CGJ, contact={"name": "李四", "phone": "13900000001"})
    ok(rate(client, a, SATISFIED))
    b = replied(as_user, CGJ, contact={"name": "李四", "phone": "13900000001"})
    ok(rate(client, b, UNSATISFIED))
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{b['number']}/reopen", json={"reason": "未清运", "attributable": True}
        )
    )
    c = replied(as_user, RSJ, unit_user="rsj", contact={"name": "王五", "phone": "13900000002"})
    ok(rate(client, c, RATED_PARTLY))
    d = logged(as_user, RSJ, contact={"name": "赵六", "phone": "13900000003"})
    ok(
        as_user("rsj").post(
            f"/api/v1/appeals/{d['number']}/return", json={"reason": "不属本单位职责", "basis": "清单第12项"}
        )
    )
    return {"a": a, "b": b, "c": c, "d": d}


def conflict(r: Any) -> None:
    assert r.status_code == 409, r.get_data(as_text=True)
    assert r.json["error"] == "conflict" and "current" in r.json


def unit_row(figures: dict[str, Any], code: str) -> dict[str, Any]:
    return next(u for g in figures["groups"] for u in g["units"] if u["code"] == code)


def rates(row: dict[str, Any]) -> dict[str, float | None]:
    return {name: r["rate"] for name, r in row["rates"].items()}


def test_a_month_of_journeys_gives_each_unit_its_rates(as_user, journeys, month) -> None:
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    assert figures["month"] == month and figures["rank_by"] == "satisfaction_rate"
    assert figures["rules"] == {
        "basic_weight": 0.8,
        "excluded": ["invalid", "malicious", "unreachable"],
        "min_ranked": 1,
    }
    cgj = unit_row(figures, CGJ)
    assert cgj["counts"]["dispatched"] == 2 and cgj["counts"]["rated"] == 2
    assert rates(cgj) == {
        "response_rate": 1.0,
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.4,  # 基本满意 (0.8) and 不满意, of 2
        "attitude_satisfaction_rate": 0.9,  # 满意 and 基本满意
        "sign_on_time_rate": 1.0,
        "return_rate": 0.0,
        "completion_on_time_rate": 1.0,
        "reopen_rate": 0.5,
        "repeat_call_rate": 0.5,  # the second call of the same caller
    }
    rsj = unit_row(figures, RSJ)
    assert rates(rsj)["response_rate"] == 0.0 and rates(rsj)["resolution_rate"] == 0.0
    assert rates(rsj)["satisfaction_rate"] == 1.0
    assert rates(rsj)["return_rate"] == 0.5
    assert rsj["rates"]["sign_on_time_rate"]["denominator"] == 1  # the returned one is not due yet
    everyone = figures["overall"]
    assert everyone["counts"]["intakes"] == 4 and everyone["counts"]["rated"] == 3
    assert everyone["rates"]["satisfaction_rate"]["rate"] == pytest.approx(0.6)  # (0.8 + 0 + 1) / 3
    assert everyone["rates"]["satisfaction_rate"]["label"] == "满意率"


def test_departments_and_townships_are_ranked_apart(as_user, journeys, month) -> None:
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    groups = {g["kind"]: g for g in figures["groups"]}
    assert groups["township"]["label"] == "乡镇（街道）" and groups["department"]["label"] == "区直部门"
    departments = groups["department"]
    # Two departments ranked: both in the top five, so neither is also in the bottom five.
    assert [r["code"] for r in departments["best"]] == [RSJ, CGJ]
    assert departments["worst"] == []
    assert departments["best"][0] == {"code": RSJ, "name": "区人社局", "rate": 1.0, "sample": 1}
    assert [u["code"] for u in departments["units"][:2]] == [RSJ, CGJ]  # the table in ranking order
    assert groups["township"]["best"] == []  # no township was rated this month
    assert len(groups["township"]["units"]) == 20  # yet every township has its row
    by_returns = ok(
        as_user("leader").get("/api/v1/figures", query_string={"month": month, "rank_by": "return_rate"})
    )
    departments = next(g for g in by_returns["groups"] if g["kind"] == "department")
    assert [r["code"] for r in departments["best"]] == [CGJ, RSJ]  # the most returns last
    assert departments["worst"] == []


def test_an_excluded_rating_leaves_the_rates_and_counting_it_again_restores_them(
    as_user, journeys, month
) -> None:
    dispatcher = as_user("dispatcher")
    number = journeys["a"]["number"]
    body = ok(
        dispatcher.post(
            f"/api/v1/appeals/{number}/exclude-rating", json={"reason": "malicious", "note": "重复恶意评价"}
        )
    )
    assert body["number"] == number
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    cgj = unit_row(figures, CGJ)
    assert (cgj["counts"]["rated"], cgj["counts"]["excluded"]) == (1, 1)
    assert rates(cgj)["satisfaction_rate"] == 0.0  # only the unsatisfied one is left
    last = ok(dispatcher.get(f"/api/v1/appeals/{number}/events"))[-1]
    assert last["action"] == "rating_excluded" and "恶意评价" in last["note"]
    ok(
        dispatcher.post(
            f"/api/v1/appeals/{number}/exclude-rating", json={"reason": None, "note": "核实为真实评价"}
        )
    )
    cgj = unit_row(ok(as_user("leader").get("/api/v1/figures", query_string={"month": month})), CGJ)
    assert (cgj["counts"]["rated"], rates(cgj)["satisfaction_rate"]) == (2, 0.4)


def test_a_city_that_counts_every_rating_and_basic_as_full(app, as_user, journeys, month) -> None:
    app.config["FIGURE_RULES"] = FigureRules(basic_weight=1.0, excluded=frozenset())
    number = journeys["a"]["number"]
    ok(
        as_user("reviewer").post(
            f"/api/v1/appeals/{number}/exclude-rating", json={"reason": "invalid", "note": "测试"}
        )
    )
    cgj = unit_row(ok(as_user("leader").get("/api/v1/figures", query_string={"month": month})), CGJ)
    assert cgj["counts"]["rated"] == 2 and rates(cgj)["satisfaction_rate"] == 0.5


def test_exclude_rating_refusals(as_user, client, journeys) -> None:
    dispatcher = as_user("dispatcher")
    a, d = journeys["a"]["number"], journeys["d"]["number"]
    r = dispatcher.post(f"/api/v1/appeals/{d}/exclude-rating", json={"reason": "invalid", "note": "x"})
    conflict(r)  # returned, never rated
    r = as_user("cgj").post(f"/api/v1/appeals/{a}/exclude-rating", json={"reason": "invalid", "note": "x"})
    assert_envelope(r, 403, "forbidden")
    r = dispatcher.post(f"/api/v1/appeals/{a}/exclude-rating", json={"reason": "rude", "note": ""})
    body = assert_envelope(r, 422, "validation_error")
    assert set(body["errors"]) == {"reason", "note"}
    r = dispatcher.post(f"/api/v1/appeals/{a}/exclude-rating", json={"reason": None, "note": "未剔除"})
    conflict(r)  # already counted: nothing to take back
    ok(dispatcher.post(f"/api/v1/appeals/{a}/exclude-rating", json={"reason": "invalid", "note": "无效"}))
    r = dispatcher.post(f"/api/v1/appeals/{a}/exclude-rating", json={"reason": "invalid", "note": "再次"})
    conflict(r)
    public = ok(client.get(f"/api/v1/public/appeals/{a}", query_string={"code": journeys["a"]["query_code"]}))
    assert "rating_excluded" not in str(public)  # the citizen never sees it


def test_another_month_has_nothing_and_rates_are_null(as_user, journeys) -> None:
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": "2001-01"}))
    assert figures["overall"]["counts"]["intakes"] == 0
    assert all(r["rate"] is None for r in figures["overall"]["rates"].values())
    assert figures["from"].startswith("2000-12-31T16:00:00")  # midnight in Asia/Shanghai, in UTC


def test_the_month_defaults_to_this_one(as_user, journeys, month) -> None:
    assert ok(as_user("dispatcher").get("/api/v1/figures"))["month"] == month


@pytest.mark.parametrize(
    ("query", "field"),
    [({"month": "2026-13"}, "month"), ({"month": "202611"}, "month"), ({"rank_by": "speed"}, "rank_by")],
)
def test_bad_filters_name_the_field(as_user, query, field) -> None:
    body = assert_envelope(
        as_user("leader").get("/api/v1/figures", query_string=query), 422, "validation_error"
    )
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("username", ["operator", "cgj"])
def test_only_leaders_and_the_centre_read_the_figures(as_user, client, username) -> None:
    assert_envelope(as_user(username).get("/api/v1/figures"), 403, "forbidden")
    assert_envelope(client.get("/api/v1/figures"), 401, "unauthorized")


def test_the_export_is_a_workbook_with_the_same_figures(as_user, journeys, month) -> None:
    r = as_user("leader").get("/api/v1/figures/export", query_string={"month": month})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f'filename="figures-{month}.xlsx"' in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames[:4] == ["汇总", "诉求量", "乡镇（街道）", "区直部门"]
    summary = {row[0]: row[1:] for row in wb["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["统计月份"][0] == month
    assert summary["满意率"][:3] == (60.0, 1.8, 3)
    departments = list(wb["区直部门"].iter_rows(values_only=True))
    header = departments[0]
    first = departments[1]
    assert first[:2] == (1, "区人社局")
    assert first[header.index("满意率（%）")] == 100.0


def test_the_export_ranks_only_units_the_rankings_rank_and_names_the_exclusions(
    app, as_user, journeys, month
) -> None:
    app.config["FIGURE_RULES"] = FigureRules(min_ranked=2, excluded=frozenset({"malicious", "invalid"}))
    r = as_user("leader").get("/api/v1/figures/export", query_string={"month": month})
    wb = load_workbook(io.BytesIO(r.get_data()))
    summary = {row[0]: row[1:] for row in wb["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["不计入统计的评价"][0] == "无效评价、恶意评价"
    sheet = list(wb["区直部门"].iter_rows(values_only=True))
    table = sheet[1 : next(i for i, row in enumerate(sheet) if not any(row))]  # up to the rankings
    rows = {row[1]: row[0] for row in table}
    assert rows["区人社局"] is None  # one rating: below the smallest ranked sample, as in 前五名
    assert rows["区城管局"] == 1
    # Ranked alone, 区城管局 heads the top five and is not also the bottom one.
    rankings = [row[:2] for row in sheet[len(table) + 1 :] if any(row)]
    assert rankings == [
        ("满意率前五名", None),
        (1, "区城管局"),
        ("满意率后五名", None),
        (None, "参与排名的单位均已列入前五名。"),
    ]


def test_a_unit_a_newer_list_dropped_keeps_its_months_figures(app, as_user, journeys, month) -> None:
    with stored(app) as s:
        s.execute(sa.update(Unit).where(Unit.code == CGJ).values(active=False))
        s.commit()
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    cgj = unit_row(figures, CGJ)
    assert cgj["name"] == "区城管局" and cgj["counts"]["rated"] == 2
    assert unit_row(figures, RSJ)["counts"]["dispatched"] == 2


def test_a_rating_stays_with_the_unit_rated_when_the_reopened_appeal_goes_elsewhere(
    as_user, client, month
) -> None:
    a = replied(as_user, CGJ, contact={"name": "李四", "phone": "13900000001"})
    ok(rate(client, a, UNSATISFIED))
    dispatcher = as_user("dispatcher")
    ok(
        dispatcher.post(
            f"/api/v1/appeals/{a['number']}/reopen", json={"reason": "未清运", "attributable": True}
        )
    )
    ok(dispatcher.post(f"/api/v1/appeals/{a['number']}/dispatch", json={"reason": "改派", "unit": RSJ}))
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    cgj, rsj = unit_row(figures, CGJ), unit_row(figures, RSJ)
    assert (cgj["counts"]["rated"], cgj["counts"]["reopened"]) == (1, 1)
    assert rates(cgj)["satisfaction_rate"] == 0.0 and rates(cgj)["reopen_rate"] == 1.0
    assert rsj["counts"]["rated"] == 0 and rates(rsj)["satisfaction_rate"] is None


def test_the_unit_a_dispatch_was_taken_from_in_time_is_not_late_to_sign(app, as_user, month) -> None:
    a = logged(as_user, CGJ)
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{a['number']}/dispatch", json={"reason": "改派", "unit": RSJ}
        )
    )
    with stored(app) as s:  # re-dispatched two minutes ago; both deadlines passed a minute ago, unsigned
        now = utcnow()
        s.execute(sa.update(AppealAssignment).values(sign_due_at=now - timedelta(minutes=1)))
        s.execute(
            sa.update(AppealAssignment)
            .where(AppealAssignment.unit_code == CGJ)
            .values(ended_at=now - timedelta(minutes=2))
        )
        s.commit()
    figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
    cgj, rsj = unit_row(figures, CGJ), unit_row(figures, RSJ)
    assert cgj["counts"]["dispatched"] == 1 and cgj["rates"]["sign_on_time_rate"]["denominator"] == 0
    late = rsj["rates"]["sign_on_time_rate"]
    assert (late["numerator"], late["denominator"]) == (0, 1)


def test_a_lead_dispatch_counts_once_per_change_of_lead_unit(app, as_user, month) -> None:
    number = logged(as_user, CGJ)["number"]
    dispatcher = as_user("dispatcher")

    def dispatch(**body: Any) -> Any:
        return dispatcher.post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "改派", **body})

    def dispatched() -> dict[str, int]:
        figures = ok(as_user("leader").get("/api/v1/figures", query_string={"month": month}))
        return {code: unit_row(figures, code)["counts"]["dispatched"] for code in (CGJ, RSJ)}

    co = [
        a["unit"]["code"]
        for a in ok(dispatcher.get(f"/api/v1/appeals/{number}"))["assignments"]
        if a["role"] == "co"
    ]
    assert_envelope(dispatch(unit=CGJ, co_units=co), 409, "conflict")  # nothing would change
    ok(dispatch(unit=CGJ, co_units=[*co, RSJ]))  # a co-unit added: the lead's part is kept
    assert dispatched() == {CGJ: 1, RSJ: 0}
    ok(dispatch(unit=CGJ, urgency="紧急"))  # a correction restarts the clocks, with the same lead unit
    with stored(app) as s:
        leads = s.scalars(
            sa.select(AppealAssignment.unit_code)
            .join(Appeal)
            .where(Appeal.number == number, AppealAssignment.role == "lead")
            .order_by(AppealAssignment.id)
        ).all()
    assert leads == [CGJ, CGJ]  # two parts stored, one dispatch counted
    assert dispatched() == {CGJ: 1, RSJ: 0}
    ok(dispatch(unit=RSJ))
    ok(dispatch(unit=CGJ))
    assert dispatched() == {CGJ: 2, RSJ: 1}


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def names_in(value: Any) -> set[str]:
    """Every `name` in the figures' JSON: units, categories, townships (data, said as they are)."""
    if isinstance(value, dict):
        found = {value["name"]} if isinstance(value.get("name"), str) else set()
        return found.union(*(names_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(names_in(v) for v in value))
    return set()


def test_the_export_says_its_words_in_the_language_asked_for(as_user, journeys, month) -> None:
    leader = as_user("leader")
    english = {"Accept-Language": "en"}

    r = leader.get("/api/v1/figures/export", query_string={"month": month}, headers=english)

    assert r.status_code == 200 and r.headers["Content-Language"] == "en"
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames[:4] == ["Summary", "Appeal volumes", "Township (subdistrict)", "County department"]
    summary = {row[0]: row[1:] for row in wb["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Month"][0] == month and summary["Satisfaction rate"][:3] == (60.0, 1.8, 3)
    header = next(wb["County department"].iter_rows(values_only=True))
    assert header[:4] == ("Rank", "Unit", "Dispatches", "Ratings") and "Satisfaction rate (%)" in header
    names = names_in(leader.get("/api/v1/figures", query_string={"month": month}).json)
    chinese = {
        cell
        for ws in wb
        for row in ws.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str) and CJK.search(cell) and re.sub(r" \(\d+\)$", "", cell) not in names
    }
    assert chinese == set()  # only the names of units, categories and townships stay Chinese
    default = load_workbook(
        io.BytesIO(leader.get("/api/v1/figures/export", query_string={"month": month}).get_data())
    )
    assert default.sheetnames[0] == "汇总"  # no language asked for: Chinese, as the JSON labels
