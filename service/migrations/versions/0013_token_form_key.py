"""the form that made an API token

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00.000000

The admin page's new-token form carries a key of its own; the token it made keeps it (unique), so
the same form sent again (a reload of the page that shows the token, a double click) makes no
second token (service/auth/operations.py create_token). Tokens made before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_api_tokens_form_key"), ["form_key"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_constraint(op.f("uq_api_tokens_form_key"), type_="unique")
        batch_op.drop_column("form_key")
