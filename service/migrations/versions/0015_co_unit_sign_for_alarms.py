"""the co assignment an alarm is for

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00.000000

A co-unit (协办单位) that has not signed for its part by its own deadline is reminded once: its
alarm (`co_sign_overdue`) names the co assignment it is for. The appeal's other alarms, the lead
unit's, name none; existing rows keep none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeal_alarms") as batch_op:
        batch_op.add_column(sa.Column("assignment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appeal_alarms_assignment_id_appeal_assignments"),
            "appeal_assignments",
            ["assignment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("appeal_alarms") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeal_alarms_assignment_id_appeal_assignments"), type_="foreignkey"
        )
        batch_op.drop_column("assignment_id")
