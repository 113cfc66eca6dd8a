"""rating exclusions, and indexes for the leaders' figures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclusion", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("exclusion_note", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("excluded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("excluded_at", service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluations_excluded_by_id_users"), "users", ["excluded_by_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_evaluations_at"), ["at"], unique=False)
    with op.batch_alter_table("appeal_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_assignments_assigned_at"), ["assigned_at"], unique=False)
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_events_action_at", ["action", "at"], unique=False)
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_requests_requested_at"), ["requested_at"], unique=False)
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replies_reviewed_at"), ["reviewed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replies_reviewed_at"))
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_requests_requested_at"))
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_events_action_at")
    with op.batch_alter_table("appeal_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_assignments_assigned_at"))
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_at"))
        batch_op.drop_constraint(batch_op.f("fk_evaluations_excluded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("excluded_at")
        batch_op.drop_column("excluded_by_id")
        batch_op.drop_column("exclusion_note")
        batch_op.drop_column("exclusion")
