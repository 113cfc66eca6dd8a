"""Personal data a citizen writes into free text, found and masked or removed (pure functions)."""

from __future__ import annotations

import pytest

from service.appeals.redact import REMOVED, hide_known, mask, remove


@pytest.mark.parametrize(
    "written, masked",
    [
        ("电话13812345678", "电话138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        ("手机：+86 138-1234-5678。", "手机：138****5678。"),
        ("座机0797-8123456", "座机0797-8****56"),
        ("身份证36072119900101123X", "身份证3****************X"),
        ("邮箱 zhang.san@example.com 联系", "邮箱 z***@example.com 联系"),
        ("请发至zhang.san@example.com谢谢", "请发至z***@example.com谢谢"),  # the words around it kept
    ],
)
def test_each_kind_of_number_is_masked_as_the_contact_is(written, masked):
    assert mask(written) == masked


def test_the_citizens_name_shows_as_the_surname_and_is_removed_entirely():
    text = "我叫王小明，王小明的电话13812345678，请联系王师傅。"

    assert mask(text, ["王小明"]) == "我叫王**，王**的电话138****5678，请联系王师傅。"
    assert remove(text, ["王小明"]) == f"我叫{REMOVED}，{REMOVED}的电话{REMOVED}，请联系王师傅。"


def test_a_one_character_name_is_not_searched_for():
    assert mask("王母渡镇王家村", ["王"]) == "王母渡镇王家村"


@pytest.mark.parametrize(
    "text",
    [
        "工单GX20261121-0042已于2026-11-21办结",
        "补偿款50000元，面积120.5平方米",
        "订单号202611210001，12345热线",
        "东经115.123456度，北纬25.86543度",
        "1380012345678901234567 这样的长编号不是电话",
    ],
)
def test_numbers_that_are_not_personal_data_are_left_alone(text):
    assert mask(text) == text and remove(text) == text


def test_only_the_numbers_known_as_the_citizen_s_are_hidden_however_they_are_spaced():
    known = ["13812345678", "zhang.san@example.com", "我家座机0797 8123456"]
    text = "王小明您好：已电话138 1234 5678与您联系，回复已发至Zhang.San@example.com（座机0797-8123456）。咨询请拨0797-4400321。"

    assert hide_known(text, known, ["王小明"]) == (
        "王**您好：已电话138****5678与您联系，回复已发至Z***@example.com（座机0797-8****56）。"
        "咨询请拨0797-4400321。"
    )
    assert hide_known(text, known, ["王小明"], removed=True) == (
        f"{REMOVED}您好：已电话{REMOVED}与您联系，回复已发至{REMOVED}（座机{REMOVED}）。咨询请拨0797-4400321。"
    )
    assert hide_known(text, []) == text
