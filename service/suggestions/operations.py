"""Suggesting categories and areas, and training the classifier from dispatched history.

Keyword scores come from the active list; when a trained model exists, its probabilities are
blended in (each weighs half), so a new list's keywords still count while history accumulates.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.classifier import TextClassifier, TrainResult, train
from dispatch.suggest import AreaMatcher, CategorySuggester
from service.appeals import status as st
from service.appeals.models import Appeal
from service.lists.models import Category
from service.lists.operations import ListContext, active_context
from service.suggestions.models import ClassifierModel

_lock = threading.Lock()
_suggesters: dict[str, tuple[CategorySuggester, AreaMatcher]] = {}
_models: dict[int, TextClassifier] = {}


def _suggesters_for(ctx: ListContext) -> tuple[CategorySuggester, AreaMatcher]:
    pair = _suggesters.get(ctx.content_hash)
    if pair is None:
        with _lock:
            pair = (CategorySuggester(ctx.lst), AreaMatcher(ctx.lst.areas))
            _suggesters[ctx.content_hash] = pair
    return pair


def _latest_model(s: Session) -> tuple[ClassifierModel | None, TextClassifier | None]:
    row = s.scalar(
        sa.select(ClassifierModel)
        .order_by(ClassifierModel.trained_at.desc(), ClassifierModel.id.desc())
        .limit(1)
        .options(sa.orm.defer(ClassifierModel.model))
    )
    if row is None:
        return None, None
    model = _models.get(row.id)
    if model is None:
        # The first model a process loads imports scikit-learn too (dispatch.classifier): a second
        # or so, once per worker, rather than at every worker's start.
        model = TextClassifier.from_bytes(row.model)
        _models[row.id] = model
    return row, model


def suggest(s: Session, text: str, address: str = "", k: int = 3) -> dict[str, Any]:
    ctx = active_context(s)
    if ctx is None:
        return {"categories": [], "area": None, "model": None, "list_version": None}
    categories, areas = _suggesters_for(ctx)
    by_code: dict[str, dict[str, Any]] = {}
    for c in categories.suggest(text, k=k * 2):
        by_code[c.code] = {**asdict(c), "keyword_score": c.score, "model_score": None}
    row, model = _latest_model(s)
    if model is not None and text.strip():
        names = {c.code: c for c in ctx.lst.categories}
        for code, probability in model.predict_top(text, k=k * 2):
            if code not in names:
                continue  # a category the active list no longer has
            entry = by_code.setdefault(
                code,
                {
                    "code": code,
                    "name": names[code].name,
                    "path": _path(ctx, code),
                    "matched": (),
                    "keyword_score": 0.0,
                },
            )
            entry["model_score"] = probability
        for entry in by_code.values():
            entry["score"] = 0.5 * entry["keyword_score"] + 0.5 * (entry.get("model_score") or 0.0)
    ranked = sorted(by_code.values(), key=lambda e: (-e["score"], e["code"]))[:k]
    area = areas.match(address or text)
    return {
        "categories": [{**e, "matched": list(e["matched"]), "score": round(e["score"], 4)} for e in ranked],
        "area": asdict(area) if area else None,
        "model": (
            {"trained_at": row.trained_at, "accuracy": row.accuracy, "top3_accuracy": row.top3_accuracy}
            if row
            else None
        ),
        "list_version": ctx.label,
    }


def _path(ctx: ListContext, code: str) -> str:
    parents = {c.code: c for c in ctx.lst.categories}
    names = []
    current: str | None = code
    while current:
        names.append(parents[current].name)
        current = parents[current].parent
    return " / ".join(reversed(names))


def training_data(s: Session) -> tuple[list[str], list[str]]:
    """Dispatched appeals (anything past the dispatch queue) with a category still in the list."""
    rows = s.execute(
        sa.select(Appeal.title, Appeal.content, Appeal.category_code)
        .join(Category, Category.code == Appeal.category_code)
        .where(Appeal.status != st.PENDING_DISPATCH, Appeal.dispatched_at.is_not(None), Category.active)
    ).all()
    return [f"{title}\n{content}" for title, content, _ in rows], [code for *_, code in rows]


def train_from_history(s: Session, *, by: str) -> TrainResult:
    """Train on dispatched history, store the model (flush only), and return the held-out figures."""
    texts, labels = training_data(s)
    result = train(texts, labels)  # raises ValueError when there is too little history
    s.add(
        ClassifierModel(
            trained_by=by,
            n_train=result.n_train,
            n_test=result.n_test,
            n_classes=result.n_classes,
            accuracy=result.accuracy,
            top3_accuracy=result.top3_accuracy,
            model=result.model.to_bytes(),
        )
    )
    s.flush()
    return result
