"""co parts of reopened appeals: the reopen's sign-for deadline

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00.000000

A reopen (重办) now starts a new round for every unit still on the appeal: each co-unit's part gets
the reopen's sign-for deadline (the appeal's, as the lead unit's) and is signed for again. Before,
a co part kept the deadline of its dispatch. Existing co parts of reopened appeals, assigned before
the appeal's last reopen (`reply_started_at`; a re-dispatch since made new parts), get the
appeal's sign-for deadline. Their alarms follow with `minyi escalation replan`.

Downgrade leaves the deadlines as they are: the first round's are in the dispatch events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

appeals = sa.table(
    "appeals",
    sa.column("id", sa.Integer),
    sa.column("sign_due_at"),
    sa.column("reply_started_at"),
    sa.column("reopen_count", sa.Integer),
)
parts = sa.table(
    "appeal_assignments",
    sa.column("appeal_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("assigned_at"),
    sa.column("sign_due_at"),
)


def upgrade() -> None:
    of_the_part = appeals.c.id == parts.c.appeal_id
    reopened_since = sa.exists().where(
        of_the_part, appeals.c.reopen_count > 0, appeals.c.reply_started_at > parts.c.assigned_at
    )
    op.execute(
        parts.update()
        .where(parts.c.role == "co", parts.c.active.is_(True), reopened_since)
        .values(sign_due_at=sa.select(appeals.c.sign_due_at).where(of_the_part).scalar_subquery())
    )


def downgrade() -> None:
    pass
