"""What the operator console and the citizens' portal share when an appeal is typed in.

The reference data as form choices (the category tree, townships and their villages), the
area picker's two selects folded into the schema's one `area` field, a draft checked for likely
duplicates by the intake's own rule (`service.handling.duplicates.flag_duplicates`) without
storing anything. The schemas' messages read in the page language through
`helpers.errors_of`, as every form's do.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from service.appeals.models import Appeal, AppealContact
from service.appeals.status import APPEAL_TYPES, CHANNELS, URGENCIES
from service.db import utcnow
from service.errors import DomainError
from service.handling.duplicates import flag_duplicates
from service.lists.models import Area, Category
from service.web.labels import N_

#: The intake forms' hidden key: one per form shown, so that the form sent twice (a double click)
#: is one appeal, as an API retry with the same Idempotency-Key is.
KEY_FIELD = "intake_key"
#: Form fields of the pages that are not fields of the intake schemas.
PAGE_ONLY_FIELDS = ("township", "action", "answer", "kb_article", "category_q", "kb_q", KEY_FIELD)


@dataclass(frozen=True)
class CategoryChoice:
    code: str
    name: str
    path: str  # "城乡建设与住房 / 物业管理 / ..."
    level: int
    keywords: tuple[str, ...]


def category_choices(s: Session) -> list[CategoryChoice]:
    """The active category tree, flat, each category followed by its children (depth first)."""
    rows = s.scalars(sa.select(Category).where(Category.active).order_by(Category.code)).all()
    children: dict[str | None, list[Category]] = {}
    for row in rows:
        children.setdefault(row.parent_code, []).append(row)
    known = {row.code for row in rows}
    roots = [row for row in rows if row.parent_code is None or row.parent_code not in known]
    out: list[CategoryChoice] = []

    def walk(node: Category, trail: tuple[str, ...]) -> None:
        path = (*trail, node.name)
        out.append(
            CategoryChoice(node.code, node.name, " / ".join(path), len(path), tuple(node.keywords or ()))
        )
        for child in children.get(node.code, ()):
            walk(child, path)

    for root in roots:
        walk(root, ())
    return out


def search_categories(choices: Iterable[CategoryChoice], q: str, limit: int = 12) -> list[CategoryChoice]:
    """Categories whose name, path or keywords contain the words of `q` (all of them), names first."""
    words = [w for w in q.split() if w]
    if not words:
        return []
    hits = [c for c in choices if all(w in c.path or any(w in k for k in c.keywords) for w in words)]
    hits.sort(key=lambda c: (not any(w in c.name for w in words), -c.level, c.code))
    return hits[:limit]


def townships(s: Session) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in s.execute(
            sa.select(Area.code, Area.name).where(Area.active, Area.level == "township").order_by(Area.code)
        )
    ]


def villages(s: Session, township: str) -> list[tuple[str, str]]:
    if not township:
        return []
    return [
        (code, name)
        for code, name in s.execute(
            sa.select(Area.code, Area.name)
            .where(Area.active, Area.parent_code == township)
            .order_by(Area.code)
        )
    ]


def split_area(area: str) -> tuple[str, str]:
    """A stored area code as the picker's (township, village): a village's township is its first 9 digits."""
    if len(area) >= 12:
        return area[:9], area
    if len(area) == 9:
        return area, ""
    return "", ""


#: A village posted with a township it is not in: the picker lists the township's villages only,
#: so a crafted form, or one sent without scripts after the township was changed.
VILLAGE_OUTSIDE_TOWNSHIP = N_("所选村（社区）不在所选乡镇内，请重新选择村（社区）。")


def area_errors(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """The place's error when the form names a township and a village (or another township) not in
    it: refused, not stored under the other township."""
    township, area = form.get("township", "").strip(), form.get("area", "").strip()
    if township and area and split_area(area)[0] != township:
        return {"area": [gettext(VILLAGE_OUTSIDE_TOWNSHIP)]}
    return {}


def form_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted form as the template re-shows it (every field, as typed)."""
    return {name: form.get(name, "") for name in form if name != "csrf_token"}


#: What `form_key` writes into a form; a posted key of another shape was not written by a page.
_KEY = re.compile(r"[0-9a-f]{32}")


def posted_key(form: MultiDict[str, str] | dict[str, Any], field: str = KEY_FIELD) -> str:
    """The form's key as posted, or "" when there is none or it is not one a page wrote (tampered:
    a NUL, a key too long to store): the form is then taken as one without a key, not refused."""
    key = str(form.get(field) or "")
    return key if _KEY.fullmatch(key) else ""


def form_key(values: dict[str, Any]) -> str:
    """The form's key as posted (kept when the form is shown again), else a new one for a new form."""
    return posted_key(values) or secrets.token_hex(16)


def form_body(form: MultiDict[str, str]) -> list[list[str]]:
    """What the posted form asks for, as the key's fingerprint compares it (every field but the tokens)."""
    return sorted([k, v] for k, v in form.items(multi=True) if k not in ("csrf_token", KEY_FIELD))


#: Said when a form's key was used by a submission with other contents (the browser's back button,
#: then an edit): the form gets a new key, so sending it again registers it as a new appeal.
KEY_REUSED = N_("这张表单已经提交过，内容与这次不同。如确要登记为一件新的诉求，请再次提交。")


def key_reused(exc: DomainError) -> bool:
    return exc.status == 409 and "Idempotency-Key" in (exc.errors or {})


def intake_data(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """The form without the page's own fields, and `area` as the village, else the township."""
    data: MultiDict[str, str] = MultiDict(
        [(k, v) for k, v in form.items(multi=True) if k not in PAGE_ONLY_FIELDS]
    )
    if not data.get("area") and form.get("township"):
        data["area"] = form["township"]
    return data


def preview_duplicates(
    s: Session, *, phone: str, title: str, content: str, area: str | None
) -> tuple[list[dict[str, Any]], int]:
    """The likely duplicates a draft would be flagged with, and the caller's count of earlier appeals.

    Runs the intake's own rule on an unsaved appeal, then takes the appeal and its flags out of
    the session again: nothing is written.
    """
    before = set(s.new)
    draft = Appeal(title=title, content=content, area_code=area or None, received_at=utcnow())
    if phone:
        draft.contact = AppealContact(name="", phone=phone)
    try:
        flag_duplicates(s, draft, utcnow())
    finally:
        for obj in list(s.new):
            if obj not in before:
                s.expunge(obj)
    return list(draft.flagged_duplicates), draft.caller_history or 0


# The record's enumerations (service/appeals/status.py), marked for the English catalogue.
_TYPE_LABELS = (N_("咨询"), N_("求助"), N_("投诉"), N_("举报"), N_("建议"), N_("表扬"), N_("其他"))
_URGENCY_LABELS = (N_("一般"), N_("紧急"), N_("特急"))
_CHANNEL_LABELS = (
    N_("12345热线"), N_("网站"), N_("移动端"), N_("微信"), N_("电子邮件"), N_("来信"), N_("区长信箱"),
    N_("人大建议"), N_("政协提案"), N_("领导留言板"), N_("Open311"),
)  # fmt: skip
_REPLY_LABELS = (N_("已解决"), N_("正在解决"), N_("暂无法解决"))
#: The rating's "resolved?" answers (service/handling/closing_schemas.py RESOLVED).
RESOLVED_LABELS = {"yes": N_("已解决"), "partly": N_("部分解决"), "no": N_("未解决")}
_SATISFACTION_LABELS = (N_("满意"), N_("基本满意"), N_("不满意"))  # closing_schemas.SATISFACTION
_PUBLIC_LABELS = (
    N_("诉求已受理"), N_("已转交承办单位"), N_("已改派承办单位"), N_("承办单位已签收"), N_("办理时限已延长"),
    N_("已答复"), N_("已评价"), N_("重新办理"), N_("已并案办理"), N_("已办结"), N_("已当场答复办结"), N_("已督办"),
)  # fmt: skip


def choices(values: Iterable[str], labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(value, label in the page language) pairs for a select; the label is the value unless given."""
    return [(v, gettext((labels or {}).get(v, v))) for v in values]


def type_options() -> list[tuple[str, str]]:
    return choices(APPEAL_TYPES)


def urgency_options() -> list[tuple[str, str]]:
    return choices(URGENCIES)


def channel_options() -> list[tuple[str, str]]:
    return choices(CHANNELS, CHANNELS)
