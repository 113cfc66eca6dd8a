"""Passwords changed after log-in: an administrator's reset and the owner's own change end the
account's other sessions (pages and API alike); 修改密码 asks for the current password, which
counts towards the log-in lock like a wrong log-in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.auth.models import SecurityEvent, User
from tests.service.factories import assert_envelope
from tests.web.conftest import csrf_token_of, error_summary_of, log_in

NEW = "Lantern-7-river"
URL = "/account/password"


def session_of(app, username: str, password: str = "demo1234"):
    """A browser of its own, logged in through the page."""
    browser = app.test_client()
    r = log_in(browser, username, password)
    assert r.status_code == 302, r.get_data(as_text=True)
    return browser


def change(browser, current: str, password: str = NEW, confirm: str | None = None, lang: str = ""):
    url = URL + (f"?lang={lang}" if lang else "")
    token = csrf_token_of(browser.get(url).get_data(as_text=True))
    data = {"current_password": current, "password": password, "password_confirm": confirm or password}
    return browser.post(url, data={**data, "csrf_token": token})


def field_error(html: str, name: str) -> str:
    return html.split(f'id="f-{name}-error"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()


def stored_hash(db_session, username: str) -> str:
    db_session.expire_all()
    return db_session.scalar(sa.select(User.password_hash).where(User.username == username))


def events(db_session, kind: str) -> list[SecurityEvent]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_an_administrators_reset_logs_the_account_out_everywhere(app, db_session):
    page, api = session_of(app, "rsj"), session_of(app, "rsj")
    admin = session_of(app, "admin")
    rsj = db_session.scalar(sa.select(User).where(User.username == "rsj"))
    url = f"/admin/users/{rsj.id}/password"
    token = csrf_token_of(admin.get(url).get_data(as_text=True))
    r = admin.post(url, data={"csrf_token": token, "password": NEW, "password_confirm": NEW})
    assert r.status_code == 302

    r = page.get("/unit")
    assert r.status_code == 302 and r.location.startswith("/login?next=/unit")
    assert "您的密码已更改，此前的登录已失效，请用新密码重新登录。" in page.get(r.location).get_data(
        as_text=True
    )
    assert page.get("/unit").status_code == 302  # ended, not refused once
    body = assert_envelope(api.get("/api/v1/auth/me"), 401, "unauthorized")
    assert body["message"] == "Your password was changed since you logged in; log in again."
    ended = events(db_session, "session_expired")
    assert [e.detail for e in ended] == [{"reason": "password_changed"}] * 2
    security = admin.get("/admin/security").get_data(as_text=True)
    assert "密码已更改，此前的登录失效" in security
    assert admin.get("/admin/users").status_code == 200  # the administrator's own session is untouched


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, db_session):
    here, elsewhere = session_of(app, "cgj"), session_of(app, "cgj")

    r = change(here, "demo1234")

    assert r.status_code == 302 and r.location == "/unit"
    assert "密码已修改。您在其他地方的登录已失效。" in here.get(r.location).get_data(as_text=True)
    assert here.get("/unit").status_code == 200
    assert here.get("/api/v1/auth/me").json["username"] == "cgj"
    assert elsewhere.get("/unit").status_code == 302
    assert log_in(app.test_client(), "cgj").status_code == 422  # the old password no longer works
    assert log_in(app.test_client(), "cgj", NEW).status_code == 302
    [done] = events(db_session, "password_changed")
    assert done.outcome == "ok" and done.account == "cgj"


def test_a_wrong_current_password_changes_nothing_and_is_recorded(app, db_session):
    browser = session_of(app, "operator")
    before = stored_hash(db_session, "operator")

    r = change(browser, "not-my-password")

    html = r.get_data(as_text=True)
    assert r.status_code == 422 and field_error(html, "current_password") == "当前密码不正确。"
    assert stored_hash(db_session, "operator") == before
    assert browser.get("/console").status_code == 200  # still logged in
    [refused] = events(db_session, "password_changed")
    assert refused.outcome == "refused" and refused.detail == {"reason": "wrong_password"}


def test_guessing_the_current_password_locks_the_account(app):
    browser = session_of(app, "operator")
    for n in range(5):
        assert change(browser, f"guess-{n}").status_code == 422

    r = change(browser, "demo1234")  # the right one, too late

    assert r.status_code == 429 and r.headers["Retry-After"]
    assert (
        field_error(r.get_data(as_text=True), "current_password")
        == "当前密码输错次数过多，请 15 分钟后再试。"
    )
    assert log_in(app.test_client(), "operator").status_code == 429  # the log-in is locked too


@pytest.mark.parametrize(
    "current, password, confirm, field, message",
    [
        ("", NEW, NEW, "current_password", "请输入当前密码。"),
        ("demo1234", "", "", "password", "请输入新密码。"),
        ("demo1234", "short", "short", "password", "密码至少 8 个字符。"),
        (
            "demo1234",
            "dispatcher",
            "dispatcher",
            "password",
            "密码太简单，请勿使用用户名、重复字符或常见密码。",
        ),
        ("demo1234", NEW, "Lantern-7-rivers", "password_confirm", "两次输入的密码不一致。"),
    ],
)
def test_each_bad_entry_is_named_and_nothing_changes(
    app, db_session, current, password, confirm, field, message
):
    browser = session_of(app, "dispatcher")
    before = stored_hash(db_session, "dispatcher")

    r = change(browser, current, password, confirm)

    html = r.get_data(as_text=True)
    assert r.status_code == 422 and field_error(html, field) == message
    assert message in error_summary_of(html)
    assert stored_hash(db_session, "dispatcher") == before
    assert log_in(app.test_client(), "dispatcher").status_code == 302


def test_the_new_password_must_differ_from_the_current_one(app, db_session):
    browser = session_of(app, "reviewer")
    assert change(browser, "demo1234").status_code == 302
    before = stored_hash(db_session, "reviewer")

    r = change(browser, NEW, NEW)

    assert r.status_code == 422
    assert field_error(r.get_data(as_text=True), "password") == "新密码不能与当前密码相同。"
    assert stored_hash(db_session, "reviewer") == before


def test_the_page_reads_in_english_and_every_role_reaches_it(app):
    browser = session_of(app, "leader")
    assert 'href="/account/password"' in browser.get("/figures").get_data(as_text=True)

    r = change(browser, "wrong-one", lang="en")

    html = r.get_data(as_text=True)
    assert "Change password" in html and "Current password" in html
    assert field_error(html, "current_password") == "The current password is wrong."
    assert app.test_client().get(URL).status_code == 302  # visitors log in first


def test_a_session_opened_before_the_upgrade_stays_open(app):
    from service.auth.security import PASSWORD_STAMP

    browser = session_of(app, "cgj")
    with browser.session_transaction() as session:
        del session[PASSWORD_STAMP]  # as sessions were before they carried it

    assert browser.get("/unit").status_code == 200
    other = session_of(app, "cgj")
    assert change(other, "demo1234").status_code == 302
    assert browser.get("/unit").status_code == 302  # it took the stamp, so the change ends it


def test_an_administrator_resetting_their_own_password_stays_logged_in(app, db_session):
    admin = session_of(app, "admin")
    me = db_session.scalar(sa.select(User).where(User.username == "admin"))
    url = f"/admin/users/{me.id}/password"
    token = csrf_token_of(admin.get(url).get_data(as_text=True))

    r = admin.post(url, data={"csrf_token": token, "password": NEW, "password_confirm": NEW})

    assert r.status_code == 302 and admin.get("/admin/users").status_code == 200
