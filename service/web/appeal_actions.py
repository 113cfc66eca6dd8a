"""What an action on an appeal's page is (centre and unit alike): `Action`, each the same domain
operation and schema as `POST /api/v1/appeals/<number>/<action>`, and `open_actions`, the ones a user
may take on an appeal now. The tables of actions are the areas': `centre_actions.CENTRE_ACTIONS` and
`unit_actions.UNIT_ACTIONS`.

An `Action` names the API's schema, the operation to call with the loaded data, and the roles and
statuses that may use it (read from the state machine, `service.handling.workflow`, so a form is
shown exactly when the operation would accept it; the operation still guards itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from service.appeals.models import Appeal, AppealEvent
from service.auth.models import User
from service.handling.operations import relations_of
from service.handling.workflow import TRANSITIONS
from service.text import Text
from service.web.helpers import form_numbers

#: Runs the operation; returns the event it recorded where the action has more than one outcome to
#: tell (`Action.done_for`), else None; or that event with the values its message names (the unit
#: the appeal went to: 已派单至区城管局).
Runner = Callable[[Session, Appeal, User, dict[str, Any]], "str | tuple[str, dict[str, Any]] | None"]

#: Is the submitted form's content (the loaded data) what this user's own action just recorded (the
#: events since their page, the first being the action's)? Then the form was sent twice (a double
#: click); otherwise it is another decision from a page that was stale (two tabs): a conflict.
SameAs = Callable[[Session, Appeal, Sequence[AppealEvent], dict[str, Any]], bool]

#: What an irreversible action will do to this appeal, said in the page language to this user before
#: it is done (the loaded form); None: nothing to confirm (the operation will refuse it and say why).
Confirm = Callable[[Session, Appeal, User, dict[str, Any]], "str | None"]

#: What the first submission of a form sent twice did, told from the events it recorded (those since
#: the page, the first being the action's), as a `Runner` tells it: the second one's message then says
#: the same (已派单至区城管局。（重复提交的表单未再次办理。）) rather than less.
Recall = Callable[[Appeal, Sequence[AppealEvent]], "str | tuple[str, dict[str, Any]] | None"]


@dataclass(frozen=True)
class Action:
    name: str  # the API's path segment (or `transition`'s), also the form's id
    label: Any  # lazy, translated when shown
    done: str  # flashed once it worked: a page text's msgid (`N_`), said on the next page
    schema: type[Schema]
    run: Runner
    many: tuple[str, ...] = ()  # multi-selects: every value kept as a list
    lines: tuple[str, ...] = ()  # textareas whose lines become a list (one reason a line)
    # For an action outside the state machine (dispatch, dismissing a duplicate flag): who may use
    # it, and in which statuses (None: any). State-machine actions read both from TRANSITIONS.
    allowed: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    # The events its operation records first (one of them): how a second submission of the same
    # form (a double click) recognises that this user's first one was done meanwhile; `same` then
    # tells the same form from another one sent from an older page (None: never the same).
    events: tuple[str, ...] = ()
    # Events the operation may record (by the same user) before one of `events`, skipped to find it:
    # a co-unit's 协办意见 signs for its part first (co_signed).
    events_before: tuple[str, ...] = ()
    same: SameAs | None = None
    # What the first submission did, where its first event alone does not tell (None: that event).
    recall: Recall | None = None
    # The state-machine action behind a form named otherwise (催办 and 督办: two forms, one action).
    transition: str | None = None
    # What to flash instead of `done` for an outcome the operation records as another event, by event
    # (派单 that only changed the co-units: 调整协办单位).
    done_by_event: dict[str, str] = field(default_factory=dict, hash=False)
    # Irreversible: the form is confirmed first, saying what will happen (`centre_confirm`).
    confirm: Confirm | None = None
    # The action as a refusal names it (`workflow.Transition.doing`), for an action outside the state machine.
    doing: Text | None = None

    def done_for(self, event: str | None) -> str:
        """The message to flash once the action worked and recorded `event` (None: not known)."""
        return self.done_by_event.get(event or "", self.done)

    def recalled(self, appeal: Appeal, own: Sequence[AppealEvent]) -> tuple[str, dict[str, Any]]:
        """The message (`done_for`'s msgid) and its values for what a form sent twice did the first time."""
        outcome = self.recall(appeal, own) if self.recall is not None else own[0].action
        event, values = outcome if isinstance(outcome, tuple) else (outcome, {})
        return self.done_for(event), values

    def in_words(self) -> Text:
        """The action as the refusals name it: "request an extension" (in Chinese its label, 申请延期)."""
        return self.doing or TRANSITIONS[self.transition or self.name].doing

    def roles(self) -> frozenset[str]:
        if self.allowed is not None:
            return self.allowed
        return TRANSITIONS[self.transition or self.name].roles

    def open_to(self, appeal: Appeal, user: User) -> bool:
        """Would the operation accept this user on this appeal now (role, unit's part, status)?"""
        if user.role not in self.roles():
            return False
        if self.allowed is not None:
            return self.statuses is None or appeal.status in self.statuses
        transition = TRANSITIONS[self.transition or self.name]
        if transition.relation is not None:
            needed = {"lead", "co"} if transition.relation == "unit" else {transition.relation}
            if not needed & relations_of(appeal, user):
                return False
        return appeal.status in transition.sources

    def load(self, schema_input: dict[str, Any]) -> dict[str, Any]:
        data = dict(schema_input)
        for name in self.lines:
            if isinstance(data.get(name), str):
                data[name] = [line.strip() for line in data[name].splitlines() if line.strip()]
        schema = self.schema()
        return schema.load(form_numbers(schema, data))


def open_actions(actions: dict[str, Action], appeal: Appeal, user: User) -> list[Action]:
    return [a for a in actions.values() if a.open_to(appeal, user)]
