"""Arranging and inspecting data in the service tests.

Data is arranged through the API where a user would (an operator's intake, a dispatcher's
dispatch). Checks on what was stored go through `stored(app)`: a session on the test's
connection in an app context of its own. (The `db_session` fixture keeps an app context pushed
for the whole test, so every request of that test shares one `g`, and with it the first
request's user; `stored` avoids that.)
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

import service.models  # noqa: F401  (every table in Base.metadata: the session's drop_all must see them all)
from responsibility_lists.model import ResponsibilityList, Rule
from service import db
from service.appeals.models import (
    Appeal,
    AppealAssignment,
    AppealContact,
    AppealEvent,
    IdempotencyKey,
    NumberCounter,
    PersonalDataAccess,
)
from service.lists.operations import activate_version, store_version
from service.notices import models as nm
from service.notices.models import OutboxMessage
from tests.service.helpers import appeal_payload, default_list

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENVELOPE_KEYS = {"error", "message", "errors", "current"}


@contextmanager
def stored(app: Flask) -> Iterator[Session]:
    """A session on the test's connection, for arranging rows and checking what was stored.

    Call `s.commit()` to keep what you arranged: it releases a savepoint, and the test's outer
    transaction still rolls everything back at the end.
    """
    with app.app_context():
        yield db.session()


def outbox_ids(app: Flask, number: str, template: str | None = None) -> list[int]:
    """The outbox rows queued about the appeal `number` (of `template` only, when given), in order."""
    with stored(app) as s:
        query = sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key.like(f"{number}:%"))
        if template:
            query = query.where(OutboxMessage.template == template)
        return list(s.scalars(query.order_by(OutboxMessage.id)))


def counts(app: Flask) -> dict[str, int]:
    """Rows an intake writes, and the numbers drawn so far: equal before and after a refused request."""
    with stored(app) as s:
        tables = (Appeal, AppealContact, AppealEvent, AppealAssignment, IdempotencyKey, PersonalDataAccess)
        found = {m.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(m)) or 0 for m in tables}
        found["numbers drawn"] = s.scalar(sa.select(sa.func.coalesce(sa.func.sum(NumberCounter.last), 0)))
        return found


def register(api: Any, **overrides: Any) -> dict[str, Any]:
    """Take in an appeal through the staff API; returns the 201 body."""
    r = api.post("/api/v1/appeals", json=appeal_payload(**overrides))
    assert r.status_code == 201, r.json
    return r.json


def new_address() -> str:
    """A client address of its own for a test.

    Rate limits are counted per client address. The app fixture gives each test its own
    RATELIMIT_KEY_PREFIX, but the one module-level flask-limiter `Limiter` keeps the prefix of
    the first app it was bound to, so without this the tests would share their counters.
    """
    a, b, c = secrets.token_bytes(3)
    return f"10.{a}.{b}.{c}"


def client_at(app: Any, address: str | None = None) -> Any:
    """A test client whose requests come from `address` (a fresh one by default): log-in locks
    are counted per client address too (service/auth/lockout.py)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or new_address()
    return client


def today() -> str:
    return datetime.now(SHANGHAI).strftime("%Y%m%d")


def number_pattern(prefix: str = "GX") -> re.Pattern[str]:
    return re.compile(rf"^{prefix}{today()}-\d{{4,}}$")


def assert_envelope(r: Any, status: int, error: str) -> dict[str, Any]:
    """The one error envelope: {"error", "message", "errors"?}, with the expected status and code."""
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.json
    assert set(body) <= ENVELOPE_KEYS | {"checks"}, body
    assert body["error"] == error, body
    assert isinstance(body["message"], str) and body["message"], body
    return body


# ---- the default list ----------------------------------------------------------------------


def _sole_rules() -> list[Rule]:
    """Rules that are the only one on their category: they decide whatever the place."""
    per_category = Counter(r.category for r in default_list().rules)
    return [r for r in default_list().rules if per_category[r.category] == 1]


def county_rule(lead: str) -> Rule:
    """A county-wide rule led by `lead`, without co-units."""
    return next(r for r in _sole_rules() if r.scope == "county" and r.lead == lead and not r.co)


def rule_with_co(co: str) -> Rule:
    """A county-wide rule with `co` among its co-units (and another unit leading)."""
    return next(r for r in _sole_rules() if r.scope == "county" and co in r.co and r.lead != co)


def territorial_rule() -> Rule:
    """A rule led by the township government of the place (属地), without co-units."""
    return next(r for r in _sole_rules() if r.territorial and not r.co)


def unit_code(name: str) -> str:
    return next(u.code for u in default_list().units if u.name == name)


#: GXQ-CGJ (区城管局) as an administrator may type it: any case or width, spaces, a long dash, its name.
CGJ_AS_TYPED = (
    "gxq-cgj",
    "  GXQ-CGJ ",
    "Gxq-Cgj",
    "ＧＸＱ－ＣＧＪ",
    "ｇｘｑ－ｃｇｊ",
    "GXQ—CGJ",
    "gxq–cgj",
    "GXQ ー CGJ",
    "区城管局",
)
#: GXQ-12345, the centre, by its name written with full-width brackets, typed with either kind.
CENTRE_AS_TYPED = (
    "赣县区12345政务服务便民热线（民意速办中心）",
    " 赣县区12345政务服务便民热线(民意速办中心) ",
    "GXQ—12345",
)


def township(name: str) -> str:
    return next(a.code for a in default_list().areas if a.name == name and a.level == "township")


def township_government(township_code: str) -> str:
    return next(u.code for u in default_list().units if u.kind == "township" and u.area == township_code)


def villages(township_name: str) -> list[str]:
    code = township(township_name)
    return [a.code for a in default_list().areas if a.parent == code]


def without_unit(lst: ResponsibilityList, code: str, version: str = "2027.01") -> ResponsibilityList:
    """The list as a newer version without the unit `code`: the rules it leads and its mentions gone."""
    units = tuple(
        dataclasses.replace(
            u,
            escalation=tuple(
                dataclasses.replace(step, units=tuple(c for c in step.units if c != code))
                for step in u.escalation
            ),
        )
        for u in lst.units
        if u.code != code
    )
    rules = tuple(
        dataclasses.replace(r, co=tuple(c for c in r.co if c != code)) for r in lst.rules if r.lead != code
    )
    return dataclasses.replace(lst, version=version, units=units, rules=rules)


def a_newer_list_drops(app: Flask, code: str) -> None:
    """A newer list version without the unit `code` is activated: the unit is no longer active (停用),
    kept for the appeals that name it."""
    with stored(app) as s:
        version, created = store_version(s, without_unit(default_list(), code), loaded_by="test")
        assert created
        activate_version(s, version, by="test")
        s.commit()


def failed_notice(s: Session) -> nm.NoticeDelivery:
    """A notice that failed for good: an SMS to a unit's duty room the gateway refused six times, as
    `minyi jobs failed` and /admin/notices list it and offer to retry it. Flushed."""
    outbox = OutboxMessage(
        kind="notice",
        recipient="unit_duty",
        template="dispatched",
        data={},
        dedup_key=f"failed-{secrets.token_hex(4)}",
    )
    s.add(outbox)
    s.flush()
    delivery = nm.NoticeDelivery(
        outbox_id=outbox.id,
        template="dispatched",
        recipient="unit_duty",
        recipient_name="值班室",
        channel="sms",
        destination="13907975002",
        body="您有新的工单",
        status=nm.FAILED,
        attempts=6,
        last_error="gateway said 400",
    )
    s.add(delivery)
    s.flush()
    return delivery
