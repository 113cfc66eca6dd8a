"""Dispatch centre (分拨中心): the work lists with their counts, and one appeal's page with every
centre action (dispatch, return review, extension decision, review, press (催办) and raise (督办), merge,
reopen, close).

The lists are the work lists of `service.queues` (the same as `GET /api/v1/queues/<name>`); the
actions are the API's operations (see `centre_actions` and `appeal_page`).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from service import db
from service.appeals.citizen_codes import normal_number
from service.appeals.queries import appeal_view, co_signed_of
from service.auth.security import current_user
from service.db import utcnow
from service.lists.calendar_cover import active_calendar_gap
from service.queues import queries as queues
from service.web import appeal_page, appeal_submit
from service.web.access import CENTRE_ROLES, login_required
from service.web.blueprint import bp
from service.web.centre_actions import CENTRE_ACTIONS

PER_PAGE = 20

#: The work lists' names (service/queues/queries.py), marked for translation.
QUEUE_LABELS: dict[str, Any] = {
    "to_dispatch": _l("待分拨"),
    "returns": _l("退单待审"),
    "extensions": _l("延期待审"),
    "replies_to_review": _l("答复待审"),
    "overdue": _l("已超期"),
    "due_soon": _l("即将超期"),
    "possible_duplicates": _l("疑似重复"),
    "to_sign": _l("待签收"),
    "my_unit": _l("本单位在办"),
}


def work_list(default: str) -> dict[str, Any]:
    """The caller's lists with counts, and one page of the list asked for (`?queue=`, `?page=`)."""
    user = current_user()
    assert user is not None
    s = db.session()
    now = utcnow()
    mine = queues.queues_for(user)
    counts = queues.counts(s, user, now)
    name = request.args.get("queue", default)
    queue = next((q for q in mine if q.name == name), None)
    if queue is None:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    rows, total = queues.page_of(s, queue, user, now, page=max(page, 1), per_page=PER_PAGE)
    signed = co_signed_of(s, rows, user)  # a co-unit's own signing and sign-for clock
    parts = appeal_page.unit_parts(rows, user, signed)  # unit staff: what their unit has to do on each
    pressed = appeal_page.pressed_of(s, rows, user)  # the centre's 催办/督办 to the unit handling it now
    return {
        "queues": [(q.name, QUEUE_LABELS.get(q.name, q.label), counts[q.name]) for q in mine],
        "queue": queue.name,
        "queue_label": QUEUE_LABELS.get(queue.name, queue.label),
        "items": [
            {
                **appeal_view(a, user, masked=True, now=now, signed=signed),
                "viewer": parts.get(a.id),
                "pressed": pressed.get(a.id),
            }
            for a in rows
        ],
        "total": total,
        "page": max(page, 1),
        "per_page": PER_PAGE,
    }


@bp.get("/centre")
@login_required(roles=CENTRE_ROLES)
def centre() -> Any:
    gap = active_calendar_gap(db.session(), current_app.config["TZ"])
    return render_template("centre/index.html", calendar_gap=gap, **work_list("to_dispatch"))


@bp.get("/centre/appeals")
@login_required(roles=CENTRE_ROLES)
def centre_find() -> Any:
    """The "go to number" box: straight to the appeal's page."""
    number = normal_number(request.args.get("number") or "")
    if not number:
        return redirect(url_for("web.centre"))
    return redirect(url_for("web.centre_appeal", number=number))


@bp.get("/centre/appeals/<number>")
@login_required(roles=CENTRE_ROLES)
def centre_appeal(number: str) -> Any:
    return appeal_page.show(number, area="centre", actions=CENTRE_ACTIONS)


@bp.post("/centre/appeals/<number>/<action>")
@login_required(roles=CENTRE_ROLES)
def centre_act(number: str, action: str) -> Any:
    return appeal_submit.act(number, action, area="centre", actions=CENTRE_ACTIONS)


from service.web import centre_letter, centre_receipt, centre_search  # noqa: E402, F401  (their routes)
