"""Public numbers (GX20261121-0042) and query codes.

The per-day sequence is one upserted counter row: the upsert takes the row lock, so concurrent
intakes on PostgreSQL (or serialized writers on SQLite) can never draw the same number.
"""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.appeals.models import NumberCounter


def next_number(s: Session, prefix: str, day: date) -> str:
    key = day.strftime("%Y%m%d")
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(NumberCounter)
        .values(prefix=prefix, day=key, last=1)
        .on_conflict_do_update(
            index_elements=[NumberCounter.prefix, NumberCounter.day],
            set_={"last": NumberCounter.last + 1},
        )
        .returning(NumberCounter.last)
    )
    sequence = s.execute(stmt).scalar_one()
    return f"{prefix}{key}-{sequence:04d}"


def new_query_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"
