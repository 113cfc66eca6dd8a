"""Log-in failure handling and the idle session timeout (等保2.0 8.1.4.1 b: 限制非法登录次数,
登录连接超时自动退出), on the API; the pages' side is in tests/web/test_login.py."""

from __future__ import annotations

import time

import pytest

from service.auth import lockout
from service.auth.security import SEEN
from tests.service.factories import assert_envelope

PASSWORD = "demo1234"
LOGIN = "/api/v1/auth/login"


def log_in(client, username: str, password: str):
    return client.post(LOGIN, json={"username": username, "password": password})


def fail(client, username: str, times: int) -> None:
    for n in range(times):
        assert log_in(client, username, f"wrong-{n}").status_code == 401


def lift_lock(app, username: str) -> None:
    """The lock's time passes (its key expires in Redis)."""
    from service.redis_conn import get_redis

    with app.test_request_context():
        get_redis().pexpire(lockout._key(username), 1)
    time.sleep(0.05)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client):
    fail(client, "operator", 5)

    r = log_in(client, "operator", PASSWORD)

    body = assert_envelope(r, 429, "account_locked")
    assert "locked for 15 more minute(s)" in body["message"]
    assert 14 * 60 < int(r.headers["Retry-After"]) <= 15 * 60
    assert_envelope(client.get("/api/v1/auth/me"), 401, "unauthorized")  # no session was opened


def test_guesses_sent_at_once_get_no_more_tries_than_the_maximum(app, monkeypatch):
    # Six guesses arrive together: while the first one's password is being checked, the other five
    # come in. However they interleave, at most five passwords are tried; the sixth is refused.
    from service.auth import operations
    from tests.service.factories import stored

    checked, outcomes = [], []
    real_verify = operations.verify_password

    def slow_verify(user, password):
        checked.append(password)
        if password == "guess-0":  # the others arrive meanwhile
            for n in range(1, 6):
                try:
                    outcomes.append(operations.authenticate(s, "operator", f"guess-{n}"))
                except lockout.AccountLocked:
                    outcomes.append("locked")
        return real_verify(user, password)

    monkeypatch.setattr(operations, "verify_password", slow_verify)
    with app.test_request_context(), stored(app) as s:
        first = operations.authenticate(s, "operator", "guess-0")

    assert first is None and outcomes == [None, None, None, None, "locked"]
    assert len(checked) == 5


def test_the_lock_lifts_by_itself(app, client):
    fail(client, "operator", 5)
    lift_lock(app, "operator")

    r = log_in(client, "operator", PASSWORD)

    assert r.status_code == 200 and r.json["username"] == "operator"


def test_a_successful_log_in_clears_the_count(client):
    fail(client, "operator", 4)
    assert log_in(client, "operator", PASSWORD).status_code == 200
    fail(client, "operator", 4)

    assert log_in(client, "operator", PASSWORD).status_code == 200


def test_the_count_is_per_username_in_any_case_and_other_accounts_are_untouched(client):
    fail(client, "Dispatcher", 3)
    fail(client, "DISPATCHER", 2)

    assert log_in(client, "dispatcher", PASSWORD).status_code == 429
    assert log_in(client, "reviewer", PASSWORD).status_code == 200


def test_an_unknown_username_is_locked_alike_so_the_lock_tells_no_usernames(client):
    fail(client, "operator", 5)
    fail(client, "nobody-here", 5)

    known, unknown = log_in(client, "operator", PASSWORD), log_in(client, "nobody-here", PASSWORD)

    assert known.status_code == unknown.status_code == 429
    assert known.json["message"] == unknown.json["message"]


@pytest.mark.parametrize("setting", ["LOGIN_MAX_FAILURES", "LOGIN_LOCK_MINUTES"])
def test_either_setting_at_zero_turns_the_lock_off(app, client, setting):
    app.config[setting] = 0
    fail(client, "operator", 8)

    assert log_in(client, "operator", PASSWORD).status_code == 200


def test_a_session_idle_longer_than_the_timeout_ends(app, client):
    assert log_in(client, "operator", PASSWORD).status_code == 200
    with client.session_transaction() as session:
        session[SEEN] -= 31 * 60

    r = client.get("/api/v1/auth/me")

    body = assert_envelope(r, 401, "unauthorized")
    assert "30 minutes without activity" in body["message"]
    assert_envelope(client.get("/api/v1/auth/me"), 401, "unauthorized")  # ended, not only refused once


@pytest.mark.parametrize("idle_minutes", [29, 5])
def test_a_session_in_use_stays_open_and_its_clock_restarts(client, idle_minutes):
    assert log_in(client, "operator", PASSWORD).status_code == 200
    with client.session_transaction() as session:
        session[SEEN] -= idle_minutes * 60

    assert client.get("/api/v1/auth/me").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session[SEEN] < 60  # used just now: another 30 minutes from here
