"""Public numbers (GX20261121-0042): per day, consecutive, never shared, not even by concurrent intakes."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from service.appeals.models import Appeal, AppealContact, AppealEvent, NumberCounter
from service.appeals.numbering import PROVISIONAL, next_number
from service.appeals.operations import register_appeal
from service.appeals.schemas import AppealIn
from service.db import make_engine
from service.handling.models import DuplicateCandidate
from service.notices.models import OutboxMessage
from tests.service.factories import SHANGHAI, assert_envelope, number_pattern, register, stored
from tests.service.helpers import appeal_payload

THREADS = 8
PER_THREAD = 10
PREFIX = "ZZ"  # a prefix of its own: the committed rows are found and removed by it


def sequence(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_consecutive_intakes_get_consecutive_numbers(as_user):
    op = as_user("operator")

    first, second = register(op)["number"], register(op)["number"]

    assert number_pattern().match(first) and number_pattern().match(second)
    assert sequence(second) == sequence(first) + 1


def test_a_refused_intake_draws_no_number(as_user):
    op = as_user("operator")
    first = register(op)["number"]
    assert_envelope(
        op.post("/api/v1/appeals", json=appeal_payload(area="360704999")), 422, "validation_error"
    )

    second = register(op)["number"]

    assert sequence(second) == sequence(first) + 1


def test_an_appeal_is_stored_under_its_number_at_its_first_version(as_user, app):
    op = as_user("operator")
    number = register(op, urgency="特急")["number"]  # the urgent alert is queued before the number

    record = op.get(f"/api/v1/appeals/{number}").get_json()

    assert record["number"] == number and record["version"] == 1
    with stored(app) as s:
        assert s.scalar(sa.select(sa.func.count()).where(Appeal.number.startswith(PROVISIONAL))) == 0


def test_the_sequence_restarts_each_day_and_outgrows_four_digits(app):
    with stored(app) as s:
        assert next_number(s, "ZY", date(2026, 11, 20)) == "ZY20261120-0001"
        assert next_number(s, "ZY", date(2026, 11, 20)) == "ZY20261120-0002"
        assert next_number(s, "ZY", date(2026, 11, 21)) == "ZY20261121-0001"
        assert next_number(s, "ZX", date(2026, 11, 20)) == "ZX20261120-0001"
        s.add(NumberCounter(prefix="ZY", day="20261122", last=9999))
        s.flush()
        assert next_number(s, "ZY", date(2026, 11, 22)) == "ZY20261122-10000"


# ---- concurrent intakes, committed for real ------------------------------------------------------


@pytest.fixture
def own_engine(engine, database_url) -> Iterator[sa.Engine]:
    """An engine of its own on the test database: these intakes commit, outside any test transaction."""
    own = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    _remove_committed(own)
    try:
        yield own
    finally:
        _remove_committed(own)
        own.dispose()


def _remove_committed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids = sa.select(Appeal.id).where(Appeal.number.startswith(PREFIX)).scalar_subquery()
        conn.execute(
            sa.delete(DuplicateCandidate).where(
                DuplicateCandidate.appeal_id.in_(ids) | DuplicateCandidate.candidate_id.in_(ids)
            )
        )
        conn.execute(sa.delete(AppealEvent).where(AppealEvent.appeal_id.in_(ids)))
        conn.execute(sa.delete(OutboxMessage).where(OutboxMessage.appeal_id.in_(ids)))  # the receipts
        conn.execute(sa.delete(AppealContact).where(AppealContact.appeal_id.in_(ids)))
        conn.execute(sa.delete(Appeal).where(Appeal.number.startswith(PREFIX)))
        conn.execute(sa.delete(NumberCounter).where(NumberCounter.prefix == PREFIX))


def test_concurrent_intakes_never_share_a_number(own_engine):
    data = AppealIn().load(appeal_payload())
    sessions = sessionmaker(bind=own_engine, expire_on_commit=False)
    start = threading.Barrier(THREADS)

    def intake_many() -> list[str]:
        start.wait(timeout=30)
        numbers = []
        for _ in range(PER_THREAD):
            with sessions() as s:
                appeal = register_appeal(s, data, actor=None, prefix=PREFIX, tz=SHANGHAI)
                s.commit()
                numbers.append(appeal.number)
        return numbers

    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(intake_many) for _ in range(THREADS)]]

    numbers = [n for result in results for n in result]
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == len(numbers), "two intakes drew the same number"
    by_day: dict[str, list[int]] = defaultdict(list)
    for n in numbers:
        match = re.fullmatch(rf"{PREFIX}(\d{{8}})-(\d{{4,}})", n)
        assert match, n
        by_day[match[1]].append(int(match[2]))
    for day, drawn in by_day.items():  # a run across midnight starts the next day at 1
        assert sorted(drawn) == list(range(1, len(drawn) + 1)), day
    with own_engine.connect() as conn:
        stored_numbers = conn.scalars(sa.select(Appeal.number).where(Appeal.number.startswith(PREFIX))).all()
        query_codes = conn.scalars(sa.select(Appeal.query_code).where(Appeal.number.startswith(PREFIX))).all()
    assert sorted(stored_numbers) == sorted(numbers)
    assert all(re.fullmatch(r"\d{6}", code) for code in query_codes)
