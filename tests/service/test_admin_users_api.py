"""Accounts and API tokens over the API (/api/v1/admin/users, /api/v1/admin/tokens): what the
admin pages do, for an identity system that provisions staff accounts; administrators only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.auth.models import SecurityEvent
from tests.service.factories import (
    CENTRE_AS_TYPED,
    CGJ_AS_TYPED,
    assert_envelope,
    client_at,
    stored,
    unit_code,
)

USERS = "/api/v1/admin/users"
GOOD = "Lantern-7-river"


def log_in(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def audit(app, kind):
    with stored(app) as s:
        rows = s.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)
        )
        return [(e.actor_name, e.account, e.outcome, e.detail) for e in rows]


def create(admin, **fields):
    body = {"username": "zhangwei", "role": "operator", "display_name": "张伟", "password": GOOD, **fields}
    return admin.post(USERS, json=body)


@pytest.mark.parametrize("username", ["operator", "dispatcher", "leader", "cgj"])
def test_only_administrators_manage_accounts(as_user, username):
    api = as_user(username)

    for r in (
        api.get(USERS),
        api.post(USERS, json={"username": "x1", "role": "operator"}),
        api.patch(f"{USERS}/operator", json={"active": False}),
        api.put(f"{USERS}/operator/password", json={"password": GOOD}),
        api.post(f"{USERS}/operator/tokens", json={"label": "x"}),
        api.delete("/api/v1/admin/tokens/1"),
        api.delete(f"{USERS}/operator/locks"),
    ):
        assert_envelope(r, 403, "forbidden")


def test_the_list_shows_each_account_with_its_unit_and_filters(as_user):
    admin = as_user("admin")

    everyone = admin.get(USERS, query_string={"per_page": 200}).json
    cgj = admin.get(USERS, query_string={"unit": unit_code("区城管局")}).json["items"]
    staff = admin.get(USERS, query_string={"role": "unit_staff", "q": "RSJ"}).json["items"]

    assert everyone["total"] == len(everyone["items"]) >= 8
    assert [u["username"] for u in cgj] == ["cgj"]
    assert cgj[0]["unit_name"] == "区城管局" and cgj[0]["active"] and cgj[0]["has_password"]
    assert [u["username"] for u in staff] == ["rsj"]
    assert admin.get(USERS, query_string={"q": "_"}).json["total"] == 0  # not a wildcard
    assert "$argon2" not in str(everyone) and "password_hash" not in str(everyone)
    bad = assert_envelope(admin.get(USERS, query_string={"role": "boss"}), 422, "validation_error")
    assert "role" in bad["errors"]


def test_an_account_created_over_the_api_logs_in_and_is_in_the_audit_log(app, client, as_user):
    r = create(as_user("admin"))

    assert r.status_code == 201
    assert r.json | {"created_at": None} == {
        "username": "zhangwei",
        "display_name": "张伟",
        "role": "operator",
        "unit_code": None,
        "unit_name": None,
        "active": True,
        "has_password": True,
        "active_tokens": 0,
        "created_at": None,
        "last_login_at": None,
        "locks": [],
    }
    assert log_in(client, "ZhangWei", GOOD).json["username"] == "zhangwei"
    assert audit(app, "user_created")[-1] == ("admin", "zhangwei", "ok", {"role": "operator", "unit": None})


def test_a_token_only_account_for_an_integration(as_user):
    admin = as_user("admin")

    r = create(admin, username="wechat-bot", role="operator", password=None)

    assert r.status_code == 201 and r.json["has_password"] is False


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"password": "short"}, "password", "At least 8 characters."),
        ({"password": "12345678"}, "password", "Too easy to guess"),
        ({"password": "zhangwei"}, "password", "Too easy to guess"),
        ({"username": "-x"}, "username", "2 to 32 characters"),
        ({"role": "boss"}, "role", "Must be one of"),
        ({"role": "unit_staff"}, "unit", "Unit staff must be bound to a unit"),
        ({"unit": unit_code("区城管局")}, "unit", "Only unit staff"),
        ({"shoe_size": 42}, "shoe_size", "Unknown field."),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_created(as_user, fields, field, message):
    admin = as_user("admin")

    body = assert_envelope(create(admin, **fields), 422, "validation_error")

    assert message in " ".join(body["errors"][field])
    assert admin.get(USERS, query_string={"q": "zhangwei"}).json["total"] == 0


@pytest.mark.parametrize(
    "typed, code", [*((t, "GXQ-CGJ") for t in CGJ_AS_TYPED), *((t, "GXQ-12345") for t in CENTRE_AS_TYPED)]
)
def test_the_unit_is_taken_as_minyi_users_takes_it_and_stored_as_its_code(app, as_user, typed, code):
    """As `minyi users create --unit`: in any case or width, with a long dash, or the unit's name."""
    admin = as_user("admin")

    r = create(admin, role="unit_staff", unit=typed)
    staff = admin.get(USERS, query_string={"unit": typed, "role": "unit_staff"}).json["items"]

    assert r.status_code == 201, r.json
    assert r.json["unit_code"] == code and r.json["unit_name"]
    assert "zhangwei" in [u["username"] for u in staff]
    assert audit(app, "user_created")[-1][3] == {"role": "unit_staff", "unit": code}


@pytest.mark.parametrize(
    "typed, message, chinese",
    [
        (
            "GXQ-NOPE",
            "Unknown unit 'GXQ-NOPE': no unit has this code or name.",
            "没有代码或名称为“GXQ-NOPE”的单位。",
        ),
        (
            "区城管",
            "Unknown unit '区城管': no unit has this code or name.",
            "没有代码或名称为“区城管”的单位。",
        ),
    ],
)
def test_an_unknown_unit_is_named_with_why_and_nothing_is_created(as_user, typed, message, chinese):
    admin = as_user("admin")

    body = assert_envelope(create(admin, role="unit_staff", unit=typed), 422, "validation_error")
    zh = assert_envelope(
        admin.post(
            USERS,
            json={"username": "zhangwei", "role": "unit_staff", "unit": typed, "password": GOOD},
            headers={"Accept-Language": "zh"},
        ),
        422,
        "validation_error",
    )
    listed = assert_envelope(admin.get(USERS, query_string={"unit": typed}), 422, "validation_error")

    assert body["errors"] == {"unit": [message]}  # not also "Unit staff must be bound to a unit"
    assert zh["errors"] == {"unit": [chinese]}
    assert listed["errors"] == {"unit": [message]}
    assert admin.get(USERS, query_string={"q": "zhangwei"}).json["total"] == 0


def test_a_taken_username_in_any_case_is_a_conflict(as_user):
    body = assert_envelope(create(as_user("admin"), username="Operator"), 409, "conflict")

    assert "only in case" in body["errors"]["username"][0]


def test_deactivating_stops_log_in_and_renaming_is_recorded(app, client, as_user):
    admin = as_user("admin")

    r = admin.patch(f"{USERS}/CGJ", json={"active": False, "display_name": "城管局值班员"})

    assert r.status_code == 200 and r.json["active"] is False and r.json["display_name"] == "城管局值班员"
    assert log_in(client, "cgj", "demo1234").status_code == 401
    assert audit(app, "user_deactivated")[-1][:3] == ("admin", "cgj", "ok")
    assert audit(app, "user_renamed")[-1][3]["to"] == "城管局值班员"
    assert admin.patch(f"{USERS}/cgj", json={"active": True}).json["active"] is True
    assert log_in(client, "cgj", "demo1234").status_code == 200


def test_what_cannot_change_says_why(as_user):
    admin = as_user("admin")

    moved = assert_envelope(
        admin.patch(f"{USERS}/cgj", json={"unit": "X", "role": "leader"}), 422, "validation_error"
    )
    empty = assert_envelope(admin.patch(f"{USERS}/cgj", json={}), 422, "validation_error")
    own = assert_envelope(admin.patch(f"{USERS}/admin", json={"active": False}), 409, "conflict")
    missing = assert_envelope(admin.patch(f"{USERS}/nobody", json={"active": False}), 404, "not_found")

    assert (
        set(moved["errors"]) == {"role", "unit"}
        and "create one for the new role" in moved["errors"]["role"][0]
    )
    assert "active" in empty["errors"]
    assert "own account" in own["message"]
    assert "nobody" in missing["message"]
    assert admin.get(f"{USERS}/cgj").json["role"] == "unit_staff"


def test_a_password_reset_over_the_api_ends_the_accounts_sessions(app, as_user):
    browser = app.test_client()
    assert log_in(browser, "rsj", "demo1234").status_code == 200
    admin = as_user("admin")

    weak = assert_envelope(
        admin.put(f"{USERS}/rsj/password", json={"password": "rsj"}), 422, "validation_error"
    )
    assert browser.get("/api/v1/auth/me").status_code == 200  # a refused reset changes nothing
    r = admin.put(f"{USERS}/rsj/password", json={"password": GOOD})

    assert "password" in weak["errors"]
    assert r.status_code == 204
    assert_envelope(browser.get("/api/v1/auth/me"), 401, "unauthorized")
    assert log_in(app.test_client(), "rsj", GOOD).status_code == 200
    assert audit(app, "password_reset")[-1][:3] == ("admin", "rsj", "ok")


def test_a_token_made_over_the_api_is_shown_once_works_and_is_revoked(app, as_user):
    admin = as_user("admin")

    made = admin.post(f"{USERS}/operator/tokens", json={"label": "12345 平台对接"})

    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token, token_id = made.json["token"], made.json["id"]
    integration = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert integration.get("/api/v1/auth/me", headers=bearer).json["username"] == "operator"
    listed = admin.get(f"{USERS}/operator/tokens").json
    assert [t["label"] for t in listed if t["id"] == token_id] == ["12345 平台对接"]
    assert token not in str(listed)
    assert admin.get(f"{USERS}/operator").json["active_tokens"] >= 1

    assert admin.delete(f"/api/v1/admin/tokens/{token_id}").status_code == 204

    assert integration.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert_envelope(admin.delete(f"/api/v1/admin/tokens/{token_id}"), 409, "conflict")
    assert_envelope(admin.delete("/api/v1/admin/tokens/999999"), 404, "not_found")
    assert audit(app, "token_revoked")[-1][3] == {"token": token_id, "label": "12345 平台对接"}


def test_a_token_needs_a_purpose_and_an_active_account(as_user):
    admin = as_user("admin")
    admin.patch(f"{USERS}/reviewer", json={"active": False})

    unnamed = assert_envelope(
        admin.post(f"{USERS}/operator/tokens", json={"label": "  "}), 422, "validation_error"
    )
    inactive = assert_envelope(admin.post(f"{USERS}/reviewer/tokens", json={"label": "x"}), 409, "conflict")

    assert "label" in unnamed["errors"]
    assert "deactivated" in inactive["message"]
    assert admin.get(f"{USERS}/reviewer/tokens").json == []


def test_the_api_document_describes_the_account_endpoints(client):
    paths = client.get("/api/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/admin/users"])
    assert {"get", "patch"} <= set(paths["/api/v1/admin/users/{username}"])
    assert "delete" in paths["/api/v1/admin/tokens/{token_id}"]


def test_the_list_shows_log_in_locks_and_an_administrator_lifts_one_clients(app, as_user):
    guesser, other = client_at(app, "10.40.0.66"), client_at(app, "10.40.0.67")
    for n in range(5):
        assert log_in(guesser, "operator", f"wrong-{n}").status_code == 401
    for n in range(5):
        assert log_in(other, "operator", f"wrong-{n}").status_code == 401
    admin = as_user("admin")

    locked = admin.get(USERS, query_string={"locked": "true"}).json["items"]
    assert [u["username"] for u in locked] == ["operator"]
    locks = locked[0]["locks"]
    assert [(lock["client"], lock["attempts"]) for lock in locks] == [("10.40.0.66", 5), ("10.40.0.67", 5)]
    assert all(14 * 60 < lock["seconds_left"] <= 15 * 60 for lock in locks)
    assert "operator" not in [
        u["username"] for u in admin.get(USERS, query_string={"locked": "false"}).json["items"]
    ]

    r = admin.delete(f"{USERS}/Operator/locks", query_string={"client": "10.40.0.66"})

    assert r.status_code == 204
    assert log_in(guesser, "operator", "demo1234").status_code == 200  # let in again
    assert log_in(other, "operator", "demo1234").status_code == 429  # still out
    assert [lock["client"] for lock in admin.get(f"{USERS}/operator").json["locks"]] == ["10.40.0.67"]
    assert audit(app, "login_unlocked") == [("admin", "operator", "ok", {"clients": ["10.40.0.66"]})]
    assert admin.delete(f"{USERS}/operator/locks", query_string={"client": "10.40.0.66"}).status_code == 204
    assert len(audit(app, "login_unlocked")) == 1  # nothing was locked: nothing recorded


def test_lifting_all_of_an_accounts_locks_lifts_the_account_wide_one_and_every_clients(app, as_user):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 6
    guesser = client_at(app, "10.40.1.66")
    for n in range(5):
        log_in(guesser, "operator", f"wrong-{n}")
    log_in(client_at(app, "10.40.1.5"), "operator", "wrong")
    owner = client_at(app, "10.40.1.7")
    assert log_in(owner, "operator", "demo1234").status_code == 429  # six failures: locked for all
    admin = as_user("admin")
    assert [lock["client"] for lock in admin.get(f"{USERS}/operator").json["locks"]] == [None, "10.40.1.66"]

    assert admin.delete(f"{USERS}/operator/locks").status_code == 204

    assert admin.get(f"{USERS}/operator").json["locks"] == []
    assert log_in(owner, "operator", "demo1234").status_code == 200
    assert log_in(guesser, "operator", "demo1234").status_code == 200  # its count went too
    assert audit(app, "login_unlocked") == [
        ("admin", "operator", "ok", {"clients": ["10.40.1.66"], "account_wide": True})
    ]
    assert_envelope(admin.delete(f"{USERS}/nobody/locks"), 404, "not_found")


def test_a_password_reset_lifts_every_clients_lock(app, as_user):
    guessers = [client_at(app) for _ in range(2)]
    for guesser in guessers:
        for n in range(5):
            log_in(guesser, "operator", f"wrong-{n}")

    assert as_user("admin").put(f"{USERS}/operator/password", json={"password": GOOD}).status_code == 204

    assert all(log_in(guesser, "operator", GOOD).status_code == 200 for guesser in guessers)


def test_locks_unreadable_when_redis_is_unreachable_and_lifting_says_so(app, as_user):
    import redis

    admin = as_user("admin")
    app.extensions["minyi.redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)

    assert admin.get(f"{USERS}/operator").json["locks"] is None
    assert_envelope(admin.get(USERS, query_string={"locked": "true"}), 503, "locks_unreachable")
    body = assert_envelope(admin.delete(f"{USERS}/operator/locks"), 503, "locks_unreachable")
    assert "Redis" in body["message"]
    assert audit(app, "login_unlocked") == []


def test_every_bad_field_is_named_in_one_answer(as_user):
    """As the page's form does: the password, the username and the unit in the same 422."""
    admin = as_user("admin")
    fields = {"username": "a", "role": "unit_staff", "password": "x", "unit": "GXQ-NOPE"}

    body = assert_envelope(create(admin, **fields, display_name=""), 422, "validation_error")
    chinese = assert_envelope(
        admin.post(USERS, json=fields, headers={"Accept-Language": "zh"}), 422, "validation_error"
    )

    assert sorted(body["errors"]) == ["password", "unit", "username"]
    assert "Unknown unit 'GXQ-NOPE'" in body["errors"]["unit"][0]
    assert sorted(chinese["errors"]) == ["password", "unit", "username"]
    assert chinese["message"].startswith("以下内容有误")
    assert admin.get(USERS, query_string={"q": "GXQ"}).json["total"] == 0


def test_a_leader_given_a_unit_is_refused_with_the_other_bad_fields(as_user):
    body = assert_envelope(
        create(as_user("admin"), role="leader", unit=unit_code("区城管局"), password="short"),
        422,
        "validation_error",
    )

    assert sorted(body["errors"]) == ["password", "unit"] and "Only unit staff" in body["errors"]["unit"][0]
