"""usernames unique whatever the case

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00.000000

"Operator" could be created beside "operator", and log-in matched the case exactly. Each account
now keeps its username lower-cased in `username_key`, unique, which log-in looks up. Existing
usernames are kept as they are; if two of them differ only in case, the upgrade stops and names
them: rename one (UPDATE users SET username = ... WHERE id = ...) and upgrade again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("username_key", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    # In Python, as service.auth.models.username_key does: SQL's lower() differs between
    # backends outside ASCII.
    keys = {user_id: username.lower() for user_id, username in rows}
    by_key: dict[str, list[str]] = {}
    for user_id, username in rows:
        by_key.setdefault(keys[user_id], []).append(f"{username!r} (id {user_id})")
    if clashes := [names for names in by_key.values() if len(names) > 1]:
        raise RuntimeError(
            "usernames that differ only in case: "
            + "; ".join(", ".join(names) for names in clashes)
            + ". Rename one of each (UPDATE users SET username = ... WHERE id = ...), then upgrade again."
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=64), nullable=True))
    if keys:
        conn.execute(
            users.update()
            .where(users.c.id == sa.bindparam("user_id"))
            .values(username_key=sa.bindparam("key")),
            [{"user_id": user_id, "key": key} for user_id, key in keys.items()],
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("username_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_username_key"), ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_username_key"), type_="unique")
        batch_op.drop_column("username_key")
