"""The operator's read-only view of an appeal's progress, for a citizen calling back ("where is my
appeal?"): from the caller-history panel and from a number typed on the console."""

from __future__ import annotations

import re

from tests.service.closing_arrange import UNSATISFIED
from tests.service.handling_steps import CITIZEN_TEXT, LEAD, new_appeal, ok, reply_body
from tests.web.conftest import csrf_token_of

CALLER = "13800001234"  # appeal_payload's caller


def _replied_rated_and_reopened(as_user) -> str:
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    ok(as_user("reviewer"), number, "evaluate", **UNSATISFIED)
    ok(as_user("dispatcher"), number, "close", note="已回访")
    ok(as_user("dispatcher"), number, "reopen", attributable=True, reason="群众反映垃圾仍未清运")
    return number


def test_an_operator_reads_the_progress_of_an_appeal_called_back_about(as_user, logged_in):
    number = _replied_rated_and_reopened(as_user)
    client = logged_in("operator")

    r = client.get(f"/console/appeals/{number}/progress")

    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "已派单" in page and "区城管局" in page  # reopened: with the unit again
    assert "答复时限" in page and "重办次数" in page
    assert CITIZEN_TEXT in page  # the reply released to the citizen
    assert "data-rating" in page and "办理结果不满意" in page  # the rating
    assert 'data-action="reopened"' in page and "群众反映垃圾仍未清运" in page
    assert "138****1234" in page  # the contact, masked until a reason is given
    assert "诉求已登记" not in page
    # Read-only: no workflow form, only the reveal form (a GET) and the log-out.
    assert not re.search(rf'action="/[a-z]+/appeals/{number}/[a-z-]+"', page)
    assert "data-read-only" in page


def test_the_callers_earlier_appeals_link_to_their_progress(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("operator")

    fragment = client.get("/console/caller", query_string={"contact.phone": CALLER}).get_data(as_text=True)

    assert f'href="/console/appeals/{number}/progress"' in fragment
    assert client.get(f"/console/appeals/{number}/progress").status_code == 200


def test_a_number_typed_on_the_console_opens_its_progress_in_any_case(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("operator")
    assert 'action="/console/lookup"' in client.get("/console").get_data(as_text=True)

    r = client.get("/console/lookup", query_string={"number": f" {number.lower()} "})

    assert r.status_code == 302 and r.location.endswith(f"/console/appeals/{number}/progress")
    missing = client.get("/console/lookup", query_string={"number": "gx20000101-9999"})
    assert missing.status_code == 404
    assert "没有编号为 GX20000101-9999 的诉求，请核对受理编号。" in missing.get_data(as_text=True)
    english = client.get("/console/lookup", query_string={"number": "gx20000101-9999", "lang": "en"})
    assert "There is no appeal GX20000101-9999. Check the appeal number." in english.get_data(as_text=True)


def test_the_progress_page_reads_in_english_and_stays_closed_to_units(as_user, logged_in, client):
    number = new_appeal(as_user)
    operator = logged_in("operator")

    english = operator.get(f"/console/appeals/{number}/progress?lang=en").get_data(as_text=True)

    assert "← Back to the console" in english and "The console shows the progress only." in english
    operator.post(
        "/logout", data={"csrf_token": csrf_token_of(operator.get("/console").get_data(as_text=True))}
    )
    unit = logged_in(LEAD)
    assert unit.get(f"/console/appeals/{number}/progress").status_code == 403
