"""The migrations build the whole schema from an empty database, tear it down, and match the models.

Always on a fresh SQLite file; also on a fresh PostgreSQL database (created and dropped here) when
DATABASE_URL points to PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from service import migrate
from service.config import normalise_database_url
from service.db import make_engine
from service.models import Base

BACKENDS = ["sqlite"]
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    BACKENDS.append("postgresql")

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = make_url(normalise_database_url(os.environ["DATABASE_URL"]))
    name = f"minyi_migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_build_the_schema_of_the_models_from_nothing(empty_database):
    assert tables(empty_database) == set()

    migrate.upgrade(empty_database)

    assert tables(empty_database) == MODEL_TABLES
    assert schema_differences(empty_database) == []


def test_downgrade_to_base_removes_everything_and_upgrade_builds_it_again(empty_database):
    migrate.upgrade(empty_database)

    migrate.downgrade(empty_database, "base")
    assert tables(empty_database) == set()

    migrate.upgrade(empty_database)
    assert tables(empty_database) == MODEL_TABLES
    assert schema_differences(empty_database) == []


def test_the_migrated_schema_takes_the_default_list_and_an_appeal(empty_database):
    """Not only the tables exist: the columns, keys and constraints hold real data."""
    from service.appeals.models import Appeal

    with migrated_app(empty_database) as (app, s):
        appeal = new_appeal(app, s)
        s.commit()
        assert s.scalar(sa.select(Appeal.number).where(Appeal.id == appeal.id)) == appeal.number


@contextmanager
def migrated_app(url: str) -> Iterator[tuple[Any, Any]]:
    """The app on a database migrated to head, the default list and the demo users loaded; its session."""
    from service import create_app, db
    from service.demo import create_demo_users, default_list_path, load_default_list

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "SECRET_KEY": "test"})
    try:
        with app.app_context():
            s = db.session()
            try:
                load_default_list(s, default_list_path())
                create_demo_users(s)
                yield app, s
            finally:
                s.close()  # gives its connection back, so that dispose closes it
    finally:
        app.extensions["minyi.engine"].dispose()


def new_appeal(app: Any, s: Any, **overrides: Any) -> Any:
    from service.appeals.operations import register_appeal
    from service.appeals.schemas import AppealIn
    from tests.service.helpers import appeal_payload

    data = AppealIn().load(appeal_payload(**overrides))
    return register_appeal(s, data, actor=None, prefix="GX", tz=app.config["TZ"])


def test_0014_gives_appeals_stored_before_it_the_words_units_search(empty_database):
    """Units and leaders search the words as they read them: filled in for the appeals already
    stored, masked, removed on a confidential appeal."""
    from service.appeals.models import Appeal

    with migrated_app(empty_database) as (app, s):
        written = {"title": "张三反映垃圾", "content": "我叫张三，电话13800001234。垃圾没人清运。"}
        plain, confidential = new_appeal(app, s, **written), new_appeal(app, s, confidential=True, **written)
        s.commit()

        migrate.downgrade(empty_database, "0013")
        migrate.upgrade(empty_database)

        s.expire_all()
        texts = dict(s.execute(sa.select(Appeal.id, Appeal.restricted_text)).all())
        assert texts[plain.id] == "张*反映垃圾\n我叫张*，电话138****1234。垃圾没人清运。\n王母渡镇光明路12号"
        assert texts[confidential.id] == "***反映垃圾\n我叫***，电话***。垃圾没人清运。\n王母渡镇光明路12号"


def test_0016_puts_the_address_into_the_words_units_search(empty_database):
    """A name and a phone written into the address: masked in what units search, removed on a
    confidential appeal, for the appeals stored before 0016 too; phone numbers removed from the
    address of an appeal erased before (the erasure did not clean it then)."""
    from service.appeals.models import Appeal
    from service.db import utcnow

    with migrated_app(empty_database) as (app, s):
        written = {
            "title": "垃圾没人清运",
            "content": "垃圾没人清运多日。",
            "address": "建设路3号张三家，13800001234",
        }
        plain, confidential = new_appeal(app, s, **written), new_appeal(app, s, confidential=True, **written)
        erased = new_appeal(app, s, **written)
        s.execute(sa.update(Appeal).values(restricted_text="垃圾没人清运\n垃圾没人清运多日。"))  # as before
        erased.personal_data_erased_at = utcnow()  # by the erasure before 0016, which kept the address
        s.commit()

        migrate.downgrade(empty_database, "0015")
        migrate.upgrade(empty_database)

        s.expire_all()
        texts = dict(s.execute(sa.select(Appeal.id, Appeal.restricted_text)).all())
        assert texts[plain.id] == "垃圾没人清运\n垃圾没人清运多日。\n建设路3号张*家，138****1234"
        assert texts[confidential.id] == "垃圾没人清运\n垃圾没人清运多日。\n建设路3号***家，***"
        assert s.scalar(sa.select(Appeal.address).where(Appeal.id == erased.id)) == "建设路3号张三家，***"


def test_0007_and_0008_fill_in_the_rated_unit_and_the_reply_clocks_start(empty_database):
    """Data stored before them: a rating counts for the unit of the reply approved before it (not
    for the unit a reopened appeal was sent to since); a reopened appeal's reply clock starts at
    the reopen, another's at its dispatch."""
    from datetime import timedelta

    from service.appeals.events import record_event
    from service.appeals.models import Appeal
    from service.auth.models import User
    from service.db import utcnow
    from service.handling.models import Evaluation, Reply

    with migrated_app(empty_database) as (app, s):
        appeal, other = new_appeal(app, s), new_appeal(app, s)
        rated_unit = "GXQ-CGJ"
        clerk = s.scalar(sa.select(User).where(User.username == "cgj"))
        now = utcnow()
        s.add(
            Reply(
                appeal_id=appeal.id,
                unit_code=rated_unit,
                result="resolved",
                citizen_text="已处理",
                submitted_by_id=clerk.id,
                review="approved",
                reviewed_at=now - timedelta(hours=1),
            )
        )
        rating = {"contacted": True, "resolved": "no", "attitude": "不满意", "result": "不满意"}
        s.add(Evaluation(appeal_id=appeal.id, source="citizen", at=now, unit_code=None, **rating))
        appeal.lead_unit_code = "GXQ-RSJ"  # reopened and re-dispatched since
        appeal.dispatched_at = now - timedelta(days=30)
        record_event(s, appeal, "reopened", None, from_status="replied", to_status="handling", at=now)
        other.dispatched_at = now - timedelta(days=2)
        s.commit()

        migrate.downgrade(empty_database, "0006")
        migrate.upgrade(empty_database)

        s.expire_all()
        assert (
            s.scalar(sa.select(Evaluation.unit_code).where(Evaluation.appeal_id == appeal.id)) == rated_unit
        )
        started = dict(s.execute(sa.select(Appeal.id, Appeal.reply_started_at)).all())
        assert started[appeal.id] == now and started[other.id] == now - timedelta(days=2)


def _users_before_0009(url: str, *usernames: str) -> None:
    from service.db import UTCDateTime, utcnow

    users = sa.table(
        "users",
        sa.column("username", sa.String),
        sa.column("display_name", sa.String),
        sa.column("role", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", UTCDateTime),
    )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                users.insert(),
                [
                    {
                        "username": u,
                        "display_name": u,
                        "role": "operator",
                        "active": True,
                        "created_at": utcnow(),
                    }
                    for u in usernames
                ],
            )
    finally:
        engine.dispose()


def test_0009_keys_the_usernames_stored_before_it_as_they_are(empty_database):
    from service import create_app, db
    from service.auth.operations import find_user

    migrate.upgrade(empty_database, "0008")
    _users_before_0009(empty_database, "Zhang.Wei", "old name with spaces")

    migrate.upgrade(empty_database)

    app = create_app({"DATABASE_URL": empty_database, "REDIS_URL": None, "SECRET_KEY": "test"})
    try:
        with app.app_context():
            s = db.session()
            assert find_user(s, "zhang.wei").username == "Zhang.Wei"
            assert find_user(s, "Old Name With Spaces").username == "old name with spaces"
    finally:
        app.extensions["minyi.engine"].dispose()


def test_0009_stops_on_usernames_that_differ_only_in_case_and_names_them(empty_database):
    migrate.upgrade(empty_database, "0008")
    _users_before_0009(empty_database, "ops", "Li", "OPS")

    with pytest.raises(RuntimeError, match=r"'ops' \(id 1\), 'OPS' \(id 3\)\. Rename one"):
        migrate.upgrade(empty_database)

    assert "username_key" not in {c["name"] for c in _columns(empty_database, "users")}


def _columns(url: str, table: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_columns(table)
    finally:
        engine.dispose()


def test_0010_gives_list_versions_stored_before_default_limits_the_limits_they_ran_under(empty_database):
    from responsibility_lists.model import Limit, from_plain
    from service.lists.models import ListVersion

    with migrated_app(empty_database) as (_app, s):
        version = s.scalar(sa.select(ListVersion))
        before = {k: v for k, v in version.content.items() if k != "default_limits"}  # as stored then
        s.execute(sa.update(ListVersion).values(content=before))
        s.commit()

        migrate.downgrade(empty_database, "0009")
        migrate.upgrade(empty_database)

        s.expire_all()
        limits = from_plain(s.scalar(sa.select(ListVersion.content))).default_limits
        assert limits == {
            "一般": Limit(24, reply_working_days=10),
            "紧急": Limit(2, reply_hours=24),
            "特急": Limit(0.5, reply_hours=4),
        }


def _migration(filename: str) -> Any:
    """A migration file as a module, without running it."""
    import importlib.util
    from pathlib import Path

    path = Path(migrate.__file__).parent / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: What citizens write: every kind of personal data the masking recognises, and what it must leave.
SAMPLE_TEXTS = [
    "",
    "垃圾没人清运多日。",
    "我叫张三，电话13800001234。",
    "电话 +86 138 0000 1234，或 86-139-1234-5678，或 138-0000-1234。",
    "座机0797-8123456，又 020 87654321，又 07978123456；不是座机：0797812345678。",
    "身份证36070219800101123X，另一个360702198001011234；不是它：1360702198001011234。",
    "邮箱 zhang.san+gx@example.com.cn，或 a@b",
    "张三家在建设路3号，张三的儿子张三丰也来过。",
    "李四说：王五和张三都住这里，张 三不算。",
    "编号2026120700001，金额12345678元，电话12800001234不是手机。",
]
SAMPLE_NAMES = [None, "张三", "张三丰", " 李四 ", "王", ""]


def test_the_masking_frozen_in_0014_and_0016_is_the_masking_of_today():
    """0014 and 0016 carry their own copy of the masking, so that a later change to the app's does
    not change what they write on an old database. The copy must be faithful to the code of the day
    it was frozen (2026-12-07): this compares them on sample texts. If the app's masking is changed on
    purpose later, this comparison fails: leave the migrations as they are and pin here what the
    frozen copy gives instead."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from service.appeals import redact
    from service.appeals.privacy import restricted_text

    migrations = [
        _migration("0014_restricted_search_text.py"),
        _migration("0016_restricted_text_with_the_address.py"),
    ]
    compared = 0
    for migration in migrations:
        assert "import service" not in source(migration) and "from service" not in source(migration)
        for text in SAMPLE_TEXTS:
            assert migration._remove(text) == redact.remove(text)
            for name in SAMPLE_NAMES:
                names = [name] if name is not None else []
                assert migration._mask(text, names) == redact.mask(text, names)
                assert migration._remove(text, names) == redact.remove(text, names)
                for confidential in (False, True):
                    for erased in (False, True):
                        appeal = SimpleNamespace(
                            title="反映" + text[:6],
                            content=text,
                            address=text[-12:] or None,
                            confidential=confidential,
                            personal_data_erased_at=datetime(2026, 12, 7, tzinfo=UTC) if erased else None,
                            contact=SimpleNamespace(name=name) if name is not None else None,
                        )
                        frozen = migration._restricted_text(
                            appeal.title, appeal.content, appeal.address, confidential, erased, name
                        )
                        assert frozen == restricted_text(appeal)
                        compared += 1
    assert compared == len(migrations) * len(SAMPLE_TEXTS) * len(SAMPLE_NAMES) * 4
    masked = {redact.mask(text, ["张三"]) for text in SAMPLE_TEXTS} - set(SAMPLE_TEXTS)
    assert len(masked) >= len(SAMPLE_TEXTS) - 3  # the samples have personal data to mask


def source(module: Any) -> str:
    from pathlib import Path

    return Path(module.__file__).read_text(encoding="utf-8")
