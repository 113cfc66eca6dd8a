"""The centre's irreversible actions (办结, 并案, 督办, 重办) ask first: the page says what will happen,
nothing is done until confirmed, and 返回修改 gives the form back as typed."""

from __future__ import annotations

import re

from tests.service.closing_arrange import UNSATISFIED
from tests.service.handling_steps import LEAD, new_appeal, ok, reply_body
from tests.web.test_centre import hidden_fields, last_event_actions, page_of, status_of

DONE_ONCE = "（重复提交的表单未再次办理。）"


def ask(client, number: str, action: str, **fields: str):
    """Send an action's form from the appeal's page as typed (not confirmed yet)."""
    form = {**hidden_fields(page_of(client, f"/centre/appeals/{number}"), number, action), **fields}
    return client.post(f"/centre/appeals/{number}/{action}", data=form)


def confirmation(page: str, action: str) -> str:
    found = re.search(rf'<div class="confirm-step" id="confirm-{action}".*?</div>', page, re.S)
    assert found, action
    return found.group(0)


def rated_unsatisfied(as_user) -> str:
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    ok(as_user("reviewer"), number, "evaluate", **UNSATISFIED)
    return number


def test_a_close_says_what_it_does_and_is_done_only_once_confirmed(app, as_user, logged_in):
    number = rated_unsatisfied(as_user)
    client = logged_in("dispatcher")

    r = ask(client, number, "close", note="已回访，群众认可")

    asked = confirmation(r.get_data(as_text=True), "close")
    assert r.status_code == 200 and status_of(app, number) == "replied"  # nothing done yet
    assert (
        "请确认办结" in asked and f"诉求 {number} 将办结归档，不再办理" in asked and "办结后不能撤销" in asked
    )
    assert "autofocus" in asked  # the confirmation takes the focus, with or without scripts
    assert "确认办结" in asked and "返回修改" in asked
    kept = hidden_fields(r.get_data(as_text=True), number, "close")
    assert kept["note"] == "已回访，群众认可" and "version" in kept and "seen_event" in kept

    # 返回修改: the form again, as typed, and still nothing done.
    back = client.post(f"/centre/appeals/{number}/close", data={**kept, "confirm": "back"})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and "data-confirm-step" not in page
    assert ">已回访，群众认可</textarea>" in page and status_of(app, number) == "replied"

    done = client.post(f"/centre/appeals/{number}/close", data={**kept, "confirm": "yes"})
    assert done.status_code == 302 and status_of(app, number) == "closed"
    assert "已办结。" in page_of(client, done.location)
    # The confirmation's button clicked twice: done once, and said so.
    again = client.post(f"/centre/appeals/{number}/close", data={**kept, "confirm": "yes"})
    assert f"已办结。{DONE_ONCE}" in page_of(client, again.location)
    assert last_event_actions(as_user, number).count("closed") == 1


def test_a_merge_names_the_appeal_it_joins_and_an_unknown_one_is_refused_at_once(app, as_user, logged_in):
    master, duplicate = new_appeal(as_user), new_appeal(as_user, title="路灯不亮已有一周")
    client = logged_in("dispatcher")
    r = ask(client, duplicate, "merge", master=master.lower(), reason="同一地点同一问题")

    asked = confirmation(r.get_data(as_text=True), "merge")
    assert f"诉求 {duplicate} 将并入 {master}（" in asked and "不再单独办理" in asked
    assert "区城管局、梅林镇人民政府对本件的办理随即结束，并收到通知。" in asked and "并案后不能撤销" in asked
    assert status_of(app, duplicate) != "merged"

    # A master that does not exist: nothing to confirm, the form says why next to the field.
    wrong = ask(client, duplicate, "merge", master="GX20000101-9999", reason="同一地点同一问题")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "data-confirm-step" not in page
    assert 'id="f-merge-master-error"' in page and ">同一地点同一问题</textarea>" in page

    english = client.post(
        f"/centre/appeals/{duplicate}/merge?lang=en",
        data={**hidden_fields(r.get_data(as_text=True), duplicate, "merge")},
    ).get_data(as_text=True)
    client.get("/lang/zh")
    asked = confirmation(english, "merge")
    assert f"Appeal {duplicate} will be merged into {master} (" in asked
    assert "Please confirm: Merge" in asked and "Back to the form" in asked

    # Confirmed: the page names the appeal it joined; sent twice, it says so again, done once.
    kept = {**hidden_fields(r.get_data(as_text=True), duplicate, "merge"), "confirm": "yes"}
    done = client.post(f"/centre/appeals/{duplicate}/merge", data=kept)
    assert f"已并入 {master}。" in page_of(client, done.location) and status_of(app, duplicate) == "merged"
    again = client.post(f"/centre/appeals/{duplicate}/merge", data=kept)
    assert f"已并入 {master}。{DONE_ONCE}" in page_of(client, again.location)
    assert last_event_actions(as_user, duplicate).count("merged") == 1


def test_a_raise_says_from_which_level_to_which_and_who_is_told(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")

    r = ask(client, number, "raise", note="群众多次来电")

    asked = confirmation(r.get_data(as_text=True), "raise")
    assert "督办级别将由第 0 级提升到第 1 级（单位负责人），通知承办单位区城管局和该级督办人员。" in asked
    assert "确认督办（提升一级）" in asked
    assert last_event_actions(as_user, number).count("supervised") == 0

    done = client.post(
        f"/centre/appeals/{number}/raise",
        data={**hidden_fields(r.get_data(as_text=True), number, "raise"), "confirm": "yes"},
    )
    assert "已督办，督办级别已提升一级。" in page_of(client, done.location)
    assert last_event_actions(as_user, number).count("supervised") == 1


def test_a_reopen_says_to_which_unit_and_that_it_is_counted(app, as_user, logged_in):
    number = rated_unsatisfied(as_user)
    client = logged_in("dispatcher")

    r = ask(client, number, "reopen", attributable="true", reason="垃圾仍未清运")

    asked = confirmation(r.get_data(as_text=True), "reopen")
    assert "诉求将重办（第 1 次，计入重办统计），退回区城管局重新办理" in asked
    assert status_of(app, number) == "replied"
    english = client.post(
        f"/centre/appeals/{number}/reopen?lang=en",
        data=hidden_fields(r.get_data(as_text=True), number, "reopen"),
    ).get_data(as_text=True)
    client.get("/lang/zh")
    assert "reopened (reopen no. 1, counted in the reopen figures) and sent back to 区城管局" in english

    # Without the box ticked the form is refused as before, with no confirmation.
    unticked = ask(client, number, "reopen", reason="垃圾仍未清运")
    assert unticked.status_code == 422 and "data-confirm-step" not in unticked.get_data(as_text=True)


def test_a_confirmation_for_a_page_that_went_stale_is_refused_with_the_text_kept(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    r = ask(client, number, "raise", note="群众多次来电")
    kept = hidden_fields(r.get_data(as_text=True), number, "raise")
    ok(as_user("leader"), number, "supervise", kind="press", note="请尽快办理")  # someone else, meanwhile

    stale = client.post(f"/centre/appeals/{number}/raise", data=kept)  # the first form again: no new question

    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "data-confirm-step" not in page
    assert "该诉求已被他人修改" in page and ">群众多次来电</textarea>" in page
    assert last_event_actions(as_user, number).count("supervised") == 0
    # 返回修改 from that confirmation: the form as typed, and word that the appeal changed meanwhile.
    back = client.post(f"/centre/appeals/{number}/raise", data={**kept, "confirm": "back"})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and "该诉求已被他人修改" in page and ">群众多次来电</textarea>" in page
    assert last_event_actions(as_user, number).count("supervised") == 0


def test_going_back_from_a_current_confirmation_says_nothing_changed(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    r = ask(client, number, "raise", note="群众多次来电")

    back = client.post(
        f"/centre/appeals/{number}/raise",
        data={**hidden_fields(r.get_data(as_text=True), number, "raise"), "confirm": "back"},
    )

    page = back.get_data(as_text=True)
    assert back.status_code == 200 and "该诉求已被他人修改" not in page and ">群众多次来电</textarea>" in page


def test_a_merge_confirmation_shows_the_master_s_title_as_lists_do(as_user, logged_in):
    """A phone number the citizen wrote in the title is masked, as in the duplicates list."""
    master = new_appeal(as_user, title="13800001234反映路灯不亮")
    duplicate = new_appeal(as_user, title="路灯不亮已有一周")
    client = logged_in("dispatcher")

    r = ask(client, duplicate, "merge", master=master, reason="同一地点同一问题")

    asked = confirmation(r.get_data(as_text=True), "merge")
    assert f"将并入 {master}（138****1234反映路灯不亮）" in asked and "13800001234" not in asked
