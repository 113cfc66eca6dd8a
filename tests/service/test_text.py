"""service.text: the English message the API says, and its translation for the pages."""

from __future__ import annotations

import pickle

from service.text import t

ZH = {
    "Only the {parts} unit may {action}.": "只有{part_names}单位可以{label}。",
    "Unknown unit {code!r}.": "没有代码为 {code} 的单位。",
    "Units {codes} are unknown ({why}).": "单位{codes}不存在（{why}）。",
    "inactive": "已停用",
    "Broken {x}.": "坏了 {y}。",
}


def test_the_english_text_is_the_template_filled_with_its_values():
    message = t(
        "Only the {parts} unit may {action}.", parts="lead", action="reply", label="答复", part_names="主办"
    )

    assert message == "Only the lead unit may reply."
    assert isinstance(message, str) and message.template == "Only the {parts} unit may {action}."
    assert t("Unknown unit {code!r}.", code="CGJ") == "Unknown unit 'CGJ'."
    assert t("No reply is waiting for review.") == "No reply is waiting for review."


def test_a_translation_may_use_values_the_english_text_does_not_show():
    message = t(
        "Only the {parts} unit may {action}.", parts="lead", action="reply", label="答复", part_names="主办"
    )

    assert message.translated(lambda s: ZH.get(s, s), "、") == "只有主办单位可以答复。"


def test_lists_are_joined_in_each_language_and_their_items_translated():
    message = t("Units {codes} are unknown ({why}).", codes=["A", "B"], why=t("inactive"))

    assert message == "Units A, B are unknown (inactive)."
    assert message.translated(lambda s: ZH.get(s, s), "、") == "单位A、B不存在（已停用）。"


def test_without_a_translation_or_with_a_broken_one_the_english_text_is_shown():
    assert (
        t("Not in the catalogue {n}.", n=3).translated(lambda s: ZH.get(s, s), "、")
        == "Not in the catalogue 3."
    )
    assert (
        t("Broken {x}.", x=1).translated(lambda s: ZH.get(s, s), "、") == "Broken 1."
    )  # names {y}: not given


def test_a_message_survives_pickling_with_its_template():
    message = pickle.loads(pickle.dumps(t("Unknown unit {code!r}.", code="CGJ")))

    assert message == "Unknown unit 'CGJ'." and message.params == {"code": "CGJ"}
    assert message.translated(lambda s: ZH.get(s, s), "、") == "没有代码为 CGJ 的单位。"
