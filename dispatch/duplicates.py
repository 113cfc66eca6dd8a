"""Likely duplicates (重复件) and repeat callers: text similarity for Chinese and the candidate rule.

Pure: plain functions over plain data, no I/O. The service loads the earlier appeals (one query
for the caller's phone, one for the place) and asks `find_candidates` which of them to flag.

Similarity is the Dice coefficient of character bigrams (2·|A∩B| / (|A|+|B|)) over normalised
text: Chinese has no spaces between words, and bigrams need no word segmentation. (Dice and
Jaccard rank pairs alike, D = 2J/(1+J); Dice's scale is the one the threshold is stated in.) Hotline boilerplate (市民来电反映, 请尽快处理 ...) is stripped first: every record carries it,
and it would make unrelated appeals look alike.

The threshold `SIMILAR_TEXT` = 0.3 comes from realistic pairs (tests/dispatch/test_duplicates.py):
two callers describing the same uncollected garbage, blocked drain, broken street lamp, night-time
building noise or unpaid wages in their own words score 0.31-0.50, while different problems at
the same place (garbage and a street lamp at one address, a drain and a pension question in one
village) score under 0.22. A threshold of 0.5 would miss most paraphrases. The place already
narrows the field to one village (or one township) and one week, and a false candidate costs the
centre one "dismiss", while a missed duplicate costs a unit a second visit. Known limits: one
sentence template with one word changed (停水 / 停电 at the same street) scores high, and a
paraphrase sharing few characters (光明路停水 said two ways) scores low; the centre decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Same caller: earlier appeals within this window are candidates whatever their text.
SAME_PHONE_WINDOW = timedelta(days=30)
#: Same place: earlier appeals within this window are candidates when their text is similar.
SAME_AREA_WINDOW = timedelta(days=7)
#: Dice similarity from which two appeals of the same place are flagged.
SIMILAR_TEXT = 0.3
#: A same-phone candidate's score: this floor, raised towards 1 by the text similarity.
SAME_PHONE_FLOOR = 0.5
#: At most this many candidates are flagged per appeal (the best scores).
MAX_CANDIDATES = 10

SAME_PHONE = "same_phone"
SIMILAR_TEXT_REASON = "similar_text"

#: Phrases of the intake form and the operator's script, not of the problem itself.
BOILERPLATE: tuple[str, ...] = (
    "市民来电反映",
    "市民来电",
    "来电人反映",
    "来电反映",
    "来电人",
    "来电称",
    "市民反映",
    "群众反映",
    "网民反映",
    "反映",
    "现诉求",
    "诉求",
    "请相关部门",
    "请有关部门",
    "希望相关部门",
    "希望有关部门",
    "请尽快处理",
    "尽快处理",
    "请尽快解决",
    "尽快解决",
    "请尽快",
    "谢谢",
)

# Letters, digits and CJK ideographs are kept; punctuation and spaces dropped.
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def normalise(text: str) -> str:
    """Full-width forms folded (NFKC), lower case, boilerplate phrases and punctuation removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    for phrase in BOILERPLATE:
        text = text.replace(phrase, " ")
    return _NOT_WORD.sub("", text)


def bigrams(text: str) -> frozenset[str]:
    """The set of adjacent character pairs of the normalised text (a single character: itself)."""
    norm = normalise(text)
    if len(norm) < 2:
        return frozenset({norm}) if norm else frozenset()
    return frozenset(norm[i : i + 2] for i in range(len(norm) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(a: str, b: str) -> float:
    """Bigram Dice similarity of two texts, 0.0 (nothing shared) to 1.0 (the same after normalising)."""
    return dice(bigrams(a), bigrams(b))


@dataclass(frozen=True)
class Subject:
    """What the rule needs of an appeal: its key (id), caller, place, text and arrival time."""

    key: int
    phone: str
    area_code: str | None
    text: str
    received_at: datetime
    merged: bool = False


@dataclass(frozen=True)
class Candidate:
    key: int
    reason: str  # same_phone | similar_text
    score: float  # 0..1, rounded to 3 places


def in_area(area_code: str | None, other: str | None) -> bool:
    """True when an appeal at `other` is in the same area as one at `area_code`.

    A village (12 digits) matches itself and its township (9 digits): an earlier caller may have
    named only the township. A township matches itself and every village in it. A county code,
    or no place at all, is too broad: nothing is in its area.
    """
    if not area_code or not other or len(area_code) < 9:
        return False
    if len(area_code) >= 12:
        return other in (area_code, area_code[:9])
    return other.startswith(area_code)


def find_candidates(
    new: Subject,
    earlier: Iterable[Subject],
    *,
    threshold: float = SIMILAR_TEXT,
    limit: int = MAX_CANDIDATES,
) -> list[Candidate]:
    """The earlier appeals to flag as likely duplicates of `new`, best score first.

    - the same phone, received within 30 days of `new`: `same_phone`, scored
      0.5 + 0.5 × text similarity (a repeat call about the same matter scores near 1; the same
      caller with another matter still shows, at 0.5);
    - the same area (`in_area`), received within 7 days of `new`, text similarity ≥ `threshold`:
      `similar_text`, scored by the similarity.
    Merged appeals and `new` itself are never candidates; an appeal matching both ways is
    reported once, as `same_phone`.
    """
    new_grams = bigrams(new.text)
    found: dict[int, Candidate] = {}
    for other in earlier:
        if other.key == new.key or other.merged or other.key in found:
            continue
        age = abs(new.received_at - other.received_at)
        same_phone = bool(new.phone) and other.phone == new.phone and age <= SAME_PHONE_WINDOW
        same_area = in_area(new.area_code, other.area_code) and age <= SAME_AREA_WINDOW
        if not (same_phone or same_area):
            continue
        score = dice(new_grams, bigrams(other.text))
        if same_phone:
            found[other.key] = Candidate(
                other.key, SAME_PHONE, round(SAME_PHONE_FLOOR + (1 - SAME_PHONE_FLOOR) * score, 3)
            )
        elif score >= threshold:
            found[other.key] = Candidate(other.key, SIMILAR_TEXT_REASON, round(score, 3))
    return sorted(found.values(), key=lambda c: (-c.score, -c.key))[:limit]
