"""Notice texts: every template renders from its documented keys, short, signed, and citizens' texts
carry nothing internal."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.notices import texts
from service.notices.texts import MissingContext, Template, UnknownTemplate, render, templates

#: Realistic values, long where they can be: a title is whatever the operator typed.
CONTEXT: dict[str, Any] = {
    "number": "GX20261122-0042",
    "title": "小区门口道路井盖破损存在安全隐患请尽快处理谢谢",
    "unit_name": "梅林镇人民政府",
    "category_name": "市政设施",
    "urgency": "紧急",
    "due_at_local": "11月24日 17:30",
    "query_code": "123456",
    "master": "GX20261121-0007",
    "round": 1,
    "level": 2,
    "level_title": "中心领导",
    "sign_limit_minutes": 30,
    "minutes_overdue": 45,
    "waiting_hours": 26,
    # The units of one appeal late to sign at one sweep, the lead first (long names: the list is cut).
    "units": [
        {"unit": "GXQ-CGJ", "name": "区城管局", "part": "lead"},
        {"unit": "GXZ-MLZ", "name": "梅林镇人民政府", "part": "co"},
        {"unit": "GXQ-ZRZYJ", "name": "赣州市赣县区自然资源局", "part": "co"},
        {"unit": "GXZ-SJZ", "name": "三溪乡人民政府", "part": "co"},
    ],
}

#: Every template the handling code queues today (grep "queue_notice(" / notify_merged_citizens),
#: and the ones escalation adds, with the recipients they go to.
EXPECTED = {
    ("appeal_registered", "citizen"),
    ("reply_released", "citizen"),
    ("appeal_merged", "citizen"),
    ("appeal_merged", "unit"),
    ("appeal_reopened", "citizen"),
    ("appeal_reopened", "unit"),
    ("extension_approved", "citizen"),
    ("appeal_closed", "citizen"),
    ("appeal_closed_directly", "citizen"),
    ("supervision_pressed", "unit"),
    ("supervision_raised", "unit"),
    ("rating_unsatisfied", "centre"),
    ("urgent_appeal", "unit"),
    ("urgent_appeal", "centre"),
    ("escalation", "unit"),
    ("escalation", "centre"),
    ("sign_overdue", "unit"),
    ("sign_overdue", "centre"),
    ("co_sign_overdue", "unit"),
    ("co_sign_overdue", "centre"),
    ("units_sign_overdue", "centre"),
    ("reply_due_soon", "unit"),
    ("reply_overdue", "unit"),
    ("reply_overdue", "centre"),
    ("review_waiting", "centre"),
    ("rating_callback", "centre"),
}

ALL = list(templates())


def ids(t: Template) -> str:
    return f"{t.name}-{t.audience}"


def test_every_needed_template_exists_for_its_recipients() -> None:
    assert {(t.name, t.audience) for t in ALL} == EXPECTED


def test_the_docstring_table_lists_each_template_with_its_keys() -> None:
    documented = {}
    for line in (texts.__doc__ or "").splitlines():
        if m := re.match(r"^(\w+)\s+(citizen|unit|centre)\s+(.+)$", line):
            keys = re.sub(r"\([^)]*\)", "", m.group(3))
            required = tuple(
                k.strip() for k in keys.split(",") if k.strip() and not k.strip().startswith("[")
            )
            optional = tuple(k.strip(" []") for k in keys.split(",") if k.strip().startswith("["))
            documented[(m.group(1), m.group(2))] = (required, optional)
    assert documented == {(t.name, t.audience): (t.keys, t.optional) for t in ALL}


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_renders_from_exactly_its_documented_keys(template: Template) -> None:
    context = {key: CONTEXT[key] for key in template.keys}
    rendered = render(template.name, context, recipient=template.audience)

    assert rendered.body.startswith("【赣县12345】")
    assert rendered.subject.startswith("赣县12345：")
    assert CONTEXT["number"] in rendered.body and CONTEXT["number"] in rendered.subject
    assert "{" not in rendered.body and "None" not in rendered.body
    assert "\n" not in rendered.body


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_fits_one_sms_even_with_a_long_title_and_every_optional_key(template: Template) -> None:
    rendered = render(template.name, CONTEXT, recipient=template.audience)
    assert len(rendered.body) <= 70, rendered.body


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_a_missing_key_is_named(template: Template) -> None:
    for key in template.keys:
        context = {k: CONTEXT[k] for k in template.keys if k != key}
        with pytest.raises(MissingContext, match=rf"{template.name}.*needs {key}"):
            render(template.name, context, recipient=template.audience)


def test_unknown_template_fails_clearly() -> None:
    with pytest.raises(UnknownTemplate, match="unknown notice template 'reply_relased'"):
        render("reply_relased", CONTEXT, recipient="citizen")
    with pytest.raises(KeyError):  # it is a KeyError, for callers that catch those
        render("nope", CONTEXT)


def test_a_template_is_never_rendered_for_an_audience_it_was_not_written_for() -> None:
    with pytest.raises(UnknownTemplate, match="no text for 'citizen'"):
        render("supervision_raised", CONTEXT, recipient="citizen")
    with pytest.raises(UnknownTemplate, match="name the recipient"):
        render("appeal_merged", CONTEXT)
    unit = render("appeal_merged", CONTEXT, recipient="unit:360704001")
    citizen = render("appeal_merged", CONTEXT, recipient="citizen")
    assert unit.body != citizen.body
    assert render("reply_due_soon", CONTEXT) == render("reply_due_soon", CONTEXT, recipient="unit:x")


@pytest.mark.parametrize("template", [t for t in ALL if t.audience == "citizen"], ids=ids)
def test_citizen_texts_carry_nothing_internal(template: Template) -> None:
    secrets = {
        "title": "内部标题张三13900001111",
        "unit_name": "某某单位",
        "note": "内部备注",
        "category_name": "内部分类",
        "level_title": "区政府办",
        "name": "李四",
        "phone": "13900001111",
    }
    rendered = render(template.name, {**CONTEXT, **secrets}, recipient="citizen")
    for value in secrets.values():
        assert value not in rendered.body and value not in rendered.subject


def test_merged_citizens_are_told_which_appeal_theirs_joined() -> None:
    alone = render("reply_released", {"number": "GX20261122-0042", "query_code": "123456"}, "citizen")
    merged = render("reply_released", CONTEXT, "citizen")
    assert "并入" not in alone.body
    assert "已并入GX20261121-0007" in merged.body
    assert "查询码123456" in alone.body


def test_sign_comes_from_the_context() -> None:
    assert render("reply_due_soon", {**CONTEXT, "sign": "于都12345"}).body.startswith("【于都12345】")
    assert render("reply_due_soon", {**CONTEXT, "sign": "【于都12345】"}).body.startswith("【于都12345】工单")


def test_values_are_one_line_and_titles_are_cut() -> None:
    body = render("reply_due_soon", {**CONTEXT, "title": "井盖\n破损\r\n  危险"}).body
    assert "（井盖 破损 危险）" in body
    assert "（小区门口道路井盖破…）" in render("reply_due_soon", CONTEXT).body


def test_rounds_are_counted_as_people_count_them() -> None:
    # the evaluation's round 0 is the first rating; the reopen count 1 is the first reopening
    assert "第1轮评价不满意" in render("rating_unsatisfied", {**CONTEXT, "round": 0}).body
    assert "第1次重办" in render("appeal_reopened", {**CONTEXT, "round": 1}, "unit:x").body


def test_a_co_unit_is_asked_to_sign_for_its_part_of_a_reopened_appeal_again() -> None:
    # Its part's sign-for deadline, though the lead has signed (due_label: 答复时限), in one SMS.
    co = render("appeal_reopened", {**CONTEXT, "part": "co", "due_label": "答复时限"}, "unit:x").body
    assert (
        co
        == "【赣县12345】工单GX20261122-0042（小区门口道路井盖破…）第1次重办，请于11月24日 17:30前重新签收协办任务。"
    )
    lead = render("appeal_reopened", {**CONTEXT, "due_label": "答复时限"}, "unit:x").body
    assert "协办" not in lead and lead.endswith("请于11月24日 17:30前重新答复。")


def test_the_centre_is_told_of_an_appeal_s_late_units_in_one_text_naming_them() -> None:
    three = [{"unit": "A", "name": "区城管局", "part": "lead"}, *CONTEXT["units"][1:2]]
    three.append({"unit": "GXQ-RSJ", "name": "区人社局", "part": "co"})
    assert render("units_sign_overdue", {**CONTEXT, "units": three}).body == (
        "【赣县12345】工单GX20261122-0042：区城管局（主办）、梅林镇人民政府（协办）、区人社局（协办）签收已超时，请督促。"
    )
    # Too many to name in one SMS: as many as fit, and how many in all.
    many = render("units_sign_overdue", CONTEXT)
    assert "：区城管局（主办）、梅林镇人民政府（协办）等4个单位签收已超时" in many.body
    assert many.subject == "赣县12345：工单GX20261122-0042签收超时（4个单位）"
    co_only = render("units_sign_overdue", {**CONTEXT, "units": CONTEXT["units"][1:3]})
    assert "：梅林镇人民政府（协办）、赣州市赣县区自然资源局（协办）签收已超时" in co_only.body
