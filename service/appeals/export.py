"""A search's appeals as a workbook (工单导出), for the centre's daily lists and the reports it
passes on in Excel. No personal data: no contact, no content (a citizen's own words may name
people), only what the appeal is about and where it stands; so an export needs no reason and
leaves nothing in the personal-data access log."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session, selectinload

from dispatch.deadlines import deadline_text
from service.appeals import queries
from service.appeals.models import Appeal
from service.appeals.status import CHANNELS, STATUS_LABELS
from service.auth.models import User
from service.errors import ValidationFailed
from service.text import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The most appeals one export holds; a wider search is refused (narrow it, by dates say).
EXPORT_LIMIT = 10000

COLUMNS = (
    ("受理编号", 18),
    ("受理时间", 17),
    ("渠道", 10),
    ("诉求类型", 8),
    ("紧急程度", 8),
    ("标题", 36),
    ("分类", 20),
    ("区划", 18),
    ("主办单位", 20),
    ("状态", 10),
    ("签收时限", 17),
    ("答复时限", 17),
    ("办结时间", 17),
    ("重办次数", 8),
    ("督办级别", 8),
)


class TooMany(ValidationFailed):
    """More appeals match than one export holds (422)."""

    def __init__(self, total: int) -> None:
        self.total = total
        message = t(
            "{total} appeals match; an export holds at most {limit}: narrow the search (by dates, say).",
            total=total,
            limit=EXPORT_LIMIT,
        )
        super().__init__(message, {"_query": [message]})


def _local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _deadline(moment: datetime | None, tz: tzinfo) -> str:
    """As the pages and notices say it: the end of the 21st is "2026-12-21 24:00"."""
    return deadline_text(moment, tz) if moment else ""


def _name(ref: dict[str, str] | None) -> str:
    return ref["name"] if ref else ""


def workbook(appeals: Iterable[dict[str, Any]], tz: tzinfo) -> bytes:
    """`appeals` as `queries.appeal_view` shows them; the XLSX file's bytes, times in `tz`."""
    from openpyxl import Workbook  # here: it imports numpy, 0.6 s a process need not spend to start

    wb = Workbook()
    ws = wb.active
    ws.title = "诉求工单"
    ws.append([title for title, _ in COLUMNS])
    for a in appeals:
        ws.append(
            [
                a["number"],
                _local(a["received_at"], tz),
                CHANNELS.get(a["channel"], a["channel"]),
                a["appeal_type"],
                a["urgency"],
                a["title"],
                _name(a["category"]),
                _name(a["area"]),
                _name(a["lead_unit"]),
                STATUS_LABELS.get(a["status"], a["status"]),
                _deadline(a["sign_due_at"], tz),
                _deadline(a["reply_due_at"], tz),
                _local(a["closed_at"], tz),
                a["reopen_count"],
                a["supervision_level"],
            ]
        )
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def matching(s: Session, user: User, args: dict[str, Any], tz: tzinfo) -> list[dict[str, Any]]:
    """The appeals `user` may see that match `args` (AppealListArgs; its page is ignored), in its
    order, as masked views; more than EXPORT_LIMIT is refused (422) before any is read."""
    query = queries.filtered(s, user, args, tz)
    total = queries.count_of(s, query)
    if total > EXPORT_LIMIT:
        raise TooMany(total)
    rows = s.scalars(
        queries.ordered(query, args["order"]).options(
            selectinload(Appeal.contact), selectinload(Appeal.assignments), selectinload(Appeal.master)
        )
    ).all()
    signed = queries.co_signed_of(s, rows, user)
    return [queries.appeal_view(a, user, masked=True, signed=signed) for a in rows]
