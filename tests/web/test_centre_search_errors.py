"""工单查询 with a filter that cannot find anything for a reason the user should read: a reversed
date range, a page before the first. The page and the JSON API say which field and why."""

from __future__ import annotations

from tests.web.conftest import error_summary_lines_of, error_summary_of

REVERSED = "received_from=2026-12-31&received_to=2026-12-01"


def test_a_reversed_date_range_is_said_under_the_end_date_not_answered_with_nothing_found(logged_in):
    client = logged_in("dispatcher")

    r = client.get(f"/centre/search?{REVERSED}")

    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "共 0 件" not in page
    assert '<p class="field-error" id="f-received_to-error">结束日期早于开始日期。</p>' in page
    assert "结束日期早于开始日期。" in error_summary_of(page)
    english = client.get(f"/centre/search?{REVERSED}&lang=en").get_data(as_text=True)
    assert "The end date is before the start date." in english


def test_a_page_before_the_first_says_why(logged_in):
    r = logged_in("dispatcher").get("/centre/search?page=-1")

    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert error_summary_lines_of(page) == ["页码：须在 1 到 100000 之间。"]  # which number, and why


def test_the_api_list_names_the_field_of_a_reversed_range(as_user):
    r = as_user("dispatcher").get(f"/api/v1/appeals?{REVERSED}")

    assert r.status_code == 422 and r.json["errors"] == {
        "received_to": ["The end date is before the start date."]
    }
    zh = as_user("dispatcher").get(f"/api/v1/appeals?{REVERSED}", headers={"Accept-Language": "zh-CN"})
    assert zh.json["errors"] == {"received_to": ["结束日期早于开始日期。"]}
    assert (
        as_user("dispatcher")
        .get("/api/v1/appeals?received_from=2026-12-01&received_to=2026-12-01")
        .status_code
        == 200
    )
