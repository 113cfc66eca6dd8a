"""The workbench of a co-unit (协办单位): its own sign-for clock on the appeal page and in its lists,
in Chinese and in English; the lead unit and the centre keep the appeal's."""

from __future__ import annotations

from datetime import timedelta

from service.db import utcnow
from tests.service.closing_arrange import appeal_row
from tests.service.handling_steps import CO, LEAD, new_appeal, ok
from tests.service.test_co_sign_clock import HOUR, set_appeal, set_co_clock
from tests.service.test_reopen_co_units import reopened
from tests.web.test_centre import page_of
from tests.web.test_unit import state_box, work_item


def sign_row(page: str) -> str:
    """The appeal page's sign-for deadline line, whichever clock it is (协办签收时限 or 签收时限)."""
    start = page.index("签收时限</dt>")
    return page[start : page.index("</dd>", start)]


def test_a_co_unit_s_overdue_part_is_red_on_its_page_and_list_after_the_lead_signed(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    set_co_clock(app, number, assigned=24 * HOUR, due=-5 * HOUR)
    client = logged_in(CO)

    page = page_of(client, f"/unit/appeals/{number}")
    assert 'data-warning="red" data-clock="co_sign">协办签收超期<' in state_box(page)
    assert "<dt>协办签收时限</dt>" in page and "已超期5小时" in sign_row(page)
    assert "已于" not in sign_row(page)  # not the lead's signing
    listed = work_item(page_of(client, "/unit?queue=overdue"), number)
    assert "协办签收超期" in listed and "协办签收已超期5小时" in listed

    english = page_of(client, f"/unit/appeals/{number}?lang=en")
    assert 'data-clock="co_sign">Co-unit sign-for overdue<' in state_box_en(english)
    assert "<dt>Sign for our part by</dt>" in english and "overdue by 5 h" in english
    client.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    for who, area in ((LEAD, "unit"), ("dispatcher", "centre")):  # signed for: no sign-for warning
        seen = page_of(logged_in(who), f"/{area}/appeals/{number}")
        assert (
            "data-clock" not in state_box(seen) and "<dt>签收时限</dt>" in seen and "已于" in sign_row(seen)
        )


def test_after_co_signing_the_page_says_so_and_shows_no_clock(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(CO), number, "sign")
    set_appeal(app, number, sign_due_at=utcnow() - timedelta(hours=2))  # the lead is late

    page = page_of(logged_in(CO), f"/unit/appeals/{number}")
    assert "data-warning" not in state_box(page)
    assert "本单位已签收" in sign_row(page) and "超期" not in sign_row(page)
    assert "signed for by your unit" in page_of(logged_in(CO), f"/unit/appeals/{number}?lang=en")
    logged_in(CO).get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    lead = page_of(logged_in(LEAD), f"/unit/appeals/{number}")
    assert 'data-warning="red" data-clock="sign">签收超期<' in state_box(lead)
    centre = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")
    assert 'data-clock="sign">签收超期<' in state_box(centre) and "已超期2小时" in sign_row(centre)


def test_after_a_reopen_the_co_unit_s_page_asks_it_to_sign_for_its_part_again(
    app, as_user, client, logged_in
):
    number = reopened(app, as_user, client, co_signs=True)  # signed for its part in the first round
    due = appeal_row(app, number)["sign_due_at"]  # the reopen's
    meilin = logged_in(CO)

    page = page_of(meilin, f"/unit/appeals/{number}")
    row = sign_row(page)
    assert "<dt>协办签收时限</dt>" in page and f'datetime="{due.isoformat()}"' in row
    assert "剩余" in row and "本单位已签收" not in row and "超期" not in state_box(page)
    assert f'action="/unit/appeals/{number}/sign"' in page
    assert "协办签收剩余" in work_item(page_of(meilin, "/unit?queue=to_sign"), number)
    english = page_of(meilin, f"/unit/appeals/{number}?lang=en")
    assert "<dt>Sign for our part by</dt>" in english and "signed for by your unit" not in english
    meilin.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    ok(as_user(CO), number, "sign")
    signed = page_of(meilin, f"/unit/appeals/{number}")
    assert "本单位已签收" in sign_row(signed) and f'action="/unit/appeals/{number}/sign"' not in signed


def state_box_en(page: str) -> str:
    start = page.index("<dt>Status</dt>")
    return page[start : page.index("</dd>", start)]
