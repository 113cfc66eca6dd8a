"""The checks of a list's rules and time limits: what each names, scopes, leads, clashes, limits."""

from __future__ import annotations

from typing import Any

from .model import SCOPE_COUNTY, SCOPE_TERRITORIAL, URGENCIES, Limit, Rule, Source
from .text import t


def check_rules(lst, units, categories, areas, error, warn) -> None:
    seen: dict[tuple[str, str], Rule] = {}
    for rule in lst.rules:
        what = t("rule {id}", id=rule.id)
        src = rule.source
        if rule.category not in categories:
            error(src, t("{what}: unknown category {category}", what=what, category=rule.category))
        if rule.scope not in (SCOPE_COUNTY, SCOPE_TERRITORIAL):
            area = areas.get(rule.scope)
            if area is None:
                message = t(
                    "{what}: unknown area {area} (not county, territorial or a code in the areas list)",
                    what=what,
                    area=rule.scope,
                )
                error(src, message)
            elif area.level == "county":
                error(
                    src,
                    t(
                        "{what}: area {area} is the county itself; write area: county",
                        what=what,
                        area=rule.scope,
                    ),
                )
        if rule.territorial:
            if rule.lead not in ("", SCOPE_TERRITORIAL):
                message = t(
                    "{what} is territorial, so the township government of the place leads it; "
                    "remove lead {lead} or write lead: territorial",
                    what=what,
                    lead=rule.lead,
                )
                error(src, message)
            for code in rule.co:
                if code in units and units[code].kind == "township":
                    message = t(
                        "{what} is territorial but lists township government {code} as co-unit; "
                        "the township of the place already leads territorial rules",
                        what=what,
                        code=code,
                    )
                    error(src, message)
        elif not rule.lead:
            error(src, t("{what} has no lead unit", what=what))
        elif rule.lead == SCOPE_TERRITORIAL:
            error(src, t("{what}: lead territorial is only for rules with area: territorial", what=what))
        elif rule.lead not in units:
            error(src, t("{what}: unknown lead unit {lead}", what=what, lead=rule.lead))
        for code in rule.co:
            if code not in units:
                error(src, t("{what}: unknown co-unit {code}", what=what, code=code))
            elif code == rule.lead:
                warn(src, t("{what} lists its lead unit {code} as a co-unit too", what=what, code=code))
        if len(set(rule.co)) != len(rule.co):
            warn(src, t("{what} lists a co-unit twice", what=what))
        check_limits(rule.limits, rule.source, t("rule {id}", id=rule.id), error, warn)
        key = (rule.category, rule.scope)
        first = seen.get(key)
        if first is None:
            seen[key] = rule
        elif first.lead != rule.lead:
            message = t(
                "{what} conflicts with rule {other} ({other_source}): both assign category {category} "
                "in area {area}, to different leads {other_lead} and {lead}",
                what=what,
                other=first.id,
                other_source=first.source,
                category=rule.category,
                area=rule.scope,
                other_lead=first.lead or t("(none)"),
                lead=rule.lead or t("(none)"),
            )
            error(src, message)
        else:
            message = t(
                "{what} repeats rule {other} ({other_source}): same category {category} and area {area}",
                what=what,
                other=first.id,
                other_source=first.source,
                category=rule.category,
                area=rule.scope,
            )
            error(src, message)


def check_limits(limits: dict[str, Limit], source: Source, what: Any, error, warn) -> None:
    """A set of limits (a rule's, or the list's default_limits): every urgency, each with a reply limit."""
    for urgency in URGENCIES:
        limit = limits.get(urgency)
        if limit is None:
            error(source, t("{what} has no {urgency} time limit", what=what, urgency=urgency))
        elif limit.reply_working_days is None and limit.reply_hours is None:
            message = t(
                "{what}: the {urgency} limit has no reply limit (reply_working_days or reply_hours)",
                what=what,
                urgency=urgency,
            )
            error(source, message)
        elif limit.reply_working_days is not None and limit.reply_hours is not None:
            message = t(
                "{what}: the {urgency} limit gives both reply_working_days and reply_hours",
                what=what,
                urgency=urgency,
            )
            error(source, message)
    for urgency in limits:
        if urgency not in URGENCIES:
            message = t(
                "{what}: unknown urgency {urgency!r} in limits (expected {urgencies})",
                what=what,
                urgency=urgency,
                urgencies=" ".join(URGENCIES),
            )
            error(source, message)
    signs = [(u, limits[u].sign_hours) for u in URGENCIES if u in limits]
    for (u1, s1), (u2, s2) in zip(signs, signs[1:], strict=False):
        if s2 > s1:
            message = t(
                "{what}: {more} sign-for limit ({more_hours} h) is longer than the {less} one ({less_hours} h)",
                what=what,
                more=u2,
                more_hours=s2,
                less=u1,
                less_hours=s1,
            )
            warn(source, message)
