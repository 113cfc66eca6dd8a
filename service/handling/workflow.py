"""The appeal's state machine, as data: which action is allowed from which status, to whom, and
where it leads. Pure: no I/O. `check` is the one guard every action goes through.

Relations: an action of a unit needs the caller's unit to hold an active assignment of the given
role on the appeal ("lead", "co", or "unit" for either).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.appeals import status as st

CENTRE = frozenset({"dispatcher", "admin"})
REVIEW = frozenset({"reviewer", "admin"})
CALLBACK = frozenset({"operator", "reviewer", "admin"})
UNIT = frozenset({"unit_staff"})

#: Statuses in which a unit is working on the appeal.
IN_UNIT = frozenset({st.DISPATCHED, st.HANDLING})
#: Statuses from which the centre may still act on an open appeal.
OPEN = frozenset(st.OPEN_STATUSES)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    roles: frozenset[str]
    target: str | None  # None: the status does not change (or the operation decides between targets)
    relation: str | None = None  # lead | co | unit: the caller's unit must hold such an assignment
    label: str = ""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "close-directly",
            frozenset({st.PENDING_DISPATCH}),
            frozenset({"operator", "admin"}),
            st.CLOSED,
            label="直接办结",
        ),
        Transition("sign", IN_UNIT, UNIT, None, "unit", "签收"),
        Transition("return", IN_UNIT, UNIT, st.RETURN_REQUESTED, "lead", "退单"),
        Transition("return-review", frozenset({st.RETURN_REQUESTED}), CENTRE, None, label="退单审核"),
        Transition("extension", IN_UNIT, UNIT, None, "lead", "申请延期"),
        Transition("extension-review", IN_UNIT, CENTRE | REVIEW, None, label="延期审核"),
        Transition("contribute", IN_UNIT, UNIT, None, "co", "协办意见"),
        Transition("reply", frozenset({st.HANDLING}), UNIT, st.REPLY_REVIEW, "lead", "答复"),
        Transition("review", frozenset({st.REPLY_REVIEW}), REVIEW, None, label="答复审核"),
        Transition("evaluate", frozenset({st.REPLIED}), CALLBACK | {"citizen"}, None, label="评价"),
        Transition("reopen", frozenset({st.REPLIED, st.CLOSED}), CENTRE, st.HANDLING, label="重办"),
        Transition("merge", OPEN, CENTRE, st.MERGED, label="并案"),
        Transition("supervise", OPEN - {st.REPLIED}, CENTRE | {"leader"}, None, label="督办"),
        Transition("close", frozenset({st.REPLIED}), CENTRE | REVIEW | {"system"}, st.CLOSED, label="办结"),
    )
}


class NotAllowed(Exception):
    """The caller may not do this: `kind` is "role" (403), "relation" (404: not theirs) or "state" (409)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def check(action: str, status: str, role: str, relations: frozenset[str] = frozenset()) -> Transition:
    """Return the transition when `role` (holding `relations` on the appeal) may do `action` now."""
    t = TRANSITIONS[action]
    if role not in t.roles:
        raise NotAllowed("role", f"{t.label or action} needs one of the roles: {', '.join(sorted(t.roles))}.")
    if t.relation is not None:
        needed = {"lead", "co"} if t.relation == "unit" else {t.relation}
        if not needed & relations:
            if relations:  # the unit is on the appeal, but not in that part
                raise NotAllowed("role", f"Only the {' or '.join(sorted(needed))} unit may {action}.")
            raise NotAllowed("relation", "Not assigned to your unit.")
    if status not in t.sources:
        label = st.STATUS_LABELS.get(status, status)
        raise NotAllowed("state", f"Cannot {action} an appeal that is {label} ({status}).")
    return t
