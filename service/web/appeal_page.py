"""One appeal's page, shared by the centre, the unit workbench and the console: what it shows to
whom, and what its action forms offer and start from. A posted form is answered by
`appeal_submit.act`, which shows this page again when it refuses one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Session

from dispatch.figures import EXCLUSION_REASONS
from service import db
from service.appeals import queries
from service.appeals import status as st
from service.appeals.models import Appeal
from service.appeals.privacy import (
    CENTRE_ROLES,
    free_text,
    log_access,
    may_reveal,
    reads_unit_reply,
    without_citizen_data,
)
from service.appeals.status import REPLY_RESULTS, URGENCIES
from service.auth.models import User
from service.auth.security import current_user
from service.handling import centre_review, duplicates, return_disputes, unit_actions, unit_requests
from service.handling.closing import current_rating, latest_rating
from service.handling.closing_schemas import RESOLVED, SATISFACTION
from service.handling.merging import TOP_LEVEL
from service.handling.models import Reply, Supervision
from service.handling.workflow import IN_UNIT
from service.lists.models import Area, Category, Unit
from service.lists.operations import active_context
from service.notices.api import code_hidden_from, notice_view
from service.notices.models import NoticeDelivery
from service.queues.clocks import co_sign_clock
from service.web import intake_form
from service.web.appeal_actions import Action, open_actions
from service.web.centre_letter import letter_offer
from service.web.centre_receipt import receipt_offer
from service.web.form_labels import FORM_LABELS
from service.web.helpers import FormErrors
from service.web.labels import UNIT_KIND_LABELS

#: What each event of the log is called on the timeline (escalation events included). In the context
#: "event": the same Chinese word is often also a button (签收, 催办, 重办), which English says
#: differently ("Sign for" on the button, "Signed for" for what happened).
EVENT_LABELS: dict[str, Any] = {
    "registered": lazy_pgettext("event", "受理登记"),
    "dispatched": lazy_pgettext("event", "派单"),
    "redispatched": lazy_pgettext("event", "改派"),
    "co_units_changed": lazy_pgettext("event", "调整协办单位"),
    "auto_dispatch_failed": lazy_pgettext("event", "自动派单未成功"),
    "urgent_alerted": lazy_pgettext("event", "紧急通知"),
    "signed": lazy_pgettext("event", "签收"),
    "co_signed": lazy_pgettext("event", "协办单位签收"),
    "return_requested": lazy_pgettext("event", "申请退单"),
    "return_approved": lazy_pgettext("event", "退单通过"),
    "return_rejected": lazy_pgettext("event", "退单驳回"),
    "extension_requested": lazy_pgettext("event", "申请延期"),
    "extension_approved": lazy_pgettext("event", "延期批准"),
    "extension_refused": lazy_pgettext("event", "延期不予批准"),
    "extension_withdrawn": lazy_pgettext("event", "延期申请撤回"),
    "contributed": lazy_pgettext("event", "协办意见"),
    "replied": lazy_pgettext("event", "提交答复"),
    "reply_sent_back": lazy_pgettext("event", "答复退回重办"),
    "reply_released": lazy_pgettext("event", "答复已发布"),
    "evaluated": lazy_pgettext("event", "评价"),
    "reopened": lazy_pgettext("event", "重办"),
    "rating_excluded": lazy_pgettext("event", "评价剔除"),
    "rating_counted": lazy_pgettext("event", "评价恢复计入"),
    "merged": lazy_pgettext("event", "并案"),
    "merge_received": lazy_pgettext("event", "并入案件"),
    "pressed": lazy_pgettext("event", "催办"),
    "supervised": lazy_pgettext("event", "督办"),
    "closed": lazy_pgettext("event", "办结"),
    "closed_directly": lazy_pgettext("event", "直接办结"),
    "duplicate_dismissed": lazy_pgettext("event", "排除重复"),
    "escalated": lazy_pgettext("event", "逐级升级"),
    "sign_overdue": lazy_pgettext("event", "签收超时"),
    "co_sign_overdue": lazy_pgettext("event", "协办签收超时"),
    "reply_due_soon": lazy_pgettext("event", "即将超期"),
    "reply_overdue": lazy_pgettext("event", "答复超期"),
    "review_waiting": lazy_pgettext("event", "答复待审超时"),
    "rating_callback": lazy_pgettext("event", "待回访"),
    "personal_data_erased": lazy_pgettext("event", "个人信息已按保存期限删除"),
}

RESULT_OPTIONS = [("", _l("请选择")), *((code, _l(label)) for code, label in REPLY_RESULTS.items())]
URGENCY_OPTIONS = [("", _l("不变")), *((u, _l(u)) for u in URGENCIES)]
#: 评价剔除: the reasons (marked in labels.py), and "count" for the API's null.
EXCLUSION_OPTIONS = [
    ("", _l("请选择")),
    *((code, _l(label)) for code, label in EXCLUSION_REASONS.items()),
    ("count", _l("恢复计入")),
]


def unit_choices(s: Session) -> list[tuple[str, str]]:
    rows = s.execute(
        sa.select(Unit.code, Unit.name)
        .where(Unit.active, Unit.kind != "centre")
        .order_by(Unit.kind, Unit.code)
    ).all()
    return [(code, name) for code, name in rows]


def unit_groups(s: Session, options: Sequence[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Units to tick (the co-unit checkboxes), grouped by kind as the list has them (区直部门, 乡镇（街道）,
    其他单位), each group in the options' order: some sixty units read better in groups."""
    kinds = dict(
        s.execute(
            sa.select(Unit.code, Unit.kind).where(Unit.code.in_([code for code, _name in options]))
        ).all()
    )
    grouped: dict[str, list[tuple[str, str]]] = {kind: [] for kind in UNIT_KIND_LABELS}
    for code, name in options:
        grouped.setdefault(kinds.get(code, "other"), []).append((code, name))
    return [(_(UNIT_KIND_LABELS.get(kind, kind)), items) for kind, items in grouped.items() if items]


def dispatch_choices(appeal: Appeal, units: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The dispatch form's units: the active ones (`unit_choices`), and after them each unit the
    appeal is with now that a newer list deactivated, marked 已停用. The form starts with the
    appeal's units chosen: a unit left out of the options would be dropped unseen by a submission
    that did not touch it. The operation keeps such a co-unit's part where the dispatch changes the
    co-units alone, and refuses it elsewhere (service/appeals/unit_choice.py)."""
    offered = {code for code, _name in units}
    inactive = {
        a.unit_code: inactive_label(a.unit.name if a.unit is not None else a.unit_code)
        for a in appeal.assignments
        if a.active and a.unit_code not in offered and (a.unit is None or not a.unit.active)
    }
    return [*units, *inactive.items()]


def inactive_label(name: str) -> str:
    return _("%(name)s（已停用）", name=name)


def _suggestion(s: Session, appeal: Appeal) -> dict[str, Any] | None:
    """What the active list would do with this appeal now (the API's routing preview), for the centre."""
    ctx = active_context(s)
    if ctx is None:
        return {"routed": False, "message": _("未启用职责清单。"), "explanation": {}}
    if not (appeal.category_code and appeal.area_code):
        return {"routed": False, "message": appeal.dispatch_note or _("缺少分类或区划。"), "explanation": {}}
    result = ctx.router.route(appeal.category_code, appeal.area_code, appeal.urgency, appeal.appeal_type)
    message = getattr(result, "message", "")
    return {"routed": not message, "message": message, "explanation": result.explanation}


def _open(
    actions: dict[str, Action], s: Session, appeal: Appeal, user: User, open_flags: list[tuple[str, str]]
) -> list[Action]:
    found = open_actions(actions, appeal, user)
    if not open_flags:  # nothing left to dismiss
        found = [a for a in found if a.name != "dismiss-duplicate"]
    if any(a.name == "exclude-rating" for a in found) and latest_rating(s, appeal) is None:
        found = [a for a in found if a.name != "exclude-rating"]  # closed at first contact: no rating
    if appeal.lead_unit_code is None or not any(a.active and a.role == "lead" for a in appeal.assignments):
        found = [a for a in found if a.name not in ("press", "raise")]  # 催办/督办 need a unit to press
    if any(a.name == "return" for a in found) and return_disputes.arbitrated(s, appeal, user.unit_code or ""):
        found = [a for a in found if a.name != "return"]  # the centre's arbitration is final (仲裁)
    if any(a.name == "evaluate" for a in found) and current_rating(s, appeal) is not None:
        found = [a for a in found if a.name != "evaluate"]  # once a round: the rating is shown instead
    if any(a.name == "reopen" for a in found) and not _reopenable(s, appeal):
        found = [a for a in found if a.name != "reopen"]
    if any(a.name in ("extension", "extension-review") for a in found):
        # One request at a time: the unit asks while none waits, the centre decides while one does.
        waiting = unit_requests.pending_extension(s, appeal) is not None
        found = [a for a in found if a.name != ("extension" if waiting else "extension-review")]
    if appeal.supervision_level >= TOP_LEVEL:  # 督办 at the highest level already: only 催办 is left
        found = [a for a in found if a.name != "raise"]
    if any(a.name == "sign" for a in found):
        signed = unit_actions.signed_assignment_ids(s, appeal)
        own = [a for a in appeal.assignments if a.active and a.unit_code == user.unit_code]
        if all(a.id in signed for a in own):
            found = [a for a in found if a.name != "sign"]
    return found


def _reopenable(s: Session, appeal: Appeal) -> bool:
    """重办 follows an unsatisfied rating of this round (none after a call closed at first contact,
    nor after a satisfied one), and needs the citizen's contact (reopening.reopen refuses otherwise)."""
    rating = current_rating(s, appeal)
    return rating is not None and rating.unsatisfied and appeal.personal_data_erased_at is None


def pressed_of(s: Session, appeals: Sequence[Appeal], user: User) -> dict[int, dict[str, Any]]:
    """The centre's 催办 to the lead unit each appeal is with now, while that unit still has to act
    on it (待签收 or 办理中), by appeal id: how many (`count`) and the latest (`latest`, a
    Supervision: when, its note). A unit reads them on its workbench and on the appeal's page, not
    only deep in the timeline; those to a unit the appeal was with before are not its. (督办 shows
    as its level already.) Unit staff see them for the appeals their unit leads only: a co-unit was
    not pressed."""
    leads = {
        a.id: lead
        for a in appeals
        if a.status in IN_UNIT
        and (lead := next((x for x in a.assignments if x.active and x.role == "lead"), None)) is not None
        and (user.role != "unit_staff" or lead.unit_code == user.unit_code)
    }
    if not leads:
        return {}
    rows = s.scalars(
        sa.select(Supervision)
        .where(Supervision.appeal_id.in_(leads), Supervision.kind == "press")
        .order_by(Supervision.at.desc(), Supervision.id.desc())
    )
    pressed: dict[int, dict[str, Any]] = {}
    for row in rows:
        lead = leads[row.appeal_id]
        if row.unit_code != lead.unit_code or row.at < lead.assigned_at:
            continue
        seen = pressed.setdefault(row.appeal_id, {"count": 0, "latest": row})
        seen["count"] += 1
    return pressed


def unit_parts(
    appeals: Sequence[Appeal], user: User, signed: Mapping[int, Collection[int]]
) -> dict[int, dict[str, Any]]:
    """What the viewing unit has to do on each appeal, by appeal id: its part ("lead" or "co") and
    whether it still has to sign for it (`to_sign`); a co-unit's also its own sign-for deadline
    (`sign_due_at`) and whether it signed (`signed`). Empty for everyone but unit staff: the centre
    reads the appeal's own state (the lead unit has not signed: 待签收). `signed`: the assignments
    signed for, by appeal id (queries.co_signed_of).

    The lead unit signs while the appeal is dispatched and unsigned (the 待签收 list's condition);
    a co-unit signs once for its own part (协办单位签收), while the unit works on the appeal.
    """
    if user.role != "unit_staff" or user.unit_code is None:
        return {}
    parts: dict[int, dict[str, Any]] = {}
    for appeal in appeals:
        if any(a.active and a.unit_code == user.unit_code and a.role == "lead" for a in appeal.assignments):
            to_sign = appeal.status == st.DISPATCHED and appeal.signed_at is None
            parts[appeal.id] = {"part": "lead", "to_sign": to_sign}
        elif (co := co_sign_clock(appeal, user.unit_code, signed.get(appeal.id, ()))) is not None:
            parts[appeal.id] = {
                "part": "co",
                "to_sign": appeal.status in IN_UNIT and not co.signed,
                "sign_due_at": co.sign_due_at,
                "signed": co.signed,
            }
    return parts


def reopen_inactive(appeal: Appeal) -> dict[str, Any]:
    """The units of the appeal a newer list deactivated, as the reopen form warns of them: a reopen
    does not send them the appeal (service/handling/reopening.py). `lead`: the lead unit's name, or
    None; `co`: the co-units' names."""
    gone = [
        (a.role, a.unit.name if a.unit is not None else a.unit_code)
        for a in appeal.assignments
        if a.active and (a.unit is None or not a.unit.active)
    ]
    return {
        "lead": next((name for role, name in gone if role == "lead"), None),
        "co": [name for role, name in gone if role == "co"],
    }


def _open_flags(flags: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The duplicate flags still to decide, as (other appeal's number, label) choices."""
    return [(d["number"], f"{d['number']} {d['title']}") for d in flags if d["decision"] == duplicates.OPEN]


def page_context(
    s: Session,
    appeal: Appeal,
    user: User,
    *,
    area: str,
    actions: dict[str, Action],
    failed: str | None = None,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    problem: str | None = None,
) -> dict[str, Any]:
    """Everything the appeal page shows, as this user may see it."""
    reveal = (request.args.get("reason") or "").strip() if request.method == "GET" else ""
    unmasked = bool(reveal) and may_reveal(user, appeal)
    if unmasked:
        log_access(s, user, appeal, "view", reveal)  # every unmasked view is recorded (who, when, why)
    signed = queries.co_signed_of(s, [appeal], user)
    view = queries.appeal_view(appeal, user, masked=not unmasked, signed=signed)
    view["viewer"] = unit_parts([appeal], user, signed).get(appeal.id)
    centre = area == "centre"
    flags = duplicates.candidates_of(s, appeal, user) if centre else []
    open_flags = _open_flags(flags)
    shown = _open(actions, s, appeal, user, open_flags)
    if failed and failed in actions and all(a.name != failed for a in shown):
        shown.append(actions[failed])  # keep what was typed, even if the action is no longer open
    lead = next((a for a in appeal.assignments if a.active and a.role == "lead"), None)
    events = queries.events_of(s, appeal)
    units = unit_choices(s) if centre else []
    # The sent-back reply (被退回的答复): the centre's and the lead unit's, not co-units' nor leaders'.
    to_correct = centre_review.reply_to_correct(s, appeal) if reads_unit_reply(user, appeal) else None
    return {
        "appeal": appeal,
        "view": view,
        "area": area,
        "events": events,
        "shown": lambda text: free_text(str(text), appeal, user, masked=not unmasked),
        # A unit's reply (awaiting review, or sent back): the centre reviews the very words the
        # citizen will get, the unit's own telephone included; the lead unit reads its own words
        # with the citizen's data masked as the form to correct them has it (its telephone intact).
        "reply_shown": lambda text: (
            str(text)
            if user.role in CENTRE_ROLES
            else free_text(str(text), appeal, user, masked=False)
            if unmasked
            else without_citizen_data(str(text), appeal)
        ),
        "seen_event": max((e.id for e in events), default=0),
        "event_labels": EVENT_LABELS,
        "lead_explanation": lead.explanation if lead is not None else None,
        "suggestion": _suggestion(s, appeal) if centre else None,
        # Every unit the appeal has been with, ended parts too (the timeline names them by code).
        "unit_names": {a.unit_code: a.unit.name for a in appeal.assignments if a.unit is not None},
        "assignment_rows": sorted(appeal.assignments, key=lambda a: (not a.active, a.role != "lead")),
        "pending_return": (pending := centre_review.pending_return(s, appeal)),
        "returns": return_disputes.history(s, appeal) if centre else None,
        "repeat_return": centre and pending is not None and return_disputes.is_repeat(s, appeal, pending),
        "pending_extension": unit_requests.pending_extension(s, appeal),
        "pressed": pressed_of(s, [appeal], user).get(appeal.id),
        "pressed_to_me": user.role == "unit_staff",  # else the centre reads what it sent
        # The reply awaiting review: the centre, and the lead unit that wrote it (as the sent-back one).
        "pending_reply": centre_review.pending_reply(s, appeal) if reads_unit_reply(user, appeal) else None,
        "round_rating": _round_rating(s, appeal, user, actions),
        "reply_to_correct": to_correct,
        # The reviewer's internal note (内部备注) on the timeline: the centre's alone.
        "centre_notes": user.role in CENTRE_ROLES,
        "duplicates": flags,
        "notices": _notices(s, appeal, user) if centre else [],
        "can_reveal": may_reveal(user, appeal) and not unmasked,
        # 保密件: the unit sees no one to contact; it is told who does.
        "centre_contacts": user.role == "unit_staff" and appeal.confidential,
        "print_letter": letter_offer(s, appeal, user) if centre else None,
        "print_receipt": receipt_offer(appeal, user) if centre else None,
        "actions": shown,
        "failed": failed,
        # The failed form's field labels, for the summary at the top of the page.
        "form_labels": {name: str(label) for name, label in FORM_LABELS.get(failed or "", {}).items()},
        "values": values or {},
        "defaults": {"dispatch": dispatch_defaults(appeal), "reply": reply_defaults(to_correct, appeal)},
        # Named in the dispatch form's hint: a multiple select shows only some of its options.
        "reopen_inactive": reopen_inactive(appeal) if any(a.name == "reopen" for a in shown) else {},
        "current_co_units": [
            a.unit.name if a.unit.active else inactive_label(a.unit.name)
            for a in appeal.assignments
            if a.active and a.role == "co"
        ],
        "errors": errors or {},
        "problem": problem,
        "units": units,
        "dispatch_units": (dispatch_units := dispatch_choices(appeal, units) if centre else []),
        # The co-unit checkboxes of the dispatch and the return review forms, grouped.
        "co_unit_groups": {"dispatch": unit_groups(s, dispatch_units), "return-review": unit_groups(s, units)}
        if any(a.name in ("dispatch", "return-review") for a in shown)
        else {},
        "result_options": RESULT_OPTIONS,
        "result_labels": REPLY_RESULTS,
        **(_references(s) if any(a.name == "dispatch" for a in shown) else {}),
        "open_flags": open_flags,
        "urgency_options": URGENCY_OPTIONS,
        "exclusion_options": EXCLUSION_OPTIONS,
        "satisfaction_options": intake_form.choices(SATISFACTION),
        "resolved_options": intake_form.choices(RESOLVED, intake_form.RESOLVED_LABELS),
    }


def _round_rating(s: Session, appeal: Appeal, user: User, actions: dict[str, Action]) -> Any:
    """This round's rating, where the call-back form (回访评价) would be offered but for it: the
    citizen rated on the portal (or a colleague called back), so the page shows what was said."""
    evaluate = actions.get("evaluate")
    if evaluate is None or not evaluate.open_to(appeal, user):
        return None
    return current_rating(s, appeal)


def dispatch_defaults(appeal: Appeal) -> dict[str, Any]:
    """What the dispatch form starts with: the lead unit and the co-units the appeal is with now, so
    that a re-dispatch changes what the dispatcher means to change (a co-unit added to those chosen,
    not in place of them); empty before the first dispatch, and after a return left it undispatched."""
    parts = [a for a in appeal.assignments if a.active]
    lead = next((a.unit_code for a in parts if a.role == "lead"), None)
    if lead is None:
        return {}
    return {"unit": lead, "co_units": [a.unit_code for a in parts if a.role == "co"]}


def reply_defaults(sent_back: Reply | None, appeal: Appeal) -> dict[str, Any]:
    """What the reply form starts with: the reply the centre sent back, for the unit to correct
    rather than type again (centre_review.reply_to_correct), the citizen's personal data in it
    masked (`without_citizen_data`: submitted again as it stands, it reaches the citizen and maybe
    the public without them); empty otherwise."""
    if sent_back is None:
        return {}
    return {
        "result": sent_back.result,
        "reason": without_citizen_data(sent_back.reason, appeal),
        "citizen_text": without_citizen_data(sent_back.citizen_text, appeal),
        "internal_note": without_citizen_data(sent_back.internal_note, appeal),
        "contacted_citizen": "true" if sent_back.contacted_citizen else "false",
    }


def _references(s: Session) -> dict[str, Any]:
    """Categories and places to pick from when dispatching (the active ones, as /api/v1/categories)."""
    categories = s.execute(
        sa.select(Category.code, Category.name).where(Category.active).order_by(Category.code)
    ).all()
    areas = s.execute(sa.select(Area.code, Area.name).where(Area.active).order_by(Area.code)).all()
    return {"categories": [tuple(r) for r in categories], "areas": [tuple(r) for r in areas]}


def _notices(s: Session, appeal: Appeal, user: User) -> list[dict[str, Any]]:
    rows = s.scalars(
        sa.select(NoticeDelivery)
        .where(NoticeDelivery.appeal_id == appeal.id)
        .order_by(NoticeDelivery.id.desc())
        .limit(50)
    )
    return [notice_view(d, appeal.number, code_hidden_from(user, appeal.query_code)) for d in rows]


def show(number: str, *, area: str, actions: dict[str, Action]) -> Any:
    user = current_user()
    assert user is not None
    s = db.session()
    appeal = queries.get_visible(s, number, user)  # NotFound (unknown or not the unit's) → 404 page
    return render_template(f"{area}/appeal.html", **page_context(s, appeal, user, area=area, actions=actions))
