"""The centre's pages with units a newer responsibility list deactivated (停用): the dispatch form
keeps the appeal's current units, marked, instead of dropping them unseen; the return-review form
offers no inactive unit; a reopen (重办) says which unit it did not send the appeal back to, and why."""

from __future__ import annotations

import re

from tests.service.closing_arrange import UNSATISFIED, rate
from tests.service.factories import a_newer_list_drops, register, unit_code
from tests.service.handling_steps import CO, LEAD, garbage_in_meilin, new_appeal, ok, reply_body
from tests.web.test_centre import (
    _selected,
    active_units,
    checkboxes,
    hidden_fields,
    page_of,
    post_form,
    status_of,
)

CGJ, MEILIN, RSJ = unit_code("区城管局"), unit_code("梅林镇人民政府"), unit_code("区人社局")


def options(page: str, form: str, name: str) -> dict[str, str]:
    """The options of a select, or the boxes of a list of checkboxes, of a form on the page: value → label."""
    select = re.search(rf'<select[^>]*id="f-{form}-{name}".*?</select>', page, re.S)
    if select is None:
        return checkboxes(page, form, name)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)))


def event_of(page: str, action: str) -> str:
    """The newest timeline entry of `action` on the page."""
    return page.split(f'data-action="{action}"')[-1].split("</li>", 1)[0]


def test_the_dispatch_form_keeps_a_co_unit_no_longer_active_chosen_and_marked(app, as_user, logged_in):
    number = new_appeal(as_user)  # 区城管局 with 梅林镇 as co-unit
    a_newer_list_drops(app, MEILIN)
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}")

    assert _selected(page, "dispatch", "co_units") == [MEILIN]
    assert options(page, "dispatch", "co_units")[MEILIN] == "梅林镇人民政府（已停用）"
    assert "现有协办单位：梅林镇人民政府（已停用）。" in page
    english = page_of(client, f"/centre/appeals/{number}?lang=en")
    client.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese
    assert options(english, "dispatch", "co_units")[MEILIN] == "梅林镇人民政府 (inactive)"
    assert "Co-units now: 梅林镇人民政府 (inactive)." in english

    # Sent as it starts, with 区人社局 added: 梅林镇 keeps its part.
    chosen = {
        "unit": _selected(page, "dispatch", "unit")[0],
        "co_units": _selected(page, "dispatch", "co_units"),
    }
    r = post_form(
        client, number, "dispatch", **{**chosen, "co_units": [*chosen["co_units"], RSJ]}, reason="加派"
    )
    assert r.status_code == 302
    assert "已调整协办单位。" in page_of(client, r.location)
    assert active_units(app, number) == (CGJ, {MEILIN, RSJ})


def test_a_redispatch_keeping_a_co_unit_no_longer_active_says_to_leave_it_out(app, as_user, logged_in):
    number = new_appeal(as_user)
    a_newer_list_drops(app, MEILIN)
    client = logged_in("dispatcher")

    r = post_form(client, number, "dispatch", unit=RSJ, co_units=[MEILIN], reason="改派人社局")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="f-dispatch-co_units-error">([^<]*)</p>', page)
    assert error and error.group(1).startswith("梅林镇人民政府（GXZ-MLZ）已停用")
    assert "请取消选择该单位" in error.group(1)
    assert options(page, "dispatch", "co_units")[MEILIN] == "梅林镇人民政府（已停用）"
    assert _selected(page, "dispatch", "co_units") == [MEILIN]  # as sent
    assert active_units(app, number) == (CGJ, {MEILIN})  # nothing changed


def test_a_lead_unit_no_longer_active_is_shown_chosen_and_must_be_replaced(app, as_user, logged_in):
    """Left out of the options, the browser would choose 按职责清单 in its place, unseen."""
    number = new_appeal(as_user)
    a_newer_list_drops(app, CGJ)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    assert _selected(page, "dispatch", "unit") == [CGJ]
    assert options(page, "dispatch", "unit")[CGJ] == "区城管局（已停用）"

    r = post_form(client, number, "dispatch", unit=CGJ, co_units=[MEILIN], reason="加派")

    assert r.status_code == 422
    error = re.search(
        r'<p class="field-error" id="f-dispatch-unit-error">([^<]*)</p>', r.get_data(as_text=True)
    )
    assert error and error.group(1) == "区城管局（GXQ-CGJ）已被现行职责清单停用，请另选单位。"
    assert active_units(app, number) == (CGJ, {MEILIN})
    r = post_form(
        client, number, "dispatch", unit=RSJ, co_units=[MEILIN], reason="城管职能划入人社局（示例）"
    )
    assert r.status_code == 302 and active_units(app, number) == (RSJ, {MEILIN})


def test_the_return_review_form_offers_no_unit_no_longer_active(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")
    a_newer_list_drops(app, RSJ)
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}")

    assert RSJ not in options(page, "return-review", "unit")
    assert RSJ not in options(page, "return-review", "co_units")
    assert _selected(page, "return-review", "co_units") == []  # a re-dispatch: nothing kept to drop
    r = post_form(client, number, "return-review", decision="approve", unit=CGJ, co_units=[RSJ], note="x")
    assert r.status_code == 422  # the lead returned it; and 区人社局 can no longer be named
    assert "区人社局（GXQ-RSJ）已被现行职责清单停用，请另选单位。" in r.get_data(as_text=True)


def rated_unsatisfied(as_user, client) -> str:
    body = register(as_user("operator"), **garbage_in_meilin())
    for user in (CO, LEAD):
        ok(as_user(user), body["number"], "sign")
    ok(as_user(LEAD), body["number"], "reply", **reply_body())
    ok(as_user("reviewer"), body["number"], "review", decision="approve")
    assert rate(client, body, UNSATISFIED).status_code == 200
    return body["number"]


def test_a_reopen_says_the_co_unit_no_longer_active_was_dropped(app, as_user, client, logged_in):
    number = rated_unsatisfied(as_user, client)
    a_newer_list_drops(app, MEILIN)
    centre = logged_in("dispatcher")
    form = page_of(centre, f"/centre/appeals/{number}")
    assert "协办单位梅林镇人民政府已停用：重办时不再协办，也不通知。" in form  # said before it is done

    r = post_form(centre, number, "reopen", attributable="true", reason="垃圾仍未清运")

    assert r.status_code == 302 and status_of(app, number) == "dispatched"
    page = page_of(centre, r.location)
    assert "已重办，退回原承办单位；已停用的协办单位不再协办。" in page
    assert "协办单位已停用，不再协办：梅林镇人民政府" in event_of(page, "reopened")
    assert "重办：协办单位已停用，不再协办" in page  # why its part ended, on the list of units
    english = page_of(centre, f"/centre/appeals/{number}?lang=en")
    centre.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese
    assert "Co-units dropped as no longer active: 梅林镇人民政府" in event_of(english, "reopened")
    assert "Reopened: the co-unit is no longer active; its part ended" in english


def test_a_reopen_whose_lead_unit_is_no_longer_active_asks_for_a_new_dispatch(
    app, as_user, client, logged_in
):
    number = rated_unsatisfied(as_user, client)
    a_newer_list_drops(app, CGJ)
    centre = logged_in("dispatcher")
    form = page_of(centre, f"/centre/appeals/{number}")
    assert "承办单位区城管局已停用：重办后诉求回到待分拨，须重新派单。" in form
    english = page_of(centre, f"/centre/appeals/{number}?lang=en")
    centre.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese
    assert "The lead unit 区城管局 is no longer active: once reopened, the appeal goes back" in english

    form = {**hidden_fields(form, number, "reopen"), "attributable": "true", "reason": "垃圾仍未清运"}
    r = centre.post(f"/centre/appeals/{number}/reopen", data={**form, "confirm": "yes"})

    assert r.status_code == 302 and status_of(app, number) == "pending_dispatch"
    page = page_of(centre, r.location)
    assert "已重办。原承办单位已停用，诉求已回到待分拨，请重新派单。" in page
    # The same form sent again (a double click on 确认重办) says what the first one did.
    again = centre.post(f"/centre/appeals/{number}/reopen", data={**form, "confirm": "yes"})
    assert (
        "已重办。原承办单位已停用，诉求已回到待分拨，请重新派单。（重复提交的表单未再次办理。）"
        in page_of(centre, again.location)
    )
    assert "承办单位区城管局已停用，诉求回到待分拨，须重新派单。" in event_of(page, "reopened")
    assert "重办：承办单位区城管局已停用，待重新分拨" in page  # the dispatch note
    assert _selected(page, "dispatch", "unit") == [""]  # the form waits for the dispatcher's choice
    english = page_of(centre, f"/centre/appeals/{number}?lang=en")
    centre.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese
    assert (
        "The lead unit 区城管局 is no longer active: the appeal is back in the dispatch queue, to be "
        "dispatched again." in event_of(english, "reopened")
    )
    assert "Reopened: the lead unit 区城管局 is no longer active; to be dispatched again" in english

    r = post_form(centre, number, "dispatch", unit=RSJ, reason="城管职能划入人社局（示例）")
    assert r.status_code == 302 and active_units(app, number) == (RSJ, set())
