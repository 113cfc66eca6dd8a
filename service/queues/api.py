"""Work lists: `GET /api/v1/queues` (the caller's lists with their sizes) and one list by name.

Centre roles (dispatcher, reviewer, admin, leader) read every centre list; operators the
dispatch queue and the possible duplicates; unit staff their unit's open appeals (`my_unit`), those
still to sign for (`to_sign`, 待签收) and their unit's part of `overdue` and `due_soon`. An unknown list is 404, another role's list 403.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service import db
from service.appeals.queries import appeal_view, co_signed_of
from service.auth.models import User
from service.db import utcnow
from service.extensions import Blueprint, loader
from service.queues import queries
from service.queues.schemas import QueueCountsOut, QueuePageArgs, QueuePageOut

blp = Blueprint("queues", __name__, url_prefix="/api/v1/queues", description="Work lists (工作队列)")

STAFF = ("operator", "dispatcher", "reviewer", "unit_staff", "leader", "admin")


@loader(refuses="A work list of another role (GET /api/v1/queues lists the caller's).")
def work_list(user: User, name: str) -> dict[str, queries.Queue]:
    """`Blueprint.requires`' loader: the list <name> (404 no such list, 403 not the caller's role's),
    as the view's `queue`."""
    return {"queue": queries.get_queue(name, user)}


@blp.route("")
class QueueCounts(MethodView):
    @blp.requires(*STAFF)
    @blp.response(200, QueueCountsOut)
    def get(self, user: User) -> dict[str, Any]:
        """The caller's work lists and how many appeals each holds now."""
        found = queries.counts(db.session(), user, utcnow())
        return {
            "queues": [
                {"name": q.name, "label": q.label, "count": found[q.name]} for q in queries.queues_for(user)
            ]
        }


@blp.route("/<name>")
class QueueItems(MethodView):
    @blp.requires(*STAFF, load=work_list)
    @blp.arguments(QueuePageArgs, location="query")
    @blp.response(200, QueuePageOut)
    def get(self, args: dict[str, Any], name: str, user: User, queue: queries.Queue) -> dict[str, Any]:
        """One work list, a page at a time, most urgent first (contacts masked)."""
        now = utcnow()
        rows, total = queries.page_of(
            db.session(), queue, user, now, page=args["page"], per_page=args["per_page"]
        )
        signed = co_signed_of(db.session(), rows, user)  # a co-unit's own sign-for clock, for the page
        return {
            "name": queue.name,
            "label": queue.label,
            "items": [appeal_view(a, user, masked=True, now=now, signed=signed) for a in rows],
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
        }
