"""The security audit log (安全审计): log-ins and their refusals, log-outs, idle sessions ended,
account and token changes; who, when, from where, whether it succeeded. Read by administrators."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.auth.models import ApiToken
from service.auth.operations import create_token, find_user, revoke_token, set_active
from service.auth.security import SEEN
from tests.service.factories import assert_envelope, client_at, stored

URL = "/api/v1/admin/security-events"
PASSWORD = "demo1234"


def log_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def recorded(as_user, **filters):
    r = as_user("admin").get(URL, query_string={"per_page": 200, **filters})
    assert r.status_code == 200, r.json
    return r.json["items"]


def test_a_refused_log_in_is_recorded_although_the_request_is_refused(client, as_user):
    assert log_in(client, "cgj", "wrong-password").status_code == 401
    assert log_in(client, "no-such-person", "x").status_code == 401

    events = recorded(as_user, kind="login", outcome="refused")

    by_account = {e["account"]: e for e in events}
    assert by_account["cgj"]["detail"] == {"reason": "wrong_password"}
    assert by_account["n***"]["detail"] == {"reason": "unknown_user"}
    assert by_account["cgj"]["ip"] == "127.0.0.1" and by_account["cgj"]["actor"] == ""


def test_a_password_typed_as_the_username_is_not_kept_in_the_log(client, as_user):
    # the password typed one field too early, then the right log-in
    for _ in range(5):
        assert log_in(client, "Gx-Hotline-2026!", "x").status_code == 401
    assert log_in(client, "Gx-Hotline-2026!", "x").status_code == 429
    assert log_in(client, "operator").status_code == 200

    r = as_user("admin").get(URL, query_string={"per_page": 200})

    assert "Hotline-2026" not in r.get_data(as_text=True)
    refused = [e for e in r.json["items"] if e["outcome"] == "refused"]
    assert {(e["account"], e["detail"]["reason"]) for e in refused} >= {
        ("G***", "unknown_user"),
        ("G***", "locked"),
    }


def test_a_refusal_names_the_account_as_it_is_spelled(client, as_user):
    assert log_in(client, "CGJ", "wrong-password").status_code == 401

    [event] = recorded(as_user, kind="login", outcome="refused")

    assert event["account"] == "cgj"


def test_a_log_in_and_a_log_out_are_recorded_with_the_user(client, as_user):
    assert log_in(client, "RSJ").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204

    events = recorded(as_user, account="rsj")

    assert [(e["kind"], e["outcome"], e["actor"]) for e in events][:2] == [
        ("logout", "ok", "rsj"),
        ("login", "ok", "rsj"),
    ]


def test_the_lock_is_recorded_when_it_happens_and_each_refusal_after(app, as_user):
    guesser = client_at(app, "10.50.0.66")
    for n in range(5):
        log_in(guesser, "meilin", f"wrong-{n}")
    assert log_in(guesser, "meilin").status_code == 429

    events = recorded(as_user, account="meilin", kind="login")

    assert events[0]["detail"] == {"reason": "locked", "lock": "client"}
    assert events[1]["detail"] == {"reason": "wrong_password", "locked_now": "client"}
    assert len(events) == 6 and {e["outcome"] for e in events} == {"refused"}
    assert {e["ip"] for e in events} == {"10.50.0.66"}  # the client locked out, with the username


def test_the_account_wide_lock_is_recorded_with_the_client_that_reached_it(app, as_user):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    for address in ("10.50.1.1", "10.50.1.2", "10.50.1.3"):
        log_in(client_at(app, address), "meilin", "wrong")
    assert log_in(client_at(app, "10.50.1.9"), "meilin").status_code == 429

    events = recorded(as_user, account="meilin", kind="login")

    assert [(e["ip"], e["detail"]) for e in events[:2]] == [
        ("10.50.1.9", {"reason": "locked", "lock": "account"}),
        ("10.50.1.3", {"reason": "wrong_password", "locked_now": "account"}),
    ]


def test_an_idle_session_ended_is_recorded(client, as_user):
    assert log_in(client, "leader").status_code == 200
    with client.session_transaction() as session:
        session[SEEN] -= 31 * 60
    assert client.get("/api/v1/auth/me").status_code == 401

    [event] = recorded(as_user, kind="session_expired")

    assert (event["account"], event["actor"]) == ("leader", "leader")


def test_account_and_token_changes_name_who_made_them(app, as_user):
    with app.test_request_context(), stored(app) as s:
        admin, operator = find_user(s, "admin"), find_user(s, "operator")
        set_active(s, operator, False, actor=admin)
        set_active(s, operator, True, actor=admin)
        create_token(s, operator, "微信对接", actor=admin)
        token = s.scalar(sa.select(ApiToken).where(ApiToken.label == "微信对接"))
        revoke_token(s, token, actor=admin)
        s.commit()

    events = recorded(as_user, account="operator", actor="Admin")

    assert [e["kind"] for e in events] == [
        "token_revoked",
        "token_created",
        "user_reactivated",
        "user_deactivated",
    ]
    assert events[0]["detail"] == {"token": token.id, "label": "微信对接"}


def test_the_command_line_is_named_as_the_actor(app, as_user):
    with stored(app) as s:  # no request: as `minyi tokens create` runs
        create_token(s, find_user(s, "rsj"), "人社系统对接")
        s.commit()

    [event] = recorded(as_user, account="rsj", kind="token_created")

    assert event["actor"].startswith("command line")


@pytest.mark.parametrize("username", ["operator", "dispatcher", "reviewer", "leader", "cgj"])
def test_only_administrators_read_the_log(as_user, username):
    assert_envelope(as_user(username).get(URL), 403, "forbidden")


@pytest.mark.parametrize(
    ("args", "field"),
    [({"kind": "hack"}, "kind"), ({"outcome": "maybe"}, "outcome"), ({"since": "2026-02-30"}, "since")],
)
def test_a_bad_filter_is_422_naming_it(as_user, args, field):
    r = as_user("admin").get(URL, query_string=args)

    assert field in assert_envelope(r, 422, "validation_error")["errors"]
