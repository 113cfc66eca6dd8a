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
citizen's name is gone from the contact by then, so a name written there cannot be found).
"""

from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from service.appeals.privacy import restricted_text
from service.appeals.redact import remove

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
                    "restricted_text": restricted_text(
                        SimpleNamespace(  # what restricted_text reads of an Appeal
                            title=row.title,
                            content=row.content,
                            address=_erased(row),
                            confidential=row.confidential,
                            personal_data_erased_at=row.personal_data_erased_at,
                            contact=SimpleNamespace(name=row.name) if row.name is not None else None,
                        )
                    ),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _erased(row: sa.Row) -> str:
    """The address as stored, or without the personal data the erasure would have removed."""
    address = row.address or ""
    return remove(address) if row.personal_data_erased_at is not None else address


def downgrade() -> None:
    pass  # the search text with the address in it serves the code before this revision as well
