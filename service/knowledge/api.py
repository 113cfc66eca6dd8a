"""The knowledge base's API: search and read (all staff), write (the centre, or a unit for its own)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, ValidationError

from service import db
from service.auth.models import User
from service.errors import Forbidden, NotFound
from service.extensions import Blueprint, body_object, loader
from service.knowledge import operations as kb
from service.knowledge.models import KnowledgeArticle
from service.knowledge.schemas import ArticleIn, ArticleOut, ArticlePage, ArticlePatch, ArticleSearchArgs
from service.lists.models import Unit
from service.text import t

blp = Blueprint("knowledge", __name__, url_prefix="/api/v1/knowledge", description="Knowledge base (知识库)")

WRITERS = ("dispatcher", "reviewer", "admin", "unit_staff")


def local_today() -> date:
    return datetime.now(current_app.config["TZ"]).date()


def _unit_names(codes: Iterable[str | None]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {
        code: name
        for code, name in db.session().execute(sa.select(Unit.code, Unit.name).where(Unit.code.in_(wanted)))
    }


def article_view(
    article: KnowledgeArticle, today: date, names: dict[str, str] | None = None, score: int | None = None
) -> dict[str, Any]:
    names = names if names is not None else _unit_names([article.owner_unit_code])
    owner = article.owner_unit_code
    view = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "categories": article.categories or [],
        "keywords": article.keywords or [],
        "valid_from": article.valid_from,
        "valid_to": article.valid_to,
        "owner_unit": {"code": owner, "name": names.get(owner, owner)} if owner else None,
        "active": article.active,
        "valid_today": article.active and kb.is_valid_on(article, today),
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }
    if score is not None:
        view["score"] = score
    return view


def readable(user: User, article_id: int) -> dict[str, KnowledgeArticle]:
    """`Blueprint.requires`' loader: the article, unless it is withdrawn and the caller neither the
    centre nor its unit (404), as the view's `article`."""
    article = kb.get_article(db.session(), article_id)
    owner = user.role == "unit_staff" and article.owner_unit_code == user.unit_code
    if not article.active and not (kb.is_centre(user) or owner):
        raise NotFound(t("No knowledge-base article {id}.", id=article_id))
    return {"article": article}


@loader(refuses="Unit staff on another unit's article.")
def editable(user: User, article_id: int) -> dict[str, KnowledgeArticle]:
    """`readable`, and the caller may edit it (403 otherwise: a unit edits its own unit's only)."""
    found = readable(user, article_id)
    kb.check_may_edit(user, found["article"])
    return found


#: The body's fields only the centre sets as it likes (a unit: its own unit as the owner; withdraw, not revive).
CENTRE_FIELDS = ("owner_unit", "active")
_NEW, _CHANGE = ArticleIn(), ArticlePatch()


def centre_fields_asked(schema: Schema) -> dict[str, Any]:
    """The `CENTRE_FIELDS` the request's JSON body sets, each read as `schema` reads it. One that
    is malformed, or a body that is not a JSON object, is left to the body's validation (400,
    415, 422), where it is said with the other fields."""
    body = body_object()
    if body is None:
        return {}
    asked = {}
    for name in CENTRE_FIELDS:
        if name in body and name in schema.fields:
            try:
                asked[name] = schema.fields[name].deserialize(body[name])
            except ValidationError:
                continue
    return asked


@loader(refuses="Unit staff naming another unit as the owner (`owner_unit`).", finds=False)
def may_write(user: User) -> dict[str, Any]:
    """`Blueprint.requires`' loader of a new article: a unit names no other owner, refused (403)
    before the rest of the body is validated, whatever else it says."""
    kb.check_unit_may_set(user, centre_fields_asked(_NEW))
    return {}


@loader(
    refuses="Unit staff on another unit's article; or setting what only the centre sets: another "
    "owner (`owner_unit`), or `active` true on a withdrawn article."
)
def may_change(user: User, article_id: int) -> dict[str, KnowledgeArticle]:
    """`editable`, and the body sets nothing the caller may not set (`kb.check_unit_may_set`):
    refused (403) before the rest of the body is validated, so that a unit is not sent to correct
    fields in a change it may not make at all."""
    found = editable(user, article_id)
    kb.check_unit_may_set(user, centre_fields_asked(_CHANGE), found["article"])
    return found


@loader(
    refuses=f"`all=true` from a role other than the centre's ({', '.join(sorted(kb.CENTRE_EDITORS))}).",
    finds=False,
)
def listing(user: User) -> dict[str, Any]:
    """`Blueprint.requires`' loader of the search: only the centre lists withdrawn and expired
    articles (`all`), refused (403) before the rest of the query is read."""
    raw = request.args.get("all")
    try:
        listing_all = raw is not None and ArticleSearchArgs().fields["all"].deserialize(raw)
    except ValidationError:
        return {}  # not a boolean: said with the query's other fields (422)
    if listing_all and not kb.is_centre(user):
        raise Forbidden(t("Only the centre lists withdrawn and expired articles."))
    return {}


@blp.route("")
class Articles(MethodView):
    @blp.requires(*kb.READERS, load=listing)
    @blp.arguments(ArticleSearchArgs, location="query")
    @blp.response(200, ArticlePage)
    def get(self, args: dict[str, Any], user: User) -> dict[str, Any]:
        """Search the knowledge base (?q=燃气): title hits rank above keyword hits above body hits."""
        today = local_today()
        hits, total = kb.search(
            db.session(),
            today=today,
            q=args["q"],
            category=args["category"],
            include_all=args["all"],
            page=args["page"],
            per_page=args["per_page"],
        )
        names = _unit_names(h.article.owner_unit_code for h in hits)
        return {
            "items": [article_view(h.article, today, names, h.score) for h in hits],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
        }

    @blp.requires(*WRITERS, load=may_write)
    @blp.arguments(ArticleIn)
    @blp.response(201, ArticleOut)
    def post(self, data: dict[str, Any], user: User) -> dict[str, Any]:
        """Write an article (the centre for any unit; unit staff for their own unit)."""
        article = kb.create_article(db.session(), data, user)
        return article_view(article, local_today())


@blp.route("/<int:article_id>")
class Article(MethodView):
    @blp.requires(*kb.READERS, load=readable)
    @blp.response(200, ArticleOut)
    def get(self, article_id: int, article: KnowledgeArticle) -> dict[str, Any]:
        """One article."""
        return article_view(article, local_today())

    @blp.requires(*WRITERS, load=may_change)
    @blp.arguments(ArticlePatch)
    @blp.response(200, ArticleOut)
    def patch(
        self, data: dict[str, Any], article_id: int, user: User, article: KnowledgeArticle
    ) -> dict[str, Any]:
        """Change an article (the centre any; a unit its own)."""
        kb.update_article(db.session(), article, data, user)
        return article_view(article, local_today())

    @blp.requires(*WRITERS, load=editable)
    @blp.response(204)
    def delete(self, article_id: int, user: User, article: KnowledgeArticle) -> None:
        """Withdraw an article: it is kept (appeals closed with it still refer to it), but no longer found."""
        kb.deactivate_article(db.session(), article, user)
