"""The centre and the administrators are warned when the active list's working-day calendar does not
know a year deadlines can reach (its holidays would count as working days), and so is monitoring."""

from __future__ import annotations

import pytest

from dispatch import calendar
from service.db import utcnow


@pytest.fixture
def next_year_unknown(monkeypatch) -> int:
    """The installed chinesecalendar as it is in December, before the next year's holidays are out."""
    year = utcnow().year
    monkeypatch.setattr(calendar, "NATIONAL_YEARS", range(2004, year + 1))
    return year + 1


@pytest.fixture
def years_known(monkeypatch) -> None:
    year = utcnow().year
    monkeypatch.setattr(calendar, "NATIONAL_YEARS", range(2004, year + 3))


PAGES = {"dispatcher": ["/centre"], "admin": ["/admin", "/admin/lists"]}


@pytest.mark.parametrize("role", list(PAGES))
def test_the_start_pages_say_which_year_is_missing_and_what_to_do(logged_in, next_year_unknown, role):
    client = logged_in(role)
    for url in PAGES[role]:
        page = client.get(url).get_data(as_text=True)
        assert f'data-calendar-gap="{next_year_unknown}"' in page, url
        assert f"缺少 {next_year_unknown} 年的节假日和调休安排" in page
        assert "加入清单的工作日历" in page and "chinesecalendar" in page

        english = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
        assert f"has no public holidays or make-up workdays for {next_year_unknown}" in english
        assert "adds them and the make-up workdays to the list" in english and "chinesecalendar" in english
        client.get("/lang/zh")


def test_no_warning_when_the_years_are_known(logged_in, years_known):
    client = logged_in("admin")
    for url in ("/admin", "/admin/lists"):
        assert "data-calendar-gap" not in client.get(url).get_data(as_text=True)
    assert "data-calendar-gap" not in logged_in("dispatcher").get("/centre").get_data(as_text=True)


def test_readyz_names_the_missing_years_and_stays_ready(client, next_year_unknown):
    r = client.get("/readyz")

    assert r.status_code == 200 and r.json["status"] == "ready"
    assert r.json["calendar"]["uncovered_years"] == [next_year_unknown]
    assert r.json["calendar"]["list_version"]


def test_readyz_says_nothing_is_missing_when_the_years_are_known(client, years_known):
    assert client.get("/readyz").json["calendar"]["uncovered_years"] == []
