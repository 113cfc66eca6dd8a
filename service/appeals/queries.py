"""Reading appeals: who may see which, filters, and the JSON views of the record."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session, selectinload

from service.appeals.citizen_codes import normal_number
from service.appeals.models import Appeal, AppealAssignment, AppealEvent
from service.appeals.privacy import contact_view, free_text, sees_unmasked
from service.appeals.status import STATUS_LABELS
from service.auth.models import User
from service.db import utcnow
from service.errors import NotFound
from service.fields import range_end, range_start
from service.handling.unit_actions import signed_assignments_of
from service.lists.models import Category
from service.lists.operations import ListContext
from service.queues.clocks import CoSignClock, clock_fields, co_assignments, co_sign_clock
from service.text import t


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """Unit staff see only the appeals their unit is (currently) assigned to; centre roles see all."""
    if user.role != "unit_staff":
        return sa.true()
    assigned = sa.select(AppealAssignment.appeal_id).where(
        AppealAssignment.unit_code == user.unit_code, AppealAssignment.active
    )
    return Appeal.id.in_(assigned)


def get_visible(s: Session, number: str, user: User) -> Appeal:
    appeal = s.scalar(
        sa.select(Appeal)
        .where(Appeal.number == number, visible_to(user))
        .options(selectinload(Appeal.contact), selectinload(Appeal.assignments))
    )
    if appeal is None:  # unknown and not-yours answer alike
        raise NotFound(t("No appeal {number}.", number=number))
    return appeal


def _category_and_descendants(s: Session, code: str) -> list[str]:
    rows = s.execute(sa.select(Category.code, Category.parent_code)).all()
    children: dict[str | None, list[str]] = {}
    for c, parent in rows:
        children.setdefault(parent, []).append(c)
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, ()))
    return found


def filtered(s: Session, user: User, args: dict[str, Any], tz: tzinfo) -> sa.Select[tuple[Appeal]]:
    """The appeals `user` may see that match `args` (AppealListArgs); a plain date as a bound of
    `received_from`/`received_to` is a whole day in `tz`, both ends included."""
    query = sa.select(Appeal).where(visible_to(user))
    if v := args.get("status"):
        query = query.where(Appeal.status == v)
    if v := args.get("channel"):
        query = query.where(Appeal.channel == v)
    if v := args.get("type"):
        query = query.where(Appeal.appeal_type == v)
    if v := args.get("urgency"):
        query = query.where(Appeal.urgency == v)
    if v := args.get("category"):
        query = query.where(Appeal.category_code.in_(_category_and_descendants(s, v)))
    if v := args.get("area"):
        # Division codes nest: a village's code starts with its township's, which starts with the county's.
        query = query.where(Appeal.area_code.startswith(v, autoescape=True))
    if v := args.get("unit"):
        query = query.where(
            Appeal.id.in_(
                sa.select(AppealAssignment.appeal_id).where(
                    AppealAssignment.unit_code == v, AppealAssignment.active
                )
            )
        )
    if v := args.get("dispatch"):
        query = query.where(_dispatched(v))
    if v := args.get("received_from"):
        query = query.where(Appeal.received_at >= range_start(v, tz))
    if v := args.get("received_to"):
        query = query.where(Appeal.received_at < range_end(v, tz))
    if v := args.get("q"):
        # Units and leaders search the words as they read them (personal data masked), not the
        # citizen's own: a phone number or a name they cannot see finds nothing (the address
        # included: a citizen may write their name there). The centre searches both: as written,
        # and as its lists show them (138****5678 pasted from one).
        texts = (Appeal.restricted_text,)
        if sees_unmasked(user):
            texts = (Appeal.title, Appeal.content, Appeal.address, *texts)
        # Escaped, so that "100%" or "_" in the search text match themselves.
        # A number typed with full-width digits or spaces (a Chinese input method) finds it too.
        number = normal_number(v)
        query = query.where(
            sa.or_(
                *(column.icontains(v, autoescape=True) for column in (Appeal.number, *texts)),
                *(
                    (Appeal.number.icontains(number, autoescape=True),)
                    if number not in ("", v.upper())
                    else ()
                ),
            )
        )
    return query


#: The events of a dispatcher choosing an appeal's units (by hand, or by the list after correcting
#: it): a dispatch, a re-dispatch (an approved return's too), a change of co-units. Recorded with the
#: user as actor; the list's own dispatch on intake has none.
UNIT_CHOICES = ("dispatched", "redispatched", "co_units_changed")


def _dispatched(way: str) -> sa.ColumnElement[bool]:
    """派单方式, as the timeline records it: "manual", a dispatcher chose its units at least once
    (`UNIT_CHOICES` with a user as actor: a co-unit ticked or unticked counts); "auto", the lead unit
    it is with was chosen by the list on intake (`AppealAssignment.manual` false) and no dispatcher
    has chosen its units since: the list's own work, for spot checks."""
    by_hand = sa.select(AppealEvent.appeal_id).where(
        AppealEvent.action.in_(UNIT_CHOICES), AppealEvent.actor_id.is_not(None)
    )
    if way == "manual":
        return Appeal.id.in_(by_hand)
    by_the_list = sa.select(AppealAssignment.appeal_id).where(
        AppealAssignment.active, AppealAssignment.role == "lead", ~AppealAssignment.manual
    )
    return sa.and_(Appeal.id.in_(by_the_list), Appeal.id.not_in(by_hand))


def ordered(query: sa.Select[tuple[Appeal]], order: str) -> sa.Select[tuple[Appeal]]:
    column = getattr(Appeal, order.lstrip("-"))
    primary = column.desc() if order.startswith("-") else column.asc()
    return query.order_by(primary.nulls_last(), Appeal.id.desc())


def _ref(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


class Names:
    """Resolves codes to names from a compiled list, so a freshly created appeal is shown without
    loading its relationships one query at a time."""

    def __init__(self, ctx: ListContext) -> None:
        self.ctx = ctx

    def unit(self, code: str | None) -> dict[str, str] | None:
        return {"code": code, "name": self.ctx.router.unit_names.get(code, code)} if code else None

    def category(self, code: str | None) -> dict[str, str] | None:
        return {"code": code, "name": self.ctx.router.categories[code].name} if code else None

    def area(self, code: str | None) -> dict[str, str] | None:
        return {"code": code, "name": self.ctx.router.areas[code].name} if code else None


def assignment_view(a: AppealAssignment, names: Names | None = None) -> dict[str, Any]:
    if names is not None and a.list_version_id == names.ctx.version_id:
        unit, version = names.unit(a.unit_code), names.ctx.label
    else:
        unit, version = _ref(a.unit), a.list_version.label if a.list_version else None
    return {
        "unit": unit,
        "role": a.role,
        "list_version": version,
        "rule_id": a.rule_id,
        "manual": a.manual,
        "active": a.active,
        "assigned_at": a.assigned_at,
        "sign_due_at": a.sign_due_at,
        "reply_due_at": a.reply_due_at,
        "ended_at": a.ended_at,
        "ended_reason": a.ended_reason,
        "explanation": a.explanation,
    }


def co_signed_of(s: Session, appeals: Sequence[Appeal], user: User) -> dict[int, set[int]]:
    """For unit staff: the assignments signed for on the appeals their unit co-handles, by appeal id
    (`appeal_view`'s `signed`, so that a co-unit sees its own sign-for clock). One statement for a
    whole page, and none when the unit co-handles none of them (or the caller is not unit staff)."""
    if user.role != "unit_staff" or not user.unit_code:
        return {}
    ids = [a.id for a in appeals if co_assignments(a, user.unit_code)]
    return signed_assignments_of(s, ids) if ids else {}


def _sign_clock(
    appeal: Appeal, user: User, signed: Mapping[int, Collection[int]] | None
) -> CoSignClock | None:
    """The co-unit viewer's own sign-for clock on the appeal (None: the appeal's, as the lead
    unit and the centre see it). Looked up for this appeal when a list did not pass `signed`."""
    if user.role != "unit_staff" or not co_assignments(appeal, user.unit_code):
        return None
    if signed is None:
        s = object_session(appeal)
        assert s is not None, "a co-unit's sign-for clock needs the appeal's session or `signed`"
        signed = co_signed_of(s, [appeal], user)
    return co_sign_clock(appeal, user.unit_code, signed.get(appeal.id, ()))


def appeal_view(
    appeal: Appeal,
    user: User,
    *,
    masked: bool = True,
    names: Names | None = None,
    now: datetime | None = None,
    signed: Mapping[int, Collection[int]] | None = None,
) -> dict[str, Any]:
    """The appeal as `user` may read it. The sign-for clock fields are the viewer's: a co-unit's
    staff see their own part's (`signed`: `co_signed_of` the list's page, looked up if not given)."""
    if names is not None:
        category, area = names.category(appeal.category_code), names.area(appeal.area_code)
        lead_unit = names.unit(appeal.lead_unit_code)
    else:
        category, area, lead_unit = _ref(appeal.category), _ref(appeal.area), _ref(appeal.lead_unit)
    view: dict[str, Any] = {
        "number": appeal.number,
        "channel": appeal.channel,
        "channel_meta": appeal.channel_meta if sees_unmasked(user) else {},
        "appeal_type": appeal.appeal_type,
        "title": free_text(appeal.title, appeal, user, masked),
        "content": free_text(appeal.content, appeal, user, masked),
        "category": category,
        "area": area,
        "address": free_text(appeal.address or "", appeal, user, masked),
        "latitude": appeal.latitude,
        "longitude": appeal.longitude,
        "urgency": appeal.urgency,
        "confidential": appeal.confidential,
        "consent_publish": appeal.consent_publish,
        "status": appeal.status,
        "status_label": STATUS_LABELS.get(appeal.status, appeal.status),
        "received_at": appeal.received_at,
        "dispatched_at": appeal.dispatched_at,
        "lead_unit": lead_unit,
        "sign_due_at": appeal.sign_due_at,
        "reply_due_at": appeal.reply_due_at,
        "dispatch_note": appeal.dispatch_note,
        "signed_at": appeal.signed_at,
        "replied_at": appeal.replied_at,
        "rating_due_at": appeal.rating_due_at,
        "closed_at": appeal.closed_at,
        "close_reason": appeal.close_reason,
        "direct_answer": appeal.direct_answer,
        "reopen_count": appeal.reopen_count,
        "supervision_level": appeal.supervision_level,
        "merged_into": appeal.master.number if appeal.master_id and appeal.master else None,
        "contact": contact_view(appeal.contact, appeal, user, masked),
        "assignments": [assignment_view(a, names) for a in appeal.assignments],
        "caller_history": appeal.caller_history or 0,
        # Time left and warnings, from the stored due times (a co-unit: its own sign-for clock).
        **clock_fields(appeal, now or utcnow(), _sign_clock(appeal, user, signed)),
        "version": appeal.version,
    }
    if sees_unmasked(user):
        view["query_code"] = appeal.query_code
    return view


def events_of(s: Session, appeal: Appeal) -> list[AppealEvent]:
    return list(
        s.scalars(
            sa.select(AppealEvent)
            .where(AppealEvent.appeal_id == appeal.id)
            .options(selectinload(AppealEvent.actor))
            .order_by(AppealEvent.at, AppealEvent.id)
        )
    )


def count_of(s: Session, query: sa.Select[Any]) -> int:
    """How many rows `query` finds (its order dropped)."""
    return s.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def search_page(
    s: Session, user: User, args: dict[str, Any], tz: tzinfo, per_page: int, now: datetime | None = None
) -> dict[str, Any]:
    """One page of the appeals `user` may see that match `args` (AppealListArgs), in its order, as
    masked views, with the total: the API's search and the centre's search page."""
    query = filtered(s, user, args, tz)
    page = args["page"]
    rows = s.scalars(
        ordered(query, args["order"])
        .options(selectinload(Appeal.contact), selectinload(Appeal.assignments))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    signed = co_signed_of(s, rows, user)
    return {
        "items": [appeal_view(a, user, masked=True, now=now, signed=signed) for a in rows],
        "total": count_of(s, query),
        "page": page,
        "per_page": per_page,
    }
