"""The dispatch (派单 / 改派) and units a newer responsibility list deactivated (停用): a co-unit the
appeal has keeps its part where the dispatch changes the co-units alone, even once inactive (the
dispatch form offers it, marked); naming an inactive unit anew is refused, saying it is no longer
active, and so is a dispatch that would give an inactive co-unit a new part."""

from __future__ import annotations

from tests.service.factories import a_newer_list_drops, unit_code
from tests.service.handling_steps import act, events, new_appeal, ok

CGJ, MEILIN, RSJ = unit_code("区城管局"), unit_code("梅林镇人民政府"), unit_code("区人社局")


def test_an_inactive_co_unit_kept_by_a_change_of_the_co_units_alone_keeps_its_part(app, as_user, client):
    number = new_appeal(as_user)
    a_newer_list_drops(app, MEILIN)
    disp = as_user("dispatcher")

    # The dispatch form's choice as it starts, plus 区人社局: 梅林镇 is kept, not dropped unseen.
    view = ok(disp, number, "dispatch", reason="加派人社局", unit=CGJ, co_units=[MEILIN, RSJ])

    active = {(a["unit"]["code"], a["role"]) for a in view["assignments"] if a["active"]}
    assert active == {(CGJ, "lead"), (MEILIN, "co"), (RSJ, "co")}
    last = events(as_user, number)[-1]
    assert last["action"] == "co_units_changed" and last["payload"]["ended"] == []


def test_an_inactive_unit_named_anew_is_refused_as_no_longer_active(app, as_user, client):
    number = new_appeal(as_user)
    a_newer_list_drops(app, RSJ)
    disp = as_user("dispatcher")

    r = act(disp, number, "dispatch", reason="加派人社局", unit=CGJ, co_units=[MEILIN, RSJ])
    assert r.status_code == 422 and set(r.json["errors"]) == {"co_units"}
    assert "区人社局 (GXQ-RSJ) is no longer active" in r.json["errors"]["co_units"][0]
    r = disp.post(
        f"/api/v1/appeals/{number}/dispatch",
        json={"reason": "改派人社局", "unit": RSJ},
        headers={"Accept-Language": "zh-CN"},
    )
    assert r.status_code == 422
    assert r.json["errors"]["unit"] == ["区人社局（GXQ-RSJ）已被现行职责清单停用，请另选单位。"]


def test_a_redispatch_to_another_unit_does_not_give_an_inactive_co_unit_a_new_part(app, as_user, client):
    number = new_appeal(as_user)
    a_newer_list_drops(app, MEILIN)
    disp = as_user("dispatcher")

    r = act(disp, number, "dispatch", reason="改派人社局", unit=RSJ, co_units=[MEILIN])

    assert r.status_code == 422 and set(r.json["errors"]) == {"co_units"}
    assert "leave it out" in r.json["errors"]["co_units"][0]
    assert (
        ok(disp, number, "dispatch", reason="改派人社局", unit=RSJ, co_units=[])["lead_unit"]["code"] == RSJ
    )
