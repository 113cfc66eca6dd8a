"""The call-back form (回访评价) once the round is rated: the page shows the rating instead of a form
that could only be refused, and a call-back sent in the race keeps what the reviewer wrote down."""

from __future__ import annotations

from tests.service.closing_arrange import UNSATISFIED, rate, replied
from tests.service.factories import new_address
from tests.web.test_centre import hidden_fields, page_of

RATED = "办理态度基本满意，办理结果不满意；未解决；已联系群众。"


def citizen_rates(app, body) -> None:
    citizen = app.test_client()
    citizen.environ_base["REMOTE_ADDR"] = new_address()
    assert rate(citizen, body, UNSATISFIED).status_code == 200


def actions_of(page: str) -> str:
    return page.split('class="appeal-actions"', 1)[1]


def test_after_the_citizen_rated_the_page_shows_the_rating_instead_of_the_call_back_form(
    app, as_user, logged_in
):
    body = replied(as_user)
    number = body["number"]
    client = logged_in("reviewer")
    assert f'action="/centre/appeals/{number}/evaluate"' in page_of(client, f"/centre/appeals/{number}")

    citizen_rates(app, body)
    page = actions_of(page_of(client, f"/centre/appeals/{number}"))

    assert f'action="/centre/appeals/{number}/evaluate"' not in page
    assert "本轮评价" in page and "评价本轮办理，无需再回访评价" in page
    assert RATED in page and "垃圾还是没有清走" in page
    english = actions_of(page_of(client, f"/centre/appeals/{number}?lang=en"))
    assert (
        "no call-back rating is needed (one rating a round)" in english
        and "The citizen rated this round on" in english
    )


def test_a_call_back_sent_after_the_citizen_rated_is_refused_with_the_answers_kept_and_the_rating_shown(
    app, as_user, logged_in
):
    body = replied(as_user)
    number = body["number"]
    client = logged_in("reviewer")
    form = hidden_fields(page_of(client, f"/centre/appeals/{number}"), number, "evaluate")
    citizen_rates(app, body)  # while the reviewer is on the phone

    r = client.post(
        f"/centre/appeals/{number}/evaluate",
        data={**form, "contacted": "true", "resolved": "yes", "attitude": "满意", "result": "满意",
              "comment": "电话回访：已清运"},
    )  # fmt: skip

    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "该诉求已被他人修改" in page
    assert ">电话回访：已清运</textarea>" in page  # the answers taken down are kept
    assert RATED in actions_of(page)
