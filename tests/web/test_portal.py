"""The citizens' portal: submit, track with the number and query code, read the reply, rate once."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch.deadlines import last_day_and_time
from service.appeals.models import Appeal
from tests.service.closing_arrange import (
    REOPEN_REASON,
    REPLY,
    appeal_row,
    release,
    reopened_after_an_extension,
    replied,
)
from tests.service.factories import counts, new_address, register, stored
from tests.service.helpers import a_village
from tests.web.conftest import csrf_token_of, error_summary_lines_of, error_summary_of

RATING_FORM = {
    "contacted": "true",
    "resolved": "yes",
    "attitude": "满意",
    "result": "基本满意",
    "comment": "很及时",
}


@pytest.fixture
def citizen(client: Any) -> Any:
    """The test client from an address of its own (the public pages are rate-limited per address)."""
    client.environ_base["REMOTE_ADDR"] = new_address()
    return client


def _token(client: Any, url: str = "/portal") -> str:
    return csrf_token_of(client.get(url).get_data(as_text=True))


def _submission(client: Any, **overrides: str) -> dict[str, str]:
    village = a_village()
    page = client.get("/portal/submit").get_data(as_text=True)
    key = re.search(r'name="intake_key" value="([0-9a-f]+)"', page)
    assert key, "the form's key"
    data = {
        "csrf_token": csrf_token_of(page),
        "intake_key": key.group(1),
        "appeal_type": "投诉",
        "title": "夜间施工噪音扰民",
        "content": "小区旁边工地每天晚上十一点以后还在施工，噪音很大，影响休息。",
        "township": village[:9],
        "area": village,
        "address": "梅林镇华新路8号",
        "contact.name": "王五",
        "contact.phone": "13600001111",
    }
    data.update(overrides)
    return data


def _track(client: Any, number: str, code: str) -> Any:
    return client.post("/portal/track", data={"csrf_token": _token(client), "number": number, "code": code})


def _rate(client: Any, number: str, **overrides: str) -> Any:
    token = _token(client)
    return client.post(
        f"/portal/appeals/{number}/rate", data={"csrf_token": token, **RATING_FORM, **overrides}
    )


def test_the_portal_pages_render_without_log_in(citizen):
    front = citizen.get("/portal").get_data(as_text=True)
    assert "我要提诉求" in front and ">受理编号" in front and ">查询码" in front

    form = citizen.get("/portal/submit")

    assert form.status_code == 200
    page = form.get_data(as_text=True)
    for label in ("诉求类型", "标题", "具体内容", "乡镇（街道）", "姓名", "联系电话"):
        assert f">{label}" in page, label
    assert 'name="urgency"' not in page and 'name="channel"' not in page  # the public intake sets them


def test_a_submission_is_stored_as_a_web_appeal_and_shows_number_and_query_code(app, citizen):
    r = citizen.post("/portal/submit", data=_submission(citizen, confidential="true"))

    assert r.status_code == 303
    page = citizen.get(r.location).get_data(as_text=True)
    number = r.location.rsplit("/", 1)[1]
    with stored(app) as s:
        appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
        assert appeal is not None
        assert (appeal.channel, appeal.urgency, appeal.title, appeal.area_code) == (
            "web",
            "一般",
            "夜间施工噪音扰民",
            a_village(),
        )
        assert appeal.confidential and appeal.contact.name == "王五"
        code = appeal.query_code
    assert f"data-number>{number}<" in page and f"data-query-code>{code}<" in page
    # Another browser does not get the code from the page's address.
    other = app.test_client()
    assert other.get(r.location).status_code == 302


def test_a_bad_submission_shows_the_errors_next_to_the_fields_with_the_text_kept(app, citizen):
    before = counts(app)

    r = citizen.post(
        "/portal/submit",
        data=_submission(citizen, content="太吵", **{"contact.name": "", "contact.phone": "110"}),
    )

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-content-error">字数须在 5 到 5000 之间。' in page
    assert 'id="f-contact-name-error">此项为必填项。' in page
    assert 'id="f-contact-phone-error">请填写11位手机号码' in page
    assert 'value="夜间施工噪音扰民"' in page and ">太吵</textarea>" in page
    assert counts(app) == before


def test_a_name_of_control_characters_only_is_missing_not_too_long(app, citizen):
    r = citizen.post("/portal/submit", data=_submission(citizen, **{"contact.name": "\x00\x01"}))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-contact-name-error">此项为必填项，不能为空' in page and "50字以内" not in page


def test_the_submission_s_error_summary_names_each_field(citizen):
    r = citizen.post("/portal/submit", data=_submission(citizen, title="", **{"contact.phone": ""}))

    assert r.status_code == 422
    assert error_summary_lines_of(r.get_data(as_text=True)) == [
        "标题：此项为必填项。",
        "联系电话：此项为必填项。",
    ]


def test_name_and_phone_both_left_empty_are_each_said_missing_beside_their_field(citizen):
    """Not one line "此项为必填项。" naming no field and shown beside none (the contact as a whole)."""
    r = citizen.post("/portal/submit", data=_submission(citizen, **{"contact.name": "", "contact.phone": ""}))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-contact-name-error">此项为必填项。' in page
    assert 'id="f-contact-phone-error">此项为必填项。' in page
    assert error_summary_lines_of(page) == ["姓名：此项为必填项。", "联系电话：此项为必填项。"]
    assert 'href="#f-contact"' not in page


def test_a_tampered_submission_is_refused_in_the_page_language(citizen):
    bad = {
        "appeal_type": "xx",
        "area": "12",
        "confidential": "maybe",
        "contact.email": "wang@",
        "contact.id_number": "3607",
        "contact.phone": "０７９７",
    }

    r = citizen.post("/portal/submit", data=_submission(citizen, **bad))

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-appeal_type-error">请选择以下之一：咨询、求助、投诉、举报、建议、表扬、其他。' in page
    assert 'id="f-area-error">区划代码应为 6 位、9 位或 12 位数字。' in page
    said = error_summary_of(page)
    assert "请选择是或否。" in said and "电子邮件地址格式不正确。" in said
    assert "身份证号码应为 17 位数字加 1 位校验码（0-9 或 X）。" in said
    assert len(said) == 6 and not [m for m in said if m.isascii()]
    english = citizen.post("/portal/submit?lang=en", data=_submission(citizen, **bad)).get_data(as_text=True)
    assert (
        "Choose one of: Consultation, Help request, Complaint, Report, Suggestion, Praise, Other." in english
    )
    assert "An ID number has 17 digits and a check digit (0-9 or X)." in english


def test_tracking_shows_the_public_timeline_only(as_user, citizen):
    body = register(as_user("operator"))

    r = _track(citizen, body["number"], body["query_code"])

    assert r.status_code == 303 and r.location == f"/portal/appeals/{body['number']}"
    page = citizen.get(r.location).get_data(as_text=True)
    assert "小区门口垃圾多日无人清运" in page
    assert "诉求已受理" in page and "您的诉求已受理。" in page
    assert "尚未答复" in page and "答复后可在此评价" in page
    assert "13800001234" not in page and "operator" not in page


def test_a_code_typed_in_full_width_digits_and_a_lower_case_number_are_read(as_user, citizen):
    body = register(as_user("operator"))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in body["query_code"])

    r = _track(citizen, f" {body['number'].lower()} ", full_width)

    assert r.status_code == 303 and r.location == f"/portal/appeals/{body['number']}"
    assert _track(citizen, body["number"], "²²²²²x").status_code == 422  # not digits: the form says so


def test_a_wrong_query_code_is_not_found_like_an_unknown_number(as_user, citizen):
    body = register(as_user("operator"))
    wrong_code = "000000" if body["query_code"] != "000000" else "111111"

    wrong = _track(citizen, body["number"], wrong_code)
    unknown = _track(citizen, "GX19990101-0001", body["query_code"])

    assert wrong.status_code == unknown.status_code == 404
    message = "没有找到该诉求，请核对受理编号和查询码。"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert citizen.get(f"/portal/appeals/{body['number']}").status_code == 302  # no code kept


def test_a_number_whose_code_was_guessed_wrong_too_often_says_how_long_to_wait(app, as_user, citizen):
    app.config["PUBLIC_GUESS_RATE_LIMIT"] = "2/hour"
    body = register(as_user("operator"))
    wrong_code = "000000" if body["query_code"] != "000000" else "111111"
    assert [_track(citizen, body["number"], wrong_code).status_code for _ in range(2)] == [404, 404]

    r = _track(citizen, body["number"], wrong_code)

    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "<h1>请求过于频繁</h1>" in page
    assert re.search(r"<p>请 (59|60) 分钟后再试。</p>", page)


def test_the_citizen_reads_the_reply_and_rates_once(app, as_user, citizen):
    body = replied(as_user)
    _track(citizen, body["number"], body["query_code"])
    page = citizen.get(f"/portal/appeals/{body['number']}").get_data(as_text=True)
    assert "已安排环卫工人清运完毕" in page and "环卫三队" not in page  # the reply, never the internal note
    assert "提交评价" in page

    r = _rate(citizen, body["number"])

    assert r.status_code == 303
    assert appeal_row(app, body["number"])["status"] == "closed"
    page = citizen.get(r.location).get_data(as_text=True)
    assert "感谢您的评价" in page and "data-rated" in page and "提交评价" not in page

    again = _rate(citizen, body["number"], attitude="不满意")

    assert again.status_code == 409
    assert "您已评价过本次办理结果，不能重复评价。" in again.get_data(as_text=True)


def test_a_merged_appeal_s_citizen_is_told_where_the_rating_is_made(as_user, citizen):
    master = replied(as_user)
    dup = register(as_user("operator"))
    merged = as_user("dispatcher").post(
        f"/api/v1/appeals/{dup['number']}/merge", json={"master": master["number"], "reason": "同一问题"}
    )
    assert merged.status_code == 200, merged.get_json()
    _track(citizen, dup["number"], dup["query_code"])
    page = citizen.get(f"/portal/appeals/{dup['number']}").get_data(as_text=True)
    assert "已安排环卫工人清运完毕" in page  # the master's reply
    told = re.search(r"data-merged-rating>([^<]*)<", page)
    assert told and master["number"] in told.group(1) and "12345" in told.group(1)
    assert "答复后可在此评价" not in page and "提交评价" not in page


def _section(page: str, title_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', page, re.S)
    assert found, title_id
    return found.group(1)


def _as_a_page_says(app: Any, due: Any) -> str:
    day, clock = last_day_and_time(due, app.config["TZ"])
    return f"{day:%Y-%m-%d} {clock}"


def test_after_a_reopen_the_page_says_handled_again_with_the_earlier_reply_as_history(app, as_user, citizen):
    body, extended = reopened_after_an_extension(app, citizen, as_user)
    number = body["number"]
    _track(citizen, number, body["query_code"])

    page = citizen.get(f"/portal/appeals/{number}").get_data(as_text=True)

    assert re.search(r'data-status="dispatched">重新办理中<', page)
    due = appeal_row(app, number)["reply_due_at"]
    assert f"data-reply-due>{_as_a_page_says(app, due)}<" in page  # the reopen's deadline
    assert _as_a_page_says(app, extended) not in page  # not the earlier round's extension
    reply = _section(page, "reply-title")
    assert "data-reply" not in reply and REPLY["citizen_text"] not in reply
    assert "您的诉求正在重新办理" in reply
    timeline = _section(page, "timeline-title")
    earlier = re.search(r"<li class=\"superseded\" data-superseded>(.*?)</li>", timeline, re.S)
    assert earlier and "此前的答复（已重新办理）" in timeline
    assert REPLY["citizen_text"] in timeline and "此前的延期（已重新办理）" in timeline
    rating = _section(page, "rate-title")
    assert "data-rated" not in rating and "提交评价" not in rating and "答复后可在此评价" in rating
    for secret in (REOPEN_REASON, REPLY["internal_note"], "13800001234"):
        assert secret not in page, secret
    english = citizen.get(f"/portal/appeals/{number}?lang=en").get_data(as_text=True)
    assert "Being handled again" in english and "Earlier reply (handled again since)" in english
    assert "Reply due by" in english

    ok_sign = as_user("cgj").post(f"/api/v1/appeals/{number}/sign", json={})
    assert ok_sign.status_code == 200
    new_text = "重新核查后已彻底清运，并增设垃圾收集点。"
    release(as_user, number, {**REPLY, "citizen_text": new_text})
    page = citizen.get(f"/portal/appeals/{number}?lang=zh").get_data(as_text=True)

    reply = _section(page, "reply-title")
    assert re.search(rf"data-reply>{new_text}<", reply) and REPLY["citizen_text"] not in reply
    assert re.search(r'data-status="replied">已答复<', page) and "data-reply-due" not in page
    assert "提交评价" in _section(page, "rate-title")  # the new round is rated again


def test_a_rating_before_the_reply_is_refused(as_user, citizen):
    body = register(as_user("operator"))
    _track(citizen, body["number"], body["query_code"])

    r = _rate(citizen, body["number"])

    assert r.status_code == 409
    assert "诉求答复后才能评价。" in r.get_data(as_text=True)


def test_an_incomplete_rating_shows_its_errors(as_user, citizen):
    body = replied(as_user)
    _track(citizen, body["number"], body["query_code"])

    r = _rate(citizen, body["number"], result="", comment="态度很好")

    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="f-result-error">此项为必填项。' in page
    assert error_summary_lines_of(page) == [
        "对办理结果是否满意？此项为必填项。"
    ]  # which of the four questions
    assert ">态度很好</textarea>" in page and 'value="满意" checked' in page


def test_the_portal_reads_in_english_on_request(citizen):
    page = citizen.get("/portal/submit?lang=en").get_data(as_text=True)

    assert "Write an appeal" in page and ">Township (subdistrict)" in page and ">Complaint<" in page


def test_english_asked_for_in_the_address_stays_for_the_pages_that_follow(as_user, citizen):
    """/portal?lang=en links to /portal/submit and posts to /portal/track without ?lang=: the
    choice is kept as the header's toggle keeps it (the `lang` cookie)."""
    body = register(as_user("operator"))

    first = citizen.get("/portal?lang=en")
    assert "lang=en" in first.headers.get("Set-Cookie", "")

    assert "Write an appeal" in citizen.get("/portal/submit").get_data(as_text=True)
    wrong = _track(citizen, body["number"], "000000" if body["query_code"] != "000000" else "111111")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 404 and "No appeal found; check the appeal number and the query code." in page
    assert "没有找到该诉求" not in page

    citizen.get("/portal?lang=zh")  # and back
    assert "No appeal found" not in _track(citizen, "GX19990101-0001", "123456").get_data(as_text=True)


def test_the_api_leaves_the_page_language_alone(citizen):
    r = citizen.get("/api/v1/categories?lang=en")
    assert "lang=" not in r.headers.get("Set-Cookie", "")


def test_submitting_is_rate_limited_like_the_public_api(app, citizen):
    app.config["PUBLIC_RATE_LIMIT"] = "2/minute"

    statuses = [citizen.post("/portal/submit", data=_submission(citizen)).status_code for _ in range(3)]

    assert statuses == [303, 303, 429]


def test_a_field_the_form_does_not_have_is_named(app, citizen):
    """A form from an older page, or one posted by a script: the summary names what it does not take."""
    before = counts(app)

    r = citizen.post("/portal/submit", data=_submission(citizen, nickname="小王"))
    english = citizen.post("/portal/submit?lang=en", data=_submission(citizen, nickname="小王"))
    citizen.get("/lang/zh")

    assert r.status_code == english.status_code == 422
    assert error_summary_lines_of(r.get_data(as_text=True)) == ["未知的字段“nickname”：本表单没有这一项。"]
    assert error_summary_lines_of(english.get_data(as_text=True)) == [
        "Unknown field “nickname”: this form has no such item."
    ]
    assert 'value="夜间施工噪音扰民"' in r.get_data(as_text=True)  # what was typed is kept
    assert counts(app) == before


def test_a_form_sent_back_for_mistakes_does_not_use_up_the_rate_limit(app, citizen):
    """Sent back for a missing title, a mistyped phone number and a house number for a phone number:
    the citizen corrects it and sends it, twice, before the limit refuses a third appeal."""
    app.config["PUBLIC_RATE_LIMIT"] = "2/minute"

    mistakes = [
        citizen.post("/portal/submit", data=_submission(citizen, **fields)).status_code
        for fields in ({"title": ""}, {"contact.phone": "1360000111"}, {"contact.phone": "8号"})
    ]
    sent = [citizen.post("/portal/submit", data=_submission(citizen)).status_code for _ in range(3)]

    assert mistakes == [422, 422, 422]
    assert sent == [303, 303, 429]


def test_a_form_sent_back_without_end_meets_the_ceiling_on_all_submissions(app, citizen):
    app.config["PUBLIC_ATTEMPT_RATE_LIMIT"] = "2/minute"
    refused = [
        citizen.post("/portal/submit", data=_submission(citizen, title="")).status_code for _ in range(2)
    ]
    before = counts(app)

    r = citizen.post("/portal/submit", data=_submission(citizen, title="楼道灯坏了"))

    assert refused == [422, 422]
    assert r.status_code == 429 and 'value="楼道灯坏了"' in r.get_data(as_text=True)
    assert counts(app) == before


def test_a_submission_over_the_rate_limit_keeps_what_was_typed_and_says_when_to_send_it(app, citizen):
    """Not the bare "请求过于频繁" page: an appeal written at length would be lost with it."""
    app.config["PUBLIC_RATE_LIMIT"] = "1/minute"
    assert citizen.post("/portal/submit", data=_submission(citizen)).status_code == 303
    before = counts(app)
    content = "楼道里的声控灯坏了一个多月，晚上上下楼看不见，老人摔倒过两次。" * 20

    r = citizen.post("/portal/submit", data=_submission(citizen, title="楼道灯坏了", content=content))

    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
    page = r.get_data(as_text=True)
    assert error_summary_lines_of(page) == [
        "提交过于频繁：本网络短时间内提交次数过多。您填写的内容已保留，请 1 分钟后再点击“提交诉求”。"
        "情况紧急的，请拨打 12345 热线。"
    ]
    assert 'value="楼道灯坏了"' in page and f">{content}</textarea>" in page
    assert 'value="13600001111"' in page and 'value="投诉" selected' in page
    assert counts(app) == before
    english = citizen.post("/portal/submit?lang=en", data=_submission(citizen)).get_data(as_text=True)
    citizen.get("/lang/zh")
    assert "What you typed is kept: wait 1 min, then press “Submit” again." in english


@pytest.mark.parametrize("key", ["a\x00b", "k" * 129, " "])
def test_a_tampered_form_key_still_registers_the_appeal_once(app, citizen, key):
    """The hidden key is the page's; a tampered one (a NUL, too long, blank) is no reason to refuse a
    citizen's appeal, nor to crash: the appeal is registered as if the form had no key."""
    before = counts(app)

    r = citizen.post("/portal/submit", data=_submission(citizen, intake_key=key))

    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    assert counts(app)["appeals"] == before["appeals"] + 1


def test_the_form_sent_twice_is_one_appeal(app, citizen):
    """A double click on 提交: one appeal, and both answers lead to its number and query code."""
    form = _submission(citizen)
    before = counts(app)

    first = citizen.post("/portal/submit", data=form)
    second = citizen.post("/portal/submit", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(app)["appeals"] == before["appeals"] + 1


def test_the_progress_page_masks_the_phone_and_id_number_the_citizen_wrote(as_user, citizen):
    content = "我是李四光，身份证360721199001011231，电话13987654321。垃圾没人清运。"
    body = register(as_user("operator"), content=content)
    _track(citizen, body["number"], body["query_code"])

    page = citizen.get(f"/portal/appeals/{body['number']}").get_data(as_text=True)

    assert "身份证3****************1，电话139****4321" in page
    assert "360721199001011231" not in page and "13987654321" not in page


def _looked_up_minutes_ago(client: Any, minutes: int) -> None:
    with client.session_transaction() as session:
        for entry in session["portal_codes"].values():
            entry[1] -= minutes * 60
        session.modified = True


def test_a_tracked_appeal_stays_open_for_30_minutes_only(as_user, citizen):
    body = register(as_user("operator"))
    _track(citizen, body["number"], body["query_code"])

    _looked_up_minutes_ago(citizen, 29)
    assert citizen.get(f"/portal/appeals/{body['number']}").status_code == 200
    _looked_up_minutes_ago(citizen, 2)

    r = citizen.get(f"/portal/appeals/{body['number']}")
    assert r.status_code == 302 and r.location.startswith("/portal/track")
    assert _rate(citizen, body["number"]).status_code == 302  # no rating without the code either
    with citizen.session_transaction() as session:
        assert body["query_code"] not in str(session.get("portal_codes"))  # dropped from the cookie


def test_a_submitted_appeal_s_query_code_is_not_shown_after_30_minutes(citizen):
    r = citizen.post("/portal/submit", data=_submission(citizen))
    number = r.location.rsplit("/", 1)[1]
    assert "data-query-code" in citizen.get(r.location).get_data(as_text=True)

    _looked_up_minutes_ago(citizen, 31)

    assert citizen.get(f"/portal/submitted/{number}").status_code == 302


def _reloads_in(page: str, url: str) -> int:
    found = re.search(rf'<meta http-equiv="refresh" content="(\d+);url={re.escape(url)}">', page)
    assert found, f"the page reloads {url}"
    return int(found.group(1))


def test_a_page_left_open_goes_when_its_30_minutes_are_over(as_user, citizen):
    """On a shared computer the appeal does not stay on the screen: the page reloads when the
    browser forgets the appeal, and what it then shows is the query form."""
    body = register(as_user("operator"))
    _track(citizen, body["number"], body["query_code"])
    url = f"/portal/appeals/{body['number']}"

    assert 29 * 60 < _reloads_in(citizen.get(url).get_data(as_text=True), url) <= 30 * 60 + 2
    _looked_up_minutes_ago(citizen, 20)
    assert 9 * 60 < _reloads_in(citizen.get(url).get_data(as_text=True), url) <= 10 * 60 + 2
    _looked_up_minutes_ago(citizen, 11)
    r = citizen.get(url)
    assert r.status_code == 302 and r.location.startswith("/portal/track")


def test_a_submitted_appeal_s_code_page_goes_when_its_30_minutes_are_over(citizen):
    r = citizen.post("/portal/submit", data=_submission(citizen))

    assert 29 * 60 < _reloads_in(citizen.get(r.location).get_data(as_text=True), r.location) <= 30 * 60 + 2


def test_the_pages_showing_an_appeal_or_its_code_are_not_kept_for_the_back_button(as_user, citizen):
    """After 退出查询 the next user of a shared computer must not bring them back with Back."""
    submitted = citizen.post("/portal/submit", data=_submission(citizen))
    body = replied(as_user)
    _track(citizen, body["number"], body["query_code"])

    shown = [citizen.get(submitted.location), citizen.get(f"/portal/appeals/{body['number']}")]
    shown += [_rate(citizen, body["number"], result=""), _rate(citizen, body["number"])]
    shown.append(_rate(citizen, body["number"]))  # rated already

    assert [r.status_code for r in shown] == [200, 200, 422, 303, 409]
    assert [r.headers.get("Cache-Control") for r in shown if r.status_code != 303] == ["no-store"] * 4


def test_the_submission_form_is_not_kept_for_the_back_button(app, citizen):
    """The name, phone and ID number typed in it (left in the form once sent, or sent back with an
    error or over the rate limit) must not come back with Back for the next user of the computer."""
    app.config["PUBLIC_RATE_LIMIT"] = "1/minute"  # the one sent counts, not the one sent back
    shown = [citizen.get("/portal/submit")]
    shown.append(citizen.post("/portal/submit", data=_submission(citizen, title="")))
    assert citizen.post("/portal/submit", data=_submission(citizen)).status_code == 303
    shown.append(citizen.post("/portal/submit", data=_submission(citizen)))

    assert [r.status_code for r in shown] == [200, 422, 429]
    assert all('value="13600001111"' in r.get_data(as_text=True) for r in shown[1:])
    assert [r.headers.get("Cache-Control") for r in shown] == ["no-store"] * 3


def test_leaving_forgets_the_tracked_appeals_for_the_next_user(as_user, citizen):
    body, other = register(as_user("operator")), register(as_user("operator"))
    _track(citizen, body["number"], body["query_code"])
    _track(citizen, other["number"], other["query_code"])
    page = citizen.get(f"/portal/appeals/{body['number']}").get_data(as_text=True)
    assert "退出查询" in page

    r = citizen.post("/portal/leave", data={"csrf_token": csrf_token_of(page)})

    assert r.status_code == 303 and r.location == "/portal"
    assert "已退出查询" in citizen.get(r.location).get_data(as_text=True)
    for number in (body["number"], other["number"]):
        assert citizen.get(f"/portal/appeals/{number}").status_code == 302
        assert citizen.get(f"/portal/submitted/{number}").status_code == 302


def test_the_leave_button_reads_in_english(as_user, citizen):
    body = register(as_user("operator"))
    _track(citizen, body["number"], body["query_code"])

    page = citizen.get(f"/portal/appeals/{body['number']}?lang=en").get_data(as_text=True)

    assert ">Leave</button>" in page and "30 minutes after you looked the appeal up" in page


def test_the_citizen_reads_where_the_appeal_stands_for_them_not_the_centre_s_steps(app, as_user, citizen):
    """A unit asking to hand the appeal back, or the centre reviewing its reply, is still 办理中 to
    the citizen: the portal never says 退单审核中 (a unit tried to give it back) or 答复审核中."""
    from tests.service.handling_steps import LEAD, new_appeal, ok, reply_body

    number = new_appeal(as_user)
    with stored(app) as s:
        code = s.scalar(sa.select(Appeal.query_code).where(Appeal.number == number))

    def status_shown() -> str:
        page = citizen.get(_track(citizen, number, code).location).get_data(as_text=True)
        match = re.search(r'data-status="[a-z_]+">([^<]+)<', page)
        assert match, page
        return match.group(1)

    assert status_shown() == "已转办"
    ok(as_user(LEAD), number, "sign")
    assert status_shown() == "办理中"
    ok(
        as_user(LEAD),
        number,
        "return",
        reason="该处属社保缴费争议，不属市容环卫",
        basis="职责清单 社会保险类",
    )
    assert status_shown() == "办理中"
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="属本单位职责，请继续办理")
    ok(as_user(LEAD), number, "reply", **reply_body())
    assert status_shown() == "办理中"

    english = citizen.get(f"/portal/appeals/{number}?lang=en").get_data(as_text=True)
    citizen.get("/lang/zh")
    assert 'data-status="reply_review">Handling<' in english
