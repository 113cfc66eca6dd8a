"""Reference data (categories, areas, departments), list versions and the routing preview."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from flask import current_app

from dispatch.deadlines import compute_deadlines
from dispatch.routing import Decision
from service import db
from service.auth.models import User
from service.db import utcnow
from service.errors import Conflict
from service.extensions import Blueprint
from service.lists import operations
from service.lists.models import Area, Category, ListVersion, Unit
from service.lists.schemas import (
    AreaArgs,
    AreaOut,
    CategoryOut,
    DepartmentArgs,
    DepartmentOut,
    ListVersionDetailOut,
    ListVersionOut,
    PreviewArgs,
    PreviewOut,
)
from service.text import t

reference_blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data (public)")
lists_blp = Blueprint("lists", __name__, url_prefix="/api/v1", description="Responsibility lists and routing")

STAFF = ("operator", "dispatcher", "reviewer", "unit_staff", "leader", "admin")


@reference_blp.get("/categories")
@reference_blp.response(200, CategoryOut(many=True))
def categories() -> Any:
    """The category tree of the active list, flat, parents before children."""
    return db.session().scalars(
        sa.select(Category).where(Category.active).order_by(Category.level, Category.code)
    )


@reference_blp.get("/areas")
@reference_blp.arguments(AreaArgs, location="query")
@reference_blp.response(200, AreaOut(many=True))
def areas(args: dict[str, Any]) -> Any:
    """Places by division code; filter by parent (e.g. a township's villages) or level."""
    query = sa.select(Area).where(Area.active).order_by(Area.code)
    if parent := args.get("parent"):
        query = query.where(Area.parent_code == parent)
    if level := args.get("level"):
        query = query.where(Area.level == level)
    return db.session().scalars(query)


@reference_blp.get("/departments")
@reference_blp.arguments(DepartmentArgs, location="query")
@reference_blp.response(200, DepartmentOut(many=True))
def departments(args: dict[str, Any]) -> Any:
    """Handling units: line departments, township governments, the centre."""
    query = sa.select(Unit).where(Unit.active).order_by(Unit.kind, Unit.code)
    if kind := args.get("kind"):
        query = query.where(Unit.kind == kind)
    return db.session().scalars(query)


@lists_blp.get("/responsibility-lists")
@lists_blp.requires(*STAFF)
@lists_blp.response(200, ListVersionOut(many=True))
def list_versions() -> Any:
    """Every stored version of the responsibility list, newest first."""
    return db.session().scalars(
        sa.select(ListVersion).order_by(ListVersion.loaded_at.desc(), ListVersion.id.desc())
    )


def stored_version(user: User, label: str) -> dict[str, ListVersion]:
    """`Blueprint.requires`' loader: the stored version <label> (404 without one), as `version`."""
    return {"version": operations.get_version(db.session(), label)}


@lists_blp.get("/responsibility-lists/<label>")
@lists_blp.requires(*STAFF, load=stored_version)
@lists_blp.response(200, ListVersionDetailOut)
def list_version(label: str, version: ListVersion) -> Any:
    """One version with its whole content (units, categories, areas, rules, calendar)."""
    return version


@lists_blp.get("/routing/preview")
@lists_blp.requires(*STAFF)
@lists_blp.arguments(PreviewArgs, location="query")
@lists_blp.response(200, PreviewOut)
def routing_preview(args: dict[str, Any]) -> dict[str, Any]:
    """What dispatching an appeal of this category, area and urgency would do now, and why."""
    s = db.session()
    ctx = operations.active_context(s)
    if ctx is None:
        raise Conflict(t("No responsibility list is active."))
    result = ctx.router.route(args["category"], args["area"], args["urgency"], args.get("type"))
    names = {u.code: u.name for u in ctx.lst.units}
    if isinstance(result, Decision):
        deadlines = compute_deadlines(
            utcnow(), result.limit, args["urgency"], ctx.calendar, current_app.config["TZ"]
        )
        return {
            "routed": True,
            "list_version": ctx.label,
            "lead": {"code": result.lead, "name": names.get(result.lead, result.lead)},
            "co": [{"code": c, "name": names.get(c, c)} for c in result.co],
            "rule_id": result.rule_id,
            "urgent_by_nature": result.urgent_by_nature,
            "limit": asdict(result.limit),
            "sign_due_at": deadlines.sign_due_at,
            "reply_due_at": deadlines.reply_due_at,
            "explanation": result.explanation,
        }
    return {
        "routed": False,
        "list_version": ctx.label,
        "lead": None,
        "co": [],
        "urgent_by_nature": False,
        "reason": result.reason,
        "message": result.message,
        "explanation": result.explanation,
    }
