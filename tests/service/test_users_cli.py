"""`minyi users ...`: what an operator with a shell does when nobody can do it on the admin page
(the last administrator forgot their password or is locked out), and the same account changes the
page makes, recorded in the security audit log with the command line as the actor."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest

from tests.service.factories import CENTRE_AS_TYPED, CGJ_AS_TYPED, client_at

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


def listed(cli, username):
    """The line of `minyi users list` for `username`, split into its fields (None: not listed)."""
    for line in cli("list").output.splitlines():
        if line.startswith(f"{username}\t"):
            return line.split("\t")
    return None


@contextmanager
def logging_as_a_command_has_it():
    """No handler on the root logger, as in a `minyi` command: a warning logged goes to the terminal
    through logging's last resort (pytest's capturing handlers are set aside meanwhile)."""
    root = logging.getLogger()
    handlers = root.handlers[:]
    root.handlers = []
    try:
        yield
    finally:
        root.handlers = handlers


def redis_at(app, url):
    """The service's Redis at `url` from now on (None: no REDIS_URL and no `minyi run` running)."""
    app.config["REDIS_URL"] = url
    app.extensions.pop("minyi.redis", None)  # the connection made for the previous URL


#: Redis refusing connections, and none configured at all.
REDIS_DOWN = pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0", None], ids=["unreachable", "not configured"]
)


@REDIS_DOWN
def test_the_list_says_once_that_the_locks_cannot_be_shown_without_redis(app, cli, url):
    redis_at(app, url)

    with logging_as_a_command_has_it():
        r = cli("list")

    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        "log-in locks not shown: the service's Redis cannot be reached "
        "(REDIS_URL, or the embedded Redis of a running `minyi run`)"
    ]
    assert "cgj\tunit_staff\tGXQ-CGJ\tactive" in r.stdout  # the accounts all the same


@REDIS_DOWN
def test_a_password_reset_without_redis_says_once_that_the_locks_stay(app, cli, as_user, url):
    """The password is changed (exit status 0), but not "its log-in locks are lifted": they are
    still there once Redis is back, until `minyi users unlock` lifts them."""
    suites = app.config["REDIS_URL"]
    desk = client_at(app, "10.60.4.4")
    for n in range(5):
        log_in(desk, "admin", f"wrong-{n}")
    assert log_in(desk, "admin").status_code == 429
    redis_at(app, url)

    with logging_as_a_command_has_it():
        r = cli("password", "admin", "--password", NEW_PASSWORD)

    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["password of admin reset: its other sessions end"]
    assert r.stderr.splitlines() == [
        "its log-in locks are not lifted: the service's Redis cannot be reached "
        "(REDIS_URL, or the embedded Redis of a running `minyi run`); "
        "lift them once it can be: minyi users unlock admin"
    ]
    [event] = audit(as_user, account="admin", kind="password_reset")
    assert event["actor"].startswith("command line")
    redis_at(app, suites)
    assert log_in(desk, "admin", NEW_PASSWORD).status_code == 429  # still locked, as it was told
    assert cli("unlock", "admin").output.strip() == "lifted 1 log-in lock(s) of admin"
    assert log_in(desk, "admin", NEW_PASSWORD).status_code == 200  # the new password, stored


@REDIS_DOWN
def test_unlock_without_redis_says_once_that_nothing_was_lifted(app, cli, as_user, url):
    redis_at(app, url)

    with logging_as_a_command_has_it():
        r = cli("unlock", "meilin")

    assert r.exit_code == 1 and r.exception.__class__ is SystemExit  # no traceback
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "Error: the log-in locks of meilin are not lifted: the service's Redis cannot be reached "
        "(REDIS_URL, or the embedded Redis of a running `minyi run`)"
    ]
    assert audit(as_user, account="meilin", kind="login_unlocked") == []


@pytest.mark.parametrize("typed", CGJ_AS_TYPED)
def test_a_unit_is_found_whatever_the_case_or_width_it_is_typed_in(cli, typed):
    r = cli("create", "xiaoli", "--role", "unit_staff", "--unit", typed, "--password", NEW_PASSWORD)

    assert r.exit_code == 0, r.output
    assert r.output.strip() == "created xiaoli (unit_staff, GXQ-CGJ)"
    assert listed(cli, "xiaoli")[:3] == ["xiaoli", "unit_staff", "GXQ-CGJ"]  # the code as the list writes it


def test_the_list_of_one_units_staff_takes_the_unit_as_typed(cli):
    r = cli("list", "--unit", "ｇｘｑ－ｃｇｊ ")

    assert r.exit_code == 0, r.output
    assert [line.split("\t")[0] for line in r.output.splitlines()] == ["cgj"]


@pytest.mark.parametrize("typed", CENTRE_AS_TYPED)
def test_the_centre_is_found_by_its_name_with_its_full_width_brackets(cli, typed):
    r = cli("create", "zhiban", "--role", "unit_staff", "--unit", typed, "--password", NEW_PASSWORD)

    assert r.exit_code == 0, r.output
    assert r.output.strip() == "created zhiban (unit_staff, GXQ-12345)"
    assert [line.split("\t")[0] for line in cli("list", "--unit", typed).output.splitlines()] == ["zhiban"]


def test_the_list_names_an_unknown_role_or_unit_instead_of_listing_nobody(cli):
    r = cli("list", "--role", "boss", "--unit", "nope")

    assert r.exit_code != 0
    assert "--role: Unknown role 'boss'; one of operator, dispatcher" in r.output
    assert "--unit: Unknown unit 'nope': no unit has this code or name." in r.output


def test_every_problem_of_a_new_account_is_reported_at_once_and_nothing_is_stored(cli):
    r = cli("create", "zhangsan", "--role", "boss", "--unit", "nope", "--password", "short1")

    assert r.exit_code == 1
    assert "nothing stored" in r.output
    assert (
        "--role: Unknown role 'boss'; one of operator, dispatcher, reviewer, unit_staff, leader, admin."
        in r.output
    )
    assert "--unit: Unknown unit 'nope': no unit has this code or name." in r.output
    assert "--password: At least 8 characters." in r.output
    assert listed(cli, "zhangsan") is None


def test_a_username_taken_is_reported_with_the_other_problems(cli):
    r = cli("create", "Operator", "--role", "unit_staff", "--password", "12345678")

    assert r.exit_code == 1
    assert "USERNAME: 'Operator' would differ from the existing 'operator' only in case." in r.output
    assert "--unit: Unit staff must be bound to a unit (--unit CODE)." in r.output
    assert "--password: Too easy to guess" in r.output
    assert listed(cli, "Operator") is None


def test_a_unit_is_refused_for_a_role_that_takes_none_with_the_bad_username(cli):
    r = cli("create", "li si", "--role", "Dispatcher", "--unit", "gxq-cgj", "--password", NEW_PASSWORD)

    assert r.exit_code == 1
    assert "USERNAME: 'li si': 2 to 32 characters" in r.output
    assert "--unit: Only unit staff are bound to a unit." in r.output
    assert "--role" not in r.output  # the role in any case is the role: Dispatcher is dispatcher


def test_an_account_made_without_a_password_says_how_it_can_be_used(cli):
    r = cli("create", "wechat", "--role", "operator")

    assert r.exit_code == 0, r.output
    assert "wechat has no password" in r.output and "minyi users password wechat" in r.output
    assert listed(cli, "wechat")[:2] == ["wechat", "operator"]


def test_a_password_reset_for_nobody_names_both_problems(cli):
    r = cli("password", "nobody", "--password", "short1")

    assert r.exit_code == 1
    assert "USERNAME: No user 'nobody'." in r.output and "--password: At least 8 characters." in r.output


def test_revoking_a_token_number_past_any_id_says_there_is_no_such_token(command_line):
    r = command_line("tokens", "revoke", "99999999999999999999999")

    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "No token 99999999999999999999999" in r.output


def test_a_missing_role_is_reported_with_the_other_problems(cli):
    r = cli("create", "wangwu", "--unit", "nope", "--password", "short1")

    assert r.exit_code == 1
    assert "--role: Missing: one of operator, dispatcher, reviewer, unit_staff, leader, admin." in r.output
    assert "--unit: Unknown unit 'nope'" in r.output and "--password: At least 8 characters." in r.output
