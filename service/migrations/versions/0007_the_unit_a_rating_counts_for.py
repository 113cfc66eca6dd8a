"""the unit a rating counts for

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00.000000

A rating counted for the appeal's lead unit at the time the figures were read; a reopened appeal
re-dispatched since gave the new unit the old unit's rating. The rating now stores its unit.
Existing ratings get the unit of the last reply the centre approved before the rating (the reply
the citizen read), else the appeal's lead unit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_code", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluations_unit_code_units"), "units", ["unit_code"], ["code"]
        )
    op.execute(
        """
        UPDATE evaluations SET unit_code = COALESCE(
            (SELECT replies.unit_code FROM replies
              WHERE replies.appeal_id = evaluations.appeal_id
                AND replies.review = 'approved' AND replies.reviewed_at <= evaluations.at
              ORDER BY replies.reviewed_at DESC, replies.id DESC LIMIT 1),
            (SELECT appeals.lead_unit_code FROM appeals WHERE appeals.id = evaluations.appeal_id))
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_evaluations_unit_code_units"), type_="foreignkey")
        batch_op.drop_column("unit_code")
