"""Every refusal of a centre form is visible: under its field, in the form's summary, or (for a
field the form does not have) in the form's general message; never a bare 422."""

from __future__ import annotations

import re

import pytest

from tests.service.handling_steps import new_appeal, replied_appeal
from tests.web.conftest import error_summary_lines_of, error_summary_of
from tests.web.test_centre import post_form, status_of


def field_error(page: str, form: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="f-{form}-{name}-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def test_a_send_back_reason_over_500_characters_is_said_under_the_reasons_and_in_the_summary(
    app, as_user, logged_in
):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")

    r = post_form(client, number, "review", decision="send_back", reasons="很长" * 300 + "\n未写明修复时间")

    page = r.get_data(as_text=True)
    assert r.status_code == 422 and status_of(app, number) == "reply_review"
    assert "第 1 条" in field_error(page, "review", "reasons") and "500" in field_error(
        page, "review", "reasons"
    )
    assert field_error(page, "review", "reasons") in error_summary_of(page)
    assert 'href="#f-review-reasons"' in page
    assert "每行一条，每条最多 500 字" in page  # the limit is said before sending
    assert "未写明修复时间</textarea>" in page  # the typed reasons are kept

    client.get("/lang/en")
    english = post_form(client, number, "review", decision="send_back", reasons="x" * 501).get_data(
        as_text=True
    )
    assert field_error(english, "review", "reasons").startswith("Line 1: ")
    assert "at most 500 characters each" in english


def test_an_error_of_a_field_the_form_does_not_have_is_still_shown(as_user, logged_in):
    number = new_appeal(as_user)
    client = logged_in("dispatcher")

    r = post_form(client, number, "press", note="请尽快联系群众", version="第三版")

    page = r.get_data(as_text=True)
    assert r.status_code == 422
    alert = re.search(r'<p class="flash flash-error" role="alert">([^<]+)</p>', page)
    assert alert and "整数" in alert.group(1)


@pytest.mark.parametrize(
    ("action", "fields", "label"),
    [("press", {"note": ""}, "催办意见："), ("merge", {"master": "", "reason": "同一事项"}, "主件编号：")],
)
def test_a_failed_centre_form_has_one_summary_naming_the_field(as_user, logged_in, action, fields, label):
    number = new_appeal(as_user)

    r = post_form(logged_in("dispatcher"), number, action, **fields)

    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert page.count('class="error-summary"') == 1 and page.count("请修改以下问题后重新提交") == 1
    assert error_summary_lines_of(page) == [f"{label}此项为必填项。"]


def test_every_field_of_every_action_form_has_a_label_for_the_summary():
    from service.web.centre_actions import CENTRE_ACTIONS
    from service.web.form_labels import FORM_LABELS
    from service.web.unit_actions import UNIT_ACTIONS

    for action in (*CENTRE_ACTIONS.values(), *UNIT_ACTIONS.values()):
        fields = {n for n, f in action.schema().fields.items() if not f.dump_only} - {"version"}
        assert fields == set(FORM_LABELS.get(action.name, {})), action.name
