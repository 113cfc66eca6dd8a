"""`minyi users ...`: what an operator with a shell does when nobody can do it on the admin page
(the last administrator forgot their password or is locked out), and the same account changes the
page makes, recorded in the security audit log with the command line as the actor."""

from __future__ import annotations

import pytest

from tests.service.factories import client_at

PASSWORD = "demo1234"
NEW_PASSWORD = "Gx-12345-热线"


@pytest.fixture
def cli(command_line):
    return lambda *args: command_line("users", *args)


def log_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def audit(as_user, **filters):
    r = as_user("admin").get("/api/v1/admin/security-events", query_string={"per_page": 50, **filters})
    assert r.status_code == 200, r.json
    return r.json["items"]


def test_a_locked_out_administrator_gets_in_again_with_a_password_reset(app, cli, as_user):
    desk = client_at(app, "10.60.0.7")
    for n in range(5):
        log_in(desk, "admin", f"wrong-{n}")
    assert log_in(desk, "admin").status_code == 429  # locked: the right password no longer helps

    r = cli("password", "admin", "--password", NEW_PASSWORD)

    assert r.exit_code == 0, r.output
    assert "password of admin reset" in r.output
    assert log_in(desk, "admin", NEW_PASSWORD).status_code == 200  # the lock went with the old password
    assert log_in(client_at(app, "10.60.0.8"), "admin").status_code == 401
    [event] = audit(as_user, account="admin", kind="password_reset")
    assert event["actor"].startswith("command line")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "At least 8 characters."),
        ("12345678", "Too easy to guess"),
        ("operator", "Too easy to guess"),
    ],
)
def test_a_weak_password_is_refused_and_the_old_one_still_works(app, cli, password, why):
    r = cli("password", "operator", "--password", password)

    assert r.exit_code != 0 and why in r.output
    assert log_in(client_at(app, "10.60.1.1"), "operator").status_code == 200


def test_creating_an_account_holds_its_password_to_the_same_rules(cli):
    r = cli("create", "zhangsan", "--role", "operator", "--password", "password")

    assert r.exit_code != 0 and "Too easy to guess" in r.output
    assert "zhangsan" not in cli("list").output


def test_unlock_lifts_one_clients_lock_and_says_when_there_is_none(app, cli, as_user):
    guesser = client_at(app, "10.60.2.9")
    for n in range(5):
        log_in(guesser, "meilin", f"wrong-{n}")
    assert log_in(guesser, "meilin").status_code == 429
    assert "LOCKED" in next(line for line in cli("list").output.splitlines() if line.startswith("meilin\t"))

    r = cli("unlock", "meilin", "--client", "10.60.2.9")

    assert r.exit_code == 0, r.output
    assert "lifted 1 log-in lock(s) of meilin" in r.output
    assert log_in(guesser, "meilin").status_code == 200
    assert "meilin has no log-in lock" in cli("unlock", "meilin").output
    [event] = audit(as_user, account="meilin", kind="login_unlocked")
    assert event["detail"] == {"clients": ["10.60.2.9"]} and event["actor"].startswith("command line")


def test_the_list_shows_each_account_with_its_role_unit_and_state(cli):
    r = cli("list", "--unit", "GXQ-CGJ")

    assert r.exit_code == 0, r.output
    [line] = r.output.splitlines()
    assert line.split("\t")[:4] == ["cgj", "unit_staff", "GXQ-CGJ", "active"]


def test_deactivating_ends_log_in_and_activating_brings_it_back(app, cli, as_user):
    desk = client_at(app, "10.60.3.3")

    assert cli("deactivate", "rsj").output.strip() == "rsj deactivated"
    assert log_in(desk, "rsj").status_code == 401
    assert cli("deactivate", "rsj").output.strip() == "rsj was already deactivated"
    assert "DEACTIVATED" in next(line for line in cli("list").output.splitlines() if line.startswith("rsj\t"))
    assert cli("activate", "rsj").output.strip() == "rsj active"
    assert log_in(desk, "rsj").status_code == 200
    changes = [
        e for e in audit(as_user, account="rsj") if e["kind"] in ("user_deactivated", "user_reactivated")
    ]
    assert [e["kind"] for e in changes] == ["user_reactivated", "user_deactivated"]
    assert all(e["actor"].startswith("command line") for e in changes)


def test_an_unknown_username_is_named(cli):
    for args in (
        ("password", "nobody", "--password", NEW_PASSWORD),
        ("unlock", "nobody"),
        ("activate", "nobody"),
    ):
        r = cli(*args)
        assert r.exit_code != 0 and "No user 'nobody'" in r.output, args


def test_a_token_for_a_deactivated_account_is_refused_with_what_to_do(command_line, cli):
    cli("deactivate", "rsj")

    r = command_line("tokens", "create", "rsj")

    assert r.exit_code != 0 and "minyi_" not in r.output
    assert "rsj is deactivated" in r.output and "minyi users activate rsj" in r.output
    assert "rsj" not in command_line("tokens", "list").output  # none was made


def test_a_token_made_on_the_command_line_says_what_it_is_for(app, command_line):
    named = command_line("tokens", "create", "rsj", "--purpose", "人社系统对接")
    command_line("tokens", "create", "cgj")

    assert named.exit_code == 0 and named.output.startswith("minyi_"), named.output
    listed = command_line("tokens", "list").output
    assert "rsj\t人社系统对接\t" in listed and "cgj\t命令行创建\t" in listed
    token = named.output.strip()
    assert (
        client_at(app, "10.60.3.1")
        .get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        .json["username"]
        == "rsj"
    )
