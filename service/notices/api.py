"""Notices for the centre and the administrator.

- `GET /api/v1/admin/notices` (filter by status or appeal), `POST .../<id>/retry` for a failed one;
- `GET /api/v1/admin/jobs/failed`, `POST /api/v1/admin/jobs/<id>/retry` for failed worker jobs;
- `GET /api/v1/appeals/<number>/notices`: what was sent about one appeal.
Addresses are masked: the record shows to whom by role and name, not the citizen's number.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView

from service import db
from service.appeals.models import Appeal
from service.appeals.privacy import sees_unmasked
from service.auth.models import User
from service.errors import NotFound
from service.extensions import Blueprint
from service.notices import jobs
from service.notices import models as m
from service.notices.models import NoticeDelivery
from service.notices.schemas import FailedJobsOut, NoticeArgs, NoticeOut, NoticePageOut
from service.notices.senders import mask_destination
from service.text import t

blp = Blueprint("notices", __name__, url_prefix="/api/v1", description="Notices and worker jobs (通知)")

ADMINS = ("admin", "dispatcher")
CENTRE = ("dispatcher", "reviewer", "leader", "admin")


#: What a citizen's query code reads as to those who may not see it (`service.appeals.privacy`).
HIDDEN_CODE = "******"


def code_hidden_from(user: User, code: str) -> str | None:
    """The query code to blot out of what `user` reads (None: the user may read it)."""
    return None if sees_unmasked(user) else code


def notice_view(d: NoticeDelivery, number: str | None, hidden: str | None = None) -> dict[str, Any]:
    """A notice as the API and pages show it; `hidden` (the appeal's query code, for a viewer who may
    not see it) is blotted out of the text: with it and the number anyone could rate as the citizen."""
    waiting = d.status in (m.PENDING, m.RETRYING)

    def shown(text: str | None) -> str | None:
        if not text or not hidden:
            return text
        return re.sub(rf"(?<!\d){re.escape(hidden)}(?!\d)", HIDDEN_CODE, text)  # not inside the number

    return {
        "id": d.id,
        "appeal_number": number,
        "template": d.template,
        "recipient": d.recipient,
        "recipient_name": d.recipient_name,
        "channel": d.channel,
        "destination": mask_destination(d.destination),
        "subject": shown(d.subject),
        "body": shown(d.body),
        "priority": d.priority,
        "status": d.status,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "last_attempt_at": d.last_attempt_at,
        "sent_at": d.sent_at,
        "next_attempt_at": d.not_before if waiting else None,
        "last_error": d.last_error,
    }


def _page(query: sa.Select[Any], page: int, per_page: int, hidden: str | None = None) -> dict[str, Any]:
    s = db.session()
    total = s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = s.execute(query.order_by(NoticeDelivery.id.desc()).limit(per_page).offset((page - 1) * per_page))
    items = [notice_view(d, number, hidden) for d, number in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def _notices() -> sa.Select[Any]:
    return sa.select(NoticeDelivery, Appeal.number).outerjoin(Appeal, Appeal.id == NoticeDelivery.appeal_id)


def query_code(user: User, number: str) -> dict[str, str]:
    """`Blueprint.requires`' loader: the query code of the appeal <number> (404 when there is none),
    as the view's `code` (the centre sees every appeal)."""
    code = db.session().scalar(sa.select(Appeal.query_code).where(Appeal.number == number))
    if code is None:
        raise NotFound(t("No appeal {number}.", number=number))
    return {"code": code}


@blp.route("/admin/notices")
class Notices(MethodView):
    @blp.requires(*ADMINS)
    @blp.arguments(NoticeArgs, location="query")
    @blp.response(200, NoticePageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every notice, newest first; `status=failed` lists those that failed for good."""
        query = _notices()
        if status := args.get("status"):
            query = query.where(NoticeDelivery.status == status)
        if number := args.get("appeal"):
            query = query.where(Appeal.number == number)
        return _page(query, args["page"], args["per_page"])


@blp.route("/admin/notices/<int:notice_id>/retry")
class RetryNotice(MethodView):
    @blp.requires(*ADMINS)
    @blp.response(200, NoticeOut)
    @blp.refusal(404, "No notice with this id.")
    def post(self, notice_id: int) -> dict[str, Any]:
        """Try a failed notice again (409 unless it failed)."""
        s = db.session()
        delivery = jobs.retry_failed_notice(s, notice_id)
        number = s.scalar(sa.select(Appeal.number).where(Appeal.id == delivery.appeal_id))
        return notice_view(delivery, number)


@blp.route("/admin/jobs/failed")
class FailedJobs(MethodView):
    @blp.requires(*ADMINS)
    @blp.response(200, FailedJobsOut)
    def get(self) -> dict[str, Any]:
        """Worker jobs that failed (a sweep that crashed, say), newest first."""
        return {"items": jobs.failed_rq_jobs(200)}


@blp.route("/admin/jobs/<job_id>/retry")
class RetryJob(MethodView):
    @blp.requires(*ADMINS)
    @blp.response(202, FailedJobsOut)
    def post(self, job_id: str) -> dict[str, Any]:
        """Queue a failed worker job again."""
        if not jobs.requeue_failed_rq_job(job_id):
            raise NotFound(t("No failed worker job {id}.", id=job_id))
        return {"items": []}


@blp.route("/appeals/<number>/notices")
class AppealNotices(MethodView):
    @blp.requires(*CENTRE, load=query_code)
    @blp.arguments(NoticeArgs, location="query")
    @blp.response(200, NoticePageOut)
    def get(self, args: dict[str, Any], number: str, user: User, code: str) -> dict[str, Any]:
        """What was sent about one appeal: to whom, what, when, its status and attempts."""
        query = _notices().where(Appeal.number == number)
        if status := args.get("status"):
            query = query.where(NoticeDelivery.status == status)
        return _page(query, args["page"], args["per_page"], hidden=code_hidden_from(user, code))
