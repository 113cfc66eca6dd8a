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


def scope_text(router: Router, key: str) -> str:
    kind = scope_kind(router, key)
    return kind if key == kind else f"{kind} {key}"


def scope_label(router: Router, key: str, area: str | None) -> str:
    if key == SCOPE_TERRITORIAL:
        return "属地"
    if key == SCOPE_COUNTY:
        return f"{router.list.jurisdiction.name}全域"
    a = router.areas.get(key)
    return a.name if a is not None else key


def scope_reason(router: Router, r: _CompiledRule, area: str | None, lead: str) -> str:
    township = router.township_of.get(area)
    kind = scope_kind(router, r.key)
    if r.needs_township and township:
        t = router.areas[township]
        via = "territorial" if r.key == SCOPE_TERRITORIAL else f"{kind} {r.key}, lead territorial"
        return (
            f"{via}: lead is the township government {lead} ({unit_name(router, lead)}) "
            f"of township {township} ({t.name})"
        )
    if r.key == SCOPE_COUNTY:
        return "county-wide rule"
    relation = "the appeal's area" if r.key == area else f"which contains the appeal's area {area}"
    return f"{kind} rule for {r.key} ({scope_label(router, r.key, area)}), {relation}"


def overridden_entry(router: Router, h: _Hit, winner: _Hit) -> dict[str, Any]:
    r, w = h.rule, winner.rule
    if h.node != winner.node:
        code, reason = "less_specific_category", f"less specific category {h.node} vs {winner.node}"
    elif r.key == w.key:
        code, reason = "duplicate", f"duplicate of {w.id}: same category and area, the first rule wins"
    else:
        code = "less_specific_area"
        reason = f"less specific area: {scope_text(router, r.key)} vs {scope_text(router, w.key)}"
    return {"rule": r.id, "category": h.node, "scope": r.key, "reason_code": code, "reason": reason}


def skipped_entry(h: _Hit) -> dict[str, Any]:
    return {
        "rule": h.rule.id,
        "category": h.node,
        "scope": h.rule.key,
        "reason_code": "territorial_needs_township",
        "reason": "territorial rule needs a township or village area; the appeal's area is county-level",
    }


def limit_dict(limit: Limit) -> dict[str, Any]:
    return {
        "sign_hours": limit.sign_hours,
        "reply_working_days": limit.reply_working_days,
        "reply_hours": limit.reply_hours,
    }
