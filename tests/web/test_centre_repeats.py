"""A stale form sent from the same account (two tabs, a shared seat): the same content again is a
double click, done once; another content is a conflict that keeps what was typed, never "done"."""

from __future__ import annotations

from tests.service.factories import unit_code
from tests.service.handling_steps import CO, LEAD, new_appeal, ok, replied_appeal, signed_appeal
from tests.web.test_centre import (
    CGJ,
    RSJ,
    active_units,
    hidden_fields,
    last_event_actions,
    page_of,
)

MEILIN = unit_code("梅林镇人民政府")
CONFLICT = "您刚在另一页面办理了此操作，所选内容与本次提交的不同；本次提交未办理（您填写的内容已保留）"
DONE_ONCE = "（重复提交的表单未再次办理。）"


def two_tabs(client, number: str, action: str, area: str = "centre") -> dict[str, str]:
    """The hidden fields of one form as the page shows it now (tab A); tab B then acts."""
    return hidden_fields(page_of(client, f"/{area}/appeals/{number}"), number, action, area)


def test_a_dispatch_from_a_second_tab_to_another_unit_is_a_conflict_and_keeps_the_choice(
    app, as_user, logged_in
):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    tab_a = two_tabs(client, number, "dispatch")
    tab_b = {**two_tabs(client, number, "dispatch"), "unit": MEILIN, "reason": "属地管理"}
    assert client.post(f"/centre/appeals/{number}/dispatch", data=tab_b).status_code == 302

    r = client.post(
        f"/centre/appeals/{number}/dispatch",
        data={**tab_a, "unit": CGJ, "co_units": [RSJ], "reason": "城管执法"},
    )

    page = r.get_data(as_text=True)
    assert r.status_code == 409 and CONFLICT in page and DONE_ONCE not in page
    assert ">城管执法</textarea>" in page  # A's reason is kept for a second look
    assert active_units(app, number)[0] == MEILIN  # B's dispatch stands, nothing else was done

    english = client.post(
        f"/centre/appeals/{number}/dispatch?lang=en",
        data={**tab_a, "unit": CGJ, "reason": "城管执法"},
    ).get_data(as_text=True)
    assert "You did this action a moment ago on another page, with other choices" in english


def test_the_same_dispatch_sent_twice_is_still_done_once(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    form = {**two_tabs(client, number, "dispatch"), "unit": MEILIN, "co_units": [RSJ], "reason": "属地管理"}

    assert client.post(f"/centre/appeals/{number}/dispatch", data=form).status_code == 302
    second = client.post(f"/centre/appeals/{number}/dispatch", data=form)

    # It names the unit as the first answer did (已派单至…), not a bare 已派单.
    assert second.status_code == 302 and f"已派单至梅林镇人民政府。{DONE_ONCE}" in page_of(
        client, second.location
    )
    assert last_event_actions(as_user, number).count("redispatched") == 1
    english = page_of(client, f"/centre/appeals/{number}?lang=en")  # no flash left: read once
    client.get("/lang/zh")
    assert DONE_ONCE not in english


def test_an_approved_return_sent_twice_says_where_the_appeal_went_as_the_first_time(as_user, logged_in):
    client = logged_in("dispatcher")
    redispatched, queued = new_appeal(as_user), new_appeal(as_user)
    for number in (redispatched, queued):
        ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")

    to_rsj = {**two_tabs(client, redispatched, "return-review"), "decision": "approve", "unit": RSJ}
    back = {**two_tabs(client, queued, "return-review"), "decision": "approve"}
    for number, form in ((redispatched, to_rsj), (queued, back)):
        assert client.post(f"/centre/appeals/{number}/return-review", data=form).status_code == 302
        page_of(client, f"/centre/appeals/{number}")  # the first answer read

    again = client.post(f"/centre/appeals/{redispatched}/return-review", data=to_rsj)
    assert f"已同意退单，已改派至区人社局。{DONE_ONCE}" in page_of(client, again.location)
    again = client.post(f"/centre/appeals/{queued}/return-review?lang=en", data=back)
    english = page_of(client, again.location)
    client.get("/lang/zh")
    assert "Return approved; the appeal is back in the dispatch queue" in english
    assert "(The form was sent twice; it was done once.)" in english
    assert last_event_actions(as_user, redispatched).count("return_approved") == 1


def test_an_extension_refused_after_it_was_approved_from_another_tab_is_a_conflict(app, as_user, logged_in):
    number = signed_appeal(as_user)
    ok(as_user(LEAD), number, "extension", days=5, reason="需要协调多个部门")
    client = logged_in("dispatcher")
    form = two_tabs(client, number, "extension-review")
    assert (
        client.post(
            f"/centre/appeals/{number}/extension-review", data={**form, "decision": "approve"}
        ).status_code
        == 302
    )

    refused = client.post(
        f"/centre/appeals/{number}/extension-review",
        data={**form, "decision": "refuse", "note": "理由不充分"},
    )
    same = client.post(f"/centre/appeals/{number}/extension-review", data={**form, "decision": "approve"})

    assert refused.status_code == 409 and CONFLICT in refused.get_data(as_text=True)
    assert ">理由不充分</textarea>" in refused.get_data(as_text=True)
    assert same.status_code == 302 and DONE_ONCE in page_of(client, same.location)
    actions = last_event_actions(as_user, number)
    assert actions.count("extension_approved") == 1 and "extension_refused" not in actions


def test_a_reply_review_from_a_second_tab_with_other_reasons_is_a_conflict(app, as_user, logged_in):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")
    form = two_tabs(client, number, "review")
    sent_back = {**form, "decision": "send_back", "reasons": "未写明修复时间"}
    assert client.post(f"/centre/appeals/{number}/review", data=sent_back).status_code == 302

    other = client.post(f"/centre/appeals/{number}/review", data={**form, "decision": "approve"})
    again = client.post(f"/centre/appeals/{number}/review", data=sent_back)

    assert other.status_code == 409 and CONFLICT in other.get_data(as_text=True)
    assert again.status_code == 302 and DONE_ONCE in page_of(client, again.location)
    assert last_event_actions(as_user, number).count("reply_sent_back") == 1


def test_a_reply_approved_with_a_note_sent_twice_is_done_once(as_user, logged_in):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")
    form = {**two_tabs(client, number, "review"), "decision": "approve", "note": "答复规范，可发布"}
    assert client.post(f"/centre/appeals/{number}/review", data=form).status_code == 302

    again = client.post(f"/centre/appeals/{number}/review", data=form)
    assert again.status_code == 302 and DONE_ONCE in page_of(client, again.location)
    other = client.post(f"/centre/appeals/{number}/review", data={**form, "note": "请下次写明时间"})

    assert other.status_code == 409 and CONFLICT in other.get_data(as_text=True)
    assert last_event_actions(as_user, number).count("reply_released") == 1


def test_a_reply_sent_back_with_a_note_sent_twice_is_done_once(as_user, logged_in):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")
    form = {
        **two_tabs(client, number, "review"),
        "decision": "send_back",
        "reasons": "未写明修复时间",
        "note": "请补充处理时间",
    }
    assert client.post(f"/centre/appeals/{number}/review", data=form).status_code == 302

    again = client.post(f"/centre/appeals/{number}/review", data=form)
    assert again.status_code == 302 and DONE_ONCE in page_of(client, again.location)
    other = client.post(f"/centre/appeals/{number}/review", data={**form, "note": "另一条备注"})

    assert other.status_code == 409 and CONFLICT in other.get_data(as_text=True)
    assert last_event_actions(as_user, number).count("reply_sent_back") == 1


def test_a_press_with_another_note_from_a_second_tab_is_a_conflict(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    form = two_tabs(client, number, "press")
    assert (
        client.post(f"/centre/appeals/{number}/press", data={**form, "note": "请尽快联系群众"}).status_code
        == 302
    )

    r = client.post(f"/centre/appeals/{number}/press", data={**form, "note": "今天下班前答复"})

    assert r.status_code == 409 and CONFLICT in r.get_data(as_text=True)
    assert last_event_actions(as_user, number).count("pressed") == 1


def test_a_unit_return_with_another_reason_from_a_second_tab_is_a_conflict(as_user, logged_in):
    number = new_appeal(as_user)
    unit = logged_in("cgj")
    form = two_tabs(unit, number, "return", area="unit")
    first = {**form, "reason": "不属于本单位职责", "basis": "职责清单 GX-0001"}
    assert unit.post(f"/unit/appeals/{number}/return", data=first).status_code == 302

    other = unit.post(f"/unit/appeals/{number}/return", data={**first, "reason": "应由镇政府办理"})
    again = unit.post(f"/unit/appeals/{number}/return", data=first)

    assert other.status_code == 409 and CONFLICT in other.get_data(as_text=True)
    assert again.status_code == 302 and DONE_ONCE in page_of(unit, again.location)


def test_a_contribution_sent_twice_by_a_co_unit_that_had_not_signed_is_done_once(as_user, logged_in):
    number = new_appeal(as_user)
    unit = logged_in(CO)
    form = {**two_tabs(unit, number, "contribute", area="unit"), "text": "本镇已派人到现场核实"}
    assert unit.post(f"/unit/appeals/{number}/contribute", data=form).status_code == 302

    again = unit.post(f"/unit/appeals/{number}/contribute", data=form)

    assert again.status_code == 302 and f"协办意见已提交。{DONE_ONCE}" in page_of(unit, again.location)
    actions = last_event_actions(as_user, number)
    assert actions.count("co_signed") == 1 and actions.count("contributed") == 1


def test_every_form_that_recognises_a_repeat_compares_its_content():
    from service.web.centre_actions import CENTRE_ACTIONS
    from service.web.unit_actions import UNIT_ACTIONS

    for action in (*CENTRE_ACTIONS.values(), *UNIT_ACTIONS.values()):
        assert not action.events or action.same is not None, action.name
