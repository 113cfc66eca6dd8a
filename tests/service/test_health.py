"""Liveness and readiness probes, and the API's own documentation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.service.factories import assert_envelope

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def standalone_app(engine, database_url, redis_url) -> Iterator[Flask]:
    """An app on the real database, outside the test transaction.

    The probe opens a connection of its own; on SQLite that waits for the write lock, which the
    test transaction of the `app` fixture holds.
    """
    from service import create_app

    apps: list[Flask] = []

    def make(**config) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                **config,
            }
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["minyi.engine"].dispose()


def test_healthz_answers_while_the_process_lives(client):
    r = client.get("/healthz")

    assert r.status_code == 200
    assert r.json == {"status": "ok"}


def test_readyz_checks_the_database_and_redis(standalone_app):
    r = standalone_app().test_client().get("/readyz")

    assert r.status_code == 200, r.json
    body = r.json
    assert (body["status"], body["checks"]) == ("ready", {"database": "ok", "redis": "ok"})
    # The worker's backlog: jobs waiting per queue (other tests may have queued some), and no notice
    # waiting to be relayed in this fresh database.
    assert set(body["queues"]) == {"urgent", "default", "low"}
    assert all(isinstance(n, int) and n >= 0 for n in body["queues"].values())
    assert body["outbox"] == {"oldest_unrelayed_age_seconds": None}


def test_readyz_is_503_when_redis_is_unreachable(standalone_app):
    r = standalone_app(REDIS_URL=CLOSED_PORT_REDIS).test_client().get("/readyz")

    body = assert_envelope(r, 503, "unavailable")
    assert set(body["errors"]) == {"redis"}
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
    assert "redis" in body["message"]


def test_readyz_is_503_when_the_database_is_unreachable(standalone_app, tmp_path):
    missing = tmp_path / "no-such-dir" / "minyi.db"

    r = standalone_app(DATABASE_URL=f"sqlite:///{missing}").test_client().get("/readyz")

    body = assert_envelope(r, 503, "unavailable")
    assert set(body["errors"]) == {"database"}
    assert body["checks"]["redis"] == "ok"


# ---- the API's documentation --------------------------------------------------------------------


def test_the_openapi_document_describes_intake(client):
    r = client.get("/api/openapi.json")

    assert r.status_code == 200
    spec = r.json
    assert spec["openapi"].startswith("3.")
    assert "Accept-Language" in spec["info"]["description"]  # how to read the errors in Chinese
    post = spec["paths"]["/api/v1/appeals"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/AppealIn"
    schema = spec["components"]["schemas"]["AppealIn"]
    assert set(schema["properties"]) == {
        "channel",
        "channel_meta",
        "appeal_type",
        "title",
        "content",
        "category",
        "area",
        "address",
        "latitude",
        "longitude",
        "urgency",
        "contact",
        "confidential",
        "consent_publish",
        "received_at",
        "close_directly",
    }
    assert set(schema["required"]) == {"channel", "appeal_type", "title", "content"}
    assert len(schema["properties"]["channel"]["enum"]) == 12
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}
    for path in ("/api/v1/appeals/{number}", "/api/v1/public/appeals", "/api/v1/public/appeals/{number}"):
        assert path in spec["paths"]


def test_the_docs_page_uses_only_local_assets(client):
    r = client.get("/api/docs")

    assert r.status_code == 200
    html = r.get_data(as_text=True)
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls
    assert not re.search(r"https?://", html)
    for url in urls:
        assert url.startswith("/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert len(asset.get_data()) > 1000, url
