"""The knowledge base (知识库): articles the operators answer consultations from.

The centre edits every article; a unit edits only its own, and may neither name another owner
nor bring a withdrawn article back (refused, naming the field); everyone on the staff reads. Deleting deactivates: an article that closed an appeal stays
referable. Search is in Chinese without a tokenizer: the query is cut into character bigrams, so
"垃圾清运" also finds "清运垃圾", and each article is scored by where the bigrams occur (title over
keywords over body). A county's knowledge base holds hundreds of articles, so the candidates are
filtered in SQL (active, valid today, category) and scored in Python; a full-text index
(PostgreSQL with a Chinese parser) can replace `score` when it grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.auth.models import User
from service.errors import Forbidden, NotFound, ValidationFailed
from service.knowledge.models import KnowledgeArticle
from service.lists.models import Category, Unit
from service.text import t

#: Roles that edit every article (and may see inactive or expired ones).
CENTRE_EDITORS = frozenset({"dispatcher", "reviewer", "admin"})
READERS = ("operator", "dispatcher", "reviewer", "unit_staff", "leader", "admin")

#: What one query term found in an article's title, keywords or body is worth.
TITLE_WEIGHT, KEYWORD_WEIGHT, BODY_WEIGHT = 5, 3, 1
#: The whole query, as typed, found in the title.
PHRASE_BONUS = 10

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9A-Za-z]+")


def terms(query: str) -> list[str]:
    """The search terms of a query: Chinese runs cut into bigrams (a lone character stays whole),
    Latin words and numbers whole, lower-cased; duplicates dropped, in order."""
    found: list[str] = []
    for run in _CJK.findall(query):
        found.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    found.extend(w.lower() for w in _WORD.findall(query))
    return list(dict.fromkeys(found))


def score(article: KnowledgeArticle, query_terms: list[str], phrase: str = "") -> int:
    """How well an article answers the terms: title hits count most, then keywords, then body."""
    title, body = article.title.lower(), article.body.lower()
    keywords = " ".join(article.keywords or ()).lower()
    total = sum(
        TITLE_WEIGHT * (term in title) + KEYWORD_WEIGHT * (term in keywords) + BODY_WEIGHT * (term in body)
        for term in query_terms
    )
    if total and phrase and phrase.lower() in title:
        total += PHRASE_BONUS
    return total


def is_valid_on(article: KnowledgeArticle, day: date) -> bool:
    return (article.valid_from is None or article.valid_from <= day) and (
        article.valid_to is None or day <= article.valid_to
    )


def is_centre(user: User) -> bool:
    return user.role in CENTRE_EDITORS


def get_article(s: Session, article_id: int) -> KnowledgeArticle:
    article = s.get(KnowledgeArticle, article_id)
    if article is None:
        raise NotFound(t("No knowledge-base article {id}.", id=article_id))
    return article


def usable_article(s: Session, article_id: int, today: date) -> KnowledgeArticle:
    """The article an operator answered from: it must exist, be active and be valid today."""
    article = s.get(KnowledgeArticle, article_id)
    problem = None
    if article is None:
        problem = t("No knowledge-base article {id}.", id=article_id)
    elif not article.active:
        problem = t("Article {id} was withdrawn.", id=article_id)
    elif not is_valid_on(article, today):
        problem = t(
            "Article {id} is not valid today ({start} to {end}).",
            id=article_id,
            start=article.valid_from or "…",
            end=article.valid_to or "…",
        )
    if problem:
        raise ValidationFailed(t("Invalid input: {fields}", fields="kb_article"), {"kb_article": [problem]})
    assert article is not None
    return article


def _check(s: Session, data: dict[str, Any], article: KnowledgeArticle | None = None) -> None:
    if errors := field_errors(s, data, article):
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def field_errors(
    s: Session, data: dict[str, Any], article: KnowledgeArticle | None = None
) -> dict[str, list[str]]:
    """What the list and the dates say of an article's fields: unknown categories, an owner that
    is no active unit, an end before the start. A form that failed its schema asks it of the fields
    that passed, so that every field's error is said at once."""
    errors: dict[str, list[str]] = {}
    if categories := data.get("categories"):
        known = set(s.scalars(sa.select(Category.code).where(Category.code.in_(categories), Category.active)))
        if unknown := [c for c in categories if c not in known]:
            errors["categories"] = [
                t("Unknown category {code!r}; see GET /api/v1/categories.", code=c) for c in unknown
            ]
    if (owner := data.get("owner_unit")) is not None:
        unit = s.get(Unit, owner)
        if unit is None or not unit.active:
            errors["owner_unit"] = [t("Unknown unit {code!r}.", code=owner)]
    start = data.get("valid_from", article.valid_from if article else None)
    end = data.get("valid_to", article.valid_to if article else None)
    if start and end and end < start:
        errors["valid_to"] = [t("Must not be before valid_from.")]
    return errors


def check_unit_may_set(actor: User, data: dict[str, Any], article: KnowledgeArticle | None = None) -> None:
    """Unit staff write for their own unit and withdraw their articles; the owner of an article
    and bringing a withdrawn one back are the centre's. A field they may not set is refused
    (naming it), never dropped: the caller would read a 200 as done. The API asks this of the
    body's `owner_unit` and `active` before it reads the rest (knowledge/api.py `may_set`)."""
    if is_centre(actor):
        return
    errors: dict[str, list[str]] = {}
    owner = data.get("owner_unit")
    if article is None:  # a new article: no owner given is the unit's own
        moves = owner is not None and owner != actor.unit_code
    else:
        moves = "owner_unit" in data and owner != article.owner_unit_code
    if moves:
        errors["owner_unit"] = [
            t(
                "A unit writes for its own unit ({unit}) only; the centre moves articles.",
                unit=actor.unit_code,
            )
        ]
    if data.get("active") is True and article is not None and not article.active:
        errors["active"] = [t("Only the centre brings a withdrawn article back.")]
    if errors:
        raise Forbidden(t("Unit staff may not set {fields}.", fields=sorted(errors)), errors)


def create_article(s: Session, data: dict[str, Any], actor: User) -> KnowledgeArticle:
    """A new article. Unit staff write for their own unit (the owner by default); naming another
    is refused."""
    if not (is_centre(actor) or actor.role == "unit_staff"):
        raise Forbidden(t("Only the centre and the units write knowledge-base articles."))
    check_unit_may_set(actor, data)
    if actor.role == "unit_staff":
        data = {**data, "owner_unit": actor.unit_code}
    _check(s, data)
    article = KnowledgeArticle(
        title=data["title"],
        body=data["body"],
        categories=list(dict.fromkeys(data.get("categories") or [])),
        keywords=list(dict.fromkeys(data.get("keywords") or [])),
        valid_from=data.get("valid_from"),
        valid_to=data.get("valid_to"),
        owner_unit_code=data.get("owner_unit"),
        created_by_id=actor.id,
        active=True,
    )
    s.add(article)
    s.flush()
    return article


def check_may_edit(actor: User, article: KnowledgeArticle) -> None:
    if is_centre(actor):
        return
    if actor.role == "unit_staff" and article.owner_unit_code == actor.unit_code:
        return
    if actor.role == "unit_staff":
        raise Forbidden(t("A unit edits only its own unit's articles."))
    raise Forbidden(t("Only the centre and the owning unit edit knowledge-base articles."))


def update_article(s: Session, article: KnowledgeArticle, data: dict[str, Any], actor: User) -> None:
    """Change the given fields. Only the centre moves an article to another owner or revives it;
    a unit may withdraw its own (`active` false, as DELETE does)."""
    check_may_edit(actor, article)
    check_unit_may_set(actor, data, article)
    _check(s, data, article)
    for field in ("title", "body", "valid_from", "valid_to", "active"):
        if field in data:
            setattr(article, field, data[field])
    for field in ("categories", "keywords"):
        if field in data:
            setattr(article, field, list(dict.fromkeys(data[field] or [])))
    if "owner_unit" in data:
        article.owner_unit_code = data["owner_unit"]
    article.updated_by_id = actor.id
    s.flush()


def deactivate_article(s: Session, article: KnowledgeArticle, actor: User) -> None:
    check_may_edit(actor, article)
    article.active = False
    article.updated_by_id = actor.id
    s.flush()


def _category_and_descendants(s: Session, code: str) -> set[str]:
    children: dict[str | None, list[str]] = {}
    for c, parent in s.execute(sa.select(Category.code, Category.parent_code)):
        children.setdefault(parent, []).append(c)
    found, stack = set(), [code]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


@dataclass(frozen=True)
class Hit:
    article: KnowledgeArticle
    score: int


def search(
    s: Session,
    *,
    today: date,
    q: str = "",
    category: str | None = None,
    include_all: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[Hit], int]:
    """Articles matching the query, best first, and how many match in all.

    Without `include_all`, only active articles valid today. A category includes its sub-categories.
    Without a query, every candidate, the most recently changed first.
    """
    query = sa.select(KnowledgeArticle)
    if not include_all:
        query = query.where(
            KnowledgeArticle.active,
            sa.or_(KnowledgeArticle.valid_from.is_(None), KnowledgeArticle.valid_from <= today),
            sa.or_(KnowledgeArticle.valid_to.is_(None), KnowledgeArticle.valid_to >= today),
        )
    candidates = list(
        s.scalars(query.order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc()))
    )
    if category:
        wanted = _category_and_descendants(s, category)
        candidates = [a for a in candidates if wanted.intersection(a.categories or ())]
    query_terms = terms(q)
    if q and not query_terms:  # punctuation only
        return [], 0
    if query_terms:
        scored = [Hit(a, score(a, query_terms, q.strip())) for a in candidates]
        hits = sorted((h for h in scored if h.score > 0), key=lambda h: -h.score)  # stable: recent first
    else:
        hits = [Hit(a, 0) for a in candidates]
    start = (page - 1) * per_page
    return hits[start : start + per_page], len(hits)
