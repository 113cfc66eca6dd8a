"""Log-in failure handling and the idle session timeout (等保2.0 8.1.4.1 b: 限制非法登录次数,
登录连接超时自动退出), on the API; the pages' side is in tests/web/test_login.py."""

from __future__ import annotations

import time

import pytest

from service.auth import lockout
from service.auth.security import SEEN
from tests.service.factories import assert_envelope, client_at

PASSWORD = "demo1234"
LOGIN = "/api/v1/auth/login"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def log_in(client, username: str, password: str):
    return client.post(LOGIN, json={"username": username, "password": password})


def fail(client, username: str, times: int) -> None:
    for n in range(times):
        assert log_in(client, username, f"wrong-{n}").status_code == 401


def lift_lock(app, username: str) -> None:
    """The lock's time passes (its keys expire in Redis): every client's, and the account's."""
    from service.redis_conn import get_redis

    with app.test_request_context():
        conn = get_redis()
        for key in conn.scan_iter(match=lockout._glob(lockout._account_key(username)) + "*"):
            conn.pexpire(key, 1)
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


def test_a_client_that_guessed_is_locked_out_but_the_owner_at_their_own_desk_is_not(app):
    # Someone who knows the operator's username (it is on the reply letters) tries five passwords.
    guesser, owner = client_at(app, "10.20.0.66"), client_at(app, "10.20.0.7")
    fail(guesser, "operator", 5)

    assert log_in(guesser, "operator", PASSWORD).status_code == 429  # the right one too, from there
    r = log_in(owner, "operator", PASSWORD)

    assert r.status_code == 200 and r.json["username"] == "operator"
    assert log_in(guesser, "dispatcher", PASSWORD).status_code == 200  # and only that username


def test_many_clients_together_reach_the_ceiling_and_the_username_locks_for_everyone(app):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 8
    for _ in range(4):  # four addresses, two guesses each: none reaches its own five
        fail(client_at(app), "operator", 2)

    r = log_in(client_at(app, "10.20.0.7"), "operator", PASSWORD)  # the owner, who guessed nothing

    body = assert_envelope(r, 429, "account_locked")
    assert "locked for 15 more minute(s)" in body["message"]
    assert 14 * 60 < int(r.headers["Retry-After"]) <= 15 * 60
    assert log_in(client_at(app), "dispatcher", PASSWORD).status_code == 200  # other accounts: no


def test_a_client_locked_out_that_keeps_trying_cannot_lock_the_username_for_everyone(app):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 8
    guesser = client_at(app)
    fail(guesser, "operator", 5)
    for _ in range(10):
        assert log_in(guesser, "operator", "still-guessing").status_code == 429

    assert log_in(client_at(app), "operator", PASSWORD).status_code == 200


def test_successful_log_ins_do_not_count_towards_the_ceiling(app):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    owner = client_at(app)
    fail(client_at(app), "operator", 2)
    for _ in range(3):
        assert log_in(owner, "operator", PASSWORD).status_code == 200

    assert log_in(owner, "operator", PASSWORD).status_code == 200  # 2 failures counted, not 5
    fail(client_at(app), "operator", 1)  # the third failure, from anywhere, locks it
    assert log_in(owner, "operator", PASSWORD).status_code == 429


def test_guesses_from_many_clients_at_once_get_no_more_tries_than_the_ceiling(app, monkeypatch):
    # The ceiling holds like the per-client maximum: 3 per username, guesses from 5 addresses
    # arriving while the first one's password is checked.
    from service.auth import operations
    from tests.service.factories import stored

    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    checked, outcomes = [], []
    real_verify = operations.verify_password

    def slow_verify(user, password):
        checked.append(password)
        if password == "guess-0":
            for n in range(1, 5):
                with app.test_request_context(environ_base={"REMOTE_ADDR": f"10.30.0.{n}"}):
                    try:
                        outcomes.append(operations.authenticate(s, "operator", f"guess-{n}"))
                    except lockout.AccountLocked as locked:
                        outcomes.append(locked.scope)
        return real_verify(user, password)

    monkeypatch.setattr(operations, "verify_password", slow_verify)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.30.0.0"}), stored(app) as s:
        first = operations.authenticate(s, "operator", "guess-0")

    assert first is None and outcomes == [None, None, lockout.ACCOUNT, lockout.ACCOUNT]
    assert len(checked) == 3


def test_when_redis_is_unreachable_people_still_log_in_and_the_log_says_so(app, caplog):
    import redis

    app.extensions["minyi.redis"] = redis.Redis.from_url(CLOSED_PORT_REDIS, socket_connect_timeout=1)
    client = client_at(app)
    for n in range(7):
        assert log_in(client, "operator", f"wrong-{n}").status_code == 401  # no count, no lock

    assert log_in(client, "operator", PASSWORD).status_code == 200
    assert "log-in attempt not counted (Redis:" in caplog.text


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


@pytest.mark.parametrize("value, expected", [(None, 50), ("12", 12), ("0", 0)])
def test_the_ceiling_per_account_is_set_from_the_environment(monkeypatch, tmp_path, value, expected):
    from service.config import from_environment

    monkeypatch.setenv("MINYI_VAR_DIR", str(tmp_path))
    if value is None:
        monkeypatch.delenv("MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT", raising=False)
    else:
        monkeypatch.setenv("MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT", value)

    assert from_environment()["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == expected


def test_a_ceiling_that_is_not_a_whole_number_is_refused_by_name(monkeypatch, tmp_path):
    from service.config import from_environment

    monkeypatch.setenv("MINYI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT", "-5")

    with pytest.raises(ValueError, match="MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT must be a whole number"):
        from_environment()


def test_with_the_ceiling_off_many_clients_lock_only_themselves(app):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 0
    for _ in range(3):
        fail(client_at(app), "operator", 5)

    assert log_in(client_at(app), "operator", PASSWORD).status_code == 200
