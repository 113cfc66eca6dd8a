"""Failed notices (发送失败的通知) with a retry button: the page form of `GET /api/v1/admin/notices?status=failed`
and `POST /api/v1/admin/notices/<id>/retry` (service/notices/api.py), with the same operations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for

from service import db
from service.appeals.models import Appeal
from service.errors import Conflict
from service.notices import jobs
from service.notices import models as m
from service.notices.api import notice_view
from service.notices.models import NoticeDelivery
from service.redis_conn import REDIS_DOWN
from service.web.access import ADMIN_ROLES, login_required
from service.web.blueprint import bp
from service.web.flashes import flash
from service.web.labels import N_

PER_PAGE = 50


@bp.get("/admin/notices")
@login_required(roles=ADMIN_ROLES)
def admin_notices() -> Any:
    """Notices that failed for good, newest first (destinations masked as in the API)."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    s = db.session()
    query = (
        sa.select(NoticeDelivery, Appeal.number)
        .outerjoin(Appeal, Appeal.id == NoticeDelivery.appeal_id)
        .where(NoticeDelivery.status == m.FAILED)
    )
    total = s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = s.execute(query.order_by(NoticeDelivery.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    notices = [notice_view(d, number) for d, number in rows]
    return render_template("admin/notices.html", notices=notices, page=page, per_page=PER_PAGE, total=total)


@bp.post("/admin/notices/<int:notice_id>/retry")
@login_required(roles=ADMIN_ROLES)
def admin_notice_retry(notice_id: int) -> Any:
    """重发: the notice is pending again, committed, then handed to the worker; when Redis cannot
    take it, the page says so (not 已重新排队): the worker's relay sweep sends it later."""
    try:
        jobs.commit_retry(db.session(), notice_id)
    except Conflict:
        flash(N_("通知 %(id)s 不是发送失败状态，无需重发。"), "warning", id=notice_id)
    except REDIS_DOWN:
        flash(
            N_(
                "通知 %(id)s 已标记为重新发送，但未能排队（Redis 不可用）；后台任务连上 Redis 后，定时补发时会将其发出。"
            ),
            "warning",
            id=notice_id,
        )
    else:
        flash(N_("通知 %(id)s 已重新排队发送。"), "success", id=notice_id)
    return redirect(url_for("web.admin_notices"))
