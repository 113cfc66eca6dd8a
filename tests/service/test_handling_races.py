"""Two people acting on one appeal at the same moment: exactly one wins, the other gets 409, and
the event log stays one consistent path.

These tests need two real transactions, so they commit for real (outside the per-test rollback)
and delete what they stored at the end. A barrier holds both sides until each has read the
appeal: on PostgreSQL just before the first write (both have passed every check, so the appeal
row's optimistic lock decides), on SQLite before the transaction starts (BEGIN IMMEDIATE lets one
writer in at a time, so the second sees the first's change and is refused by the guard).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dispatch import escalation as esc
from service import create_app
from service.appeals.models import Appeal, AppealEvent
from service.appeals.operations import register_appeal
from service.appeals.schemas import AppealIn
from service.appeals.status import STATUS_LABELS
from service.auth.models import ApiToken, User
from service.auth.operations import create_token
from service.db import Base, utcnow
from service.errors import Conflict
from service.escalation.models import AppealAlarm
from service.escalation.sweeps import sweep
from service.handling import unit_actions
from service.handling.centre_review import review_reply
from service.handling.merging import press
from service.handling.models import Evaluation, Reply, ReturnRequest
from service.lists.operations import active_context
from tests.service.factories import SHANGHAI
from tests.service.handling_steps import CITIZEN_TEXT, CO, LEAD, garbage_in_meilin, reply_body
from tests.service.helpers import appeal_payload

WRITES = ("Appeal", "AppealEvent", "Reply", "ReturnRequest")


def _user(s: Session, username: str) -> User:
    user = s.scalar(sa.select(User).where(User.username == username))
    assert user is not None
    return user


def _appeal(s: Session, number: str) -> Appeal:
    appeal = s.scalar(sa.select(Appeal).where(Appeal.number == number))
    assert appeal is not None
    return appeal


@contextmanager
def committed_appeal(
    engine: sa.Engine,
    *,
    signed: bool = False,
    replied: bool = False,
    co_signed: bool = False,
    **overrides: Any,
) -> Iterator[str]:
    """An appeal dispatched to 区城管局 (lead) and 梅林镇 (co), committed; removed afterwards.

    `signed`: the lead unit signed for it; `replied`: and its reply was released to the citizen;
    `co_signed`: the co-unit signed for its part.
    """
    with Session(engine, expire_on_commit=False) as s:
        ctx = active_context(s)
        assert ctx is not None
        data = AppealIn().load(appeal_payload(**garbage_in_meilin(), **overrides))
        appeal = register_appeal(
            s,
            data,
            actor=_user(s, "operator"),
            prefix=ctx.lst.jurisdiction.prefix,
            tz=SHANGHAI,
            ctx=ctx,
            dispatch=True,
        )
        if co_signed:
            unit_actions.sign_for(s, appeal, _user(s, CO))
        if signed or replied:
            unit_actions.sign_for(s, appeal, _user(s, LEAD))
        if replied:
            unit_actions.submit_reply(
                s,
                appeal,
                _user(s, LEAD),
                result="resolved",
                citizen_text=CITIZEN_TEXT,
                contacted_citizen=True,
            )
            review_reply(s, appeal, _user(s, "reviewer"), decision="approve", rating_window=timedelta(days=3))
        s.commit()
        number, appeal_id = appeal.number, appeal.id
    try:
        yield number
    finally:
        _purge(engine, appeal_id)


def _purge(engine: sa.Engine, appeal_id: int) -> None:
    """Delete the appeal and every row that refers to it, children first."""
    appeals = Base.metadata.tables["appeals"]
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table is appeals:
                continue
            for fk in table.foreign_keys:
                if fk.column.table is appeals:
                    conn.execute(table.delete().where(fk.parent == appeal_id))
        # An appeal merged into this one (and removed after it) lets go of it.
        conn.execute(appeals.update().where(appeals.c.master_id == appeal_id).values(master_id=None))
        conn.execute(appeals.delete().where(appeals.c.id == appeal_id))


@contextmanager
def barrier_before_writes(
    engine: sa.Engine, parties: int = 2, *, patient: bool = True
) -> Iterator[Callable[[], None]]:
    """Yields `at_start`, to call where each racer begins. See the module docstring for where they meet.

    `patient=False`: on PostgreSQL a racer waits at its first write only a few seconds, then goes on
    alone (for operations that lock rows first: the other racer may be waiting on that lock, never
    reaching the barrier until this one commits).
    """
    barrier = threading.Barrier(parties, timeout=20 if patient else 3)
    waited: set[int] = set()
    postgres = engine.dialect.name == "postgresql"

    def before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        me = threading.get_ident()
        if me in waited or not any(type(o).__name__ in WRITES for o in (*session.new, *session.dirty)):
            return
        waited.add(me)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            if patient:
                raise

    def at_start() -> None:
        if not postgres:
            barrier.wait()

    if postgres:
        sa.event.listen(Session, "before_flush", before_flush)
    try:
        yield at_start
    finally:
        if postgres:
            sa.event.remove(Session, "before_flush", before_flush)


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads at once; each result is the return value or the exception raised."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # the loser's error is the result
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run, c) for c in calls]]


def _actions_after_dispatch(s: Session, number: str) -> list[str]:
    appeal = _appeal(s, number)
    actions = list(
        s.scalars(
            sa.select(AppealEvent.action).where(AppealEvent.appeal_id == appeal.id).order_by(AppealEvent.id)
        )
    )
    assert actions[:2] == ["registered", "dispatched"], actions
    return actions[2:]


@contextmanager
def both_have_read(engine: sa.Engine) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Yields (`at_start`, `have_read`) for each racer to call: they meet once both have read the
    appeal (on PostgreSQL), or before their transactions start (on SQLite, one writer at a time).

    For the operations that lock the appeal's row first (sign-for, reply): the second waits there
    for the first to commit, so a barrier at the first write would wait for it in vain.
    """
    barrier = threading.Barrier(2, timeout=20)
    postgres = engine.dialect.name == "postgresql"
    yield (lambda: None if postgres else barrier.wait()), (lambda: barrier.wait() if postgres else None)


def test_two_units_signing_at_once(engine):
    """The lead and the co-unit sign at the same moment, each sending the version it saw.

    Signing holds the appeal's row (SELECT ... FOR UPDATE): the second waits for the first, then
    sees its signature, and is refused by the guard (409 with the current state), never by the
    optimistic lock at its commit.
    """
    with committed_appeal(engine) as number:
        with Session(engine) as s:
            seen = _appeal(s, number).version

        with both_have_read(engine) as (at_start, have_read):

            def sign(username: str) -> str:
                at_start()
                with Session(engine) as s:
                    appeal, user = _appeal(s, number), _user(s, username)
                    have_read()
                    unit_actions.sign_for(s, appeal, user, expected_version=seen)
                    s.commit()
                return username

            results = _race(lambda: sign(LEAD), lambda: sign(CO))

        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], Conflict), losers[0]
        [winner] = winners
        loser = CO if winner == LEAD else LEAD
        with Session(engine) as s:
            appeal = _appeal(s, number)
            assert appeal.version == seen + 1
            assert appeal.status == ("handling" if winner == LEAD else "dispatched")
            assert _actions_after_dispatch(s, number) == ["signed" if winner == LEAD else "co_signed"]
            # The loser reloads and signs: both signatures, once each, on one consistent path.
            unit_actions.sign_for(s, appeal, _user(s, loser), expected_version=appeal.version)
            s.commit()
        with Session(engine) as s:
            appeal = _appeal(s, number)
            assert appeal.status == "handling" and appeal.signed_at is not None
            assert sorted(_actions_after_dispatch(s, number)) == ["co_signed", "signed"]


def test_two_of_the_unit_s_staff_signing_at_once_with_a_page_from_before_a_press(engine):
    """Both pages were loaded before the centre pressed the unit (催办): the press does not refuse
    them, but of the two signing at once exactly one signs; the other is told it changed (409)."""
    with committed_appeal(engine) as number:
        with Session(engine) as s:
            appeal = _appeal(s, number)
            seen = appeal.version
            press(s, appeal, _user(s, "dispatcher"), note="请尽快签收")
            s.commit()

        with both_have_read(engine) as (at_start, have_read):

            def sign() -> int:
                at_start()
                with Session(engine) as s:
                    appeal, user = _appeal(s, number), _user(s, LEAD)
                    have_read()
                    unit_actions.sign_for(s, appeal, user, expected_version=seen)
                    s.commit()
                    return appeal.version

            results = _race(sign, sign)

        winners = [r for r in results if isinstance(r, int)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], Conflict), losers[0]  # the guard's 409, not the commit's
        assert losers[0].extra["current"]["status"] == "handling"
        assert losers[0].extra["current"]["version"] == winners[0]
        with Session(engine) as s:
            assert _appeal(s, number).status == "handling"
            assert _actions_after_dispatch(s, number) == ["pressed", "signed"]


@pytest.fixture
def real_app(database_url: str, engine: sa.Engine) -> Iterator[Any]:
    """An app committing to the test database for real (not inside the test's transaction)."""
    config = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url, "REDIS_URL": None}
    # Notices stay in the outbox (removed with the appeal): no queue to hand them to.
    app = create_app({**config, "RELAY_AFTER_COMMIT": False})
    yield app
    app.extensions["minyi.engine"].dispose()


@contextmanager
def committed_tokens(engine: sa.Engine, *usernames: str) -> Iterator[list[str]]:
    with Session(engine) as s:
        tokens = [create_token(s, _user(s, u), "race test") for u in usernames]
        s.commit()
    try:
        yield tokens
    finally:
        with engine.begin() as conn:
            conn.execute(sa.delete(ApiToken).where(ApiToken.label == "race test"))


def test_a_request_does_not_wait_for_another_recording_the_same_tokens_use(engine, real_app):
    """An integration's requests share one token. When its last use has gone stale, the first
    request records the use and holds the token's row until it commits; the others made meanwhile
    go on without waiting for it (each used to wait for the one before to finish its whole request)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time, a request never meets a held token")
    with committed_tokens(engine, "operator") as [token], Session(engine) as holder:
        # Another request, half-way, recording the token's first use: not committed yet.
        holder.execute(sa.update(ApiToken).where(ApiToken.label == "race test").values(last_used_at=utcnow()))
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(
                real_app.test_client().get, "/api/v1/appeals", headers={"Authorization": f"Bearer {token}"}
            )
            try:
                response = answer.result(timeout=10)
            finally:
                holder.rollback()  # a request that waited goes on, so the pool can close
        assert response.status_code == 200, response.json


def test_a_reply_racing_a_return(engine, real_app):
    """Two members of the lead unit's staff: one replies while the other returns the appeal.

    Both hold the appeal's row first (a page older only by a 催办 may still act): on PostgreSQL the
    one holding it waits at the barrier a moment, then goes on; the other, held back by its lock,
    reads what it left and is refused by the guard."""
    with committed_appeal(engine, signed=True) as number, committed_tokens(engine, LEAD, LEAD) as tokens:
        with barrier_before_writes(engine, patient=False) as at_start:

            def post(token: str, action: str, body: dict[str, Any]) -> Any:
                at_start()
                client = real_app.test_client()
                headers = {"Authorization": f"Bearer {token}"}
                return client.post(f"/api/v1/appeals/{number}/{action}", json=body, headers=headers)

            reply, ret = _race(
                lambda: post(tokens[0], "reply", reply_body()),
                lambda: post(tokens[1], "return", {"reason": "不属本单位", "basis": "职责清单"}),
            )

        assert sorted([reply.status_code, ret.status_code]) == [200, 409], (reply.json, ret.json)
        loser = reply if reply.status_code == 409 else ret
        assert loser.json["error"] == "conflict"
        won = "replied" if reply.status_code == 200 else "return_requested"
        with Session(engine) as s:
            appeal = _appeal(s, number)
            assert appeal.status == ("reply_review" if won == "replied" else "return_requested")
            # The loser is shown what the winner left, whichever check refused it.
            assert loser.json["current"] == {
                "status": appeal.status,
                "status_label": STATUS_LABELS[appeal.status],
                "version": appeal.version,
            }
            # After sign-for, exactly the winner's event: nothing of the loser's.
            assert _actions_after_dispatch(s, number) == ["signed", won]
            replies = s.scalar(
                sa.select(sa.func.count()).select_from(Reply).where(Reply.appeal_id == appeal.id)
            )
            returns = s.scalar(
                sa.select(sa.func.count())
                .select_from(ReturnRequest)
                .where(ReturnRequest.appeal_id == appeal.id)
            )
            assert (replies, returns) == ((1, 0) if won == "replied" else (0, 1))


def test_two_appeals_merged_into_each_other_at_once(engine, real_app):
    """One dispatcher merges A into B while another merges B into A: one merge, and a 409 (never a 500).

    Both have read both appeals before either writes (on PostgreSQL each holds the barrier at its
    first write for a moment; one held back by the other's row lock comes to it later).
    """
    with (
        committed_appeal(engine) as a,
        committed_appeal(engine) as b,
        committed_tokens(engine, "dispatcher", "admin") as tokens,
    ):
        with barrier_before_writes(engine, patient=False) as at_start:

            def merge(token: str, child: str, master: str) -> Any:
                at_start()
                client = real_app.test_client()
                return client.post(
                    f"/api/v1/appeals/{child}/merge",
                    json={"master": master, "reason": "同一诉求重复来电"},
                    headers={"Authorization": f"Bearer {token}"},
                )

            one, other = _race(lambda: merge(tokens[0], a, b), lambda: merge(tokens[1], b, a))

        assert sorted([one.status_code, other.status_code]) == [200, 409], (one.json, other.json)
        loser = one if one.status_code == 409 else other
        merged, master = (a, b) if one.status_code == 200 else (b, a)
        assert loser.json["current"]["status"] in ("merged", "dispatched")
        with Session(engine) as s:
            assert _appeal(s, merged).status == "merged"
            assert _appeal(s, merged).master_id == _appeal(s, master).id
            assert _appeal(s, master).status == "dispatched" and _appeal(s, master).master_id is None
            assert _actions_after_dispatch(s, merged) == ["merged"]
            assert _actions_after_dispatch(s, master) == ["merge_received"]


def test_a_citizen_s_rating_sent_twice_at_once_on_the_portal(engine, real_app):
    """A double click on 提交评价 (or two devices): one rating, and a page in Chinese for the other."""
    with committed_appeal(engine, replied=True) as number:
        with Session(engine) as s:
            code = _appeal(s, number).query_code
        with barrier_before_writes(engine) as at_start:

            def rate() -> Any:
                client = real_app.test_client()  # the citizen's browser: it has found the appeal
                page = client.get("/portal/track").get_data(as_text=True)
                found = client.post(
                    "/portal/track", data={"csrf_token": _csrf(page), "number": number, "code": code}
                )
                assert found.status_code == 303, found.get_data(as_text=True)
                page = client.get(f"/portal/appeals/{number}").get_data(as_text=True)
                form = {"csrf_token": _csrf(page), "contacted": "true", "resolved": "yes"}
                at_start()
                return client.post(
                    f"/portal/appeals/{number}/rate", data={**form, "attitude": "满意", "result": "满意"}
                )

            one, other = _race(rate, rate)

        assert sorted([one.status_code, other.status_code]) == [303, 409]
        refused = one if one.status_code == 409 else other
        assert refused.mimetype == "text/html"
        assert "您已评价过本次办理结果，不能重复评价。" in refused.get_data(as_text=True)
        with Session(engine) as s:
            appeal = _appeal(s, number)
            ratings = s.scalar(
                sa.select(sa.func.count()).select_from(Evaluation).where(Evaluation.appeal_id == appeal.id)
            )
            assert ratings == 1
            assert _actions_after_dispatch(s, number).count("evaluated") == 1


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _due(engine: sa.Engine, number: str, kind: str) -> list[Any]:
    with Session(engine) as s:
        return list(
            s.scalars(
                sa.select(AppealAlarm.due_at).where(
                    AppealAlarm.appeal_id == _appeal(s, number).id, AppealAlarm.kind == kind
                )
            )
        )


def _sign(username: str) -> Callable[[Session, Appeal], Any]:
    return lambda s, appeal: unit_actions.sign_for(s, appeal, _user(s, username))


def _reply(s: Session, appeal: Appeal) -> Any:
    return unit_actions.submit_reply(
        s, appeal, _user(s, LEAD), result="resolved", citizen_text=CITIZEN_TEXT, contacted_citizen=True
    )


def _act_while_sweeping(
    engine: sa.Engine, number: str, act: Callable[[Session, Appeal], Any], kind: str, late: Any
) -> list[Any]:
    """A unit acts on the appeal (`act`: signs for it, replies) while the sweep of `kind` runs at
    `late`: "done" and the sweep's number fired, or the exception each raised.

    On PostgreSQL the unit holds the appeal and is about to change its alarms (the replanning)
    just when the sweep has locked the due alarms.
    """
    postgres = engine.dialect.name == "postgresql"
    actor_holds_the_appeal, sweep_holds_the_alarms = threading.Event(), threading.Event()
    acted_already = threading.Event()
    actor: list[int] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() in actor and statement.startswith("UPDATE appeal_alarms"):
            actor_holds_the_appeal.set()
            sweep_holds_the_alarms.wait(timeout=10)

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if (
            threading.get_ident() not in actor
            and "FROM appeal_alarms" in statement
            and "FOR UPDATE" in statement
        ):
            sweep_holds_the_alarms.set()

    def run_act() -> str:
        actor.append(threading.get_ident())
        with Session(engine) as s:
            act(s, _appeal(s, number))
            s.commit()
        acted_already.set()
        return "done"

    def run_sweep() -> int:
        # SQLite runs one writer at a time, so there the two cannot interleave: the sweep comes
        # second, as on PostgreSQL, rather than whenever the threads happen to be scheduled.
        (actor_holds_the_appeal if postgres else acted_already).wait(timeout=10)
        with Session(engine) as s:
            result = sweep(s, kind, now=late)
            s.commit()
        return len(result.fired)

    if postgres:
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
    try:
        return _race(run_act, run_sweep)
    finally:
        if postgres:
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)


def test_a_unit_signing_an_urgent_appeal_while_the_escalation_sweep_runs(engine):
    """The sweep raising overdue urgent appeals a level, and a unit signing one of them at that moment.

    On PostgreSQL the signing holds the appeal and is about to cancel its alarms (the replanning)
    when the sweep has locked the due alarms: neither may wait for the other (a deadlock, one of the
    two failing). The sweep leaves that appeal to its next run, which finds it signed.
    """
    with committed_appeal(engine, urgency="特急") as number:
        ladder = _due(engine, number, esc.ESCALATE)
        assert ladder
        late = max(ladder) + timedelta(minutes=1)
        signed, fired = _act_while_sweeping(engine, number, _sign(LEAD), esc.ESCALATE, late)

        assert signed == "done", signed
        assert not isinstance(fired, Exception), fired
        with Session(engine) as s:
            appeal = _appeal(s, number)
            assert appeal.status == "handling" and appeal.supervision_level == 0
            assert "escalated" not in _actions_after_dispatch(s, number)
            # The next sweep finds it signed: nothing left to raise.
            assert sweep(s, esc.ESCALATE, now=late + timedelta(minutes=5)).fired == []
            s.rollback()


@pytest.mark.parametrize(
    ("act", "kind", "signed_before", "done"),
    [
        pytest.param(_sign(LEAD), esc.SIGN_OVERDUE, "co", ["co_signed", "signed"], id="lead-signs"),
        pytest.param(_sign(CO), esc.CO_SIGN_OVERDUE, "lead", ["signed", "co_signed"], id="co-unit-signs"),
        pytest.param(_reply, esc.REPLY_OVERDUE, "lead", ["signed", "replied"], id="lead-replies"),
    ],
)
def test_a_unit_acting_while_its_reminder_is_swept(engine, act, kind, signed_before, done):
    """A unit signs for the appeal (or its part), or replies, just as the sweep of that overdue
    deadline reaches it (the other unit signed before: its reminder, swept with this one, is not due).

    On PostgreSQL the unit holds the appeal and is about to cancel the alarm when the sweep has
    locked it: the sweep must not then wait for the appeal to record its reminder (a deadlock, one
    of the two failing). It leaves the appeal to its next run, which finds it signed or replied.
    """
    lead, co = signed_before == "lead", signed_before == "co"
    with committed_appeal(engine, signed=lead, co_signed=co) as number:
        (due,) = _due(engine, number, kind)
        late = due + timedelta(minutes=1)
        acted, fired = _act_while_sweeping(engine, number, act, kind, late)

        assert acted == "done", acted
        assert not isinstance(fired, Exception), fired
        with Session(engine) as s:
            assert _actions_after_dispatch(s, number) == done  # no reminder among them
            assert sweep(s, kind, now=late + timedelta(minutes=5)).fired == []
            s.rollback()


def test_an_appeal_held_by_a_unit_is_reminded_by_the_next_sweep(engine):
    """A sweep meeting an appeal someone holds (a unit's page saving something that keeps it
    overdue) leaves its alarm due; the next sweep, once the appeal is free, sends the reminder."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time, the sweep never meets a held appeal")
    with committed_appeal(engine) as number:
        (due,) = _due(engine, number, esc.SIGN_OVERDUE)
        late = due + timedelta(minutes=1)
        with Session(engine) as holder:
            holder.scalar(sa.select(Appeal.id).where(Appeal.number == number).with_for_update())
            with Session(engine) as s:
                s.execute(sa.text("SET LOCAL lock_timeout = '5s'"))  # waiting for the holder: fail, not hang
                assert sweep(s, esc.SIGN_OVERDUE, now=late).fired == []
                s.commit()
            holder.rollback()
        with Session(engine) as s:
            appeal_id = _appeal(s, number).id
            # The lead's reminder and the co-unit's, due together, both waited.
            fired = sweep(s, esc.SIGN_OVERDUE, now=late + timedelta(minutes=5)).fired
            assert fired == [appeal_id, appeal_id]
            s.commit()
            assert sorted(_actions_after_dispatch(s, number)) == [esc.CO_SIGN_OVERDUE, esc.SIGN_OVERDUE]


def test_the_same_idempotency_key_sent_twice_at_once_makes_one_appeal(engine, real_app):
    """Two requests in flight with one key (a client retrying before its first answer came): the second
    waits for the first and answers with its appeal (README "Retries")."""
    with committed_tokens(engine, "operator") as [token]:
        start = threading.Barrier(2, timeout=20)

        def post() -> Any:
            start.wait()
            return real_app.test_client().post(
                "/api/v1/appeals",
                json=appeal_payload(**garbage_in_meilin()),
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-key-1"},
            )

        one, other = _race(post, post)
        numbers = {r.json.get("number") for r in (one, other) if r.status_code == 201}
        try:
            assert (one.status_code, other.status_code) == (201, 201), (one.json, other.json)
            assert len(numbers) == 1
            assert sorted(r.headers.get("Idempotent-Replayed", "") for r in (one, other)) == ["", "true"]
        finally:
            with Session(engine) as s:
                made = s.scalars(sa.select(Appeal.id).where(Appeal.number.in_(numbers))).all()
            for appeal_id in made:
                _purge(engine, appeal_id)
