"""the words units and leaders search include the address

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:00:00.000000

The address the citizen gave is shown to units and leaders as the title and content are (a name or
a phone written there masked, removed on a confidential appeal), so `appeals.restricted_text`, what
their free-text search runs over, holds it too (service/appeals/privacy.py restricted_text), and
their search no longer runs over the address as written. Existing appeals are computed again here,
a thousand at a time, as 0014 filled them in. The retention erasure now cleans the address as well;
on appeals erased before, the phone, ID numbers and e-mail addresses in it are removed here (the
citizen's name is gone from the contact by then, so a name written there cannot be found). The
masking is a copy frozen in this file (at the bottom), not the app's, which may change later.
"""

import re
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

appeals = sa.table(
    "appeals",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("content", sa.Text),
    sa.column("address", sa.String),
    sa.column("confidential", sa.Boolean),
    sa.column("personal_data_erased_at", sa.DateTime),
    sa.column("restricted_text", sa.Text),
)
contacts = sa.table("appeal_contacts", sa.column("appeal_id", sa.Integer), sa.column("name", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                appeals.c.id,
                appeals.c.title,
                appeals.c.content,
                appeals.c.address,
                appeals.c.confidential,
                appeals.c.personal_data_erased_at,
                contacts.c.name,
            )
            .select_from(appeals.outerjoin(contacts, contacts.c.appeal_id == appeals.c.id))
            .where(appeals.c.id > last)
            .order_by(appeals.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            appeals.update()
            .where(appeals.c.id == sa.bindparam("appeal_id"))
            .values(address=sa.bindparam("new_address")),
            [
                {
                    "appeal_id": row.id,
                    "new_address": _erased(row),
                    "restricted_text": _restricted_text(
                        row.title,
                        row.content,
                        _erased(row),
                        row.confidential,
                        row.personal_data_erased_at is not None,
                        row.name,
                    ),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _erased(row: sa.Row) -> str:
    """The address as stored, or without the personal data the erasure would have removed."""
    address = row.address or ""
    return _remove(address) if row.personal_data_erased_at is not None else address


def downgrade() -> None:
    pass  # the search text with the address in it serves the code before this revision as well


# ---- the masking of 2026-12-07, frozen ----------------------------------------------------------
# A copy of service/appeals/redact.py (mask, remove) and of service/appeals/privacy.py
# (restricted_text) as they were on 2026-12-07, on purpose not imported: a migration must write the
# same rows whenever it runs on an old database, so a later change to the application's masking
# must not change what it writes. Do not update this copy; a change to what is stored belongs in a
# new migration. tests/service/test_migrations.py checked it against the application code then.

_REMOVED = "***"
_ID_NUMBER = r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"
_PATTERN = re.compile(
    rf"""
    (?P<id_number>{_ID_NUMBER})
    | (?P<mobile>(?<![0-9+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{{4}}){{2}}(?!\d))
    | (?P<landline>(?<!\d)0\d{{2,3}}[\s-]?[2-9]\d{{6,7}}(?!\d))
    | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    """,
    re.VERBOSE,
)


def _mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(phone) > 6:
        return phone[: len(phone) - 6] + "****" + phone[-2:]
    return "****"


def _mask_email(email: str) -> str:
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}***@{domain}" if domain else "****"


def _mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def _masked(kind: str, found: str) -> str:
    if kind == "mobile":
        digits = re.sub(r"\D", "", found)[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if kind == "landline":
        return _mask_phone(re.sub(r"\s", "", found))
    if kind == "id_number":
        return found[0] + "*" * 16 + found[-1]
    return _mask_email(found)


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    usable = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in usable)) if usable else None


def _mask(text: str, names: Iterable[str] = ()) -> str:
    text = _PATTERN.sub(lambda m: _masked(m.lastgroup or "", m.group()), text)
    if (pattern := _names_pattern(names)) is not None:
        text = pattern.sub(lambda m: _mask_name(m.group()), text)
    return text


def _remove(text: str, names: Iterable[str] = ()) -> str:
    text = _PATTERN.sub(_REMOVED, text)
    if (pattern := _names_pattern(names)) is not None:
        text = pattern.sub(_REMOVED, text)
    return text


def _restricted_text(
    title: str | None,
    content: str | None,
    address: str | None,
    confidential: bool,
    erased: bool,
    name: str | None,
) -> str:
    """Title, content and address as units and leaders read them: the citizen's personal data
    masked, removed on a confidential appeal, as written once it was erased (`name`: the contact's,
    None without a contact)."""
    text = "\n".join(filter(None, (title, content, address)))
    if erased:
        return text
    names = [name] if name is not None else []
    return _remove(text, names) if confidential else _mask(text, names)
