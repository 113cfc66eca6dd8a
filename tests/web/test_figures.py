"""统计分析: the leaders' page of the month's figures, its filters and export link, and the
centre's 评价剔除 form on a rated appeal's page."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.service.closing_arrange import CGJ, RSJ, SATISFIED, ok, rate, replied
from tests.service.volumes_arrange import GARBAGE, last_day, past_months, two_months
from tests.web.conftest import error_summary_lines_of, log_in
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
    assert f'href="/figures/export?month={month}&amp;rank_by=satisfaction_rate&amp;lang=zh"' in page
    assert "本月暂无可排名的数据。" in page  # no township rated


def test_a_department_ranked_alone_is_in_the_top_five_only(as_user, client) -> None:
    ok(rate(client, replied(as_user, CGJ), SATISFIED))
    log_in(client, "leader")

    page = page_of(client, "/figures")

    departments = re.search(r'data-group="department">(.*?)</section>', page, re.S)
    assert departments, "the departments' section"
    best = re.search(r'data-ranking="best">(.*?)</ol>', departments.group(1), re.S)
    assert best and "区城管局" in best.group(1)
    assert 'data-ranking="worst"' not in departments.group(1)
    assert departments.group(1).count("区城管局") == 2  # the top five and its row in the table
    assert "参与排名的单位均已列入前五名。" in departments.group(1)
    assert "本月暂无可排名的数据。" not in departments.group(1)
    client.get("/lang/en")
    assert "Every unit ranked is in the top five already." in page_of(client, "/figures")


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


def test_the_error_summary_names_the_month_and_the_ranking(client) -> None:
    log_in(client, "leader")

    page = client.get("/figures?month=2026-13&rank_by=nope").get_data(as_text=True)
    english = client.get("/figures?month=2026-13&rank_by=nope&lang=en").get_data(as_text=True)

    assert error_summary_lines_of(page) == [
        "统计月份：请选择 2000-01 至 2099-12 之间的月份（年-月）。",
        "排名指标：请选择列表中的排名指标。",
    ]
    assert error_summary_lines_of(english) == [
        "Month: Choose a month between 2000-01 and 2099-12.",
        "Rank by: Choose a rate from the list.",
    ]


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
    assert "另有 1 次评价不计入" in figures
    r = post_form(client, number, "exclude-rating", reason="count", note="核实后恢复")
    assert r.status_code == 302
    assert "评价恢复计入" in page_of(client, f"/centre/appeals/{number}")


def test_the_form_is_offered_only_once_the_citizen_has_rated(app, as_user, client) -> None:
    a = replied(as_user, CGJ)
    log_in(client, "dispatcher")
    assert 'id="action-exclude-rating"' not in page_of(client, f"/centre/appeals/{a['number']}")
    ok(rate(app.test_client(), a, SATISFIED))  # the citizen, on the public API
    assert 'id="action-exclude-rating"' in page_of(client, f"/centre/appeals/{a['number']}")


# ---- 诉求量 -------------------------------------------------------------------------------------


def test_the_volumes_come_first_with_the_splits_the_hot_spots_and_a_bar_per_day(app, as_user, client) -> None:
    last, before = past_months(app)
    two_months(as_user, (last, before))
    log_in(client, "leader")
    page = page_of(client, f"/figures?month={last}")
    assert page.index('<h2 id="h-volumes">诉求量</h2>') < page.index("全区总体")  # above the rates
    received = re.search(
        r'data-volume="received">.*?<strong class="figure-value">(.*?)</strong>\s*'
        r'<span class="muted">环比 <span class="change up">(.*?)</span>',
        page,
        re.S,
    )
    assert received and received.groups() == ("7 件", "+4（+133.3%）")
    assert f"与 {before} 相比。另有 1 件重复诉求已并案办理" in page
    for heading in (
        "受理渠道",
        "诉求类型",
        "紧急程度",
        "热点问题前十",
        "一级分类前十",
        "乡镇（街道）诉求量前十",
        "每日诉求量",
    ):
        assert heading in page
    web = re.search(r'<tr data-code="web"><th scope="row">网站</th>(.*?)</tr>', page)
    assert web and "<td>2</td><td>28.6%</td><td>0</td>" in web.group(1) and "（上月无）" in web.group(1)
    assert 'data-code="letter"' not in page  # a channel with nothing in either month is left out
    garbage = re.search(rf'<tr data-category="{GARBAGE}">(.*?)</tr>', page, re.S)
    assert garbage and "生活垃圾清运" in garbage.group(1) and "城市管理" in garbage.group(1)
    assert "梅林镇 3 件" in garbage.group(1) and "+2（+100.0%）" in garbage.group(1)
    townships = re.search(r'data-hot="townships">(.*?)</table>', page, re.S)
    assert townships and townships.group(1).index("梅林镇") < townships.group(1).index("王母渡镇")
    assert "沙地镇" not in townships.group(1)  # none this month: not among the top ten
    bars = re.findall(
        r'<g data-day="(\d+)" data-count="(\d+)"><title>(.*?)</title>\s*<rect [^>]*height="([\d.]+)"', page
    )
    assert len(bars) == last_day(last)
    assert (
        bars[0][:3] == ("1", "1", "1 日：1 件") and bars[8][1] == "3" and bars[8][3] == "120.0"
    )  # the busiest
    assert bars[1][3] == "0.0"  # a day with none
    assert "<script" not in page.split('id="h-volumes"')[1].split("全区总体")[0]


def test_the_volumes_in_english(app, as_user, client) -> None:
    last, before = past_months(app)
    two_months(as_user, (last, before))
    log_in(client, "leader")
    client.get("/lang/en")
    page = page_of(client, f"/figures?month={last}")
    assert "Appeals received" in page and "Top ten issues" in page and "Appeals per day" in page
    assert "12345 hotline" in page and "Closed at first contact" in page
    section = re.sub(r"<[^>]*>", " ", page.split('id="h-volumes"')[1].split('id="h-overall"')[0])
    for chinese in (
        "受理量",
        "环比",
        "上月",
        "件数",
        "占比",
        "热点问题",
        "每日诉求量",
        "直接办结",
        "网站",
        "投诉",
        "一般",
    ):
        assert chinese not in section
    assert "生活垃圾清运" in section and "梅林镇" in section  # the list's and the places' names are data


def test_the_export_is_in_the_language_of_the_page_it_is_taken_from(as_user, client) -> None:
    rated_appeals(as_user, client)
    log_in(client, "leader")
    page = page_of(client, "/figures?lang=en")
    link = re.search(r'href="(/figures/export\?[^"]+)" download', page).group(1).replace("&amp;", "&")

    r = client.get(link)

    assert "lang=en" in link and r.status_code == 200 and r.headers["Content-Language"] == "en"
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames[:2] == ["Summary", "Appeal volumes"]
    assert next(wb["County department"].iter_rows(values_only=True))[:2] == ("Rank", "Unit")
    chinese = load_workbook(io.BytesIO(client.get(link.replace("lang=en", "lang=zh")).get_data()))
    assert chinese.sheetnames[:2] == ["汇总", "诉求量"]
