"""personal data erased after the retention period

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 13:00:00.000000

A closed appeal's citizen contact, the personal keys of its channel metadata and the addresses its
notices to the citizen went to are erased once MINYI_PERSONAL_DATA_RETENTION_DAYS have passed
(service/appeals/retention.py); the appeal records when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("personal_data_erased_at", service.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_appeals_closed_at_erased", ["closed_at", "personal_data_erased_at"])


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_closed_at_erased")
        batch_op.drop_column("personal_data_erased_at")
