"""the reply clock's start

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 11:00:00.000000

A reopen gives the unit a new reply period, but the warnings counted a quarter of the period from
the first dispatch: a reopened appeal turned yellow at once. Appeals now keep when the reply clock
last started. Existing appeals: the latest reopen after their latest dispatch, else the dispatch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reply_started_at", service.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        """
        UPDATE appeals SET reply_started_at = COALESCE(
            (SELECT MAX(appeal_events.at) FROM appeal_events
              WHERE appeal_events.appeal_id = appeals.id AND appeal_events.action = 'reopened'
                AND appeal_events.at > appeals.dispatched_at),
            appeals.dispatched_at)
        WHERE appeals.dispatched_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("reply_started_at")
