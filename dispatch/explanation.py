"""Why routing decided what it did: the explanation a dispatcher reads (rule, category and area
matched, which rules lost and why), built only when asked for, from the router's full walk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsibility_lists.model import SCOPE_COUNTY, SCOPE_TERRITORIAL, Limit

if TYPE_CHECKING:
    from dispatch.routing import Router, _CompiledRule, _Hit


def explain(
    router: Router, category: str | None, area: str | None, urgency: str, appeal_type: str | None
) -> dict[str, Any]:
    """The JSON-serialisable explanation of `router.route(...)` with the same arguments."""
    outcome = router.walk(category, area, urgency, appeal_type)
    if not isinstance(outcome, tuple):  # a NoRoute carries its own explanation
        return outcome.explanation
    winner, lead, overridden, skipped = outcome
    r = winner.rule
    co = r.co_for(lead)
    cat = router.categories[r.category]
    urgent_source = router.urgent_source[category]
    limit = r.limits[urgency]
    summary = (
        f"按规则 {r.id}（{cat.name} · {scope_label(router, r.key, area)}）派至 {unit_name(router, lead)}"
    )
    if co:
        summary += "，配合：" + "、".join(unit_name(router, c) for c in co)
    return {
        **request(router, category, area, urgency, appeal_type),
        "rule": r.id,
        "category": {
            "requested": category,
            "requested_name": router.categories[category].name,  # type: ignore[index]
            "matched": r.category,
            "matched_name": cat.name,
            "relation": "same" if winner.depth == 0 else "ancestor",
            "depth": winner.depth,
        },
        "scope": {
            "matched": r.key,
            "kind": scope_kind(router, r.key),
            "township": router.township_of[area] if r.needs_township else None,
            "reason": scope_reason(router, r, area, lead),
        },
        "lead": {"code": lead, "name": unit_name(router, lead)},
        "co": [{"code": c, "name": unit_name(router, c)} for c in co],
        "limit": {"urgency": urgency, **limit_dict(limit)},
        "urgent_by_nature": urgent_source is not None,
        "urgent_category": urgent_source,
        "basis": r.rule.basis,
        "note": r.rule.note,
        "overridden": [overridden_entry(router, h, winner) for h in overridden],
        "skipped": [skipped_entry(h) for h in skipped],
        "summary": summary,
    }


def request(
    router: Router, category: str | None, area: str | None, urgency: str, appeal_type: str | None
) -> dict[str, Any]:
    """What every explanation starts with: the list's version and the request."""
    return {
        "list": {"jurisdiction": router.list.jurisdiction.code, "version": router.version},
        "request": {"category": category, "area": area, "urgency": urgency, "appeal_type": appeal_type},
    }


def unit_name(router: Router, code: str) -> str:
    return router.unit_names.get(code, code)


def scope_kind(router: Router, key: str) -> str:
    if key in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
        return key
    a = router.areas.get(key)
    return a.level if a is not None else "unknown"


#: How a scope kind reads in an explanation (the list's language, like its names).
KIND_NAMES = {SCOPE_COUNTY: "县级", SCOPE_TERRITORIAL: "属地", "township": "乡镇", "village": "村/社区"}


def scope_text(router: Router, key: str) -> str:
    """A scope as a dispatcher reads it: 属地, 赣县区全域, or 梅林镇（乡镇，360704100）."""
    if key in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
        return scope_label(router, key, None)
    kind = scope_kind(router, key)
    return f"{scope_label(router, key, None)}（{KIND_NAMES.get(kind, kind)}，{key}）"


def scope_label(router: Router, key: str, area: str | None) -> str:
    if key == SCOPE_TERRITORIAL:
        return "属地"
    if key == SCOPE_COUNTY:
        return f"{router.list.jurisdiction.name}全域"
    a = router.areas.get(key)
    return a.name if a is not None else key


def area_text(router: Router, code: str | None) -> str:
    a = router.areas.get(code) if code else None
    return f"{a.name}（{code}）" if a is not None else str(code)


def category_text(router: Router, code: str) -> str:
    c = router.categories.get(code)
    return f"{c.name}（{code}）" if c is not None else code


def scope_reason(router: Router, r: _CompiledRule, area: str | None, lead: str) -> str:
    """Why the rule's scope covers the appeal's area, and how the lead was found."""
    township = router.township_of.get(area)
    if r.needs_township and township:
        via = "属地规则" if r.key == SCOPE_TERRITORIAL else f"{scope_text(router, r.key)}的规则按属地派单"
        return f"{via}：由事发乡镇{area_text(router, township)}的{unit_name(router, lead)}（{lead}）主办"
    if r.key == SCOPE_COUNTY:
        return f"{scope_label(router, r.key, area)}适用的规则"
    relation = "即诉求发生地" if r.key == area else f"包含诉求发生地{area_text(router, area)}"
    return f"{scope_text(router, r.key)}的规则，{relation}"


def overridden_entry(router: Router, h: _Hit, winner: _Hit) -> dict[str, Any]:
    """A rule that also matched, and why the winner beat it."""
    r, w = h.rule, winner.rule
    if h.node != winner.node:
        code = "less_specific_category"
        reason = f"分类{category_text(router, h.node)}不如{category_text(router, winner.node)}具体"
    elif r.key == w.key:
        code, reason = "duplicate", f"与规则 {w.id} 重复（分类和范围相同），以先列出的规则为准"
    else:
        code = "less_specific_area"
        reason = f"范围{scope_text(router, r.key)}不如{scope_text(router, w.key)}具体"
    return {"rule": r.id, "category": h.node, "scope": r.key, "reason_code": code, "reason": reason}


def skipped_entry(h: _Hit) -> dict[str, Any]:
    return {
        "rule": h.rule.id,
        "category": h.node,
        "scope": h.rule.key,
        "reason_code": "territorial_needs_township",
        "reason": "属地规则须知道事发乡镇：诉求发生地只到县级",
    }


def limit_dict(limit: Limit) -> dict[str, Any]:
    return {
        "sign_hours": limit.sign_hours,
        "reply_working_days": limit.reply_working_days,
        "reply_hours": limit.reply_hours,
    }
