"""What a return's basis (退单依据) must say: the responsibility-list entry or the regulation (and its
article) that puts the appeal with another unit. Pure: no I/O.

A basis of punctuation alone, a word for "none" (无, 没有, 暂无, N/A, none) or a few characters
names nothing the centre could check, so the return is refused before it reaches the reviewer.
"""

from __future__ import annotations

import unicodedata

from service.text import Text, t

#: Fewer significant characters (letters, digits, CJK) than this name no list entry or article: a
#: list code ("030103") or a regulation with its article is longer; a bare "第十条" names no regulation.
MIN_SIGNIFICANT = 4

#: Words that say there is no basis (compared without punctuation, spaces or case).
NO_BASIS = frozenset(
    {
        "无",
        "没有",
        "暂无",
        "无依据",
        "没有依据",
        "暂无依据",
        "不详",
        "不清楚",
        "不知道",
        "略",
        "见上",
        "同上",
        "如上",
        "na",
        "n/a",
        "none",
        "nil",
        "null",
        "no",
        "nothing",
        "unknown",
        "test",
        "测试",
    }
)


def significant(text: str) -> str:
    """`text` without spaces, punctuation and symbols (the letters, digits and ideographs), folded
    to lower case and to half-width (ＮＯＮＥ, ｎ／ａ)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def says_nothing(basis: str) -> bool:
    """Whether `basis` gives no list entry or regulation: empty, punctuation, a no-basis word, or
    too short to name one."""
    core = significant(basis)
    folded = unicodedata.normalize("NFKC", basis).casefold().strip()
    return core in NO_BASIS or folded in NO_BASIS or len(core) < MIN_SIGNIFICANT


def basis_needed() -> Text:
    """What a return's basis must say, when it says nothing."""
    return t(
        "Name the basis: the responsibility list entry (its code and name) or the regulation and its"
        " article that puts the appeal with another unit; none, punctuation or a word or two is no basis."
    )
