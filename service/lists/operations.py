"""Storing, activating and using responsibility-list versions. Operations flush; callers commit."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch.calendar import WorkCalendar
from dispatch.routing import Router
from responsibility_lists.check import check_list
from responsibility_lists.model import ResponsibilityList, from_plain
from service.db import utcnow
from service.errors import Conflict, NotFound, ValidationFailed
from service.lists.models import Area, Category, ListVersion, Unit
from service.text import t


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def store_version(
    s: Session, lst: ResponsibilityList, *, loaded_by: str, source_name: str = ""
) -> tuple[ListVersion, bool]:
    """Store a checked list as a new version without touching the active one.

    Returns (version, created). Loading the same content again returns the stored version.
    """
    report = check_list(lst)
    if not report.ok:
        raise ValidationFailed(
            t("The list has {count} error(s); nothing was stored.", count=len(report.errors)),
            {"list": [t("{source}: {problem}", source=p.source, problem=p.message) for p in report.errors]},
        )
    content = lst.to_dict()
    digest = content_hash(content)
    existing = s.scalar(sa.select(ListVersion).where(ListVersion.label == lst.version))
    if existing is not None:
        if existing.content_hash == digest:
            return existing, False
        raise Conflict(
            t(
                "Version {label!r} is already stored with different content; give the new list a new version label.",
                label=lst.version,
            )
        )
    version = ListVersion(
        label=lst.version,
        jurisdiction_code=lst.jurisdiction.code,
        jurisdiction_name=lst.jurisdiction.name,
        number_prefix=lst.jurisdiction.prefix,
        effective=lst.effective,
        content=content,
        content_hash=digest,
        rule_count=len(lst.rules),
        source_name=source_name[:200],
        loaded_by=loaded_by,
    )
    s.add(version)
    s.flush()
    return version, True


def get_version(s: Session, label: str) -> ListVersion:
    version = s.scalar(sa.select(ListVersion).where(ListVersion.label == label))
    if version is None:
        raise NotFound(t("No responsibility-list version {label!r}.", label=label))
    return version


def active_version(s: Session) -> ListVersion | None:
    return s.scalar(sa.select(ListVersion).where(ListVersion.active))


def activate_version(s: Session, version: ListVersion, *, by: str) -> None:
    """Make `version` the one new appeals are routed by, and refresh units, categories and areas from it.

    Appeals dispatched under an older version keep it: their assignments name their version.
    """
    s.info.pop(_ACTIVE, None)
    s.execute(sa.update(ListVersion).where(ListVersion.id != version.id).values(active=False))
    version.active = True
    version.activated_at = utcnow()
    version.activated_by = by
    lst = context_for(version).lst
    _sync_reference_data(s, lst)
    s.flush()


def _upsert(s: Session, model: type, rows: list[dict[str, Any]], key: str = "code") -> None:
    existing = {getattr(obj, key): obj for obj in s.scalars(sa.select(model))}
    seen = set()
    for row in rows:
        seen.add(row[key])
        obj = existing.get(row[key])
        if obj is None:
            s.add(model(**row, active=True))
        else:
            for k, v in row.items():
                setattr(obj, k, v)
            obj.active = True
    for code, obj in existing.items():
        if code not in seen:
            obj.active = False  # kept: old appeals and users still refer to it


def _sync_reference_data(s: Session, lst: ResponsibilityList) -> None:
    plain = lst.to_dict()
    depth: dict[str, int] = {}
    parents = {c.code: c.parent for c in lst.categories}

    def level(code: str) -> int:
        if code not in depth:
            parent = parents.get(code)
            depth[code] = 1 if parent is None else level(parent) + 1
        return depth[code]

    _upsert(
        s,
        Unit,
        [
            {
                "code": u["code"],
                "name": u["name"],
                "kind": u["kind"],
                "parent_code": u.get("parent"),
                "area_code": u.get("area"),
                "contacts": u.get("contacts", []),
                "escalation": u.get("escalation", []),
            }
            for u in plain["units"]
        ],
    )
    _upsert(
        s,
        Category,
        [
            {
                "code": c.code,
                "name": c.name,
                "parent_code": c.parent,
                "level": level(c.code),
                "keywords": list(c.keywords),
                "usual_types": list(c.usual_types),
                "urgent": c.urgent,
            }
            for c in lst.categories
        ],
    )
    _upsert(
        s,
        Area,
        [{"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent} for a in lst.areas],
    )


@dataclass(frozen=True)
class ListContext:
    """A version's list, compiled for routing. Built once per version and process (content is immutable)."""

    version_id: int
    label: str
    content_hash: str
    lst: ResponsibilityList
    router: Router
    calendar: WorkCalendar


_contexts: dict[int, ListContext] = {}
_ACTIVE = "minyi.active_list"
_versions = ListVersion.__table__.c
#: Built once: every request that routes or names categories runs it.
_VERSION = sa.select(_versions.id, _versions.content_hash)
_ACTIVE_VERSION = _VERSION.where(_versions.active)
_contexts_lock = threading.Lock()


def _compiled(version_id: int, content_hash: str) -> ListContext | None:
    """The version as this process compiled it, if it did and the content is still the same."""
    ctx = _contexts.get(version_id)
    return ctx if ctx is not None and ctx.content_hash == content_hash else None


def context_for(version: ListVersion) -> ListContext:
    ctx = _compiled(version.id, version.content_hash)
    if ctx is None:
        with _contexts_lock:
            lst = from_plain(version.content)
            ctx = ListContext(
                version.id, version.label, version.content_hash, lst, Router(lst), WorkCalendar(lst.calendar)
            )
            _contexts[version.id] = ctx
    return ctx


def active_context(s: Session) -> ListContext | None:
    """The active list, compiled; looked up once per session (a request, a job, a command)."""
    if _ACTIVE in s.info:
        return s.info[_ACTIVE]
    row = s.connection().execute(_ACTIVE_VERSION).first()
    ctx = None
    if row is not None:  # the whole version is read only when this process has not compiled it
        ctx = _compiled(row.id, row.content_hash) or context_for(s.get_one(ListVersion, row.id))
    s.info[_ACTIVE] = ctx
    return ctx


_CALENDARS = "minyi.version_calendars"


def calendar_of(s: Session, version_id: int | None) -> WorkCalendar:
    """The working-day calendar of list version `version_id` (the one that routed an appeal, whose
    deadlines it counts), else the active list's; the national calendar alone without either.
    Looked up once per version and session (a sweep plans many appeals)."""
    known: dict[int | None, WorkCalendar] = s.info.setdefault(_CALENDARS, {})
    if version_id in known:
        return known[version_id]
    row = s.connection().execute(_VERSION.where(_versions.id == version_id)).first() if version_id else None
    if row is not None:
        ctx: ListContext | None = _compiled(row.id, row.content_hash) or context_for(
            s.get_one(ListVersion, row.id)
        )
    else:
        ctx = active_context(s)
    known[version_id] = calendar = ctx.calendar if ctx is not None else WorkCalendar()
    return calendar


def number_prefix(s: Session, config: Mapping[str, Any]) -> str:
    prefix = s.scalar(sa.select(ListVersion.number_prefix).where(ListVersion.active))
    return prefix or config.get("NUMBER_PREFIX", "MY")
