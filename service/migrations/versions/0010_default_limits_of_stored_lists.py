"""the default limits of the list versions stored before lists carried them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00.000000

A unit the centre chooses by hand where no rule applies gets the list's `default_limits`; before
lists carried them, the service gave such a dispatch (and its reopen) limits of its own. The list
versions stored then ran under those limits: they are written into each such version's content
as its `default_limits`, so that hand dispatch and reopen keep working on them. The content hash
is kept: it names the file as loaded (loading that file again still finds its version).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The limits the service gave a hand dispatch no rule decided, until lists carried their own.
LIMITS_USED_BEFORE = {
    "一般": {"sign_hours": 24, "reply_working_days": 10, "reply_hours": None},
    "紧急": {"sign_hours": 2, "reply_working_days": None, "reply_hours": 24},
    "特急": {"sign_hours": 0.5, "reply_working_days": None, "reply_hours": 4},
}

versions = sa.table(
    "list_versions",
    sa.column("id", sa.Integer),
    sa.column("content", sa.JSON().with_variant(JSONB(), "postgresql")),
)


def upgrade() -> None:
    conn = op.get_bind()
    for version_id, content in conn.execute(sa.select(versions.c.id, versions.c.content)).all():
        if content is not None and "default_limits" not in content:
            conn.execute(
                sa.update(versions)
                .where(versions.c.id == version_id)
                .values(content={**content, "default_limits": LIMITS_USED_BEFORE})
            )


def downgrade() -> None:
    """Nothing to undo: a version read by an older service ignores the key."""
