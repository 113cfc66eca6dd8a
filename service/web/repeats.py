"""Is a form refused as stale the same form as the one this user's own action just did?

A form sent twice (a double click, a reload) arrives after the first one changed the appeal: the
version it carries is stale, and the page says the action was done once. The same account in two
tabs (or a shared seat) also sends a stale form, but with another decision: 派单 to another unit,
不予批准 after 批准. That one is a conflict (409, the typed input kept), never "done once": the
user would believe their choice was carried out. Each action's `same` compares the loaded form
with what its first event (and those after it) recorded; pure over the rows given, no queries
except the reply's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from service.appeals.models import Appeal, AppealEvent
from service.handling.models import Reply

#: What an approval without a note records (centre_review.review_return).
RETURN_APPROVED_NOTE = "退单审核通过"


def plain(value: Any) -> Any:
    """A form's value and a recorded one made comparable: text stripped, nothing as empty text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    return value


def recorded(event: AppealEvent) -> dict[str, Any]:
    """What an event recorded: its payload, and its note as "note"."""
    return {**(event.payload or {}), "note": event.note or ""}


def fields(**keys: str) -> Any:
    """Same when each form field equals what the first event recorded: `form_field="recorded key"`."""

    def same(_s: Session, _appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
        got = recorded(events[0])
        return all(plain(d.get(name)) == plain(got.get(key)) for name, key in keys.items())

    return same


def no_content(_s: Session, _appeal: Appeal, _events: Sequence[AppealEvent], _d: Mapping[str, Any]) -> bool:
    """签收: a form with nothing to choose is always the same."""
    return True


def dispatch(s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
    """派单/改派: the same lead unit (or by the list, when the form named none), the same co-units,
    the same reason, and the category, area and urgency it corrected as the appeal has them now."""
    first = events[0]
    got = recorded(first)
    if plain(d.get("reason")) != plain(got.get("reason")):
        return False
    co = set(d.get("co_units") or [])
    if d.get("unit") is not None:
        if d["unit"] != got.get("lead") or co != set(got.get("co") or []):
            return False
    else:  # by the list: the list chose the lead (a rule), the form's co-units were added to its own
        if first.action != "co_units_changed" and got.get("rule_id") is None:
            return False
        if not co <= set(got.get("co") or []):
            return False
    corrected = (("category", "category_code"), ("area", "area_code"), ("urgency", "urgency"))
    return all(d.get(name) is None or getattr(appeal, attr) == d[name] for name, attr in corrected)


def return_review(s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
    """退单审核: the same decision and note; on approval the same unit and co-units re-dispatched to."""
    first = events[0]
    if d.get("decision") == "reject":
        return first.action == "return_rejected" and plain(d.get("note")) == plain(first.note)
    if first.action != "return_approved":
        return False
    if (plain(d.get("note")) or RETURN_APPROVED_NOTE) != plain(first.note):
        return False
    if plain(d.get("unit")) != plain((first.payload or {}).get("redispatch_to")):
        return False
    dispatched = next((e for e in events[1:] if e.action in ("dispatched", "redispatched")), None)
    co = set((dispatched.payload or {}).get("co") or []) if dispatched is not None else set()
    return set(d.get("co_units") or []) == co


def decided(outcomes: Mapping[str, str], then: Any) -> Any:
    """Same when the form's decision is the one recorded (its event, `outcomes[decision]`) and `then`."""

    def same(s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
        return outcomes.get(d.get("decision") or "") == events[0].action and then(s, appeal, events, d)

    return same


extension_review = decided(
    {"approve": "extension_approved", "refuse": "extension_refused"}, fields(note="note")
)


def _reply_review_text(
    s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]
) -> bool:
    """答复审核: the same reasons (退回) and the same internal note, kept as the payload's centre_note."""
    got = recorded(events[0])
    if d.get("decision") == "send_back" and plain(d.get("reasons") or []) != plain(got.get("reasons") or []):
        return False
    return plain(d.get("note")) == plain(got.get("centre_note"))


reply_review = decided({"approve": "reply_released", "send_back": "reply_sent_back"}, _reply_review_text)


def rating_exclusion(s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
    """评价剔除: the same reason (None: counted again) and the note the event's text ends with."""
    got = recorded(events[0])
    said = got["note"].split("。", 1)[1] if "。" in got["note"] else got["note"]
    return d.get("reason") == got.get("reason") and plain(d.get("note")) == plain(said)


def reply(s: Session, appeal: Appeal, events: Sequence[AppealEvent], d: Mapping[str, Any]) -> bool:
    """答复: the same result, reason, contact and internal note, and the same text for the citizen."""
    if not fields(
        result="result", reason="reason", contacted_citizen="contacted_citizen", internal_note="note"
    )(s, appeal, events, d):
        return False
    stored = s.get(Reply, (events[0].payload or {}).get("reply_id"))
    return stored is not None and plain(stored.citizen_text) == plain(d.get("citizen_text"))
