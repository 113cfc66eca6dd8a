"""The operator console (话务台): log a call, the helpers beside the form, close at first contact."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import sqlalchemy as sa

from service.appeals.models import Appeal
from tests.service.factories import counts, register, stored, township, villages
from tests.service.helpers import a_village, default_list
from tests.web.conftest import csrf_token_of, error_summary_lines_of, error_summary_of

PHONE = "13912345678"


def _routed_rule() -> Any:
    """A county-wide rule with co-units that alone decides its category: the call is dispatched at once."""
    per_category = Counter(r.category for r in default_list().rules)
    return next(
        r for r in default_list().rules if per_category[r.category] == 1 and r.scope == "county" and r.co
    )


KEY_INPUT = re.compile(r'name="intake_key" value="([0-9a-f]+)"')


def _form(client: Any, **overrides: str) -> dict[str, str]:
    page = client.get("/console").get_data(as_text=True)
    key = KEY_INPUT.search(page)
    assert key, "the form's key"
    data = {
        "csrf_token": csrf_token_of(page),
        "intake_key": key.group(1),
        "contact.phone": PHONE,
        "contact.name": "李四",
        "title": "路灯不亮",
        "content": "王母渡镇光明路的路灯一个星期都不亮了，晚上走路很危险。",
        "address": "王母渡镇光明路",
        "appeal_type": "求助",
        "urgency": "一般",
        "channel": "hotline",
        "action": "submit",
    }
    data.update(overrides)
    return data


def _stored(app: Any, number: str) -> Appeal:
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert appeal is not None
        s.expunge(appeal)
        return appeal


def test_the_console_opens_for_operators_only(client, logged_in):
    assert client.get("/console").status_code == 302

    page = logged_in("operator").get("/console").get_data(as_text=True)

    for label in (
        "来电号码",
        "标题",
        "内容",
        "分类",
        "搜索分类",
        "乡镇（街道）",
        "村（社区）",
        "诉求类型",
        "紧急程度",
    ):
        assert f">{label}" in page, label
    assert 'name="confidential"' in page and 'name="consent_publish"' in page
    assert '<option value="hotline" selected>' in page
    assert 'hx-get="/console/caller"' in page


def test_a_unit_is_refused(logged_in):
    assert logged_in("cgj").get("/console").status_code == 403


def test_a_call_is_stored_and_the_number_and_query_code_are_read_back(app, logged_in):
    client = logged_in("operator")
    rule = _routed_rule()
    village = a_village()

    r = client.post(
        "/console",
        data=_form(client, category=rule.category, township=village[:9], area=village, confidential="true"),
    )

    assert r.status_code == 303
    number = r.location.rsplit("/", 1)[1]
    appeal = _stored(app, number)
    assert (appeal.channel, appeal.title, appeal.category_code, appeal.area_code) == (
        "hotline",
        "路灯不亮",
        rule.category,
        village,
    )
    assert appeal.confidential and not appeal.consent_publish
    page = client.get(r.location).get_data(as_text=True)
    assert f"data-number>{number}<" in page and f"data-query-code>{appeal.query_code}<" in page
    names = {u.code: u.name for u in default_list().units}
    assert f"data-lead-unit>{names[rule.lead]}<" in page
    assert names[rule.co[0]] in page
    assert "办理时限" in page


def test_a_call_without_category_waits_for_the_centre(app, logged_in):
    client = logged_in("operator")

    r = client.post("/console", data=_form(client))

    page = client.get(r.location).get_data(as_text=True)
    assert "等待分拨中心派单" in page and "缺少分类、区划" in page
    assert _stored(app, r.location.rsplit("/", 1)[1]).status == "pending_dispatch"


def test_a_bad_call_shows_the_errors_next_to_the_fields_and_keeps_the_text(app, logged_in):
    client = logged_in("operator")
    before = counts(app)

    r = client.post("/console", data=_form(client, title="", **{"contact.phone": "12345"}))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-title-error">此项为必填项。' in page
    assert 'id="f-contact-phone-error">请填写11位手机号码' in page
    assert "王母渡镇光明路的路灯一个星期都不亮了" in page  # the content typed is kept
    assert 'value="12345"' in page
    assert counts(app) == before


def test_the_error_summary_names_each_field_in_the_page_language(logged_in):
    client = logged_in("operator")
    bad = {"title": "", "content": "", "contact.phone": "12345"}

    said = error_summary_lines_of(client.post("/console", data=_form(client, **bad)).get_data(as_text=True))
    english = client.post("/console?lang=en", data=_form(client, **bad)).get_data(as_text=True)

    assert said == [
        "来电号码：请填写11位手机号码，或带区号的固定电话（如 0797-4412345）。",
        "标题：此项为必填项。",
        "内容：此项为必填项。",
    ]
    assert "Title: This field is required." in error_summary_lines_of(english)
    assert "Content: This field is required." in error_summary_lines_of(english)


def test_a_title_of_control_characters_only_is_missing_not_too_long(app, logged_in):
    client = logged_in("operator")

    r = client.post("/console", data=_form(client, title="\x00\x01\x02"))

    assert r.status_code == 422
    assert 'id="f-title-error">此项为必填项，不能为空' in r.get_data(as_text=True)


def test_values_outside_the_options_are_refused_in_the_page_language(app, logged_in):
    client = logged_in("operator")
    bad = {"area": "12", "channel": "fax", "urgency": "x", "appeal_type": "xx", "title": "长" * 101}
    before = counts(app)

    r = client.post("/console", data=_form(client, latitude="nan", longitude="东经", **bad))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-area-error">区划代码应为 6 位、9 位或 12 位数字。' in page
    assert (
        'id="f-channel-error">请选择以下之一：12345热线、网站、移动端、' in page
    )  # the words, not the codes
    assert 'id="f-urgency-error">请选择以下之一：一般、紧急、特急。' in page
    assert 'id="f-appeal_type-error">请选择以下之一：咨询、求助、投诉、' in page
    assert 'id="f-title-error">字数须在 1 到 100 之间。' in page
    said = error_summary_of(page)
    assert "请输入有限的数字。" in said and "请输入数字。" in said  # latitude nan, longitude not a number
    assert len(said) == 7 and not [m for m in said if m.isascii()]  # every message, in Chinese
    english = client.post("/console?lang=en", data=_form(client, **bad)).get_data(as_text=True)
    assert 'id="f-area-error">A division code has 6, 9 or 12 digits.' in english
    assert 'id="f-urgency-error">Choose one of: Ordinary, Urgent, Very urgent.' in english
    assert 'id="f-channel-error">Choose one of: 12345 hotline, Website, Mobile app,' in english
    assert 'id="f-appeal_type-error">Choose one of: Consultation, Help request, Complaint,' in english
    assert 'id="f-title-error">Length must be between 1 and 100.' in english
    assert counts(app) == before


def test_an_unknown_area_is_refused_next_to_the_picker(app, logged_in):
    client = logged_in("operator")

    r = client.post("/console", data=_form(client, township="360704999"))

    assert r.status_code == 422
    assert 'id="f-area-error">请从列表中选择发生地点。' in r.get_data(as_text=True)


def test_typing_the_phone_shows_the_callers_earlier_appeals(as_user, logged_in):
    earlier = register(as_user("operator"), contact={"name": "李四", "phone": PHONE})
    client = logged_in("operator")

    fragment = client.get("/console/caller", query_string={"contact.phone": PHONE}).get_data(as_text=True)

    assert earlier["number"] in fragment and 'data-caller-total="1"' in fragment
    other = client.get("/console/caller", query_string={"contact.phone": "13700000000"}).get_data(
        as_text=True
    )
    assert 'data-caller-total="0"' in other


def panel(client, url: str, fields: dict[str, str]) -> str:
    """A side panel as htmx asks for it: the typed fields posted, with the page's CSRF token."""
    token = csrf_token_of(client.get("/console").get_data(as_text=True))
    r = client.post(url, data=fields, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def test_likely_duplicates_are_shown_before_submitting_and_nothing_is_stored(app, as_user, logged_in):
    earlier = register(as_user("operator"))  # the garbage pile at 光明路12号, phone 13800001234
    client = logged_in("operator")
    before = counts(app)

    fragment = panel(
        client,
        "/console/duplicates",
        {
            "contact.phone": "13800001234",
            "title": "垃圾还是没人清运",
            "content": "光明路12号小区门口的垃圾还是没人清运。" + "来电人情绪激动，反复强调。" * 300,
        },
    )

    assert earlier["number"] in fragment and "同一来电号码" in fragment
    assert counts(app) == before


def test_check_posts_the_form_back_with_every_helper_and_stores_nothing(app, as_user, logged_in):
    earlier = register(as_user("operator"), contact={"name": "李四", "phone": PHONE})
    client = logged_in("operator")
    before = counts(app)

    r = client.post("/console", data=_form(client, action="check", category_q="路灯"))

    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert earlier["number"] in page  # caller history and duplicates
    assert "data-suggested-category" in page  # three suggestions from the text
    assert 'data-set="f-category"' in page  # category search hits
    assert counts(app) == before


def test_suggestions_give_three_categories_and_the_area_of_the_address(logged_in):
    client = logged_in("operator")

    long_call = "小区门口垃圾堆了三天" + "，天气热了味道很大" * 400  # ~3600 characters: no URL holds it
    fragment = panel(
        client, "/console/suggest", {"title": "垃圾没人清运", "content": long_call, "address": "王母渡镇"}
    )

    assert fragment.count("data-suggested-category") == 3
    assert "data-suggested-area" in fragment and "王母渡镇" in fragment


def test_the_area_picker_lists_the_villages_of_a_township(client):
    village = a_village()

    fragment = client.get("/portal/areas", query_string={"township": village[:9], "area": village}).get_data(
        as_text=True
    )

    assert f'<option value="{village}" selected>' in fragment
    assert f'<option value="{village[:9]}" selected>' in fragment


def test_close_at_first_contact_with_a_knowledge_base_answer(app, as_user, logged_in):
    article = (
        as_user("dispatcher")
        .post(
            "/api/v1/knowledge",
            json={
                "title": "城乡居民医保缴费时间",
                "body": "每年9月至12月缴纳下一年度医保费用。",
                "keywords": ["医保"],
            },
        )
        .json
    )
    client = logged_in("operator")
    hits = client.get("/console/knowledge", query_string={"kb_q": "医保"}).get_data(as_text=True)
    assert f'data-kb="{article["id"]}"' in hits

    r = client.post(
        "/console",
        data=_form(
            client,
            action="close",
            appeal_type="咨询",
            title="医保什么时候交",
            content="想问明年的医保什么时候缴费。",
            answer=article["body"],
            kb_article=str(article["id"]),
        ),
    )

    assert r.status_code == 303
    appeal = _stored(app, r.location.rsplit("/", 1)[1])
    assert (appeal.status, appeal.close_reason, appeal.kb_article_id) == ("closed", "direct", article["id"])
    page = client.get(r.location).get_data(as_text=True)
    assert "已当场答复并直接办结" in page and article["body"] in page
    # No 受理回执 for it: test_console_receipt.py, with an SMS gateway that would send one.


def test_close_at_first_contact_needs_the_answer(app, logged_in):
    client = logged_in("operator")
    before = counts(app)

    r = client.post("/console", data=_form(client, action="close"))

    assert r.status_code == 422
    assert 'id="f-answer-error">此项为必填项。' in r.get_data(as_text=True)
    assert counts(app) == before


def test_a_dispatcher_may_log_but_not_close_at_first_contact(app, logged_in):
    client = logged_in("dispatcher")
    before = counts(app)
    page = client.get("/console").get_data(as_text=True)
    assert "登记并派单" in page and "登记并直接办结" not in page  # not offered

    r = client.post("/console", data=_form(client, action="close", answer="请拨打医保热线咨询。"))

    assert r.status_code == 403
    assert "王母渡镇光明路的路灯一个星期都不亮了" in r.get_data(as_text=True)
    assert counts(app) == before


def test_a_complaint_is_dispatched_not_closed_on_the_phone(app, logged_in):
    client = logged_in("operator")
    assert "登记并直接办结" in client.get("/console").get_data(as_text=True)
    before = counts(app)

    r = client.post("/console", data=_form(client, action="close", appeal_type="投诉", answer="已记录。"))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "投诉类诉求须由承办单位办理，请派单，不能直接办结。" in page and 'id="f-appeal_type-error"' in page
    assert counts(app) == before


def test_a_report_closed_on_the_english_console_is_refused_in_english(app, logged_in):
    client = logged_in("operator")
    client.get("/lang/en")

    r = client.post("/console", data=_form(client, action="close", appeal_type="举报", answer="Noted."))

    assert r.status_code == 422
    assert "A report needs a unit to act: dispatch it." in error_summary_of(r.get_data(as_text=True))


def test_one_duplicate_and_one_earlier_call_read_right_in_english(logged_in):
    client = logged_in("operator")
    client.post("/console", data=_form(client))
    r = client.post("/console", data=_form(client))  # the same caller, the same street lamp
    assert r.status_code == 303

    page = client.get(r.location + "?lang=en").get_data(as_text=True)

    assert "Likely duplicates flagged for the dispatch centre: 1." in page
    assert "Appeals from this number in the last year: 1 (repeat caller)." in page
    assert "1 likely duplicates" not in page and "made 1 appeals" not in page


def test_the_form_sent_twice_is_one_appeal(app, logged_in):
    """A double click on 登记并派单: both answers show the one number, and one appeal is stored."""
    client = logged_in("operator")
    form = _form(client)
    before = counts(app)

    first = client.post("/console", data=form)
    second = client.post("/console", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(app)["appeals"] == before["appeals"] + 1


def test_the_form_sent_twice_to_close_at_first_contact_is_one_appeal(app, logged_in):
    client = logged_in("operator")
    form = _form(client, action="close", appeal_type="咨询", answer="请拨打医保热线咨询。")
    before = counts(app)

    first = client.post("/console", data=form)
    second = client.post("/console", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(app)["appeals"] == before["appeals"] + 1


def test_a_sent_form_sent_again_with_other_contents_asks_before_a_new_appeal(app, logged_in):
    """Back to the sent form, another caller typed over it: not silently the first appeal, nor a 500."""
    client = logged_in("operator")
    form = _form(client)
    assert client.post("/console", data=form).status_code == 303
    before = counts(app)
    other_call = {**form, "contact.phone": "13900002222", "title": "井盖缺失"}

    refused = client.post("/console", data=other_call)

    assert refused.status_code == 409 and counts(app) == before
    page = refused.get_data(as_text=True)
    assert "这张表单已经提交过，内容与这次不同。" in page and "井盖缺失" in page
    fresh = KEY_INPUT.search(page)
    assert fresh and fresh.group(1) != form["intake_key"]
    again = client.post("/console", data={**other_call, "intake_key": fresh.group(1)})
    assert again.status_code == 303 and counts(app)["appeals"] == before["appeals"] + 1


def test_a_category_or_place_the_list_lacks_reads_in_page_terms_not_the_api_s(logged_in):
    """A category or place the list no longer has (the form was open while the list changed): the
    operator is told to choose from the list, in the page language, never sent to the API."""
    client = logged_in("operator")
    stale = {"category": "gone-0001", "area": "360799999999"}

    chinese = client.post("/console", data=_form(client, **stale)).get_data(as_text=True)
    english = client.post("/console?lang=en", data=_form(client, **stale)).get_data(as_text=True)

    assert error_summary_lines_of(chinese) == [
        "分类：请从列表中选择分类。",
        "发生地点（乡镇、村/社区）：请从列表中选择发生地点。",
    ]
    assert error_summary_lines_of(english) == [
        "Category: Choose a category from the list.",
        "Place (township, village/community): Choose the place from the list.",
    ]
    assert "/api/v1" not in english


def test_a_refused_close_shows_no_history_nor_duplicate_of_itself_and_no_number(app, logged_in):
    """An urgent consultation closed on the phone is refused: the side panels must not list the
    refused call itself under a number that was never stored (the operator would think it
    registered), and the next caller gets the number nobody saw."""
    client = logged_in("operator")
    gas = {"contact.phone": "13922223333", "title": "燃气泄漏咨询", "content": "家里闻到燃气味"}
    before = counts(app)

    r = client.post(
        "/console",
        data=_form(client, action="close", appeal_type="咨询", urgency="紧急", answer="请开窗通风。", **gas),
    )

    assert r.status_code == 422 and counts(app) == before
    page = r.get_data(as_text=True)
    assert "紧急、特急诉求须立即派单，不能直接办结。" in page
    assert 'data-caller-total="0"' in page and 'data-duplicates="0"' in page
    assert not re.search(r"GX\d{8}-\d{4}", page)


def test_a_refused_complaint_close_lists_only_the_callers_real_appeals(app, as_user, logged_in):
    earlier = register(as_user("operator"), contact={"name": "李四", "phone": PHONE})
    client = logged_in("operator")

    r = client.post("/console", data=_form(client, action="close", appeal_type="投诉", answer="已记录。"))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'data-caller-total="1"' in page
    assert set(re.findall(r"GX\d{8}-\d{4}", page)) == {earlier["number"]}


def test_a_letter_with_a_postal_address_and_no_phone_is_registered_to_print_and_post(app, logged_in):
    client = logged_in("operator")
    letter = _form(
        client,
        channel="letter",
        **{"contact.phone": "", "contact.name": "王五", "channel_meta.sender_address": "赣县梅林镇城东路1号"},
    )

    r = client.post("/console", data=letter)

    assert r.status_code == 303, error_summary_lines_of(r.get_data(as_text=True))
    page = client.get(r.location).get_data(as_text=True)
    assert 'data-advice="print_and_mail"' in page
    stored_letter = _stored(app, r.location.rsplit("/", 1)[1])
    assert stored_letter.channel == "letter"


def test_a_call_without_the_callers_number_is_refused_next_to_the_field(app, logged_in):
    client = logged_in("operator")
    before = counts(app)

    r = client.post("/console", data=_form(client, **{"contact.phone": ""}))

    assert r.status_code == 422 and counts(app) == before
    assert error_summary_lines_of(r.get_data(as_text=True)) == [
        "来电号码：此项为必填项：只有书面诉求（来信、电子邮件、区长信箱、人大建议、政协提案）可以不填电话号码。"
    ]


def test_a_phone_typed_in_full_width_digits_is_read_as_the_number(app, as_user, logged_in):
    earlier = register(as_user("operator"), contact={"name": "李四", "phone": PHONE})
    client = logged_in("operator")
    full_width = "１３９　１２３４－５６７８"  # 13912345678 typed with a Chinese input method

    history = client.get("/console/caller", query_string={"contact.phone": full_width}).get_data(as_text=True)
    r = client.post("/console", data=_form(client, **{"contact.phone": full_width}))

    assert earlier["number"] in history and 'data-caller-total="1"' in history
    assert r.status_code == 303, error_summary_lines_of(r.get_data(as_text=True))
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == r.location.rsplit("/", 1)[1]))
        assert appeal is not None and appeal.contact.phone == PHONE


def test_a_village_of_another_township_is_refused_not_stored_under_it(app, logged_in):
    """A crafted (or script-less, stale) form: township 梅林镇, village of 王母渡镇."""
    client = logged_in("operator")
    before = counts(app)
    wrong = {"township": township("梅林镇"), "area": villages("王母渡镇")[0]}

    chinese = client.post("/console", data=_form(client, **wrong))
    english = client.post("/console?lang=en", data=_form(client, **wrong))

    assert chinese.status_code == english.status_code == 422 and counts(app) == before
    assert error_summary_lines_of(chinese.get_data(as_text=True)) == [
        "发生地点（乡镇、村/社区）：所选村（社区）不在所选乡镇内，请重新选择村（社区）。"
    ]
    assert error_summary_lines_of(english.get_data(as_text=True)) == [
        "Place (township, village/community): The village or community chosen is not in the township "
        "chosen: choose the village again."
    ]
    right = {"township": township("王母渡镇"), "area": villages("王母渡镇")[0]}
    assert client.post("/console", data=_form(client, **right)).status_code == 303
