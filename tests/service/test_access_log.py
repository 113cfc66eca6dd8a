"""Reading the personal-data access log back (个人信息查看记录): who saw a citizen's unmasked
contact, when, on which appeal and why; administrators only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.service.handling_steps import new_appeal

URL = "/api/v1/admin/personal-data-access"


@pytest.fixture
def an_appeal(as_user):
    """A function registering an appeal (dispatched, with the caller's full contact)."""
    return lambda: new_appeal(as_user)


def view(api, number, reason):
    r = api.get(f"/api/v1/appeals/{number}", query_string={"reason": reason})
    assert r.status_code == 200, r.json


def test_the_administrator_reads_who_saw_an_appeals_contact_newest_first(as_user, an_appeal):
    number, other = an_appeal(), an_appeal()
    view(as_user("dispatcher"), number, "回访核实")
    view(as_user("reviewer"), number, "审核答复")
    view(as_user("dispatcher"), other, "电话催办")

    r = as_user("admin").get(URL, query_string={"appeal": number})

    assert r.status_code == 200, r.json
    assert r.json["total"] == 2
    assert [
        (i["user"]["username"], i["user"]["role"], i["appeal_number"], i["action"], i["reason"])
        for i in r.json["items"]
    ] == [
        ("reviewer", "reviewer", number, "view", "审核答复"),
        ("dispatcher", "dispatcher", number, "view", "回访核实"),
    ]
    assert r.json["items"][0]["at"] >= r.json["items"][1]["at"]


def test_what_one_account_looked_at_whatever_the_case_typed(as_user, an_appeal):
    first, second = an_appeal(), an_appeal()
    view(as_user("operator"), first, "来电核实")
    view(as_user("operator"), second, "来电核实")
    view(as_user("dispatcher"), first, "派单前核实")

    r = as_user("admin").get(URL, query_string={"user": " Operator ", "action": "view"})

    assert {i["appeal_number"] for i in r.json["items"]} == {first, second}
    assert {i["user"]["username"] for i in r.json["items"]} == {"operator"}


def test_an_appeal_number_is_found_as_typed_on_the_phone(as_user, an_appeal):
    number = an_appeal()
    view(as_user("dispatcher"), number, "回访核实")

    r = as_user("admin").get(URL, query_string={"appeal": " " + number.lower() + " "})

    assert [i["appeal_number"] for i in r.json["items"]] == [number]


def test_days_are_whole_local_days(as_user, an_appeal):
    number = an_appeal()
    view(as_user("dispatcher"), number, "回访核实")
    admin = as_user("admin")
    today = admin.get(URL, query_string={"appeal": number}).json["items"][0]["at"]

    day = datetime.fromisoformat(today).astimezone(ZoneInfo("Asia/Shanghai")).date()
    same_day = admin.get(URL, query_string={"appeal": number, "since": str(day), "until": str(day)})
    next_day = admin.get(URL, query_string={"appeal": number, "since": f"{day.year + 1}-01-01"})

    assert same_day.json["total"] == 1
    assert next_day.json["total"] == 0


@pytest.mark.parametrize("username", ["operator", "dispatcher", "reviewer", "leader", "cgj"])
def test_only_administrators_read_the_log(as_user, username):
    r = as_user(username).get(URL)

    assert r.status_code == 403
    assert r.json["error"] == "forbidden"


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"action": "delete"}, "action"),
        ({"page": "0"}, "page"),
        ({"per_page": "1000"}, "per_page"),
        ({"appeal": "X" * 40}, "appeal"),
    ],
)
def test_a_bad_filter_is_422_naming_it(as_user, args, field):
    r = as_user("admin").get(URL, query_string=args)

    assert r.status_code == 422
    assert field in r.json["errors"]
