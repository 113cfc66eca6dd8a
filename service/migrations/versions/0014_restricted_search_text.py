"""the words units and leaders search

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:00:00.000000

Units and leaders read an appeal's title and content with the citizen's personal data masked (or
removed on a confidential appeal); their free-text search ran over the unmasked words, so searching
for a phone number or a name told them which appeal it was in. `appeals.restricted_text` holds the
words as they read them (service/appeals/privacy.py restricted_text) and their search runs over it.
Existing appeals are filled in here, a thousand at a time.
"""

from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from service.appeals.privacy import restricted_text

revision: str = "0014"
down_revision: str | None = "0013"
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
    with op.batch_alter_table("appeals") as batch_op:
        batch_op.add_column(sa.Column("restricted_text", sa.Text(), server_default="", nullable=False))
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
            appeals.update().where(appeals.c.id == sa.bindparam("appeal_id")),
            [
                {
                    "appeal_id": row.id,
                    "restricted_text": restricted_text(
                        SimpleNamespace(  # what restricted_text reads of an Appeal
                            title=row.title,
                            content=row.content,
                            address=row.address,  # read since 0016
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


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch_op:
        batch_op.drop_column("restricted_text")
