"""The centre's pages with units a newer responsibility list deactivated (停用): the dispatch form
keeps the appeal's current units, marked, instead of dropping them unseen; the return-review form
offers no inactive unit."""

from __future__ import annotations

import re

from tests.service.factories import a_newer_list_drops, unit_code
from tests.service.handling_steps import LEAD, new_appeal, ok
from tests.web.test_centre import _selected, active_units, page_of, post_form

CGJ, MEILIN, RSJ = unit_code("区城管局"), unit_code("梅林镇人民政府"), unit_code("区人社局")


def options(page: str, form: str, name: str) -> dict[str, str]:
    """The options of a select of a form on the page: value → label."""
    select = re.search(rf'<select[^>]*id="f-{form}-{name}".*?</select>', page, re.S)
    assert select, name
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
