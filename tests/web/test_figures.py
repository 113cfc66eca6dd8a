"""统计分析: the leaders' page of the month's figures, its filters and export link, and the
centre's 评价剔除 form on a rated appeal's page."""

from __future__ import annotations

import re

from tests.service.closing_arrange import CGJ, RSJ, SATISFIED, ok, rate, replied
from tests.web.conftest import log_in
from tests.web.test_centre import page_of, post_form


def rated_appeals(as_user, client) -> tuple[dict, dict]:
    """区城管局's appeal rated 满意 on the attitude and 基本满意 on the result; 区人社局's 满意 on both."""
    a = replied(as_user, CGJ)
    ok(rate(client, a, SATISFIED))
    c = replied(as_user, RSJ, unit_user="rsj")
    ok(rate(client, c, {**SATISFIED, "result": "满意"}))
    return a, c


def test_a_leader_lands_on_the_months_figures_with_units_ranked(as_user, client) -> None:
    rated_appeals(as_user, client)
    r = log_in(client, "leader")
    assert r.status_code == 302 and r.headers["Location"].endswith("/figures")
    page = page_of(client, "/figures")
    assert "统计分析" in page and "全区总体" in page and "区直部门" in page and "乡镇（街道）" in page
    overall = re.search(
        r'data-rate="satisfaction_rate"><span class="figure-label">满意率</span>\s*'
        r'<strong class="figure-value"><span title="1.8 / 2">(.*?)</span>',
        page,
    )
    assert overall and overall.group(1) == "90.0%"
    best = re.search(r'data-ranking="best">(.*?)</ol>', page, re.S)
    assert best and best.group(1).index("区人社局") < best.group(1).index("区城管局")
    row = re.search(rf'<tr data-unit="{CGJ}">(.*?)</tr>', page, re.S)
    assert row and ">80.0%<" in row.group(1)  # 基本满意 at 0.8
    month = re.search(r"<h1>统计分析 · (\d{4}-\d{2})</h1>", page).group(1)  # type: ignore[union-attr]
    assert f'href="/api/v1/figures/export?month={month}&amp;rank_by=satisfaction_rate"' in page
    assert "本月暂无可排名的数据。" in page  # no township rated


def test_the_page_in_english(as_user, client) -> None:
    rated_appeals(as_user, client)
    log_in(client, "leader")
    client.get("/lang/en")
    page = page_of(client, "/figures")
    assert "Satisfaction rate" in page and "County department" in page and "Export to Excel" in page
    assert "满意率" not in page


def test_a_bad_month_is_shown_by_its_field_with_this_months_figures(as_user, client) -> None:
    log_in(client, "leader")
    r = client.get("/figures?month=2026-13&rank_by=return_rate")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-month-error"' in page and "请选择 2000-01 至 2099-12 之间的月份" in page
    assert 'value="return_rate" selected' in page  # the good filter is kept


def test_operators_and_units_have_no_figures_page_nor_link(logged_in) -> None:
    for username, home in (("operator", "/console"), ("cgj", "/unit")):
        client = logged_in(username)
        assert client.get("/figures").status_code == 403
        assert 'href="/figures"' not in page_of(client, home)
    assert 'href="/figures"' in page_of(logged_in("reviewer"), "/centre")


def test_the_centre_sets_a_rating_aside_from_the_appeal_page(app, as_user, client) -> None:
    a, _ = rated_appeals(as_user, client)
    log_in(client, "dispatcher")
    number = a["number"]
    page = page_of(client, f"/centre/appeals/{number}")
    assert 'id="action-exclude-rating"' in page and "恶意评价" in page
    r = post_form(client, number, "exclude-rating", reason="malicious", note="")
    assert r.status_code == 422 and 'id="f-exclude-rating-note-error"' in r.get_data(as_text=True)
    r = post_form(client, number, "exclude-rating", reason="malicious", note="同一号码连续恶意差评")
    assert r.status_code == 302
    page = page_of(client, f"/centre/appeals/{number}")
    assert "评价剔除" in page and "同一号码连续恶意差评" in page
    figures = page_of(client, "/figures")
    assert "另有 1 件评价不计入" in figures
    r = post_form(client, number, "exclude-rating", reason="count", note="核实后恢复")
    assert r.status_code == 302
    assert "评价恢复计入" in page_of(client, f"/centre/appeals/{number}")


def test_the_form_is_offered_only_once_the_citizen_has_rated(app, as_user, client) -> None:
    a = replied(as_user, CGJ)
    log_in(client, "dispatcher")
    assert 'id="action-exclude-rating"' not in page_of(client, f"/centre/appeals/{a['number']}")
    ok(rate(app.test_client(), a, SATISFIED))  # the citizen, on the public API
    assert 'id="action-exclude-rating"' in page_of(client, f"/centre/appeals/{a['number']}")
