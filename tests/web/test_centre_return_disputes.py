"""Repeated returns (退单): the centre sees how often and by whom; a unit that returns an appeal again
after a rejection is arbitrated, and after the centre rejects it again it cannot return it anew."""

from __future__ import annotations

from tests.service.handling_steps import LEAD, act, new_appeal, ok
from tests.web.test_centre import page_of, post_form

RETURN = {"reason": "不属于本单位职责", "basis": "职责清单 GX-0001"}


def rejected_once(as_user) -> str:
    number = new_appeal(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="清单明确由城管负责")
    return number


def test_the_centre_page_counts_the_returns_by_unit(as_user, logged_in):
    number = rejected_once(as_user)

    page = page_of(logged_in("dispatcher"), f"/centre/appeals/{number}")

    assert "退单 1 次：" in page and "区城管局 1 次（驳回 1 次）" in page
    assert "data-arbitration" not in page  # nothing waits for a decision


def test_a_return_after_a_rejection_is_flagged_for_arbitration_in_the_review(as_user, logged_in):
    number = rejected_once(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    client = logged_in("dispatcher")

    page = page_of(client, f"/centre/appeals/{number}")

    assert "反复退单，须由中心仲裁" in page and "data-arbitration" in page
    assert "区城管局 的退单已被驳回 1 次，现再次退回（共第 2 次）" in page
    assert "退单 2 次：" in page and "区城管局 2 次（驳回 1 次）" in page
    english = page_of(client, f"/centre/appeals/{number}?lang=en")
    assert "Returned again: the centre arbitrates" in english and "Returned 2 time(s):" in english


def test_after_the_arbitration_the_unit_cannot_return_the_appeal_again(as_user, logged_in):
    number = rejected_once(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    client = logged_in("dispatcher")
    assert (
        post_form(client, number, "return-review", decision="reject", note="仲裁：由城管办理").status_code
        == 302
    )

    r = act(as_user(LEAD), number, "return", **RETURN)

    assert r.status_code == 409 and "arbitrated" in r.json["message"]
    unit = logged_in("cgj")
    page = page_of(unit, f"/unit/appeals/{number}")
    assert f'action="/unit/appeals/{number}/return"' not in page  # no form that could only be refused


def test_the_refusal_after_arbitration_reads_in_chinese(as_user):
    number = rejected_once(as_user)
    ok(as_user(LEAD), number, "return", **RETURN)
    ok(as_user("dispatcher"), number, "return-review", decision="reject", note="仲裁")

    r = as_user(LEAD).post(
        f"/api/v1/appeals/{number}/return", json=RETURN, headers={"Accept-Language": "zh-CN"}
    )

    assert r.status_code == 409 and "中心已对本件的退单作出仲裁" in r.json["message"]
