"""The dispatch centre's pages: work lists with counts, the appeal page (timeline, explanation,
notices) and every centre action through its form, with refused and stale actions explained."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.appeals.models import Appeal, PersonalDataAccess
from service.notices import models as nm
from tests.service import test_retention as retention
from tests.service.closing_arrange import SATISFIED, UNSATISFIED
from tests.service.factories import new_address, stored, unit_code
from tests.service.handling_steps import (
    LEAD,
    garbage_in_meilin,
    last_event,
    new_appeal,
    ok,
    replied_appeal,
    reply_body,
    stored_appeal,
)
from tests.service.helpers import appeal_payload
from tests.web.conftest import csrf_token_of, error_summary_lines_of

RSJ = unit_code("区人社局")
CGJ = unit_code("区城管局")


def page_of(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def post_form(client, number: str, action: str, area: str = "centre", **fields):
    """Post an action form as the browser would: the page's CSRF token and the version it shows."""
    page = page_of(client, f"/{area}/appeals/{number}")
    version = re.search(
        rf'action="/{area}/appeals/{number}/{action}".*?name="version" value="(\d+)"', page, re.S
    )
    data = {"csrf_token": csrf_token_of(page), "version": version.group(1) if version else ""}
    data.update(fields)
    r = client.post(f"/{area}/appeals/{number}/{action}", data=data)
    if r.status_code == 200 and "data-confirm-step" in (asked := r.get_data(as_text=True)):
        # An irreversible action asks first (centre_confirm): confirmed, as the user would.
        confirmed = {**hidden_fields(asked, number, action, area), "confirm": "yes"}
        return client.post(f"/{area}/appeals/{number}/{action}", data=confirmed)
    return r


def count_of(page: str, queue: str) -> int:
    match = re.search(rf'data-queue="{queue}">\s*[^<]*<span class="count">(\d+)</span>', page)
    assert match, queue
    return int(match.group(1))


def waiting_appeal(as_user) -> str:
    """An appeal without a category: it waits in the dispatch queue."""
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload())
    assert r.status_code == 201 and r.json["status"] == "pending_dispatch", r.json
    return r.json["number"]


def status_of(app, number: str) -> str:
    with stored(app) as s:
        return stored_appeal(s, number).status


def test_the_work_lists_show_their_counts_and_the_appeals_waiting(as_user, logged_in):
    waiting = waiting_appeal(as_user)
    returned = new_appeal(as_user)
    ok(as_user(LEAD), returned, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")
    client = logged_in("dispatcher")

    page = page_of(client, "/centre")

    assert count_of(page, "to_dispatch") == 1 and count_of(page, "returns") == 1
    assert count_of(page, "replies_to_review") == 0 and count_of(page, "overdue") == 0
    assert f'href="/centre/appeals/{waiting}"' in page and returned not in page
    page = page_of(client, "/centre?queue=returns")
    assert f'href="/centre/appeals/{returned}"' in page and waiting not in page
    assert client.get("/centre?queue=no_such_list").status_code == 404


def tab_labels(page: str) -> list[str]:
    """The work lists' tabs as read: each label without its count."""
    return [
        label.strip() for label in re.findall(r'data-queue="[a-z_]+">\s*([^<]*)<span class="count">', page)
    ]


def test_the_work_list_tabs_read_alike_in_english_each_a_capitalised_name(logged_in):
    client = logged_in("dispatcher")

    english = tab_labels(page_of(client, "/centre?lang=en"))
    client.get("/lang/zh")

    assert "Due soon" in english and "Overdue" in english, english
    assert all(label[:1].isupper() for label in english), english
    assert "即将超期" in tab_labels(page_of(client, "/centre"))


def test_the_appeal_page_shows_the_record_timeline_and_why_the_unit_was_chosen(as_user, logged_in):
    number = new_appeal(as_user)

    page = page_of(logged_in("reviewer"), f"/centre/appeals/{number}")

    assert "小区门口垃圾多日无人清运" in page and "区城管局" in page and "梅林镇人民政府" in page
    assert 'data-action="registered"' in page and 'data-action="dispatched"' in page
    assert "受理登记" in page and "派单依据" in page
    assert "按规则 GX-0400（生活垃圾清运 · 梅林镇）派至 区城管局" in page
    assert "梅林镇（乡镇，360704100）的规则" in page  # why the scope applies, in the page's language
    assert "138****1234" in page and "13800001234" not in page  # masked until a reason is given
    assert "通过，答复群众" not in page  # no reply to review: no review form


def test_the_centre_sees_the_full_contact_only_with_a_reason_and_the_view_is_logged(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}?reason=回访核实")

    assert "13800001234" in page
    with stored(app) as s:
        access = s.scalars(sa.select(PersonalDataAccess).join(Appeal).where(Appeal.number == number)).all()
        assert [(a.action, a.reason) for a in access] == [("view", "回访核实")]


def notices_section(page: str) -> str:
    return page.split('id="h-notices"', 1)[1].split("</section>", 1)[0]


def test_the_notices_sent_name_their_channel_and_status_in_the_page_language(app, as_user, logged_in):
    number = new_appeal(as_user)
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        outbox = nm.OutboxMessage(
            kind="notice", appeal_id=appeal.id, recipient="citizen", template="registered", dedup_key="t-n"
        )
        s.add(outbox)
        s.flush()
        for channel, destination, status in (
            ("sms", "13800005678", nm.PENDING),
            ("email", "wang@example.cn", nm.SENT),
            ("webhook", "https://hooks.example.cn/minyi", nm.FAILED),
        ):
            s.add(
                nm.NoticeDelivery(
                    outbox_id=outbox.id, appeal_id=appeal.id, template="registered", recipient="citizen",
                    recipient_name="市民", channel=channel, destination=destination, status=status,
                )
            )  # fmt: skip
        s.commit()
    client = logged_in("dispatcher")

    notices = notices_section(page_of(client, f"/centre/appeals/{number}"))

    assert "短信 138****5678" in notices and ">待发送</span>" in notices
    assert "邮件 " in notices and ">已发送</span>" in notices
    assert "接口推送 " in notices and ">发送失败</span>" in notices
    assert not re.search(r"\b(sms|email|webhook) ", notices) and not re.search(
        r">(pending|sent|failed)<", notices
    )
    english = notices_section(page_of(client, f"/centre/appeals/{number}?lang=en"))
    assert "SMS 138****5678" in english and ">Pending</span>" in english
    assert "E-mail " in english and ">Sent</span>" in english and ">Failed</span>" in english


def test_the_appeal_page_is_found_with_the_number_in_lower_case_or_full_width(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")

    assert "小区门口垃圾多日无人清运" in page_of(client, f"/centre/appeals/{number.lower()}")
    typed = " " + "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in number.lower())
    r = client.get("/centre/appeals", query_string={"number": typed})  # the go-to-number box
    assert r.status_code == 302 and r.location == f"/centre/appeals/{number}"


def test_a_waiting_appeal_is_dispatched_by_hand_to_a_chosen_unit(app, as_user, logged_in):
    number = waiting_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    assert "职责清单建议" in page and "缺少分类" in page

    r = post_form(client, number, "dispatch", unit=RSJ, reason="来电人反映为欠薪问题")

    assert r.status_code == 302 and r.location == f"/centre/appeals/{number}"
    page = page_of(client, r.location)
    assert (
        "已派单至区人社局。" in page and 'data-action="dispatched"' in page and "来电人反映为欠薪问题" in page
    )
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.status == "dispatched" and appeal.lead_unit_code == RSJ


def test_dispatch_without_a_unit_where_the_list_decides_none_shows_the_error_by_the_field(as_user, logged_in):
    number = waiting_appeal(as_user)

    r = post_form(logged_in("dispatcher"), number, "dispatch", reason="按清单派单")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-dispatch-unit-error"' in page and "按清单派单" in page  # the typed reason is kept


def _selected(page: str, form: str, name: str) -> list[str]:
    """The options chosen in a select, or the boxes ticked in a list of checkboxes, of a form on the page."""
    select = re.search(rf'<select[^>]*id="f-{form}-{name}".*?</select>', page, re.S)
    if select:
        return re.findall(r'<option value="([^"]*)" selected>', select.group(0))
    return list(checkboxes(page, form, name, ticked=True))


def checkboxes(page: str, form: str, name: str, ticked: bool = False) -> dict[str, str]:
    """The boxes of a list of checkboxes (macros.checkbox_list) of a form on the page: value → label
    (`ticked`: only the ticked ones)."""
    found = re.search(rf'<fieldset[^>]*id="f-{form}-{name}".*?</fieldset>\s*</fieldset>', page, re.S)
    assert found, name
    boxes = re.findall(
        rf'<input type="checkbox" id="[^"]*" name="{name}" value="([^"]*)"( checked)?> ([^<]*)</label>',
        found.group(0),
    )
    return {value: label for value, checked, label in boxes if checked or not ticked}


@pytest.mark.parametrize(
    ("co_units", "error"),
    [([RSJ, CGJ], "主办单位不能同时作为协办单位。"), ([CGJ], None)],
)
def test_the_lead_unit_chosen_as_a_co_unit_is_said_under_the_co_units_and_nothing_is_dispatched(
    app, as_user, logged_in, co_units, error
):
    number = waiting_appeal(as_user)
    client = logged_in("dispatcher")

    r = post_form(client, number, "dispatch", unit=RSJ, co_units=co_units, reason="欠薪，城管协助")

    if error is None:  # the same form without the lead among the co-units goes through
        assert r.status_code == 302
        with stored(app) as s:
            assert stored_appeal(s, number).lead_unit_code == RSJ
        return
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f'<p class="field-error" id="f-dispatch-co_units-error">{error}</p>' in page
    assert 'id="f-dispatch-unit-error"' not in page
    # What the dispatcher chose and typed is kept.
    assert _selected(page, "dispatch", "unit") == [RSJ]
    assert sorted(_selected(page, "dispatch", "co_units")) == sorted(co_units)
    assert "欠薪，城管协助" in page
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.status == "pending_dispatch" and appeal.assignments == []


def test_a_redispatch_to_the_unit_it_is_with_changing_nothing_is_explained_on_the_form(
    app, as_user, logged_in
):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        lead, co = appeal.lead_unit_code, [a.unit_code for a in appeal.assignments if a.role == "co"]
    before = last_event_actions(as_user, number)

    r = post_form(client, number, "dispatch", unit=lead, co_units=co, reason="再派一次")

    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "已由区城管局主办，协办单位也相同，无需改派。" in page and "再派一次" in page
    assert last_event_actions(as_user, number) == before


MEILIN = unit_code("梅林镇人民政府")
CO_UNITS_HINT = "承办单位不变、也不更正分类、区划或紧急程度时，只调整协办单位，承办单位的签收和时限不变。"


def active_units(app, number: str) -> tuple[str | None, set[str]]:
    """The lead unit and the co-units the appeal is with now."""
    with stored(app) as s:
        parts = [a for a in stored_appeal(s, number).assignments if a.active]
        return (
            next((a.unit_code for a in parts if a.role == "lead"), None),
            {a.unit_code for a in parts if a.role == "co"},
        )


def test_the_dispatch_form_starts_with_the_units_the_appeal_is_with_and_empty_before_the_first(
    as_user, logged_in
):
    waiting, dispatched = waiting_appeal(as_user), new_appeal(as_user)
    client = logged_in("dispatcher")

    first = page_of(client, f"/centre/appeals/{waiting}")
    again = page_of(client, f"/centre/appeals/{dispatched}")

    assert _selected(first, "dispatch", "unit") == [""] and _selected(first, "dispatch", "co_units") == []
    assert CO_UNITS_HINT not in first  # nothing to keep before the first dispatch
    assert _selected(again, "dispatch", "unit") == [CGJ]
    assert _selected(again, "dispatch", "co_units") == [MEILIN]
    assert CO_UNITS_HINT in again
    english = page_of(client, f"/centre/appeals/{dispatched}?lang=en")
    assert "Co-units now: 梅林镇人民政府. Tick or untick a unit to add or remove it." in english
    assert (
        "With the same handling unit and no correction of category, area or urgency, only the co-units"
        in english
    )


def test_a_co_unit_added_on_the_form_as_it_starts_keeps_the_others_and_the_page_says_so(
    app, as_user, logged_in
):
    body = as_user("operator").post("/api/v1/appeals", json=appeal_payload(**garbage_in_meilin())).json
    number = body["number"]
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    chosen = {
        "unit": _selected(page, "dispatch", "unit")[0],
        "co_units": _selected(page, "dispatch", "co_units"),
    }

    r = post_form(
        client,
        number,
        "dispatch",
        **{**chosen, "co_units": [*chosen["co_units"], RSJ]},
        reason="欠薪部分请人社局协办",
    )

    assert r.status_code == 302
    page = page_of(client, r.location)
    assert "已调整协办单位。" in page and "已派单。" not in page
    event = page.split('data-action="co_units_changed"', 1)[1].split("</li>", 1)[0]
    assert "调整协办单位" in event and "新增协办单位：区人社局" in event and "欠薪部分请人社局协办" in event
    assert active_units(app, number) == (CGJ, {MEILIN, RSJ})  # 梅林镇 kept: nothing dropped unseen

    # The same form as it starts now, less 梅林镇, on an English page.
    page = page_of(client, f"/centre/appeals/{number}")
    assert sorted(_selected(page, "dispatch", "co_units")) == sorted([MEILIN, RSJ])
    r = post_form(client, number, "dispatch", unit=CGJ, co_units=[RSJ], reason="镇政府不再协办")
    english = page_of(client, f"{r.location}?lang=en")
    assert "Co-units changed." in english and "Dispatched." not in english
    event = english.split('data-action="co_units_changed"')[-1].split("</li>", 1)[0]  # the newest
    assert "<strong>Co-units changed</strong>" in event and "No longer co-units: 梅林镇人民政府" in event
    assert active_units(app, number) == (CGJ, {RSJ})

    # Not a step of the citizen's: the portal's timeline does not show it.
    citizen = app.test_client()
    citizen.environ_base["REMOTE_ADDR"] = new_address()
    tracked = citizen.post(
        "/portal/track",
        data={
            "csrf_token": csrf_token_of(page_of(citizen, "/portal")),
            "number": number,
            "code": body["query_code"],
        },
    )
    portal = page_of(citizen, tracked.location)
    assert "已转交承办单位" in portal and "调整协办单位" not in portal and "区人社局" not in portal


def test_a_co_unit_change_sent_twice_says_what_was_done_once(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    form = {
        **hidden_fields(page, number, "dispatch"),
        "unit": CGJ,
        "co_units": [MEILIN, RSJ],
        "reason": "人社局协办",
    }

    first = client.post(f"/centre/appeals/{number}/dispatch", data=form)
    second = client.post(f"/centre/appeals/{number}/dispatch", data=form)

    assert first.status_code == 302 and second.status_code == 302
    shown = page_of(client, second.location)
    assert "已调整协办单位。（重复提交的表单未再次办理。）" in shown
    assert last_event_actions(as_user, number).count("co_units_changed") == 1


def test_a_return_is_approved_and_re_dispatched_to_another_unit(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    assert "退单申请" in page and "不属于本单位职责" in page and "职责清单 GX-0001" in page

    r = post_form(client, number, "return-review", decision="approve", unit=RSJ, note="改派人社局")

    assert r.status_code == 302
    with stored(app) as s:
        appeal = stored_appeal(s, number)
        assert appeal.status == "dispatched" and appeal.lead_unit_code == RSJ
    assert 'data-action="return_approved"' in page_of(client, r.location)


def test_rejecting_a_return_needs_a_note_shown_next_to_the_field(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")

    r = post_form(logged_in("dispatcher"), number, "return-review", decision="reject")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert '<p class="field-error" id="f-return-review-note-error">驳回退单须说明理由。</p>' in page
    assert 'aria-describedby="f-return-review-note-hint f-return-review-note-error"' in page


def test_the_reviewer_approves_a_reply_and_it_is_released(app, as_user, logged_in):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")
    page = page_of(client, f"/centre/appeals/{number}")
    assert "待审核的答复" in page and reply_body()["citizen_text"] in page

    r = post_form(client, number, "review", decision="approve")

    assert r.status_code == 302 and status_of(app, number) == "replied"
    page = page_of(client, r.location)
    assert 'data-action="reply_released"' in page and "答复已发布" in page


def test_the_reviewer_sends_a_reply_back_with_one_reason_a_line(app, as_user, logged_in):
    number = replied_appeal(as_user)

    r = post_form(
        logged_in("reviewer"), number, "review", decision="send_back", reasons="未联系群众\n答复过于简单"
    )

    assert r.status_code == 302 and status_of(app, number) == "handling"
    page = page_of(logged_in("reviewer"), f"/centre/appeals/{number}")
    assert 'data-action="reply_sent_back"' in page and "答复退回重办" in page
    with stored(app) as s:
        event = last_event(s, number)
        assert event.action == "reply_sent_back" and event.payload["reasons"] == [
            "未联系群众",
            "答复过于简单",
        ]


def test_an_extension_is_approved_from_its_form(app, as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "extension", days=5, reason="需要协调多个部门")
    client = logged_in("dispatcher")
    assert count_of(page_of(client, "/centre"), "extensions") == 1
    with stored(app) as s:
        before = stored_appeal(s, number).reply_due_at

    r = post_form(client, number, "extension-review", decision="approve")

    assert r.status_code == 302
    with stored(app) as s:
        assert stored_appeal(s, number).reply_due_at > before
    assert count_of(page_of(client, "/centre"), "extensions") == 0


def test_supervise_merge_reopen_and_close(app, as_user, logged_in):
    master, duplicate = new_appeal(as_user), new_appeal(as_user)
    client = logged_in("dispatcher")

    assert post_form(client, master, "raise", note="请加快办理").status_code == 302
    assert post_form(client, duplicate, "merge", master=master, reason="同一地点同一问题").status_code == 302
    assert status_of(app, duplicate) == "merged"
    page = page_of(client, f"/centre/appeals/{master}")
    assert (
        'data-action="supervised"' in page and "请加快办理" in page and 'data-action="merge_received"' in page
    )

    ok(as_user(LEAD), master, "sign")
    ok(as_user(LEAD), master, "reply", **reply_body())
    ok(as_user("reviewer"), master, "review", decision="approve")
    ok(as_user("reviewer"), master, "evaluate", **UNSATISFIED)  # a call-back rating
    assert post_form(client, master, "close", note="已回访").status_code == 302
    assert status_of(app, master) == "closed"
    r = post_form(client, master, "reopen", attributable="true", reason="群众反映垃圾仍未清运")
    assert r.status_code == 302 and status_of(app, master) == "dispatched"  # the unit signs for it again


def test_press_and_raise_are_two_forms_each_saying_what_it_did(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    assert (
        f'action="/centre/appeals/{number}/press"' in page
        and f'action="/centre/appeals/{number}/raise"' in page
    )
    assert (
        '<h3 id="action-press-title">催办</h3>' in page
        and '<h3 id="action-raise-title">督办（提升一级）</h3>' in page
    )
    english = page_of(client, f"/centre/appeals/{number}?lang=en")
    assert '<h3 id="action-press-title">Press</h3>' in english
    assert '<h3 id="action-raise-title">Raise (one level up)</h3>' in english
    client.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    r = post_form(client, number, "press", note="请尽快联系群众")
    assert r.status_code == 302 and "已催办，已提醒承办单位。" in page_of(client, r.headers["Location"])
    with stored(app) as s:
        assert stored_appeal(s, number).supervision_level == 0
    r = post_form(client, number, "raise", note="仍未办理，提请督办")
    assert r.status_code == 302 and "已督办，督办级别已提升一级。" in page_of(client, r.headers["Location"])
    with stored(app) as s:
        assert stored_appeal(s, number).supervision_level == 1
    assert [a for a in last_event_actions(as_user, number) if a in ("pressed", "supervised")] == [
        "pressed",
        "supervised",
    ]
    client.get("/lang/en")  # the English toggle
    r = post_form(client, number, "press", note="请尽快联系群众")
    assert "Pressed: the handling unit was reminded." in page_of(client, r.headers["Location"])


def test_at_the_highest_level_only_the_press_form_is_left(app, as_user, logged_in):
    number = new_appeal(as_user)
    for _ in range(3):
        ok(as_user("dispatcher"), number, "supervise", kind="raise", note="提请督办")

    page = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")

    assert f'action="/centre/appeals/{number}/press"' in page
    assert f'action="/centre/appeals/{number}/raise"' not in page


def last_event_actions(as_user, number: str) -> list[str]:
    return [e["action"] for e in as_user("dispatcher").get(f"/api/v1/appeals/{number}/events").json]


def test_a_stale_form_says_the_appeal_changed_and_keeps_the_typed_text(app, as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    token = csrf_token_of(page)
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)
    ok(as_user(LEAD), number, "sign")  # the unit acts meanwhile

    r = client.post(
        f"/centre/appeals/{number}/press",
        data={"csrf_token": token, "version": seen, "note": "请尽快联系群众"},
    )

    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "该诉求已被他人修改" in page and ">请尽快联系群众</textarea>" in page
    assert 'data-action="signed"' in page  # the page shows the current state
    with stored(app) as s:
        assert stored_appeal(s, number).supervision_level == 0


def hidden_fields(page: str, number: str, action: str, area: str = "centre") -> dict[str, str]:
    """The hidden inputs of one action's form on the page, as the browser sends them."""
    form = re.search(rf'<form[^>]*action="/{area}/appeals/{number}/{action}".*?</form>', page, re.S)
    assert form, action
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))


def test_a_form_sent_twice_is_done_once_and_the_second_answer_says_it_was_done(app, as_user, logged_in):
    """A double click: the second submission must not say someone else changed the appeal (and so
    invite a third), nor press the unit twice."""
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    form = {**hidden_fields(page, number, "press"), "note": "请尽快联系群众"}

    first = client.post(f"/centre/appeals/{number}/press", data=form)
    second = client.post(f"/centre/appeals/{number}/press", data=form)

    assert first.status_code == 302 and second.status_code == 302
    shown = page_of(client, second.headers["Location"])
    assert (
        "已催办，已提醒承办单位。（重复提交的表单未再次办理。）" in shown
        and "该诉求已被他人修改" not in shown
    )
    actions = [e["action"] for e in as_user("dispatcher").get(f"/api/v1/appeals/{number}/events").json]
    assert actions.count("pressed") == 1


def test_the_done_message_reads_in_the_language_of_the_page_that_shows_it(as_user, logged_in):
    """Set while the form was in Chinese, shown on a page asked for in English: the action's message
    and the note around it both in English."""
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    form = {**hidden_fields(page, number, "press"), "note": "请尽快联系群众"}
    client.post(f"/centre/appeals/{number}/press", data=form)

    second = client.post(f"/centre/appeals/{number}/press", data=form)
    shown = page_of(client, f"{second.headers['Location']}?lang=en")

    assert "Pressed: the handling unit was reminded. (The form was sent twice; it was done once.)" in shown
    assert "已催办" not in shown


def test_a_form_sent_again_after_someone_else_acted_still_says_so(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    form = {**hidden_fields(page, number, "press"), "note": "请尽快联系群众"}
    assert client.post(f"/centre/appeals/{number}/press", data=form).status_code == 302
    ok(as_user(LEAD), number, "sign")  # the unit signs between the two submissions

    again = client.post(f"/centre/appeals/{number}/press", data=form)

    assert again.status_code == 409 and "该诉求已被他人修改" in again.get_data(as_text=True)


@pytest.mark.parametrize("seen_event", ["9" * 30, "٣", "²"])
def test_a_tampered_seen_event_on_a_stale_form_is_a_plain_409(as_user, logged_in, seen_event):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{number}")
    form = {**hidden_fields(page, number, "press"), "note": "请尽快联系群众"}
    ok(as_user(LEAD), number, "sign")  # the form is stale now

    r = client.post(f"/centre/appeals/{number}/press", data={**form, "seen_event": seen_event})

    assert r.status_code == 409 and "该诉求已被他人修改" in r.get_data(as_text=True)


def test_an_action_not_allowed_in_this_status_or_role_is_refused_with_a_message(as_user, logged_in):
    number = new_appeal(as_user)

    reviewer = logged_in("reviewer")
    r = post_form(reviewer, number, "close", note="想直接办结")
    assert r.status_code == 409
    assert "当前状态下不能进行此操作：诉求当前为“已派单”，不能办结。" in r.get_data(as_text=True)
    assert ">想直接办结</textarea>" in r.get_data(as_text=True)

    leader = logged_in("leader")
    r = post_form(leader, number, "dispatch", unit=RSJ, reason="领导想改派")
    assert r.status_code == 403
    assert "您的角色不能进行此操作：派单 / 改派须由以下角色办理：系统管理员、分拨员。" in r.get_data(
        as_text=True
    )
    assert 'action="/centre/appeals/' + number + '/dispatch"' in r.get_data(as_text=True)

    english = logged_in("reviewer")
    english.get("/lang/en")  # the same refusal on the English page: the button and the status by their words
    r = post_form(english, number, "close", note="x")
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "current state: Cannot close the appeal now: the appeal is “Dispatched”." in page
    assert "已派单" not in page and "(dispatched)" not in page


def test_a_merge_into_a_closed_appeal_is_refused_in_the_page_language(app, client, as_user, logged_in):
    master = replied_appeal(as_user)
    ok(as_user("reviewer"), master, "review", decision="approve")
    ok(as_user("reviewer"), master, "evaluate", **SATISFIED)  # a call-back rating
    if status_of(app, master) != "closed":
        ok(as_user("reviewer"), master, "close")
    assert status_of(app, master) == "closed"
    duplicate = new_appeal(as_user)

    english = logged_in("dispatcher")
    english.get("/lang/en")
    r = post_form(english, duplicate, "merge", master=master, reason="same place, same problem")
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert f"Appeal {master} is “Closed”: only an open appeal takes merges." in page
    assert "已办结" not in page

    english.get("/lang/zh")
    r = post_form(english, duplicate, "merge", master=master, reason="同一地点同一问题")
    assert f"诉求 {master} 当前为“已办结”，只能并入尚在办理中的诉求。" in r.get_data(as_text=True)


def test_unit_staff_and_visitors_cannot_open_the_centre(client, as_user, logged_in):
    number = new_appeal(as_user)
    assert client.get(f"/centre/appeals/{number}").status_code == 302
    unit = logged_in("cgj")
    assert unit.get("/centre").status_code == 403
    assert unit.get(f"/centre/appeals/{number}").status_code == 403


def test_an_unknown_appeal_is_a_404_page(logged_in):
    r = logged_in("dispatcher").get("/centre/appeals/GX20990101-9999")
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)


def test_a_dispatcher_dismisses_a_duplicate_flag_and_the_form_goes_once_none_is_left(app, as_user, logged_in):
    first, second = new_appeal(as_user), new_appeal(as_user)  # the same caller twice: flagged
    assert 'id="action-dismiss-duplicate"' not in page_of(logged_in("reviewer"), f"/centre/appeals/{second}")
    client = logged_in("dispatcher")
    page = page_of(client, f"/centre/appeals/{second}")
    assert 'id="action-dismiss-duplicate"' in page and f'<option value="{first}"' in page
    assert "待处理" in page

    r = post_form(client, second, "dismiss-duplicate", other="", note="")
    assert r.status_code == 422
    assert 'id="f-dismiss-duplicate-other-error"' in r.get_data(as_text=True)

    r = post_form(client, second, "dismiss-duplicate", other=first, note="同一来电人反映的不同问题")
    assert r.status_code == 302
    page = page_of(client, f"/centre/appeals/{second}")
    assert "已确认不是重复件。" in page and "已排除" in page
    assert 'data-action="duplicate_dismissed"' in page and "同一来电人反映的不同问题" in page
    assert 'id="action-dismiss-duplicate"' not in page  # nothing left to decide
    listed = as_user("dispatcher").get(f"/api/v1/appeals/{second}/duplicates").json
    assert [(d["number"], d["decision"]) for d in listed] == [(first, "dismissed")]


def test_the_centre_page_says_the_callers_details_were_erased_and_offers_no_reveal(
    app, client, as_user, logged_in
):
    body = retention.closed_appeal(client, as_user, closed_days_ago=retention.DAYS + 1)
    retention.erase(app)

    html = logged_in("dispatcher").get(f"/centre/appeals/{body['number']}?reason=核实").get_data(as_text=True)

    assert "来电人信息已按保存期限删除" in html and "个人信息已按保存期限删除" in html
    assert 'id="f-reveal-reason"' not in html


def test_the_centre_finds_appeals_by_filters_and_exports_them(as_user, logged_in):
    import io

    from openpyxl import load_workbook

    number = new_appeal(as_user, title="查询页测试：路灯不亮")
    client = logged_in("dispatcher")
    assert 'href="/centre/search"' in page_of(client, "/centre")

    html = page_of(client, "/centre/search?q=查询页测试&status=dispatched&unit=" + unit_code("区城管局"))

    assert f'href="/centre/appeals/{number}"' in html and "共 1 件" in html
    assert 'value="查询页测试"' in html  # the filters stay typed
    none = page_of(client, "/centre/search?q=查询页测试&status=closed")
    assert "共 0 件" in none and number not in none
    r = client.get("/centre/search/export?q=查询页测试")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    ws = load_workbook(io.BytesIO(r.get_data())).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == [number]


def test_a_bad_date_on_the_search_is_shown_beside_its_field(logged_in):
    r = logged_in("dispatcher").get("/centre/search?received_from=2026-02-30&q=x")

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="f-received_from-error"' in html and 'value="x"' in html


def test_the_search_s_error_summary_names_each_filter(logged_in):
    client = logged_in("dispatcher")

    html = client.get("/centre/search?received_from=2026-02-30&status=nope").get_data(as_text=True)
    english = client.get("/centre/search?received_from=2026-02-30&status=nope&lang=en").get_data(as_text=True)

    said = error_summary_lines_of(html)
    assert [line.split("：", 1)[0] for line in said] == ["状态", "受理日期自"]  # in the form's order
    assert (
        said[0]
        == "状态：请选择以下之一：待分拨、已派单、办理中、退单审核中、答复审核中、已答复、已办结、已并案。"
    )
    lines = error_summary_lines_of(english)
    assert lines[0].startswith("Status: Choose one of: To dispatch, Dispatched, Handling,")
    assert lines[1].startswith("Received from: Not a date (2026-01-01)")


def test_an_export_too_large_says_so_on_the_search_page(as_user, logged_in, monkeypatch):
    from service.appeals import export

    new_appeal(as_user, title="导出上限页")
    new_appeal(as_user, title="导出上限页")
    monkeypatch.setattr(export, "EXPORT_LIMIT", 1)

    r = logged_in("dispatcher").get("/centre/search/export?q=导出上限页")

    assert r.status_code == 422
    assert "共有 2 件诉求符合条件，一次最多导出 1 件" in r.get_data(as_text=True)


def test_the_search_page_reads_in_english_and_is_the_centres(logged_in):
    english = logged_in("dispatcher").get("/centre/search?lang=en").get_data(as_text=True)
    assert "Find appeals" in english and "Export to Excel" in english

    assert logged_in("cgj").get("/centre/search").status_code == 403


def test_the_extension_review_form_is_offered_only_while_an_extension_waits(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    review_form = f'action="/centre/appeals/{number}/extension-review"'
    client = logged_in("reviewer")
    assert review_form not in page_of(client, f"/centre/appeals/{number}")  # nothing asked: nothing to review

    ok(as_user(LEAD), number, "extension", days=5, reason="需要协调多个部门")
    assert review_form in page_of(client, f"/centre/appeals/{number}")

    assert post_form(client, number, "extension-review", decision="approve").status_code == 302
    assert review_form not in page_of(client, f"/centre/appeals/{number}")  # decided: gone again


def test_reopen_is_offered_only_after_an_unsatisfied_rating(as_user, logged_in):
    pleased, unhappy = new_appeal(as_user), new_appeal(as_user)
    for number in (pleased, unhappy):
        ok(as_user(LEAD), number, "sign")
        ok(as_user(LEAD), number, "reply", **reply_body())
        ok(as_user("reviewer"), number, "review", decision="approve")
    client = logged_in("dispatcher")
    assert f'action="/centre/appeals/{pleased}/reopen"' not in page_of(client, f"/centre/appeals/{pleased}")

    ok(as_user("reviewer"), pleased, "evaluate", **SATISFIED)
    ok(as_user("reviewer"), unhappy, "evaluate", **UNSATISFIED)
    assert f'action="/centre/appeals/{pleased}/reopen"' not in page_of(client, f"/centre/appeals/{pleased}")
    assert f'action="/centre/appeals/{unhappy}/reopen"' in page_of(client, f"/centre/appeals/{unhappy}")


def test_a_call_closed_at_first_contact_offers_no_reopen(as_user, logged_in):
    r = as_user("operator").post(
        "/api/v1/appeals",
        json=appeal_payload(appeal_type="咨询", close_directly={"answer": "携带身份证到服务大厅办理。"}),
    )
    assert r.status_code == 201 and r.json["status"] == "closed", r.json
    number = r.json["number"]

    page = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")

    assert f'action="/centre/appeals/{number}/reopen"' not in page
    assert "当前状态下您没有可进行的操作。" in page


def test_reopening_with_the_unit_not_at_fault_says_to_close_instead(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body())
    ok(as_user("reviewer"), number, "review", decision="approve")
    ok(as_user("reviewer"), number, "evaluate", **UNSATISFIED)

    client = logged_in("dispatcher")
    r = post_form(client, number, "reopen", reason="群众不满意")  # the box left unticked
    client.set_cookie("lang", "en")
    english = post_form(client, number, "reopen", reason="群众不满意").get_data(as_text=True)

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "不属承办单位责任的，请直接办结。" in page and "此项为必填项" not in page
    assert ">群众不满意</textarea>" in page
    assert (
        "If the unit is not at fault, close the appeal instead." in english
    )  # the page's button, not the API
    assert "…/close" not in english


def test_the_timeline_keeps_what_the_citizen_was_answered(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "sign")
    ok(as_user(LEAD), number, "reply", **reply_body(citizen_text="垃圾已于今日清运，并增加清运频次。"))
    ok(as_user("reviewer"), number, "review", decision="approve")
    r = as_user("operator").post(
        "/api/v1/appeals",
        json=appeal_payload(appeal_type="咨询", close_directly={"answer": "请携带身份证到服务大厅办理。"}),
    )
    answered = r.json["number"]
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}")  # the centre reads the reply before a reopen
    released = page[page.index('data-action="reply_released"') :]
    assert "垃圾已于今日清运，并增加清运频次。" in released[: released.index("</li>")]
    page = page_of(client, f"/centre/appeals/{answered}")
    closed = page[page.index('data-action="closed_directly"') :]
    assert "请携带身份证到服务大厅办理。" in closed[: closed.index("</li>")]


def test_press_and_raise_wait_until_the_appeal_has_a_unit(as_user, logged_in):
    number = waiting_appeal(as_user)
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}")

    # Nobody to press yet (the operation refuses with 请先派单): the forms come with the unit.
    assert f'action="/centre/appeals/{number}/press"' not in page
    assert f'action="/centre/appeals/{number}/raise"' not in page
    assert f'action="/centre/appeals/{number}/dispatch"' in page
    assert post_form(client, number, "dispatch", unit=RSJ, reason="人社局办理").status_code == 302
    assert f'action="/centre/appeals/{number}/press"' in page_of(client, f"/centre/appeals/{number}")


def test_the_reviewer_records_a_call_back_rating_from_its_form(app, as_user, logged_in):
    number = replied_appeal(as_user)
    ok(as_user("reviewer"), number, "review", decision="approve")  # released: the citizen may be called
    client = logged_in("reviewer")
    assert f'action="/centre/appeals/{number}/evaluate"' in page_of(client, f"/centre/appeals/{number}")

    r = post_form(
        client, number, "evaluate", contacted="true", resolved="yes", attitude="满意", comment="电话回访"
    )
    assert r.status_code == 422  # the result's satisfaction left out: said next to it, the rest kept
    page = r.get_data(as_text=True)
    assert 'id="f-evaluate-result-error"' in page and ">电话回访</textarea>" in page

    r = post_form(
        client,
        number,
        "evaluate",
        contacted="true",
        resolved="yes",
        attitude="满意",
        result="基本满意",
        comment="电话回访",
    )

    assert r.status_code == 302
    page = page_of(client, f"/centre/appeals/{number}")
    assert "回访评价已记录。" in page and "办理态度满意，办理结果基本满意；已解决；已联系群众。" in page
    assert f'action="/centre/appeals/{number}/evaluate"' not in page  # rated once
    assert status_of(app, number) == "closed"


def test_english_pages_use_english_punctuation_and_single_spaces(as_user, logged_in):
    """No （lead） or ： on an English page, and the time left reads "14 d 4 h left", one space each."""
    number = new_appeal(as_user)
    client = logged_in("dispatcher")
    chinese = page_of(client, f"/centre/appeals/{number}")
    client.set_cookie("lang", "en")

    page = page_of(client, f"/centre/appeals/{number}")
    queue = page_of(client, "/centre?queue=to_dispatch")

    assert "区城管局 (lead)" in page and "梅林镇人民政府 (co-unit)" in page
    assert re.search(r" · 14 d \d+ h left<", page) and "  left" not in page
    assert "<h2>To dispatch (0)</h2>" in queue
    units = page.split('<ul class="assignments">', 1)[1].split("</ul>", 1)[0]
    assert not re.search(r"[（）：，；、]", units)
    assert "区城管局（主办）" in chinese and re.search(r"剩余14天\d+小时<", chinese)  # Chinese as it was


def test_the_master_number_is_found_however_the_dispatcher_types_it(app, as_user, logged_in):
    """并案's 主件编号 typed in lower case, with spaces or full-width digits (a Chinese input method)."""
    master, duplicate = new_appeal(as_user), new_appeal(as_user)
    client = logged_in("dispatcher")
    typed = " " + master.lower().replace("2", "２") + " "

    r = post_form(client, duplicate, "merge", master=typed, reason="同一地点同一问题")

    assert r.status_code == 302, error_summary_lines_of(r.get_data(as_text=True))
    assert status_of(app, duplicate) == "merged"


def test_the_centre_search_finds_a_number_typed_with_full_width_digits(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")

    page = page_of(client, "/centre/search?q=" + number.lower().replace("0", "０"))

    assert f"/centre/appeals/{number}" in page


def test_pages_shown_to_staff_are_not_kept_by_the_browser(as_user, logged_in, client):
    """Back, or the disk cache of a shared office computer, must not hand a citizen's name and phone
    to whoever comes next: every page a member of staff sees is `no-store`."""
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    number = new_appeal(as_user)
    centre = logged_in("dispatcher")

    shown = centre.get(f"/centre/appeals/{number}?reason=回访核实")
    assert "13800001234" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    for url in ("/centre", "/console", f"/centre/search?q={number}"):
        r = centre.get(url)
        assert r.status_code == 200, url
        assert r.headers["Cache-Control"] == "no-store", url
    with centre.get("/assets/css/minyi.css") as asset:
        assert "no-store" not in asset.headers.get("Cache-Control", "")
