"""Logging in and out on the pages, role checks, and CSRF on page forms and cookie API writes."""

from __future__ import annotations

import pytest

from tests.service.helpers import appeal_payload
from tests.web.conftest import csrf_token_of, log_in


def test_log_in_lands_on_the_role_area_and_shows_only_its_nav(client):
    r = log_in(client, "cgj")

    assert r.status_code == 302 and r.location == "/unit"
    page = client.get("/unit").get_data(as_text=True)
    assert "承办单位工作台" in page and "区城管局 钟伟" in page
    for other in ("/console", "/centre", "/admin"):
        assert f'href="{other}"' not in page


def test_the_username_is_taken_in_any_case(client):
    r = log_in(client, "CGJ")

    assert r.status_code == 302 and r.location == "/unit"
    assert "区城管局 钟伟" in client.get("/unit").get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "home", "links"),
    [
        ("operator", "/console", {"/console"}),
        ("dispatcher", "/console", {"/console", "/centre", "/figures"}),
        ("reviewer", "/centre", {"/centre", "/figures"}),
        ("leader", "/figures", {"/centre", "/figures"}),
        ("admin", "/console", {"/console", "/centre", "/figures", "/admin"}),
    ],
)
def test_each_role_sees_its_areas(client, username, home, links):
    assert log_in(client, username).location == home

    page = client.get(home).get_data(as_text=True)
    nav = page.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    shown = {
        href for href in ("/console", "/centre", "/unit", "/figures", "/admin") if f'href="{href}"' in nav
    }
    assert shown == links


def test_a_visitor_is_sent_to_log_in_and_back_to_the_page_asked_for(client):
    r = client.get("/centre?tab=returns")

    assert r.status_code == 302 and r.location == "/login?next=/centre?tab%3Dreturns"
    r = log_in(client, "dispatcher", next_url="/centre?tab=returns")
    assert r.location == "/centre?tab=returns"


def test_next_never_leads_off_the_site(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert log_in(client, "operator", next_url=target).location == "/console"
        client.post(
            "/logout", data={"csrf_token": csrf_token_of(client.get("/console").get_data(as_text=True))}
        )


def test_a_wrong_role_is_refused_with_a_page(logged_in):
    client = logged_in("operator")

    r = client.get("/admin", headers={"Accept": "text/html"})

    assert r.status_code == 403
    assert r.mimetype == "text/html" and "无权访问" in r.get_data(as_text=True)


def test_a_wrong_password_shows_one_message_next_to_the_password(client):
    wrong = log_in(client, "operator", password="wrong-password")
    unknown = log_in(client, "nobody")

    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert 'id="f-password-error">用户名或密码不正确。' in html
    assert 'aria-describedby="f-password-error"' in html and 'aria-invalid="true"' in html
    assert 'value="operator"' in html  # the username is kept, the password is not
    assert "用户名或密码不正确。" in unknown.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_empty_fields_are_named(client):
    token = csrf_token_of(client.get("/login").get_data(as_text=True))

    html = client.post("/login", data={"csrf_token": token}).get_data(as_text=True)

    assert 'id="f-username-error">请输入用户名。' in html and 'id="f-password-error">请输入密码。' in html


def test_log_out_ends_the_session_for_pages_and_api(logged_in):
    client = logged_in("reviewer")
    assert client.get("/api/v1/auth/me").json["username"] == "reviewer"
    token = csrf_token_of(client.get("/centre").get_data(as_text=True))

    r = client.post("/logout", data={"csrf_token": token})

    assert r.status_code == 302 and r.location == "/login"
    assert "您已退出登录。" in client.get("/login").get_data(as_text=True)
    assert client.get("/centre").status_code == 302
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_form_post_without_the_csrf_token_is_refused(client):
    r = client.post("/login", data={"username": "operator", "password": "demo1234"})

    assert r.status_code == 400 and "页面可能已过期" in r.get_data(as_text=True)
    assert client.get("/console").status_code == 302  # not logged in


def test_log_out_needs_the_csrf_token(logged_in):
    client = logged_in("operator")

    assert client.post("/logout").status_code == 400
    assert client.get("/console").status_code == 200


def test_api_writes_on_a_page_session_need_the_csrf_header(logged_in):
    client = logged_in("operator")
    token = csrf_token_of(client.get("/console").get_data(as_text=True))
    body = appeal_payload()

    refused = client.post("/api/v1/appeals", json=body)
    accepted = client.post("/api/v1/appeals", json=body, headers={"X-CSRFToken": token})

    assert refused.status_code == 403 and refused.json["error"] == "csrf_failed"
    assert accepted.status_code == 201
    assert client.get("/api/v1/appeals").status_code == 200  # reads need no token


def test_api_tokens_need_no_csrf_header(as_user):
    r = as_user("operator").post("/api/v1/appeals", json=appeal_payload())

    assert r.status_code == 201


def test_an_htmx_request_without_a_session_is_told_where_to_log_in(client):
    r = client.get("/console", headers={"HX-Request": "true"})

    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login?next=/console"


def test_the_portal_is_public_and_home_leads_there(client):
    assert client.get("/").location == "/portal"
    page = client.get("/portal").get_data(as_text=True)
    assert "群众诉求" in page and "工作人员登录" in page


def test_a_form_address_opened_again_leads_to_its_page_not_to_json(logged_in, as_user):
    """Reloading a refused form's page (a POST-only address) from the address bar."""
    number = as_user("operator").post("/api/v1/appeals", json=appeal_payload()).json["number"]
    client = logged_in("dispatcher")
    html = {"Accept": "text/html,application/xhtml+xml"}

    r = client.get(f"/centre/appeals/{number}/dispatch", headers=html)
    assert r.status_code == 303 and r.location == f"/centre/appeals/{number}"

    r = client.get("/admin/notices/1/retry", headers=html)  # no page of its own: the error page
    assert r.status_code == 405 and r.mimetype == "text/html" and "请求方式不允许" in r.get_data(as_text=True)
    assert "POST" in r.headers["Allow"]
    r = client.get(f"/api/v1/appeals/{number}/dispatch")
    assert r.status_code == 405 and r.json["error"] == "method_not_allowed"  # the API keeps its JSON


def test_five_wrong_passwords_lock_the_account_and_the_form_says_for_how_long(client):
    for n in range(5):
        assert log_in(client, "dispatcher", f"wrong-{n}").status_code == 422

    r = log_in(client, "dispatcher")  # the right password, too late

    assert r.status_code == 429 and r.headers["Retry-After"]
    html = r.get_data(as_text=True)
    assert "登录失败次数过多，该账号已暂时锁定，请 15 分钟后再试。" in html
    assert 'value="dispatcher"' in html  # the username stays typed
    assert client.get("/centre").status_code == 302  # not logged in


def test_the_lock_message_reads_in_english(client):
    for n in range(5):
        log_in(client, "dispatcher", f"wrong-{n}")
    token = csrf_token_of(client.get("/login?lang=en").get_data(as_text=True))

    r = client.post(
        "/login?lang=en", data={"username": "dispatcher", "password": "demo1234", "csrf_token": token}
    )

    assert "Too many failed log-ins: this account is locked. Try again in 15 minute(s)." in r.get_data(
        as_text=True
    )


def test_an_idle_page_session_ends_and_the_log_in_page_says_why(client):
    from service.auth.security import SEEN

    assert log_in(client, "dispatcher").status_code == 302
    with client.session_transaction() as session:
        session[SEEN] -= 31 * 60

    r = client.get("/centre")

    assert r.status_code == 302 and r.location.startswith("/login?next=/centre")
    assert "您已超过 30 分钟未操作，已自动退出，请重新登录。" in client.get(r.location).get_data(as_text=True)
    assert client.get("/centre").status_code == 302  # still logged out


def test_a_flash_set_in_chinese_reads_in_english_on_an_english_page(client):
    r = log_in(client, "dispatcher")  # the log-in page in Chinese (no language asked for)
    assert r.status_code == 302

    page = client.get(f"{r.headers['Location']}?lang=en").get_data(as_text=True)

    assert "Welcome, " in page and "欢迎" not in page


def test_a_flash_set_in_english_reads_in_chinese_on_a_chinese_page(logged_in):
    client = logged_in("dispatcher")
    client.get("/centre")  # the welcome is read
    token = csrf_token_of(client.get("/centre?lang=en").get_data(as_text=True))

    r = client.post("/logout?lang=en", data={"csrf_token": token})
    page = client.get(f"{r.headers['Location']}?lang=zh").get_data(as_text=True)

    assert "您已退出登录。" in page and "You have logged out." not in page


def test_no_page_flashes_a_message_already_translated():
    """Flashes go through service.web.flashes (kept as msgids, said in the showing page's language):
    flask's own `flash` would keep the text of the language of the page that set it."""
    import ast
    from pathlib import Path

    web = Path(__file__).resolve().parents[2] / "service" / "web"
    direct = [
        path.name
        for path in sorted(web.glob("*.py"))
        if path.name != "flashes.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module == "flask"
        and any(a.name == "flash" for a in node.names)
    ]
    assert direct == []
