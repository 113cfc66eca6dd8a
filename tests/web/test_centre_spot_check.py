"""抽查自动派单: the appeals the responsibility list dispatched by itself on intake, with no dispatcher
changing their units since, are found with the search's 派单方式 filter (and its link on the centre's
overview); those a dispatcher dispatched, re-dispatched or gave other co-units are 人工."""

from __future__ import annotations

import re

from tests.service.handling_steps import LEAD, new_appeal, ok
from tests.web.test_centre import MEILIN, RSJ, page_of, post_form, waiting_appeal


def numbers_found(page: str) -> set[str]:
    return set(re.findall(r"GX\d{8}-\d{4}", page.split("<h2>", 1)[1])) if "<h2>" in page else set()


def test_the_lists_own_dispatches_are_found_apart_from_those_a_dispatcher_made(as_user, logged_in):
    by_the_list, redispatched, co_changed, co_removed, returned = (new_appeal(as_user) for _ in range(5))
    by_hand = waiting_appeal(as_user)  # the list decided nothing: a dispatcher chose the unit
    client = logged_in("dispatcher")
    assert post_form(client, redispatched, "dispatch", unit=MEILIN, reason="属地管理").status_code == 302
    assert (
        post_form(client, co_changed, "dispatch", co_units=[MEILIN, RSJ], reason="欠薪部分").status_code
        == 302
    )
    # The list's co-unit 梅林镇 unticked: no new part, but a dispatcher's choice all the same.
    unticked = post_form(client, co_removed, "dispatch", unit="GXQ-CGJ", co_units=[], reason="无需镇政府协办")
    assert unticked.status_code == 302
    assert post_form(client, by_hand, "dispatch", unit=RSJ, reason="人社局办理").status_code == 302
    ok(as_user(LEAD), returned, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")
    assert post_form(client, returned, "return-review", decision="approve", unit=RSJ).status_code == 302

    overview = page_of(client, "/centre")
    link = re.search(r'<a href="([^"]+)" data-spot-check>抽查自动派单</a>', overview)
    assert link and link.group(1) == "/centre/search?dispatch=auto"

    auto = page_of(client, link.group(1))
    assert numbers_found(auto) == {by_the_list} and "共 1 件" in auto
    assert re.search(r'<option value="auto" selected>自动（职责清单派单，未经人工）</option>', auto)
    manual = page_of(client, "/centre/search?dispatch=manual")
    assert numbers_found(manual) == {redispatched, co_changed, co_removed, by_hand, returned}

    # The API's list has the same filter.
    api = as_user("dispatcher").get("/api/v1/appeals?dispatch=auto")
    assert api.status_code == 200 and [a["number"] for a in api.json["items"]] == [by_the_list]


def test_the_filter_reads_in_english_and_a_wrong_value_is_said_by_the_field(logged_in):
    client = logged_in("dispatcher")

    english = page_of(client, "/centre/search?lang=en")
    overview = page_of(client, "/centre?lang=en")
    client.get("/lang/zh")
    assert '<label for="f-dispatch">Dispatched</label>' in english
    assert "Automatically (by the responsibility list, no dispatcher since)" in english
    assert "Spot-check automatic dispatches" in overview

    wrong = client.get("/centre/search?dispatch=list")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'id="f-dispatch-error"' in page and "派单方式" in page
