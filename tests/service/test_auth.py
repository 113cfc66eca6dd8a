"""Who may call what: tokens, sessions, roles, and unit scoping (staff of one unit see only its appeals)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from service.auth.models import ApiToken, User
from service.auth.operations import create_user, find_user, set_active, set_password
from service.auth.security import TOKEN_USE_RESOLUTION
from service.db import utcnow
from service.errors import Conflict, ValidationFailed
from tests.conftest import ApiClient
from tests.service.factories import (
    assert_envelope,
    counts,
    county_rule,
    new_address,
    register,
    rule_with_co,
    stored,
    territorial_rule,
    township,
    unit_code,
    villages,
)
from tests.service.helpers import appeal_payload

PASSWORD = "demo1234"


@pytest.fixture
def client(client):
    """Log-in is rate limited per client address: each test calls from an address of its own."""
    client.environ_base["REMOTE_ADDR"] = new_address()
    return client


# ---- tokens -------------------------------------------------------------------------------------


def test_without_a_token_the_api_answers_401(client):
    for r in (client.get("/api/v1/appeals"), client.post("/api/v1/appeals", json=appeal_payload())):
        assert_envelope(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer minyi_not-a-real-token", "Bearer ", "Basic b3BlcmF0b3I6ZGVtbzEyMzQ="]
)
def test_a_bad_token_is_refused(client, header):
    r = client.get("/api/v1/appeals", headers={"Authorization": header})

    assert_envelope(r, 401, "unauthorized")


def test_a_revoked_token_is_refused(app, as_user):
    op = as_user("operator")
    assert op.get("/api/v1/appeals").status_code == 200
    token = op.headers["Authorization"].removeprefix("Bearer ")
    with stored(app) as s:
        row = s.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest())
        )
        row.revoked_at = utcnow()
        s.commit()

    assert_envelope(op.get("/api/v1/appeals"), 401, "unauthorized")


def test_the_admin_sees_when_a_token_was_last_used_coarsely(app, as_user):
    op = as_user("operator")
    token_hash = hashlib.sha256(op.headers["Authorization"].removeprefix("Bearer ").encode()).hexdigest()

    def last_used() -> Any:
        with stored(app) as s:
            return s.scalar(sa.select(ApiToken.last_used_at).where(ApiToken.token_hash == token_hash))

    before = utcnow()
    assert op.get("/api/v1/appeals").status_code == 200
    first = last_used()
    assert first is not None and first >= before
    assert op.get("/api/v1/appeals").status_code == 200
    assert last_used() == first  # within TOKEN_USE_RESOLUTION: no write
    with stored(app) as s:
        row = s.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash))
        row.last_used_at = first - TOKEN_USE_RESOLUTION - timedelta(seconds=1)
        s.commit()
    assert op.get("/api/v1/appeals").status_code == 200
    assert last_used() >= first


def test_the_token_of_a_deactivated_user_is_refused(app, as_user):
    op = as_user("operator")
    with stored(app) as s:
        s.scalar(sa.select(User).where(User.username == "operator")).active = False
        s.commit()

    assert_envelope(op.get("/api/v1/appeals"), 401, "unauthorized")


@pytest.mark.parametrize("username", ["leader", "reviewer", "cgj", "meilin"])
def test_roles_that_do_not_take_in_appeals_get_403_and_nothing_is_stored(app, as_user, username):
    before = counts(app)

    r = as_user(username).post("/api/v1/appeals", json=appeal_payload())

    assert_envelope(r, 403, "forbidden")
    assert counts(app) == before


@pytest.mark.parametrize("username", ["operator", "dispatcher", "admin"])
def test_intake_roles_may_take_in_appeals(as_user, username):
    assert as_user(username).post("/api/v1/appeals", json=appeal_payload()).status_code == 201


@pytest.mark.parametrize("username", ["operator", "reviewer", "leader", "rsj"])
def test_only_the_dispatch_desk_dispatches_by_hand(as_user, username):
    number = register(as_user("operator"))["number"]
    rsj = unit_code("区人社局")

    r = as_user(username).post(f"/api/v1/appeals/{number}/dispatch", json={"reason": "改派", "unit": rsj})

    assert_envelope(r, 403, "forbidden")
    assert as_user("dispatcher").get(f"/api/v1/appeals/{number}").json["status"] == "pending_dispatch"


# ---- session log-in -----------------------------------------------------------------------------


def test_log_in_then_the_session_cookie_identifies_the_user_until_log_out(client):
    r = client.post("/api/v1/auth/login", json={"username": "dispatcher", "password": PASSWORD})

    assert r.status_code == 200
    assert r.json["username"] == "dispatcher" and r.json["role"] == "dispatcher"
    assert "HttpOnly" in r.headers["Set-Cookie"]
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json == {
        "username": "dispatcher",
        "display_name": "分拨员 刘建国",
        "role": "dispatcher",
        "role_label": "分拨员",
        "unit": None,
    }
    assert client.get("/api/v1/appeals").status_code == 200

    assert client.post("/api/v1/auth/logout").status_code == 204
    assert_envelope(client.get("/api/v1/auth/me"), 401, "unauthorized")


def test_a_deactivated_user_loses_the_open_session(app, client):
    assert (
        client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD}).status_code
        == 200
    )
    with stored(app) as s:
        s.scalar(sa.select(User).where(User.username == "operator")).active = False
        s.commit()

    assert_envelope(client.get("/api/v1/auth/me"), 401, "unauthorized")
    again = client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD})
    assert_envelope(again, 401, "unauthorized")


def test_unit_staff_log_in_with_their_unit(client):
    r = client.post("/api/v1/auth/login", json={"username": "cgj", "password": PASSWORD})

    assert r.json["unit"] == unit_code("区城管局")


def test_a_wrong_password_and_an_unknown_user_are_refused_alike(client):
    wrong = client.post("/api/v1/auth/login", json={"username": "operator", "password": "demo12345"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})

    assert_envelope(wrong, 401, "unauthorized")
    assert wrong.get_data() == unknown.get_data()
    assert_envelope(client.get("/api/v1/auth/me"), 401, "unauthorized")


def test_guessing_passwords_is_rate_limited_per_client(client):
    # one guess for each of 20 usernames: no account reaches its own lock (test_login_security.py)
    guesses = [
        client.post("/api/v1/auth/login", json={"username": f"staff{n:02d}", "password": f"guess{n:04d}"})
        for n in range(20)
    ]
    assert {r.status_code for r in guesses} == {401}

    r = client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD})

    assert_envelope(r, 429, "rate_limited")


def test_log_in_needs_username_and_password(client):
    r = client.post("/api/v1/auth/login", json={"username": "operator"})

    assert "password" in assert_envelope(r, 422, "validation_error")["errors"]


def test_passwords_are_stored_as_argon2_hashes(app):
    with stored(app) as s:
        hashes = s.scalars(sa.select(User.password_hash)).all()

    assert hashes
    for h in hashes:
        assert h.startswith("$argon2id$")
        assert PASSWORD not in h


def test_only_the_sha256_of_a_token_is_stored(app, as_user):
    token = as_user("operator").headers["Authorization"].removeprefix("Bearer ")

    with stored(app) as s:
        rows = s.execute(sa.select(ApiToken.token_hash, ApiToken.label)).all()

    assert hashlib.sha256(token.encode()).hexdigest() in {h for h, _ in rows}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h, _ in rows)
    assert not any(token in h or token in label for h, label in rows)


# ---- unit scoping -------------------------------------------------------------------------------


@pytest.fixture
def rsj_appeal(as_user) -> str:
    """An appeal dispatched to 区人社局 alone."""
    rule = county_rule(unit_code("区人社局"))
    body = register(as_user("operator"), category=rule.category, area=villages("王母渡镇")[0])
    assert body["appeal"]["lead_unit"]["name"] == "区人社局"
    return body["number"]


def listed(api: ApiClient, **params: str) -> list[str]:
    r = api.get("/api/v1/appeals", query_string={"per_page": 100, **params})
    assert r.status_code == 200, r.json
    return [a["number"] for a in r.json["items"]]


def test_staff_of_another_unit_get_404_for_an_appeal(as_user, rsj_appeal):
    cgj = as_user("cgj")

    item = cgj.get(f"/api/v1/appeals/{rsj_appeal}")
    events = cgj.get(f"/api/v1/appeals/{rsj_appeal}/events")

    assert_envelope(item, 404, "not_found")
    assert_envelope(events, 404, "not_found")
    assert rsj_appeal not in listed(cgj)
    assert rsj_appeal not in listed(cgj, unit=unit_code("区人社局"))
    assert rsj_appeal not in listed(cgj, q=rsj_appeal)


def test_not_yours_answers_exactly_like_unknown(as_user, rsj_appeal):
    cgj = as_user("cgj")
    unknown = "GX20000101-9999"

    theirs = cgj.get(f"/api/v1/appeals/{rsj_appeal}")
    missing = cgj.get(f"/api/v1/appeals/{unknown}")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data(as_text=True).replace(rsj_appeal, "N") == missing.get_data(as_text=True).replace(
        unknown, "N"
    )


def test_staff_of_the_assigned_unit_see_the_appeal(as_user, rsj_appeal):
    rsj = as_user("rsj")

    assert rsj.get(f"/api/v1/appeals/{rsj_appeal}").status_code == 200
    assert rsj.get(f"/api/v1/appeals/{rsj_appeal}/events").status_code == 200
    assert listed(rsj) == [rsj_appeal]


@pytest.mark.parametrize("username", ["operator", "dispatcher", "reviewer", "leader", "admin"])
def test_centre_roles_see_every_appeal(as_user, rsj_appeal, username):
    api = as_user(username)
    pending = register(as_user("operator"))["number"]

    assert api.get(f"/api/v1/appeals/{rsj_appeal}").status_code == 200
    assert {rsj_appeal, pending} <= set(listed(api))


def test_a_co_unit_sees_the_appeal_it_helps_with(as_user):
    rule = rule_with_co(unit_code("区城管局"))
    number = register(as_user("operator"), category=rule.category, area=township("沙地镇"))["number"]

    assert as_user("cgj").get(f"/api/v1/appeals/{number}").status_code == 200
    assert number in listed(as_user("cgj"))
    assert_envelope(as_user("rsj").get(f"/api/v1/appeals/{number}"), 404, "not_found")


def test_a_township_sees_the_appeals_of_its_place_only(as_user):
    op = as_user("operator")
    rule = territorial_rule()
    here = register(op, category=rule.category, area=villages("梅林镇")[0])["number"]
    elsewhere = register(op, category=rule.category, area=villages("王母渡镇")[0])["number"]

    meilin = as_user("meilin")
    assert listed(meilin) == [here]
    assert_envelope(meilin.get(f"/api/v1/appeals/{elsewhere}"), 404, "not_found")


def test_a_pending_appeal_is_seen_by_no_unit(as_user):
    number = register(as_user("operator"))["number"]

    for username in ("cgj", "rsj", "meilin"):
        assert_envelope(as_user(username).get(f"/api/v1/appeals/{number}"), 404, "not_found")


def test_after_a_redispatch_the_former_unit_loses_sight_of_the_appeal(as_user, rsj_appeal):
    cgj_code = unit_code("区城管局")

    r = as_user("dispatcher").post(
        f"/api/v1/appeals/{rsj_appeal}/dispatch", json={"reason": "属城管职责", "unit": cgj_code}
    )

    assert r.status_code == 200, r.json
    assert r.json["lead_unit"]["code"] == cgj_code
    assert as_user("cgj").get(f"/api/v1/appeals/{rsj_appeal}").status_code == 200
    assert_envelope(as_user("rsj").get(f"/api/v1/appeals/{rsj_appeal}"), 404, "not_found")


def test_set_password_replaces_the_hash_and_refuses_a_short_one(app, client):
    with stored(app) as s:
        user = s.scalar(sa.select(User).where(User.username == "operator"))
        with pytest.raises(ValidationFailed) as refused:
            set_password(s, user, "short")
        assert refused.value.errors == {"password": ["At least 8 characters."]}
        set_password(s, user, "a-new-passphrase")
        s.commit()

    assert (
        client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD}).status_code
        == 401
    )
    r = client.post("/api/v1/auth/login", json={"username": "operator", "password": "a-new-passphrase"})
    assert r.status_code == 200, r.json


def test_set_active_stops_log_in_and_nobody_deactivates_themselves(app, client):
    with stored(app) as s:
        admin, operator = (s.scalar(sa.select(User).where(User.username == n)) for n in ("admin", "operator"))
        with pytest.raises(Conflict):
            set_active(s, admin, False, actor=admin)
        assert set_active(s, operator, False, actor=admin) is True
        assert set_active(s, operator, False, actor=admin) is False  # already inactive: no change
        s.commit()

    assert (
        client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    )


# ---- usernames ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Operator", "OPERATOR", "oPeRaToR"])
def test_log_in_takes_the_username_in_any_case(client, typed):
    r = client.post("/api/v1/auth/login", json={"username": typed, "password": PASSWORD})

    assert r.status_code == 200, r.json
    assert client.get("/api/v1/auth/me").json["username"] == "operator"


def test_a_username_in_another_case_still_needs_the_password_and_an_active_account(app, client):
    wrong = client.post("/api/v1/auth/login", json={"username": "Operator", "password": "demo12345"})
    assert_envelope(wrong, 401, "unauthorized")
    with stored(app) as s:
        s.scalar(sa.select(User).where(User.username == "operator")).active = False
        s.commit()

    r = client.post("/api/v1/auth/login", json={"username": "OPERATOR", "password": PASSWORD})

    assert_envelope(r, 401, "unauthorized")


@pytest.mark.parametrize("username", ["bad user!", "a", "-rf", ".hidden", "x" * 33, "张三", "op@centre", ""])
def test_a_new_username_is_letters_digits_and_a_few_marks(app, username):
    with stored(app) as s:
        with pytest.raises(ValidationFailed) as refused:
            create_user(s, username, "operator", password="a-long-passphrase")

        assert refused.value.errors == {
            "username": ["2 to 32 characters: letters, digits, _ . or -, starting with a letter or a digit."]
        }
        assert find_user(s, username) is None


@pytest.mark.parametrize("username", ["zhang.wei", "Li_Na-2", "op01", "x" * 32])
def test_usernames_of_the_rule_are_taken_and_keep_their_case(app, client, username):
    with stored(app) as s:
        create_user(s, username, "operator", password="a-long-passphrase")
        s.commit()

    r = client.post(
        "/api/v1/auth/login", json={"username": username.upper(), "password": "a-long-passphrase"}
    )

    assert r.status_code == 200 and r.json["username"] == username


@pytest.mark.parametrize("username", ["Operator", "CGJ", "operator"])
def test_a_username_differing_only_in_case_from_another_is_refused(app, username):
    with stored(app) as s:
        with pytest.raises(Conflict) as refused:
            create_user(s, username, "operator", password="a-long-passphrase")
        existing = username.lower()

        assert list(refused.value.errors) == ["username"]
        if username == existing:
            assert refused.value.message == f"User {username!r} exists already."
        else:
            assert refused.value.message == (
                f"User {username!r} would differ from the existing {existing!r} only in case."
            )
        assert s.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == username)) == (
            1 if username == existing else 0
        )


def test_the_database_keeps_usernames_unique_whatever_the_case(app):
    """Two admins creating "Ops" and "ops" at the same time: the second commit fails, not the rule."""
    with stored(app) as s:
        s.add(User(username="Ops", role="operator"))
        s.flush()
        s.add(User(username="ops", role="operator"))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()


def test_the_second_of_two_admins_creating_the_same_name_at_once_is_told_409(app, monkeypatch):
    """Both checked before either stored: the database refuses the second, said as a conflict."""
    import service.auth.operations as operations

    with stored(app) as s:
        create_user(s, "Ops", "operator", password="a-long-passphrase")
        monkeypatch.setattr(operations, "find_user", lambda _s, _name: None)  # the check ran before

        with pytest.raises(Conflict) as refused:
            create_user(s, "ops", "operator", password="a-long-passphrase")

        assert list(refused.value.errors) == ["username"]
        assert s.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "Ops")) == 1


def test_tokens_are_listed_and_revoked_from_the_command_line(app, client, command_line):
    from service.auth.operations import create_token

    with stored(app) as s:
        operator = find_user(s, "operator")
        token = create_token(s, operator, "市长信箱对接")
        s.commit()

    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200

    listed = command_line("tokens", "list", "Operator")
    assert listed.exit_code == 0, listed.output
    [line] = [row for row in listed.output.splitlines() if "市长信箱对接" in row]
    token_id = line.split("\t")[0]
    assert line.endswith("active") and "\toperator\t" in line

    revoked = command_line("tokens", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked token {token_id} of operator" in revoked.output
    assert_envelope(client.get("/api/v1/auth/me", headers=bearer), 401, "unauthorized")
    assert "REVOKED" in command_line("tokens", "list", "operator").output

    unknown = command_line("tokens", "revoke", "999999")
    assert unknown.exit_code != 0 and "No token 999999" in unknown.output


def test_the_command_lines_token_list_reads_in_the_services_time_zone(app, command_line):
    from datetime import UTC, datetime

    from service.auth.models import ApiToken
    from service.auth.operations import create_token, revoke_token

    evening = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 2026-03-02 04:30 in 赣州 (UTC+8)
    with stored(app) as s:
        create_token(s, find_user(s, "operator"), "夜间对接")
        token = s.scalar(sa.select(ApiToken).where(ApiToken.label == "夜间对接"))
        revoke_token(s, token)
        token.created_at = token.last_used_at = token.revoked_at = evening
        s.commit()

    listed = command_line("tokens", "list", "operator")

    [line] = [row for row in listed.output.splitlines() if "夜间对接" in row]
    assert line.split("\t")[3:] == [
        "created 2026-03-02 04:30",
        "last used 2026-03-02 04:30",
        "REVOKED 2026-03-02 04:30",
    ]


def test_a_token_is_revoked_once(app):
    from service.auth.operations import create_token, revoke_token

    with stored(app) as s:
        create_token(s, find_user(s, "operator"), "test")
        row = s.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc()))
        revoke_token(s, row)
        first = row.revoked_at

        with pytest.raises(Conflict):
            revoke_token(s, row)
        assert row.revoked_at == first


def test_a_password_reset_lifts_a_log_in_lock(app, client):
    for n in range(5):
        client.post("/api/v1/auth/login", json={"username": "rsj", "password": f"wrong-{n}"})
    assert (
        client.post("/api/v1/auth/login", json={"username": "rsj", "password": PASSWORD}).status_code == 429
    )

    with app.test_request_context(), stored(app) as s:
        set_password(s, find_user(s, "rsj"), "Rsj-new-pass-2026")
        s.commit()

    r = client.post("/api/v1/auth/login", json={"username": "rsj", "password": "Rsj-new-pass-2026"})
    assert r.status_code == 200
