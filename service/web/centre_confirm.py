"""What the centre's irreversible actions will do, said before they are done (确认).

办结, 并案, 督办 and 重办 each need no more than a typed reason, yet none can be taken back: the
appeal is archived, leaves its units, is raised for good, or is counted as reopened. So their form
first answers with a confirmation on the appeal's page (`appeal_submit.act`) that says in plain
words what will happen to this appeal, and two buttons: confirm, or go back to the form as typed.

Each function here gets the user and the loaded form and returns that text in the page language, or
None where there is nothing to confirm because the operation will refuse the form anyway (a master
appeal that does not exist, the highest level reached): it then runs at once and says why, next to
the field.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from dispatch import escalation as esc
from service.appeals.models import Appeal
from service.appeals.privacy import free_text
from service.auth.models import User
from service.handling import merging
from service.handling.operations import active_assignments
from service.web.appeal_page import reopen_inactive
from service.web.helpers import listed


def close(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str:
    """办结: archived, the citizen reads it on the tracking page; merged appeals' citizens are told."""
    text = _(
        "诉求 %(number)s 将办结归档，不再办理；群众查询时看到“已办结”。办结后不能撤销。", number=appeal.number
    )
    if merged := merging.merged_into(s, appeal):
        text += _("并入本件的 %(count)s 件诉求一并办结，其群众会收到办结通知。", count=len(merged))
    return text


def merge(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | None:
    """并案: which appeal it joins (its title as lists show it, personal data masked), that its units
    stop, and what its citizen hears from now on."""
    master = s.scalar(sa.select(Appeal).where(Appeal.number == d["master"]))
    if master is None or master.id == appeal.id:
        return None  # merging refuses it, next to the field
    units = [a.unit.name if a.unit is not None else a.unit_code for a in active_assignments(appeal)]
    text = _(
        "诉求 %(number)s 将并入 %(master)s（%(title)s），不再单独办理。",
        number=appeal.number,
        master=master.number,
        title=free_text(master.title, master, user, masked=True),
    )
    if units:
        text += _("%(units)s对本件的办理随即结束，并收到通知。", units=listed(units))
    return text + _("本件群众收到并案通知，此后看到主件的进展并收到主件的答复。并案后不能撤销。")


def raise_level(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | None:
    """督办: from which level to which (who that is on the lead unit's ladder), and who is told."""
    level = appeal.supervision_level + 1
    if level > merging.TOP_LEVEL or appeal.lead_unit is None:
        return None  # merging refuses it and says why
    return _(
        "督办级别将由第 %(level)s 级提升到第 %(next)s 级（%(title)s），通知承办单位%(unit)s和该级督办人员。"
        "督办级别不能降回。",
        level=appeal.supervision_level,
        next=level,
        title=esc.level_title(merging.ladder(s, appeal), level),
        unit=appeal.lead_unit.name,
    )


def reopen(s: Session, appeal: Appeal, user: User, d: dict[str, Any]) -> str | None:
    """重办: to which unit, with new clocks, counted; or back to the dispatch queue (inactive lead)."""
    if appeal.lead_unit is None:
        return None  # reopening refuses it and says why
    count = appeal.reopen_count + 1
    gone = reopen_inactive(appeal)
    if gone["lead"]:
        return _(
            "诉求将重办（第 %(count)s 次，计入重办统计）。承办单位%(unit)s已停用：诉求回到待分拨，须重新派单。",
            count=count,
            unit=gone["lead"],
        )
    text = _(
        "诉求将重办（第 %(count)s 次，计入重办统计），退回%(unit)s重新办理：重新签收，答复时限自现在起重新计算。",
        count=count,
        unit=appeal.lead_unit.name,
    )
    if gone["co"]:
        text += _("已停用的协办单位%(units)s不再协办。", units=listed(gone["co"]))
    return text
