"""What the centre is told once its decision went through: where the appeal went and what the
decision was (a reviewer who sent a reply back, approved a return or refused an extension reads so,
not only that "the review was submitted"); and the dispatch form says that its preselected unit is
kept when a category or area is corrected."""

from __future__ import annotations

import re

from tests.service.factories import unit_code
from tests.service.handling_steps import CO, LEAD, new_appeal, ok, replied_appeal, reply_body
from tests.web.test_centre import MEILIN, RSJ, page_of, post_form

NOISE = "030302"  # 社会生活噪声: the list sends it to 赣县公安分局, 区城管局 co-handling


def flash_of(page: str) -> list[str]:
    """The messages the page shows at its top (flashes), as read."""
    return re.findall(r'<p class="flash flash-\w+" role="(?:status|alert)">([^<]*)</p>', page)


def test_a_category_corrected_with_the_preselected_unit_goes_to_that_unit_and_the_page_says_which(
    as_user, logged_in
):
    number = new_appeal(as_user)  # with 区城管局
    client = logged_in("dispatcher")
    form = page_of(client, f"/centre/appeals/{number}")
    assert (
        "默认为现在的承办单位，更正分类或区划也仍派给它；要按更正后的分类和区划重新确定，请选“按职责清单”"
        in form
    )

    kept = post_form(
        client,
        number,
        "dispatch",
        unit=unit_code("区城管局"),
        co_units=[MEILIN],
        category=NOISE,
        reason="夜间噪音，更正分类",
    )

    assert kept.status_code == 302
    assert flash_of(page_of(client, kept.location)) == ["已派单至区城管局。"]

    by_list = post_form(client, number, "dispatch", unit="", category=NOISE, reason="按清单重新确定")

    assert flash_of(page_of(client, by_list.location)) == ["已派单至赣县公安分局。"]
    english = page_of(client, f"/centre/appeals/{number}?lang=en")
    assert (
        "To let the list choose by the corrected category and area, pick “By the responsibility list”"
        in english
    )
    client.get("/lang/zh")


def test_a_first_dispatch_form_keeps_its_old_hint(as_user, logged_in):
    from tests.web.test_centre import waiting_appeal

    number = waiting_appeal(as_user)
    page = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")
    assert "不选则按职责清单派单；清单无法确定时须选择。" in page and "默认为现在的承办单位" not in page


def test_a_return_review_says_what_became_of_the_appeal(as_user, logged_in):
    client = logged_in("dispatcher")
    redispatched, queued, rejected = new_appeal(as_user), new_appeal(as_user), new_appeal(as_user)
    for number in (redispatched, queued, rejected):
        ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")

    to_rsj = post_form(client, redispatched, "return-review", decision="approve", unit=RSJ, note="改派人社局")
    assert flash_of(page_of(client, to_rsj.location)) == ["已同意退单，已改派至区人社局。"]
    back = post_form(client, queued, "return-review", decision="approve")
    assert flash_of(page_of(client, back.location)) == ["已同意退单，诉求回到待分拨，请重新派单。"]
    kept = post_form(client, rejected, "return-review", decision="reject", note="属本单位职责")
    assert flash_of(page_of(client, kept.location)) == ["已驳回退单，诉求退回原承办单位继续办理。"]

    # The approved return's own note, written by the service, is said in English too.
    english = page_of(client, f"/centre/appeals/{queued}?lang=en")
    client.get("/lang/zh")
    assert "退单审核通过" not in english and "Return approved" in english


def test_an_extension_review_says_approved_or_refused(as_user, logged_in):
    client = logged_in("dispatcher")
    approved, refused = new_appeal(as_user), new_appeal(as_user)
    for number in (approved, refused):
        ok(as_user(LEAD), number, "sign")
        ok(as_user(LEAD), number, "extension", days=5, reason="需联合执法，夜间取证")

    yes = post_form(client, approved, "extension-review", decision="approve")
    assert flash_of(page_of(client, yes.location)) == ["已批准延期，答复时限已顺延。"]
    no = post_form(client, refused, "extension-review", decision="refuse", note="时限内可以办结")
    assert flash_of(page_of(client, no.location)) == ["未批准延期，答复时限不变。"]


def test_a_reply_review_says_released_or_sent_back_in_either_language(as_user, logged_in):
    number = replied_appeal(as_user)
    client = logged_in("reviewer")

    back = post_form(client, number, "review", decision="send_back", reasons="未写明整改措施")
    assert flash_of(page_of(client, f"{back.location}?lang=en")) == [
        "Reply sent back to the unit to correct."
    ]
    client.get("/lang/zh")
    ok(as_user(LEAD), number, "reply", **reply_body(citizen_text="已责令整改，并于次日复查。"))
    released = post_form(client, number, "review", decision="approve")
    assert flash_of(page_of(client, released.location)) == ["答复已审核通过，已发布给群众。"]


def test_the_return_count_and_the_figures_bases_read_as_english_sentences(as_user, logged_in):
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", reason="不属于本单位职责", basis="职责清单 GX-0001")
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}?lang=en")
    figures = page_of(client, "/figures?lang=en")
    client.get("/lang/zh")

    assert "区城管局: returned 1 time(s), rejected 0 time(s)" in page
    assert re.search(r"Appeals received: \d+ \(repeats merged", figures)
    assert re.search(r"\. Dispatches: \d+ \(appeals dispatched", figures)
    assert re.search(r"\. Ratings counted: \d+ \(a rating after a reopen", figures)
    assert not re.search(r"\b1 appeals came in|\b1 returns\b", page + figures)


def test_a_press_from_the_centre_is_marked_on_the_units_workbench_and_its_page(as_user, logged_in):
    number = new_appeal(as_user)  # with 区城管局, 梅林镇 co-handling
    centre = logged_in("dispatcher")
    post_form(centre, number, "press", note="群众再次来电，请今天内联系群众")
    post_form(centre, number, "press", note="请于今日签收")

    unit = logged_in("cgj")
    listed = page_of(unit, "/unit")
    item = listed.split(f">{number}</a>", 1)[1].split("</li>", 1)[0]
    assert '<span class="badge badge-warn" data-pressed="2">已催办 2 次</span>' in item
    page = page_of(unit, f"/unit/appeals/{number}")
    notice = page.split('data-pressed="2">', 1)[1].split("</section>", 1)[0]
    assert "分拨中心已催办 2 次，请抓紧办理。最近一次：" in notice and "请于今日签收" in notice
    english = page_of(unit, f"/unit/appeals/{number}?lang=en")
    unit.get("/lang/zh")
    assert "The dispatch centre pressed for this appeal 2 time(s): please get on with it." in english

    # The centre reads what it sent, not a request to itself.
    sent = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")
    assert "已向承办单位催办 2 次。最近一次：" in sent and "请抓紧办理" not in sent
    # The co-unit was not pressed: neither its workbench nor its page says so.
    co = logged_in(CO)
    co_listed = page_of(co, "/unit")
    assert number in co_listed and "已催办" not in co_listed
    assert "中心催办" not in page_of(co, f"/unit/appeals/{number}")


def test_a_press_to_the_unit_the_appeal_was_with_before_is_not_the_new_units(as_user, logged_in):
    number = new_appeal(as_user)
    centre = logged_in("dispatcher")
    post_form(centre, number, "press", note="请尽快签收")
    post_form(centre, number, "dispatch", unit=RSJ, co_units=[], reason="属劳动保障事项")

    unit = logged_in("rsj")
    listed = page_of(unit, "/unit")
    page = page_of(unit, f"/unit/appeals/{number}")
    assert number in listed and "已催办" not in listed
    assert "中心催办" not in page and "请尽快签收" in page  # on the timeline only
