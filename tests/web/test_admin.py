"""The admin pages: staff accounts, units, responsibility-list versions (upload, check, diff,
activate) and failed notices."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from responsibility_lists.check import check_file
from responsibility_lists.loader import load_file, loads_yaml
from responsibility_lists.xlsx import MAIN, export_xlsx
from service.auth.models import User
from service.auth.security import verify_password
from service.lists.models import ListVersion
from service.notices import models as nm
from tests.lists.test_xlsx import SMALL, edit, exported
from tests.service.factories import client_at, failed_notice
from tests.web.conftest import csrf_token_of, error_summary_lines_of, log_in

DEFAULT_LIST = Path(__file__).resolve().parents[2] / "responsibility_lists" / "ganxian.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "lists" / "fixtures"
GOOD_PASSWORD = "Gx-12345-hotline"


def default_text() -> str:
    return DEFAULT_LIST.read_text(encoding="utf-8")


def changed_list(version: str = "2026.12") -> str:
    """The default list with a new version label and rule GX-0001 led by 区城管局 instead of 区住建局."""
    text = default_text()
    changed = text.replace('version: "2026.11"', f'version: "{version}"', 1).replace(
        "    lead: GXQ-ZJJ\n    limits: standard\n    basis: 区住建局三定方案",
        "    lead: GXQ-CGJ\n    limits: standard\n    basis: 区住建局三定方案",
        1,
    )
    assert changed.count("GXQ-CGJ") == text.count("GXQ-CGJ") + 1
    return changed


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def token(client, url: str = "/admin/users") -> str:
    return csrf_token_of(client.get(url).get_data(as_text=True))


def field_error(html: str, name: str) -> str:
    """The error shown next to the field `name` (its `f-<name>-error` paragraph), '' if none."""
    match = re.search(rf'id="f-{re.escape(name)}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def versions(db_session) -> dict[str, bool]:
    return dict(db_session.execute(sa.select(ListVersion.label, ListVersion.active)).all())


def findings(html: str) -> list[tuple[str, str]]:
    """The check report's errors and warnings on the page: (where, what)."""
    items = re.findall(r'<li><code class="where">([^<]*)</code> ([^<]*)</li>', html)
    return [(where, unescape(message.strip())) for where, message in items]


def upload(client, filename: str, data: bytes):
    return client.post(
        "/admin/lists",
        data={"csrf_token": token(client, "/admin/lists"), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


# -- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin", "/admin/users", "/admin/units", "/admin/lists", "/admin/notices"])
def test_visitors_are_sent_to_log_in_and_other_roles_refused(client, url):
    assert client.get(url).status_code == 302
    log_in(client, "dispatcher")

    r = client.get(url)

    assert r.status_code == 403 and "无权访问" in r.get_data(as_text=True)


def test_other_roles_cannot_post_to_the_admin_forms(logged_in, db_session):
    client = logged_in("cgj")
    csrf = csrf_token_of(client.get("/unit").get_data(as_text=True))

    r1 = client.post("/admin/users", data={"csrf_token": csrf, "username": "x", "role": "admin"})
    r2 = client.post("/admin/lists/2026.11/activate", data={"csrf_token": csrf})

    assert r1.status_code == r2.status_code == 403
    assert db_session.scalar(sa.select(User).where(User.username == "x")) is None


# -- users ----------------------------------------------------------------------------------


def test_the_user_list_shows_every_account_with_role_unit_and_state(logged_in):
    html = logged_in("admin").get("/admin/users").get_data(as_text=True)

    row = html.split('data-username="cgj"', 1)[1].split("</tr>", 1)[0]
    assert "区城管局 钟伟" in row and "承办单位人员" in row and "区城管局" in row and "启用" in row
    for username in ("operator", "dispatcher", "reviewer", "leader", "admin", "rsj", "meilin"):
        assert f'data-username="{username}"' in html


def test_an_admin_creates_a_unit_staff_account_that_can_log_in(logged_in, client, db_session):
    admin = logged_in("admin")
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token(admin),
            "username": "cgj2",
            "display_name": "区城管局 李娜",
            "role": "unit_staff",
            "unit": "GXQ-CGJ",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
        },
    )

    assert r.status_code == 302 and r.location == "/admin/users?unit=GXQ-CGJ"
    page = admin.get(r.location).get_data(as_text=True)
    assert "已创建账号 cgj2。" in page and "区城管局 李娜" in page
    user = db_session.scalar(sa.select(User).where(User.username == "cgj2"))
    assert user.role == "unit_staff" and user.unit_code == "GXQ-CGJ" and user.active
    assert user.password_hash.startswith("$argon2id$")
    admin.post("/logout", data={"csrf_token": token(admin)})
    assert log_in(client, "cgj2", GOOD_PASSWORD).location == "/unit"


@pytest.mark.parametrize("typed", ["gxq—cgj", " ＧＸＱ－ＣＧＪ", "区城管局"])
def test_a_unit_posted_as_typed_is_stored_as_its_code(logged_in, db_session, typed):
    """The page offers the codes; a form posted by a script is read as the API and the CLI read it."""
    admin = logged_in("admin")
    data = {"username": "cgj3", "role": "unit_staff", "unit": typed}
    data |= {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}

    r = admin.post("/admin/users", data={"csrf_token": token(admin), **data})

    assert r.status_code == 302 and r.location == "/admin/users?unit=GXQ-CGJ"
    assert db_session.scalar(sa.select(User.unit_code).where(User.username == "cgj3")) == "GXQ-CGJ"


def test_an_unknown_unit_is_said_once_in_the_page_language(logged_in, db_session):
    admin = logged_in("admin")
    data = {"username": "cgj4", "role": "unit_staff", "unit": "区城管", "password": "short"}

    html = admin.post("/admin/users", data={"csrf_token": token(admin), **data}).get_data(as_text=True)
    in_english = admin.post("/admin/users?lang=en", data={"csrf_token": token(admin), **data})
    english = in_english.get_data(as_text=True)
    admin.get("/lang/zh")

    assert field_error(html, "unit") == "没有代码或名称为“区城管”的单位。"  # not "must choose a unit" too
    assert field_error(html, "password").startswith("密码至少 8 个字符")  # with the other errors
    assert unescape(field_error(english, "unit")) == "Unknown unit '区城管': no unit has this code or name."
    assert db_session.scalar(sa.select(User).where(User.username == "cgj4")) is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "operator"}, "username", "用户名 operator 已被使用。"),
        ({"username": "Operator"}, "username", "用户名 Operator 与已有的 operator 只有大小写不同"),
        ({"username": "bad user!"}, "username", "只能使用字母、数字和 _ . -"),
        ({"username": ""}, "username", "请输入用户名。"),
        ({"role": "unit_staff", "unit": ""}, "unit", "承办单位人员必须选择所属单位。"),
        ({"role": "unit_staff", "unit": "GXQ-NOPE"}, "unit", "没有代码或名称为“GXQ-NOPE”的单位。"),
        ({"password": "short", "password_confirm": "short"}, "password", "密码至少 8 个字符。"),
        ({"password": "12345678", "password_confirm": "12345678"}, "password", "密码太简单"),
        ({"password": "newclerk", "password_confirm": "newclerk"}, "password", "密码太简单"),
        ({"password_confirm": "something-else"}, "password_confirm", "两次输入的密码不一致。"),
        ({"password": "", "password_confirm": ""}, "password", "请输入初始密码。"),
    ],
)
def test_each_account_error_is_shown_next_to_its_field(logged_in, db_session, fields, field, message):
    admin = logged_in("admin")
    data = {
        "username": "newclerk",
        "display_name": "新话务员",
        "role": "operator",
        "unit": "",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
        **fields,
    }
    before = db_session.scalar(sa.select(sa.func.count()).select_from(User))

    r = admin.post("/admin/users", data={"csrf_token": token(admin), **data})

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in field_error(html, field)
    assert f'id="f-{field}" name="{field}"' in html and 'aria-invalid="true"' in html
    assert 'value="新话务员"' in html  # what was typed is kept (but never the password)
    assert GOOD_PASSWORD not in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_a_confirmation_that_differs_is_shown_under_the_confirmation(logged_in, db_session):
    """The password itself is fine: the admin types the confirmation again, and is told so there."""
    admin = logged_in("admin")
    data = {"username": "newclerk", "role": "operator", "password": GOOD_PASSWORD}

    html = admin.post(
        "/admin/users", data={"csrf_token": token(admin), **data, "password_confirm": "other-one"}
    ).get_data(as_text=True)
    rsj = db_session.scalar(sa.select(User).where(User.username == "rsj"))
    url = f"/admin/users/{rsj.id}/password"
    reset = admin.post(
        url, data={"csrf_token": token(admin, url), "password": GOOD_PASSWORD, "password_confirm": "x"}
    ).get_data(as_text=True)

    for page in (html, reset):
        assert field_error(page, "password_confirm") == "两次输入的密码不一致。"
        assert field_error(page, "password") == ""
        assert 'id="f-password_confirm" name="password_confirm"' in page
    assert "再次输入密码：两次输入的密码不一致。" in error_summary_lines_of(html)


def test_an_account_refused_by_the_page_is_not_recorded_as_created(logged_in, db_session):
    # The operation accepted it, the page's own check (the confirmation) refused it: nothing was
    # created, and the security audit log must not say that it was.
    admin = logged_in("admin")
    data = {"username": "ghostclerk", "role": "operator", "password": GOOD_PASSWORD}

    r = admin.post("/admin/users", data={"csrf_token": token(admin), **data, "password_confirm": "other-one"})

    assert r.status_code == 422
    events = admin.get("/api/v1/admin/security-events", query_string={"account": "ghostclerk"}).json
    assert events["items"] == []


def test_a_unit_chosen_for_a_role_without_one_is_refused_beside_the_unit_field(logged_in, db_session):
    admin = logged_in("admin")
    data = {"username": "leader4", "role": "leader", "unit": "GXQ-CGJ", "password": GOOD_PASSWORD}

    r = admin.post(
        "/admin/users", data={"csrf_token": token(admin), **data, "password_confirm": GOOD_PASSWORD}
    )

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_error(html, "unit") == "只有承办单位人员绑定所属单位：此角色请选择“（不属于承办单位）”。"
    assert db_session.scalar(sa.select(User).where(User.username == "leader4")) is None
    english = admin.post(
        "/admin/users?lang=en", data={"csrf_token": token(admin), **data, "password_confirm": GOOD_PASSWORD}
    )
    assert field_error(english.get_data(as_text=True), "unit").startswith("Only unit staff belong to a unit")
    # a unit's list of users offers its staff: the role goes with the unit it preselects
    assert 'value="unit_staff" selected' in admin.get("/admin/users?unit=GXQ-CGJ").get_data(as_text=True)


def test_several_errors_show_at_once(logged_in):
    admin = logged_in("admin")
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token(admin),
            "username": "newclerk",
            "role": "unit_staff",
            "password": "short",
            "password_confirm": "short",
        },
    )

    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert field_error(html, "unit") == "承办单位人员必须选择所属单位。"
    assert field_error(html, "password") == "密码至少 8 个字符。"


def test_deactivating_an_account_is_confirmed_on_a_page_naming_what_stops(app, logged_in, client, db_session):
    from service.auth.operations import create_token, find_user
    from tests.service.factories import stored

    with stored(app) as s:
        create_token(s, find_user(s, "cgj"), "城管系统对接")
        s.commit()
    cgj = db_session.scalar(sa.select(User).where(User.username == "cgj"))
    admin = logged_in("admin")
    users = admin.get("/admin/users?unit=GXQ-CGJ").get_data(as_text=True)
    row = users.split('data-username="cgj"', 1)[1].split("</tr>", 1)[0]
    # one click no longer deactivates: the row links to the confirmation, it posts nothing
    assert f'href="/admin/users/{cgj.id}/deactivate?unit=GXQ-CGJ"' in row and 'method="post"' not in row

    page = admin.get(f"/admin/users/{cgj.id}/deactivate?unit=GXQ-CGJ").get_data(as_text=True)

    assert "停用账号 cgj" in page and "已登录的会话立即结束" in page
    assert "它的 1 个 API 令牌停止工作" in page and "城管系统对接" in page
    assert "确认停用 cgj" in page and 'href="/admin/users?unit=GXQ-CGJ">取消' in page
    db_session.refresh(cgj)
    assert cgj.active  # looking is not deactivating
    english = admin.get(f"/admin/users/{cgj.id}/deactivate?lang=en").get_data(as_text=True)
    assert "Deactivate account cgj" in english and "its 1 API token(s) stop working" in english
    admin.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    r = admin.post(
        f"/admin/users/{cgj.id}/deactivate", data={"csrf_token": csrf_token_of(page), "unit": "GXQ-CGJ"}
    )

    assert r.status_code == 302 and r.location == "/admin/users?unit=GXQ-CGJ"
    html = admin.get(r.location).get_data(as_text=True)
    assert "已停用账号 cgj：已登录的会话已结束，API 令牌已停止工作。" in html
    assert "已停用" in html.split('data-username="cgj"', 1)[1].split("</tr>", 1)[0]
    assert "此账号已停用。" in admin.get(f"/admin/users/{cgj.id}/deactivate").get_data(as_text=True)
    admin.post(f"/admin/users/{cgj.id}/active", data={"csrf_token": token(admin), "active": "true"})
    admin.post("/logout", data={"csrf_token": token(admin)})
    assert log_in(client, "cgj").status_code == 302


def test_a_deactivating_form_of_an_older_page_is_sent_to_the_confirmation(logged_in, db_session):
    admin = logged_in("admin")
    cgj = db_session.scalar(sa.select(User).where(User.username == "cgj"))

    r = admin.post(f"/admin/users/{cgj.id}/active", data={"csrf_token": token(admin), "active": "false"})

    assert r.status_code == 302 and r.location == f"/admin/users/{cgj.id}/deactivate"
    db_session.refresh(cgj)
    assert cgj.active


def test_a_deactivated_account_is_refused_at_log_in(logged_in, client, db_session):
    admin = logged_in("admin")
    cgj = db_session.scalar(sa.select(User).where(User.username == "cgj"))
    admin.post(f"/admin/users/{cgj.id}/deactivate", data={"csrf_token": token(admin)})
    admin.post("/logout", data={"csrf_token": token(admin)})

    r = log_in(client, "cgj")

    assert r.status_code == 422 and "用户名或密码不正确。" in r.get_data(as_text=True)


def test_an_admin_cannot_deactivate_their_own_account(logged_in, db_session):
    admin = logged_in("admin")
    me = db_session.scalar(sa.select(User).where(User.username == "admin"))

    asked = admin.get(f"/admin/users/{me.id}/deactivate", follow_redirects=True)
    r = admin.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": token(admin)})

    assert "不能停用自己的账号。" in asked.get_data(as_text=True) and "确认停用" not in asked.get_data(
        as_text=True
    )
    assert "不能停用自己的账号。" in admin.get(r.location).get_data(as_text=True)
    db_session.refresh(me)
    assert me.active


def test_resetting_a_password(logged_in, client, db_session):
    admin = logged_in("admin")
    rsj = db_session.scalar(sa.select(User).where(User.username == "rsj"))
    url = f"/admin/users/{rsj.id}/password"

    short = admin.post(
        url, data={"csrf_token": token(admin, url), "password": "abc", "password_confirm": "abc"}
    )
    assert (
        short.status_code == 422
        and field_error(short.get_data(as_text=True), "password") == "密码至少 8 个字符。"
    )

    r = admin.post(
        url,
        data={"csrf_token": token(admin, url), "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD},
    )

    assert r.status_code == 302 and "已重置 rsj 的密码。" in admin.get(r.location).get_data(as_text=True)
    admin.post("/logout", data={"csrf_token": token(admin)})
    assert log_in(client, "rsj").status_code == 422  # the old password no longer works
    assert log_in(client, "rsj", GOOD_PASSWORD).location == "/unit"


# -- log-in locks (解除锁定) -------------------------------------------------------------------


def guess(app, username: str, address: str, times: int = 5):
    """`times` wrong passwords for `username` on the log-in page, from `address`; its client."""
    guesser = client_at(app, address)
    for n in range(times):
        assert log_in(guesser, username, f"wrong-{n}").status_code == 422
    return guesser


def lock_rows(html: str) -> dict[str, str]:
    """The rows of the log-in locks table, by their client address ('' for an account-wide lock)."""
    if 'id="locks"' not in html:
        return {}
    table = html.split('id="locks"', 1)[1].split("</table>", 1)[0]
    return {
        client: row.split("</tr>", 1)[0]
        for client, row in re.findall(r'data-client="([^"]*)">(.*?</tr>)', table, re.S)
    }


def test_an_admin_sees_which_client_is_locked_out_and_lets_it_in_again(app, logged_in, db_session):
    guesser = guess(app, "operator", "10.60.0.66")
    admin = logged_in("admin")
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))

    html = admin.get("/admin/users").get_data(as_text=True)

    row = lock_rows(html)["10.60.0.66"]
    assert "operator" in row and "来源地址 10.60.0.66" in row and "<td>5</td>" in row and "15 分钟" in row
    assert "登录已锁定" in html.split('data-username="operator"', 1)[1].split("</tr>", 1)[0]
    assert "登录已锁定" not in html.split('data-username="dispatcher"', 1)[1].split("</tr>", 1)[0]

    url = f"/admin/users/{operator.id}/unlock"
    assert admin.post(url, data={"client": "10.60.0.66"}).status_code == 400  # no CSRF token: refused
    assert log_in(guesser, "operator").status_code == 429

    r = admin.post(url, data={"csrf_token": csrf_token_of(html), "client": "10.60.0.66"})

    assert r.status_code == 302 and "已解除 operator 的登录锁定。" in admin.get(r.location).get_data(
        as_text=True
    )
    assert lock_rows(admin.get("/admin/users").get_data(as_text=True)) == {}
    security = admin.get("/admin/security", query_string={"kind": "login_unlocked"}).get_data(as_text=True)
    assert "解除登录锁定" in security and "来源地址：10.60.0.66" in security
    assert log_in(guesser, "operator").status_code == 302  # in again


def test_lifting_an_account_wide_lock_lets_everyone_in_again(app, logged_in, db_session):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 6
    guess(app, "operator", "10.60.1.1", 3)
    guess(app, "operator", "10.60.1.2", 3)
    admin = logged_in("admin")
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "所有来源（账号级锁定）" in lock_rows(html)[""]
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))

    r = admin.post(
        f"/admin/users/{operator.id}/unlock", data={"csrf_token": csrf_token_of(html), "client": ""}
    )

    assert r.status_code == 302
    assert log_in(client_at(app, "10.60.1.7"), "operator").status_code == 302
    again = admin.post(f"/admin/users/{operator.id}/unlock", data={"csrf_token": csrf_token_of(html)})
    assert "operator 当前没有登录锁定。" in admin.get(again.location).get_data(as_text=True)


def test_only_an_admin_lifts_a_lock(app, logged_in, db_session):
    guesser = guess(app, "operator", "10.60.2.66")
    dispatcher = logged_in("dispatcher")
    csrf = csrf_token_of(dispatcher.get("/centre").get_data(as_text=True))
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))

    r = dispatcher.post(
        f"/admin/users/{operator.id}/unlock", data={"csrf_token": csrf, "client": "10.60.2.66"}
    )

    assert r.status_code == 403 and "无权访问" in r.get_data(as_text=True)
    assert log_in(guesser, "operator").status_code == 429


def test_unlocking_an_unknown_account_is_a_404_page(logged_in):
    admin = logged_in("admin")

    r = admin.post("/admin/users/999999/unlock", data={"csrf_token": token(admin)})

    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)


def test_the_locks_read_in_english(app, logged_in):
    guess(app, "operator", "10.60.3.66")
    html = logged_in("admin").get("/admin/users?lang=en").get_data(as_text=True)

    assert "Log-in locks" in html and "client address 10.60.3.66" in lock_rows(html)["10.60.3.66"]
    assert "lock that address out of that username for 15 minutes" in html


def test_a_password_reset_while_redis_is_unreachable_says_the_locks_stay(app, logged_in, db_session):
    """The password is reset all the same; the page does not claim the locks were lifted."""
    import redis

    admin = logged_in("admin")
    rsj = db_session.scalar(sa.select(User).where(User.username == "rsj"))
    url = f"/admin/users/{rsj.id}/password"
    form = {"csrf_token": token(admin, url), "password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    app.extensions["minyi.redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)

    r = admin.post(url, data=form)

    page = admin.get(r.location).get_data(as_text=True)
    assert r.status_code == 302 and "已重置 rsj 的密码。" not in page
    assert (
        "已重置 rsj 的密码，但未能解除其登录锁定（Redis 不可用）：锁定到期前仍不能登录，可稍后在本页解除锁定。"
        in page
    )
    db_session.refresh(rsj)
    assert verify_password(rsj, GOOD_PASSWORD)


def test_when_redis_is_unreachable_the_page_says_the_locks_cannot_be_read(app, logged_in, db_session):
    import redis

    admin = logged_in("admin")
    app.extensions["minyi.redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    html = admin.get("/admin/users").get_data(as_text=True)
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))

    r = admin.post(f"/admin/users/{operator.id}/unlock", data={"csrf_token": csrf_token_of(html)})

    message = "暂时无法读取登录锁定（Redis 不可用），请稍后再试。"
    assert html.count(message) == 1  # in the locks section
    assert (
        r.status_code == 302 and admin.get(r.location).get_data(as_text=True).count(message) == 2
    )  # flashed too


# -- units ----------------------------------------------------------------------------------


def test_units_show_contacts_and_ladder_and_link_to_their_users(logged_in):
    admin = logged_in("admin")
    html = admin.get("/admin/units").get_data(as_text=True)

    row = html.split('id="unit-GXQ-CGJ"', 1)[1].split("</tr>", 1)[0]
    assert "区城管局" in row and "区直部门" in row and "值班室" in row
    assert "单位负责人" in row and "（30 分钟后）" in row
    assert 'href="/admin/users?unit=GXQ-CGJ">1 个用户' in row
    assert 'method="post"' not in html.split("<main", 1)[1]  # read-only: units change with the list
    users = admin.get("/admin/users?unit=GXQ-CGJ").get_data(as_text=True)
    assert 'data-username="cgj"' in users and 'data-username="rsj"' not in users


# -- responsibility-list versions ----------------------------------------------------------


def test_the_versions_page_lists_the_active_default_list(logged_in):
    html = logged_in("admin").get("/admin/lists").get_data(as_text=True)

    row = html.split('data-label="2026.11"', 1)[1].split("</tr>", 1)[0]
    assert "2026-11-01" in row and "439" in row and "ganxian.yaml" in row and "当前启用" in row
    assert 'enctype="multipart/form-data"' in html


def test_a_list_with_an_unknown_unit_shows_the_error_with_its_line_and_stores_nothing(
    logged_in, db_session, monkeypatch
):
    from service.web import admin_lists

    monkeypatch.setattr(admin_lists, "calendar_gaps", lambda calendar, today: [])  # every year described
    admin = logged_in("admin")
    text = changed_list().replace(
        "lead: GXQ-CGJ\n    limits: standard\n    basis: 区住建局",
        "lead: GXQ-NOPE\n    limits: standard\n    basis: 区住建局",
        1,
    )
    before = versions(db_session)

    r = upload(admin, "ganxian-bad.yaml", text.encode())

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    line = line_of(text, "  - id: GX-0001")
    assert findings(html) == [(f"ganxian-bad.yaml:{line}", "规则 GX-0001：主办单位 GXQ-NOPE 不存在")]
    assert "1 个错误，0 个警告。" in html and "清单有错误，未存储。" in html
    assert "与当前启用版本" not in html
    assert versions(db_session) == before
    english = admin.post(
        "/admin/lists?lang=en",
        data={
            "csrf_token": token(admin, "/admin/lists"),
            "file": (io.BytesIO(text.encode()), "ganxian-bad.yaml"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert findings(english) == [(f"ganxian-bad.yaml:{line}", "rule GX-0001: unknown lead unit GXQ-NOPE")]


def test_a_year_without_holiday_data_is_counted_with_the_warnings(logged_in, monkeypatch):
    from service.web import admin_lists

    monkeypatch.setattr(admin_lists, "calendar_gaps", lambda calendar, today: [2099])
    admin = logged_in("admin")

    html = upload(admin, "ganxian.yaml", changed_list().encode()).get_data(as_text=True)
    admin.get("/lang/en")
    english = upload(admin, "ganxian.yaml", changed_list().encode()).get_data(as_text=True)

    assert "0 个错误，1 个警告。" in html and "没有 2099 年的节假日数据" in html
    assert "0 error(s), 1 warning(s)." in english


def test_the_upload_counts_the_years_from_today_in_the_services_time_zone(logged_in, monkeypatch):
    """At 01:00 on 1 January in Beijing (17:00 on 31 December UTC) the year deadlines start in is the
    new one: the upload warns about the year after it, not about the year just ended."""
    from datetime import UTC, datetime

    from dispatch import calendar
    from service.web import admin_lists

    monkeypatch.setattr(admin_lists, "utcnow", lambda: datetime(2098, 12, 31, 17, 0, tzinfo=UTC))
    monkeypatch.setattr(calendar, "NATIONAL_YEARS", range(2004, 2100))  # up to 2099: 2100 unknown
    admin = logged_in("admin")

    html = upload(admin, "ganxian.yaml", changed_list().encode()).get_data(as_text=True)

    assert "0 个错误，1 个警告。" in html and "没有 2100 年的节假日数据" in html


@pytest.mark.parametrize(
    "fixture",
    [*sorted((FIXTURES / "broken").glob("*.yaml")), FIXTURES / "structure_errors.yaml"],
    ids=lambda p: p.stem,
)
def test_every_finding_of_a_check_reads_in_chinese_at_its_place(logged_in, fixture):
    """Errors and warnings of the loader and the checker: the CLI's English, the page's Chinese."""
    _lst, report = check_file(fixture)

    html = upload(logged_in("admin"), fixture.name, fixture.read_bytes()).get_data(as_text=True)

    shown = findings(html)
    assert len(shown) == len(report.errors) + len(report.warnings) > 0
    assert [where for where, _ in shown] == [
        str(p.source).replace(str(fixture), fixture.name) for p in report.errors + report.warnings
    ]
    english = [m for _, m in shown if re.search(r"[a-z]+ [a-z]+", m)]  # key names and codes are single words
    assert english == [], "English words on the Chinese page"


@pytest.mark.parametrize(
    ("fixture", "chinese"),
    [
        ("broken/unknown_category", "规则 R0003：分类 0199 不存在"),
        (
            "broken/unknown_area",
            "规则 R0003：区划 360704999 不存在（不是 county、territorial，也不在区划列表中）",
        ),
        ("broken/unknown_unit", "单位 GXQ-Y：督办升级第 1 级中的单位 GXQ-GONE 不存在"),
        ("broken/missing_limit", "规则 R0003 没有“一般”的时限"),
        ("broken/conflicting_rules", "规则 R0003 与规则 R0001（conflicting_rules.yaml:28）冲突："),
        ("structure_errors", "jurisdiction：缺少必填的键“prefix”"),
    ],
)
def test_the_checks_findings_say_what_is_wrong_in_chinese(logged_in, fixture, chinese):
    path = FIXTURES / f"{fixture}.yaml"

    html = upload(logged_in("admin"), path.name, path.read_bytes()).get_data(as_text=True)

    assert any(message.startswith(chinese) for _, message in findings(html)), findings(html)


def test_a_list_without_its_required_keys_names_each_in_the_page_language(logged_in):
    admin = logged_in("admin")

    shown = findings(upload(admin, "short.yaml", b'version: "2026.12"\n').get_data(as_text=True))
    admin.get("/lang/en")
    english = findings(upload(admin, "short.yaml", b'version: "2026.12"\n').get_data(as_text=True))

    assert ("short.yaml:1", "清单：缺少必填的键“jurisdiction”") in shown
    assert ("short.yaml:1", "the list: missing required key 'jurisdiction'") in english


def test_a_workbooks_problems_read_in_chinese_with_their_sheet_and_row(logged_in, tmp_path):
    path = exported(load_file(SMALL), tmp_path)
    edit(path, MAIN, {(2, "签收时限"): "24天；紧急2小时", (3, "主责单位"): "区住建局"})
    edit(path, "区划", {(3, "层级"): "town"})
    edit(path, "说明", {(6, "值"): "2026-13-01"})

    shown = findings(upload(logged_in("admin"), "list.xlsx", path.read_bytes()).get_data(as_text=True))

    assert sorted(shown) == sorted(
        [
            ("list.xlsx:区划!3", "层级“town”须为 county、township 或 village"),
            ("list.xlsx:说明!6", "生效日期“2026-13-01”须为 YYYY-MM-DD 格式"),
            (
                "list.xlsx:职责清单!2",
                "签收时限：无法识别“24天”；签收时限以小时计，请写成 24小时、紧急2小时、特急0.5小时 这样的形式",
            ),
            (
                "list.xlsx:职责清单!3",
                "主责单位写的是 '区住建局'，但主责单位代码 'territorial' 对应的是 '属地乡镇'；请两处一起改，或清空主责单位代码",
            ),
        ]
    )


def test_hidden_rows_of_a_workbook_are_named_as_warnings_before_publishing(logged_in, tmp_path, db_session):
    path = exported(replace(load_file(SMALL), version="2026.12-h"), tmp_path)
    wb = load_workbook(path)
    wb[MAIN].row_dimensions[3].hidden = True
    wb["区划"].sheet_state = "hidden"
    wb.save(path)

    r = upload(logged_in("admin"), "list.xlsx", path.read_bytes())

    assert r.status_code == 200
    assert {
        ("list.xlsx:职责清单!3", "第 3 行在工作簿中被隐藏，但已和其他行一样读入；请取消隐藏，核对后再发布"),
        (
            "list.xlsx:区划!1",
            "工作表 区划 在工作簿中被隐藏，但已和其他工作表一样读入；请取消隐藏，核对后再发布",
        ),
    } <= set(findings(r.get_data(as_text=True)))
    assert versions(db_session)["2026.12-h"] is False  # stored (warnings do not stop it), not active


def test_lists_check_names_a_hidden_row_beside_the_error_in_it(tmp_path):
    from click.testing import CliRunner

    from service.cli import main as minyi

    path = exported(load_file(SMALL), tmp_path)
    wb = load_workbook(path)
    wb[MAIN].row_dimensions[4].hidden = True
    wb[MAIN].cell(4, 8).value = "24天"  # 签收时限
    wb.save(path)

    result = CliRunner().invoke(minyi, ["lists", "check", str(path)])

    assert result.exit_code == 1
    assert f"{path}:{MAIN}!4: warning: row(s) 4 are hidden in the workbook" in result.output


@pytest.mark.parametrize(
    ("filename", "data", "chinese", "english"),
    [
        (
            "broken.yaml",
            b"jurisdiction: {name: x\nversion: [1, 2\n",
            "YAML 语法错误：while parsing a flow",
            "YAML syntax: while parsing a flow",
        ),
        (
            "latin1.yaml",
            "version: 2026年".encode("gb18030"),
            "文件不是 UTF-8 编码的文本：",
            "the file is not UTF-8 text:",
        ),
        (
            "list.xlsx",
            "序号,一级分类\n1,城市管理\n".encode(),
            "这是文本文件（CSV？），不是 .xlsx 工作簿；请用 Excel 或 WPS 打开后另存为 Excel 工作簿（.xlsx）",
            "this is a text file (CSV?), not an .xlsx workbook",
        ),
        (
            "list.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "这是旧版 Excel 97-2003 工作簿（.xls）或设置了密码的工作簿",
            "this is an old Excel 97-2003 workbook (.xls)",
        ),
        ("list.xlsx", b"", "文件是空的", "the file is empty"),
        (
            "list.xlsx",
            b"PK\x03\x04 cut off while uploading",
            "工作簿已损坏或不完整",
            "the workbook is damaged or incomplete",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why_in_the_page_language(
    logged_in, filename, data, chinese, english
):
    admin = logged_in("admin")

    [(where, message)] = findings(upload(admin, filename, data).get_data(as_text=True))
    admin.get("/lang/en")
    [(_, in_english)] = findings(upload(admin, filename, data).get_data(as_text=True))

    assert where.startswith(filename) and message.startswith(chinese) and in_english.startswith(english)


def test_a_file_that_cannot_be_read_shows_its_problem_and_line(logged_in, db_session):
    admin = logged_in("admin")
    before = versions(db_session)

    r = upload(admin, "broken.yaml", b"jurisdiction: {name: x\nversion: 1\n")

    assert r.status_code == 422
    assert '<code class="where">broken.yaml:' in r.get_data(as_text=True)
    assert versions(db_session) == before


def test_only_yaml_or_xlsx_is_taken(logged_in):
    admin = logged_in("admin")

    r = upload(admin, "list.csv", b"code,name\n")
    missing = admin.post("/admin/lists", data={"csrf_token": token(admin, "/admin/lists")})

    assert (
        r.status_code == 422
        and field_error(r.get_data(as_text=True), "file") == "只能上传 .yaml、.yml 或 .xlsx 文件。"
    )
    assert missing.status_code == 422 and field_error(missing.get_data(as_text=True), "file").startswith(
        "请选择清单文件"
    )


def test_a_file_over_the_limit_is_refused_next_to_the_field(logged_in, app):
    admin = logged_in("admin")
    big = b"#" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    # Encoded in memory: the test client would spool a body this big to a temporary file that the
    # refused request never reads nor closes.
    boundary, body = encode_multipart(
        {"csrf_token": token(admin, "/admin/lists"), "file": FileStorage(io.BytesIO(big), "big.yaml")}
    )

    r = admin.post("/admin/lists", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert r.status_code == 413
    assert field_error(r.get_data(as_text=True), "file") == "文件过大：上传上限为 1024 KiB。"


def test_a_changed_list_is_stored_with_its_diff_and_activated_after_confirmation(logged_in, db_session):
    admin = logged_in("admin")

    r = upload(admin, "ganxian-2026.12.yaml", changed_list().encode())

    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    html = r.get_data(as_text=True)
    assert "检查通过，已存为新版本 2026.12（439 条规则），尚未启用。" in html
    assert "与当前启用版本 2026.11 的差异" in html
    rules = html.split('data-kind="rule"', 1)[1].split("</ul>\n", 1)[0]
    assert "GX-0001" in rules and "主办单位：<del>GXQ-ZJJ</del> → <ins>GXQ-CGJ</ins>" in rules
    assert "版本：<del>2026.11</del> → <ins>2026.12</ins>" in html
    assert versions(db_session) == {"2026.11": True, "2026.12": False}

    confirm = admin.get("/admin/lists/2026.12/activate")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "确认启用 2026.12" in page and "GXQ-CGJ" in page
    assert versions(db_session) == {"2026.11": True, "2026.12": False}  # looking does not activate

    r = admin.post("/admin/lists/2026.12/activate", data={"csrf_token": csrf_token_of(page)})

    assert r.status_code == 302
    listing = admin.get(r.location).get_data(as_text=True)
    assert "已启用职责清单版本 2026.12" in listing
    assert "当前启用" in listing.split('data-label="2026.12"', 1)[1].split("</tr>", 1)[0]
    db_session.expire_all()
    assert versions(db_session) == {"2026.11": False, "2026.12": True}


def test_uploading_the_active_list_again_stores_nothing_new(logged_in, db_session):
    r = upload(logged_in("admin"), "ganxian.yaml", default_text().encode())

    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "内容与已存储的版本 2026.11 相同，未重复存储。" in html
    assert "没有差异。" in html
    assert versions(db_session) == {"2026.11": True}


def test_a_used_version_label_with_other_content_is_refused(logged_in, db_session):
    r = upload(logged_in("admin"), "ganxian.yaml", changed_list(version="2026.11").encode())

    assert r.status_code == 409
    assert "版本号 2026.11 已被另一份内容不同的清单使用，未存储。" in r.get_data(as_text=True)
    assert versions(db_session) == {"2026.11": True}


def test_an_xlsx_workbook_is_checked_and_stored_too(logged_in, db_session):
    lst = loads_yaml(changed_list("2026.12-x"), filename="x.yaml", base_dir=DEFAULT_LIST.parent)
    workbook = io.BytesIO()
    export_xlsx(lst, workbook)
    assert workbook.tell() < 1024 * 1024

    r = upload(logged_in("admin"), "ganxian.xlsx", workbook.getvalue())

    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:2000]
    assert "已存为新版本 2026.12-x" in html and "主办单位：<del>GXQ-ZJJ</del> → <ins>GXQ-CGJ</ins>" in html
    assert versions(db_session)["2026.12-x"] is False


def test_activating_an_unknown_version_is_a_404_page(logged_in):
    r = logged_in("admin").get("/admin/lists/1999.01/activate")

    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)


# -- failed notices -------------------------------------------------------------------------


def test_failed_notices_are_listed_masked_and_can_be_retried_once(logged_in, db_session):
    delivery = failed_notice(db_session)
    admin = logged_in("admin")

    html = admin.get("/admin/notices").get_data(as_text=True)
    row = html.split(f'data-notice="{delivery.id}"', 1)[1].split("</tr>", 1)[0]
    assert "值班室" in row and "gateway said 400" in row and "13907975002" not in row
    assert "<td>短信</td>" in row  # the channel in the page language, not its code
    english = admin.get("/admin/notices?lang=en").get_data(as_text=True)
    assert "<td>SMS</td>" in english.split(f'data-notice="{delivery.id}"', 1)[1].split("</tr>", 1)[0]
    admin.get("/lang/zh")  # ?lang=en holds for the visit: back to Chinese

    r = admin.post(f"/admin/notices/{delivery.id}/retry", data={"csrf_token": csrf_token_of(html)})
    assert f"通知 {delivery.id} 已重新排队发送。" in admin.get(r.location).get_data(as_text=True)
    db_session.refresh(delivery)
    assert delivery.status == nm.PENDING and delivery.attempts == 0

    r = admin.post(f"/admin/notices/{delivery.id}/retry", data={"csrf_token": csrf_token_of(html)})
    assert "不是发送失败状态" in admin.get(r.location).get_data(as_text=True)


def test_a_notice_retried_while_redis_is_unreachable_is_not_said_to_be_queued(app, logged_in, db_session):
    """Marked for sending again and stored, but not "已重新排队": the worker's relay sweep sends it
    once it reaches Redis."""
    import redis

    first, second = failed_notice(db_session), failed_notice(db_session)
    admin = logged_in("admin")
    html = admin.get("/admin/notices").get_data(as_text=True)
    app.extensions["minyi.redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)

    r = admin.post(f"/admin/notices/{first.id}/retry", data={"csrf_token": csrf_token_of(html)})

    page = admin.get(r.location).get_data(as_text=True)
    assert "已重新排队发送" not in page
    assert (
        f"通知 {first.id} 已标记为重新发送，但未能排队（Redis 不可用）；"
        "后台任务连上 Redis 后，定时补发时会将其发出。" in page
    )
    db_session.refresh(first)
    assert first.status == nm.PENDING and first.attempts == 0  # stored all the same
    assert f'data-notice="{first.id}"' not in page and f'data-notice="{second.id}"' in page

    admin.get("/admin/notices?lang=en")
    r = admin.post(f"/admin/notices/{second.id}/retry", data={"csrf_token": csrf_token_of(html)})
    english = admin.get(r.location).get_data(as_text=True)
    assert (
        f"Notice {second.id} is marked for sending again, but not queued (Redis cannot be reached); the "
        "worker&#39;s relay sweep sends it once the worker reaches Redis." in english
    )
    admin.get("/lang/zh")


def test_the_administrator_sees_who_revealed_a_callers_contact_and_why(as_user, logged_in):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user)
    revealed = logged_in("dispatcher").get(f"/centre/appeals/{number}?reason=回访核实")
    assert "13800001234" in revealed.get_data(as_text=True)
    admin = logged_in("admin")

    appeal_page = admin.get(f"/centre/appeals/{number}").get_data(as_text=True)
    link = f'href="/admin/access?appeal={number}"'
    assert link in appeal_page and "谁查看过来电人信息" in appeal_page
    html = admin.get(f"/admin/access?appeal={number}").get_data(as_text=True)

    row = html.split('data-access="', 1)[1].split("</tr>", 1)[0]
    assert "dispatcher" in row and "回访核实" in row and number in row and "<td>查看完整信息</td>" in row
    assert "共 1 条记录。" in html
    assert 'aria-current="page">个人信息查看记录' in html  # its place in the admin sections


def test_only_the_administrator_has_the_access_log_page_and_its_link(as_user, logged_in):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user)
    dispatcher = logged_in("dispatcher")

    assert "/admin/access" not in dispatcher.get(f"/centre/appeals/{number}").get_data(as_text=True)
    assert dispatcher.get("/admin/access").status_code == 403


def test_a_bad_date_on_the_access_log_is_shown_next_to_its_field(logged_in):
    admin = logged_in("admin")

    r = admin.get("/admin/access?since=2026-02-30&user=dispatcher")

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_error(html, "since") and 'value="dispatcher"' in html  # what was typed stays
    assert 'id="access"' not in html  # no records rather than every record


def test_the_access_log_s_error_summary_names_each_filter(logged_in):
    admin = logged_in("admin")

    html = admin.get("/admin/access?since=2026-02-30&action=peek").get_data(as_text=True)
    english = admin.get("/admin/access?since=2026-02-30&action=peek&lang=en").get_data(as_text=True)

    assert error_summary_lines_of(html) == [
        "方式：请从列表中选择。",
        "起始日期：请填写日期（如 2026-01-01），或带时区的日期时间（如 2026-01-01T08:00:00+08:00）。",
    ]
    assert [line.split(": ", 1)[0] for line in error_summary_lines_of(english)] == ["Kind", "From"]


@pytest.mark.parametrize(
    ("query", "lang", "message"),
    [
        ("since=yesterday", "zh", "请填写日期（如 2026-01-01），或带时区的日期时间"),
        ("until=2026-01-01T08:00:00", "zh", "日期时间须带时区"),
        ("since=yesterday", "en", "Not a date (2026-01-01) nor a date and time with its time zone"),
    ],
)
def test_a_date_the_log_pages_cannot_read_is_explained_in_the_page_language(logged_in, query, lang, message):
    admin = logged_in("admin")
    field = query.split("=")[0]

    for page in ("/admin/access", "/admin/security"):
        r = admin.get(f"{page}?{query}&lang={lang}")

        assert r.status_code == 422
        assert message in unescape(field_error(r.get_data(as_text=True), field)), page


def test_the_access_log_page_reads_in_english(as_user, logged_in):
    from tests.service.handling_steps import new_appeal

    number = new_appeal(as_user)
    logged_in("reviewer").get(f"/centre/appeals/{number}?reason=check")
    admin = logged_in("admin")

    html = admin.get(f"/admin/access?appeal={number}&lang=en").get_data(as_text=True)

    assert "Access to personal data" in html and "1 record(s)." in html
    assert "<td>Viewed</td>" in html


def test_the_administrator_creates_an_integration_token_shown_once_and_revokes_it(
    app, client, logged_in, db_session
):
    admin = logged_in("admin")
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))
    url = f"/admin/users/{operator.id}/tokens"
    assert f'href="{url}"' in admin.get("/admin/users").get_data(as_text=True)

    created = admin.post(url, data={"label": "微信公众号对接", "csrf_token": token(admin, url)})

    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    shown = re.search(r"<code data-token>(minyi_[^<]+)</code>", html).group(1)
    api = app.test_client()  # the integration, with the token and no session
    assert (
        api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {shown}"}).json["username"]
        == "operator"
    )
    listed = admin.get(url).get_data(as_text=True)
    assert "微信公众号对接" in listed and shown not in listed  # never shown again
    token_id = re.search(r'data-token-id="(\d+)"', listed).group(1)
    # one click no longer revokes: the row links to a confirmation naming the token and its account
    assert f'href="/admin/tokens/{token_id}/revoke"' in listed and 'action="/admin/tokens/' not in listed
    confirm = admin.get(f"/admin/tokens/{token_id}/revoke").get_data(as_text=True)
    assert f"吊销令牌 {token_id}（微信公众号对接）" in confirm and "账号：operator" in confirm
    assert "将收到 401 拒绝" in confirm and f"确认吊销令牌 {token_id}（微信公众号对接）" in confirm
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 200

    revoked = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token_of(confirm)})

    assert revoked.status_code == 302 and revoked.location == url
    after = admin.get(url).get_data(as_text=True)
    assert f"已吊销令牌 {token_id}（微信公众号对接），使用它的对接将无法再调用接口。" in after
    assert "此令牌已于" in admin.get(f"/admin/tokens/{token_id}/revoke").get_data(as_text=True)
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 401
    again = admin.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token(admin, url)}, follow_redirects=True
    )
    assert "无需重复操作" in again.get_data(as_text=True)


def test_a_token_made_without_a_purpose_is_named_without_empty_brackets(app, logged_in):
    from service.auth.models import ApiToken
    from service.auth.operations import create_token, find_user
    from tests.service.factories import stored

    with stored(app) as s:  # as `minyi tokens create` made them before it had a purpose
        operator = find_user(s, "operator")
        create_token(s, operator, "")
        s.commit()
        token_id = s.scalar(sa.select(sa.func.max(ApiToken.id)))
        url = f"/admin/users/{operator.id}/tokens"
    admin = logged_in("admin")

    confirm = admin.get(f"/admin/tokens/{token_id}/revoke").get_data(as_text=True)
    r = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token_of(confirm)})

    assert f"<h1>吊销令牌 {token_id}</h1>" in confirm
    listed = admin.get(r.location).get_data(as_text=True)
    assert f"已吊销令牌 {token_id}，使用它的对接" in listed and "（）" not in listed
    row = listed.split(f'data-token-id="{token_id}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>—</td>" in row  # the purpose column says there is none
    assert r.location == url


def test_reloading_the_page_that_shows_a_new_token_makes_no_second_one(logged_in, db_session):
    admin = logged_in("admin")
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))
    url = f"/admin/users/{operator.id}/tokens"
    form = admin.get(url).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', form).group(1)
    data = {"label": "App 对接", "form_key": key, "csrf_token": csrf_token_of(form)}

    first = admin.post(url, data=data)
    reloaded = admin.post(url, data=data)  # the browser sends the same form again

    assert first.status_code == 201 and "data-token>" in first.get_data(as_text=True)
    assert reloaded.status_code == 302 and reloaded.location == url
    assert "这张表单已经提交过" in admin.get(url).get_data(as_text=True)
    db_session.expire_all()
    assert [t.label for t in operator.tokens if t.label == "App 对接"] == ["App 对接"]
    fresh = admin.get(url).get_data(as_text=True)  # a new form: a second token when asked for
    again = {**data, "form_key": re.search(r'name="form_key" value="([0-9a-f]{32})"', fresh).group(1)}
    assert admin.post(url, data={**again, "csrf_token": csrf_token_of(fresh)}).status_code == 201


def test_a_token_needs_a_purpose_and_an_active_account(logged_in, db_session):
    admin = logged_in("admin")
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))
    url = f"/admin/users/{operator.id}/tokens"

    r = admin.post(url, data={"label": "  ", "csrf_token": token(admin, url)})

    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "label")
    assert "data-token>" not in r.get_data(as_text=True)
    assert admin.get("/admin/users/999999/tokens").status_code == 404
    assert (
        admin.post("/admin/tokens/999999/revoke", data={"csrf_token": token(admin, url)}).status_code == 404
    )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/admin/users/{big}/tokens"),
        ("post", "/admin/tokens/{big}/revoke"),
        ("get", "/admin/users/{big}/password"),
        ("post", "/admin/notices/{big}/retry"),
    ],
)
def test_an_id_too_large_for_any_row_is_not_found(logged_in, method, url):
    admin = logged_in("admin")
    data = {"csrf_token": token(admin), "label": "x"} if method == "post" else None

    r = getattr(admin, method)(url.format(big="9" * 20), data=data)

    assert r.status_code == 404


def test_only_the_administrator_manages_tokens(logged_in, db_session):
    operator = db_session.scalar(sa.select(User).where(User.username == "operator"))
    dispatcher = logged_in("dispatcher")

    assert dispatcher.get(f"/admin/users/{operator.id}/tokens").status_code == 403


def test_the_security_audit_page_shows_a_failed_log_in_with_why(client, logged_in):
    from tests.web.conftest import log_in as page_log_in

    assert page_log_in(client, "cgj", "not-the-password").status_code == 422
    admin = logged_in("admin")

    html = admin.get("/admin/security?account=CGJ&kind=login").get_data(as_text=True)

    row = html.split('data-kind="login"', 1)[1].split("</tr>", 1)[0]
    assert "登录" in row and "被拒绝" in row and "密码错误" in row and "cgj" in row
    assert 'aria-current="page">安全审计' in html
    english = admin.get("/admin/security?account=cgj&kind=login&lang=en").get_data(as_text=True)
    assert "Security audit" in english and "wrong password" in english and "Refused" in english


def test_what_the_command_line_did_is_named_in_the_page_language(app, logged_in, monkeypatch):
    import getpass

    from service.auth.operations import create_token, find_user
    from tests.service.factories import stored

    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    with stored(app) as s:
        create_token(s, find_user(s, "operator"), "命令行新建")  # as `minyi tokens create` does
        s.commit()
    admin = logged_in("admin")

    def actor_cell(lang):
        html = admin.get(f"/admin/security?kind=token_created&lang={lang}").get_data(as_text=True)
        return re.findall(r"<td>([^<]*)</td>", html.split('data-kind="token_created"', 1)[1])[2]

    assert actor_cell("zh") == "命令行（ops）"
    assert actor_cell("en") == "command line (ops)"


def test_the_security_audit_page_names_a_bad_filter(logged_in):
    r = logged_in("admin").get("/admin/security?until=tomorrow")

    assert r.status_code == 422 and field_error(r.get_data(as_text=True), "until")


def test_the_security_audit_s_error_summary_names_each_filter(logged_in):
    admin = logged_in("admin")

    html = admin.get("/admin/security?until=tomorrow&kind=x").get_data(as_text=True)
    english = admin.get("/admin/security?until=tomorrow&kind=x&lang=en").get_data(as_text=True)

    assert error_summary_lines_of(html) == [
        "事件：请从列表中选择。",
        "截止日期：请填写日期（如 2026-01-01），或带时区的日期时间（如 2026-01-01T08:00:00+08:00）。",
    ]
    assert [line.split(": ", 1)[0] for line in error_summary_lines_of(english)] == ["Event", "To"]


def test_every_security_event_kind_has_a_label():
    from service.auth.audit import KINDS
    from service.web.admin_security import KIND_LABELS

    assert set(KIND_LABELS) == set(KINDS)
