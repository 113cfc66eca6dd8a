"""知识库: the knowledge base's pages. Every member of the staff searches and reads it; the centre
writes, changes, withdraws and brings back any article, a unit its own unit's (withdrawing but not
reviving them). The page form of `/api/v1/knowledge`, with the same schemas and operations, so the
rules (who may set the owner, dates in order, known categories) are said once.

Operators answer consultations from these articles on the console (close at first contact), so an
empty knowledge base means every call is dispatched: the centre keeps it here.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from service import db
from service.auth.security import current_user
from service.errors import DomainError, NotFound, ValidationFailed
from service.knowledge import operations as kb
from service.knowledge.api import local_today
from service.knowledge.models import KnowledgeArticle
from service.knowledge.schemas import ArticleIn, ArticlePatch, ArticleSearchArgs
from service.lists.models import Category, Unit
from service.text import t
from service.web.access import KNOWLEDGE_ROLES, login_required
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.helpers import FormErrors, errors_of, load_form
from service.web.labels import N_

PER_PAGE = 20
#: The form's fields that take several values, typed as one line: "垃圾 清运，环卫".
LIST_FIELDS = ("categories", "keywords")
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _user() -> Any:
    user = current_user()
    assert user is not None  # login_required
    return user


def may_write(user: Any) -> bool:
    return kb.is_centre(user) or user.role == "unit_staff"


def may_edit(user: Any, article: KnowledgeArticle) -> bool:
    return kb.is_centre(user) or (user.role == "unit_staff" and article.owner_unit_code == user.unit_code)


def _article_or_404(article_id: int) -> KnowledgeArticle:
    """The article, unless it is withdrawn and the reader may not edit it (as the API's `readable`)."""
    try:
        article = kb.get_article(db.session(), article_id)
    except NotFound:
        abort(404)
    if not article.active and not may_edit(_user(), article):
        abort(404)
    return article


def _names(article_codes: list[list[str]], owners: list[str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """Category and unit names for the codes shown on a page."""
    s = db.session()
    categories = {c for codes in article_codes for c in codes}
    units = {u for u in owners if u}
    category_names = (
        {
            code: name
            for code, name in s.execute(
                sa.select(Category.code, Category.name).where(Category.code.in_(categories))
            )
        }
        if categories
        else {}
    )
    unit_names = (
        {code: name for code, name in s.execute(sa.select(Unit.code, Unit.name).where(Unit.code.in_(units)))}
        if units
        else {}
    )
    return category_names, unit_names


def _state(article: KnowledgeArticle) -> str:
    """已撤下 / 未生效 / 已过期 / 有效, as the badge says."""
    today = local_today()
    if not article.active:
        return "withdrawn"
    if article.valid_from and article.valid_from > today:
        return "not_yet"
    if article.valid_to and article.valid_to < today:
        return "expired"
    return "valid"


@bp.get("/knowledge")
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge() -> Any:
    """Search (bigrams of the words, title over keywords over body) or, with no words, the latest."""
    user = _user()
    errors: FormErrors = {}
    asked = ("q", "category", "page", "all") if kb.is_centre(user) else ("q", "category", "page")
    raw = {k: v for k, v in request.args.items() if k in asked and v != ""}  # not ?lang=
    try:
        args = ArticleSearchArgs().load(raw)
    except ValidationError as exc:
        errors = errors_of(exc)
        args = ArticleSearchArgs().load({})
    if args["category"] and db.session().get(Category, args["category"]) is None:
        errors["category"] = [_("没有这个分类代码，请检查后重新输入。")]
    hits, total = ([], 0)
    if not errors:
        hits, total = kb.search(
            db.session(),
            today=local_today(),
            q=args["q"],
            category=args["category"],
            include_all=args["all"],
            page=args["page"],
            per_page=PER_PAGE,
        )
    articles = [h.article for h in hits]
    category_names, unit_names = _names(
        [a.categories or [] for a in articles], [a.owner_unit_code for a in articles]
    )
    params = {
        k: v
        for k, v in (
            ("q", args["q"]),
            ("category", args["category"]),
            ("all", "true" if args["all"] else None),
        )
        if v
    }
    page = render_template(
        "knowledge/index.html",
        articles=[(a, _state(a), [category_names.get(c, c) for c in a.categories or []]) for a in articles],
        total=total,
        page=args["page"],
        per_page=PER_PAGE,
        params=params,
        q=request.args.get("q", ""),
        category=request.args.get("category", ""),
        show_all=args["all"],
        errors=errors,
        category_names=category_names,
        unit_names=unit_names,
        can_write=may_write(user),
        is_centre=kb.is_centre(user),
    )
    return page, 422 if errors else 200


@bp.get("/knowledge/<int:article_id>")
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge_article(article_id: int) -> Any:
    user = _user()
    article = _article_or_404(article_id)
    category_names, unit_names = _names([article.categories or []], [article.owner_unit_code])
    return render_template(
        "knowledge/article.html",
        article=article,
        state=_state(article),
        category_names=category_names,
        unit_names=unit_names,
        can_edit=may_edit(user, article),
        is_centre=kb.is_centre(user),
    )


def _form_data(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """The posted form as the API's body: the one-line lists cut into their values, the owner
    left out when the user may not choose it (a unit writes for its own unit)."""
    data = MultiDict([(k, v) for k, v in form.items(multi=True) if k not in (*LIST_FIELDS, "csrf_token")])
    for name in LIST_FIELDS:
        for value in _SEPARATORS.split(form.get(name, "")):
            if value:
                data.add(name, value)
    return data


def _unit_options() -> list[tuple[str, str]]:
    units = db.session().execute(sa.select(Unit.code, Unit.name).where(Unit.active).order_by(Unit.code))
    return [("", _("（中心维护，不属任何单位）")), *((code, f"{name} ({code})") for code, name in units)]


def _render_form(article: KnowledgeArticle | None, values: dict[str, Any], errors: FormErrors) -> Any:
    user = _user()
    page = render_template(
        "knowledge/form.html",
        article=article,
        values=values,
        errors=errors,
        is_centre=kb.is_centre(user),
        unit_options=_unit_options() if kb.is_centre(user) else [],
    )
    return page, 422 if errors else 200


def _form_errors(exc: ValidationError | DomainError, article: KnowledgeArticle | None = None) -> FormErrors:
    """What the form shows: the schema's errors and, for the fields it let through, the list's and
    the dates' (unknown categories, an end before the start), every field's error at once rather
    than one pass after another; the categories were typed, so their error names the codes."""
    errors = errors_of(exc)
    if isinstance(exc, ValidationError):
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        if later := kb.field_errors(db.session(), valid, article):
            refused = ValidationFailed(t("Invalid input: {fields}", fields=sorted(later)), later)
            errors = {**errors_of(refused), **errors}
    if "categories" in errors:
        typed = [c for c in _SEPARATORS.split(request.form.get("categories", "")) if c]
        known = set(
            db.session().scalars(sa.select(Category.code).where(Category.code.in_(typed), Category.active))
        )
        if unknown := [c for c in typed if c not in known]:
            errors["categories"] = [_("职责清单中没有这些分类代码：%(codes)s。", codes=" ".join(unknown))]
    return errors


def _values_of(article: KnowledgeArticle) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "categories": " ".join(article.categories or []),
        "keywords": "，".join(article.keywords or []),
        "valid_from": article.valid_from.isoformat() if article.valid_from else "",
        "valid_to": article.valid_to.isoformat() if article.valid_to else "",
        "owner_unit": article.owner_unit_code or "",
    }


@bp.route("/knowledge/new", methods=["GET", "POST"])
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge_new() -> Any:
    """新建条目: the centre for any unit (or none), a unit for its own."""
    user = _user()
    if not may_write(user):
        abort(403)
    if request.method == "GET":
        return _render_form(None, {}, {})
    try:
        data = load_form(ArticleIn(), _form_data(request.form), many=LIST_FIELDS)
        if not kb.is_centre(user):
            data.pop("owner_unit", None)
        elif not data.get("owner_unit"):
            data["owner_unit"] = None
        article = kb.create_article(db.session(), data, user)
    except (ValidationError, DomainError) as exc:
        return _render_form(None, request.form, _form_errors(exc))
    flash(N_("已新建知识库条目“%(title)s”，话务员现在可以检索到它。"), "success", title=article.title)
    return redirect(url_for("web.knowledge_article", article_id=article.id))


@bp.route("/knowledge/<int:article_id>/edit", methods=["GET", "POST"])
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge_edit(article_id: int) -> Any:
    """修改条目: every field is sent, so a field emptied on the form is emptied (dates, lists)."""
    user = _user()
    article = _article_or_404(article_id)
    if not may_edit(user, article):
        abort(403)
    if request.method == "GET":
        return _render_form(article, _values_of(article), {})
    try:
        data = load_form(ArticlePatch(), _form_data(request.form), many=LIST_FIELDS)
        for name in ("valid_from", "valid_to"):
            data.setdefault(name, None)
        for name in LIST_FIELDS:
            data.setdefault(name, [])
        if kb.is_centre(user):
            data["owner_unit"] = data.get("owner_unit") or None
        else:
            data.pop("owner_unit", None)
        data.pop("active", None)  # withdrawing and bringing back are buttons of their own
        kb.update_article(db.session(), article, data, user)
    except (ValidationError, DomainError) as exc:
        return _render_form(article, request.form, _form_errors(exc, article))
    flash(N_("已保存知识库条目“%(title)s”。"), "success", title=article.title)
    return redirect(url_for("web.knowledge_article", article_id=article.id))


@bp.post("/knowledge/<int:article_id>/withdraw")
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge_withdraw(article_id: int) -> Any:
    """撤下: kept (appeals closed with it still refer to it), but no longer found by the console."""
    user = _user()
    article = _article_or_404(article_id)
    if not may_edit(user, article):
        abort(403)
    if not article.active:
        flash(N_("条目“%(title)s”已撤下，无需重复操作。"), "warning", title=article.title)
    else:
        kb.deactivate_article(db.session(), article, user)
        flash(N_("已撤下条目“%(title)s”，话务员将检索不到它。"), "success", title=article.title)
    return redirect(url_for("web.knowledge_article", article_id=article.id))


@bp.post("/knowledge/<int:article_id>/restore")
@login_required(roles=KNOWLEDGE_ROLES)
def knowledge_restore(article_id: int) -> Any:
    """恢复: the centre brings a withdrawn article back."""
    user = _user()
    article = _article_or_404(article_id)
    if not kb.is_centre(user):
        abort(403)
    if article.active:
        flash(N_("条目“%(title)s”在用，无需恢复。"), "warning", title=article.title)
    else:
        kb.update_article(db.session(), article, {"active": True}, user)
        flash(N_("已恢复条目“%(title)s”。"), "success", title=article.title)
    return redirect(url_for("web.knowledge_article", article_id=article.id))
