"""The floor for `python -m bench.intake`: a bare Flask endpoint that parses the same JSON and does
one INSERT into PostgreSQL, served by gunicorn with the same settings as the service.

Deliberately honest: no authentication, no validation, no numbering, no dispatch, no ORM; a
SQLAlchemy Core engine with its default connection pool (5 + 10 overflow, no pre-ping), one
`INSERT ... RETURNING id` in its own transaction, and a small JSON body back with 201.

    DATABASE_URL=postgresql://postgres@127.0.0.1/db gunicorn bench.baseline_app:app
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

#: One row per request: a few columns taken out of the payload, and the payload itself as JSONB.
intake_table = sa.Table(
    "bench_baseline_intake",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("channel", sa.String(24), nullable=False),
    sa.Column("appeal_type", sa.String(8), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("category", sa.String(32)),
    sa.Column("area", sa.String(12)),
    sa.Column("phone", sa.String(32)),
    sa.Column("payload", JSONB, nullable=False),
)


def psycopg_url(url: str) -> str:
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(
        psycopg_url(
            database_url or os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/postgres")
        )
    )
    insert = intake_table.insert().returning(intake_table.c.id)

    @app.post("/api/v1/appeals")
    def intake() -> Any:
        data = request.get_json()
        contact = data.get("contact") or {}
        with engine.begin() as conn:
            new_id = conn.execute(
                insert,
                {
                    "channel": data.get("channel", ""),
                    "appeal_type": data.get("appeal_type", ""),
                    "title": data.get("title", ""),
                    "content": data.get("content", ""),
                    "category": data.get("category"),
                    "area": data.get("area"),
                    "phone": contact.get("phone"),
                    "payload": data,
                },
            ).scalar_one()
        return {"id": new_id, "status": "received"}, 201

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    return app


# Creating the app opens no connection (the engine connects on first use).
app = create_app()
