"""The appeal's state machine, as data: which action is allowed from which status, to whom, and
where it leads. Pure: no I/O. `check` is the one guard every action goes through.

Relations: an action of a unit needs the caller's unit to hold an active assignment of the given
role on the appeal ("lead", "co", or "unit" for either).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.appeals import status as st
from service.auth.models import ROLE_NAMES
from service.text import Text, t

CENTRE = frozenset({"dispatcher", "admin"})
REVIEW = frozenset({"reviewer", "admin"})
CALLBACK = frozenset({"operator", "reviewer", "admin"})
UNIT = frozenset({"unit_staff"})

#: The parts a unit holds on an appeal, as the Chinese messages name them, and the English ones.
UNIT_PARTS = {"lead": "主办", "co": "协办"}
UNIT_PART_WORDS = {"lead": "lead", "co": "co-handling"}
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
    #: The action as the refusals name it: an English verb phrase ("request an extension"), whose
    #: Chinese (errors.po) is `label` ("Only the lead unit may request an extension." / "只有主办单位可以申请延期。").
    doing: Text = t("act on the appeal")


TRANSITIONS: dict[str, Transition] = {
    transition.action: transition
    for transition in (
        Transition(
            "close-directly",
            frozenset({st.PENDING_DISPATCH}),
            frozenset({"operator", "admin"}),
            st.CLOSED,
            label="直接办结",
            doing=t("close the appeal at first contact"),
        ),
        Transition("sign", IN_UNIT, UNIT, None, "unit", "签收", t("sign for the appeal")),
        Transition("return", IN_UNIT, UNIT, st.RETURN_REQUESTED, "lead", "退单", t("return the appeal")),
        Transition(
            "return-review",
            frozenset({st.RETURN_REQUESTED}),
            CENTRE,
            None,
            label="退单审核",
            doing=t("review the return"),
        ),
        Transition("extension", IN_UNIT, UNIT, None, "lead", "申请延期", t("request an extension")),
        Transition(
            "extension-review",
            IN_UNIT,
            CENTRE | REVIEW,
            None,
            label="延期审核",
            doing=t("decide on the extension"),
        ),
        Transition("contribute", IN_UNIT, UNIT, None, "co", "协办意见", t("give the co-unit's input")),
        Transition("reply", frozenset({st.HANDLING}), UNIT, st.REPLY_REVIEW, "lead", "答复", t("reply")),
        Transition(
            "review",
            frozenset({st.REPLY_REVIEW}),
            REVIEW,
            None,
            label="答复审核",
            doing=t("review the reply"),
        ),
        Transition(
            "evaluate",
            frozenset({st.REPLIED}),
            CALLBACK | {"citizen"},
            None,
            label="评价",
            doing=t("rate the appeal"),
        ),
        Transition(
            "reopen",
            frozenset({st.REPLIED, st.CLOSED}),
            CENTRE,
            st.DISPATCHED,
            label="重办",
            doing=t("reopen the appeal"),
        ),
        Transition("merge", OPEN, CENTRE, st.MERGED, label="并案", doing=t("merge the appeal")),
        Transition(
            "supervise",
            OPEN - {st.REPLIED},
            CENTRE | {"leader"},
            None,
            label="督办",
            doing=t("supervise the appeal"),
        ),
        Transition(
            "close",
            frozenset({st.REPLIED}),
            CENTRE | REVIEW | {"system"},
            st.CLOSED,
            label="办结",
            doing=t("close the appeal"),
        ),
        # 评价剔除: once rated (replied or closed); an appeal without a rating is refused with 409.
        Transition(
            "exclude-rating",
            frozenset({st.REPLIED, st.CLOSED}),
            CENTRE | REVIEW,
            None,
            label="评价剔除",
            doing=t("set the rating aside"),
        ),
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
    transition = check_caller(action, role, relations)
    if status == st.DISPATCHED and st.HANDLING in transition.sources and status not in transition.sources:
        # Not signed for yet (a new dispatch, or again after a reopen): say what comes first.
        raise NotAllowed("state", t("Sign for the appeal first, then {action}.", action=transition.doing))
    if status not in transition.sources:
        message = t(
            "Cannot {action} now: the appeal is “{status_label}”.",
            action=transition.doing,
            status=status,
            status_label=st.STATUS_NAMES.get(status, status),
        )
        raise NotAllowed("state", message)
    return transition


def check_caller(action: str, role: str, relations: frozenset[str] = frozenset()) -> Transition:
    """The part of `check` whatever the appeal's status: may `role` (holding `relations` on the
    appeal) do `action` at all? (The API asks before it reads the request's body.)"""
    transition = TRANSITIONS[action]
    if role not in transition.roles:
        raise NotAllowed("role", needs_roles(transition.doing, transition.roles))
    if transition.relation is not None:
        needed = {"lead", "co"} if transition.relation == "unit" else {transition.relation}
        if not needed & relations:
            if relations:  # the unit is on the appeal, but not in that part
                parts = sorted(needed)
                message = t(
                    "Only the {parts} unit may {action}.",
                    parts=" or ".join(UNIT_PART_WORDS[p] for p in parts),
                    part_names="或".join(UNIT_PARTS[p] for p in parts),
                    action=transition.doing,
                )
                raise NotAllowed("role", message)
            raise NotAllowed("relation", t("Not assigned to your unit."))
    return transition


def needs_roles(action: Text, roles: frozenset[str]) -> Text:
    """The refusal of an action (named by its verb phrase, `Transition.doing`) to a role not among `roles`."""
    codes = sorted(roles)
    # By their names, as people read them (Unit staff / 承办单位人员), never by their codes.
    return t(
        "Only these roles may {action}: {roles}.",
        action=action,
        roles=[ROLE_NAMES.get(r, r) for r in codes],
    )
