"""Every page each role can reach reads in the page's language: in English no Chinese is left in
the interface, and in Chinese no English.

The pages are walked as each demo role would: every link from the role's landing page (the work
lists, every appeal on them, the admin pages, the figures…), followed by the forms that answer with
errors, refusals and messages, on appeals with a full history (dispatched, pressed, co-signed,
signed, contributed, extended, returned and kept, replied, sent back, released, rated, set aside,
reopened, supervised twice, escalated, merged into, closed), and the citizen's portal with its
tracking and rating. What is left after taking out the county's own words is the interface:

- the list's names (units, categories, places, the escalation ladder's titles and contacts, the
  rules' bases and notes), the staff's display names, and the texts this test typed;
- what a page marks as written in the other language (`lang="zh…"`: the printable letter, which is
  Chinese by design, and the language link itself).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from dispatch.escalation import ESCALATE, REPLY_DUE_SOON, REPLY_OVERDUE, SIGN_OVERDUE
from dispatch.routing import Router
from service.appeals.models import Appeal
from service.auth.models import ApiToken, SecurityEvent, User
from service.escalation.sweeps import sweep
from service.lists.models import Area, Category, ListVersion, Unit
from tests.service.closing_arrange import UNSATISFIED, rate
from tests.service.factories import new_address, register, stored
from tests.service.handling_steps import CO, LEAD, new_appeal, ok, reply_body
from tests.service.helpers import a_village, appeal_payload, default_list
from tests.web.conftest import csrf_token_of, log_in
from tests.web.test_admin import changed_list, upload

#: What this test types in, besides tests.service.helpers.appeal_payload and handling_steps.reply_body.
TYPED = (
    "请尽快签收",
    "本镇已派人到现场核实",
    "需协调环卫所和镇政府",
    "不属于本单位职责",
    "职责清单第3项",
    "需镇政府配合",
    "撤回协办",
    "属于你单位职责，请继续办理",
    "未联系诉求人核实",
    "请补充处理时间",
    "群众反映垃圾仍未清运",
    "群众多次来电，提请督办",
    "再次督办",
    "同一地点同一事项",
    "来电人恶意评价",
    "垃圾",
    "城乡居民医保缴费时间",
    "每年9月至12月缴纳下一年度医保费用。",
    "医保",
    "路灯不亮",
    "李四",
    "王母渡镇光明路的路灯一个星期都不亮了，晚上走路很危险。",
    "王母渡镇光明路",
    "很及时",
    "打印给来电人",
    "核实来电人身份",
    "微信公众号对接",
    UNSATISFIED["comment"],
)
#: The citizen's name as the staff pages mask it.
MASKED = ("张*", "李*")

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: An English word on a Chinese page: two letters or more.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
#: Latin letters on a Chinese page that are not English words: numbers and codes (GX20261207-0001,
#: GXQ-CGJ, GX-0400, CALL-0001, Open311), addresses, file names, a new API token.
CODES = re.compile(
    r"[A-Z]{2,}[A-Z0-9]*-[A-Z0-9-]+|GX\d{8}-\d{4}|Open311|[\w.-]+@[\w.-]+|https?://\S+"
    r"|[\w.-]+\.(?:yaml|yml|xlsx|csv)\b|\bminyi_[\w-]+"
)
#: Chinese typography on an English page: full-width punctuation and brackets (，：；。、（）「」).
FULL_WIDTH = re.compile(r"[\u3001-\u303f\uff01-\uff60]")
#: Two spaces between words on a line, where one was meant (a text joined from parts).
DOUBLE_SPACE = re.compile(r"(?<=\S)  (?=\S)")
#: Words the Chinese interface uses as they are: names of formats, products and units, and the
#: holiday package to upgrade.
NOT_ENGLISH = frozenset({"Excel", "YAML", "XLSX", "Redis", "API", "App", "MiB", "chinesecalendar"})
#: The keys of the list's YAML file that the admin pages tell the admin to write (as they are typed).
LIST_KEYS = ("areas_file", "areas", "calendar", "holidays", "workdays")


def names_in_latin(app: Flask) -> re.Pattern[str]:
    """Names that are Latin in any language, as stored: the accounts, the tokens' labels, who
    loaded a list (`minyi demo load`: demo), the command line's system user in the audit log; and
    the list's YAML keys."""
    with stored(app) as s:
        names = {
            *s.scalars(sa.select(User.username)),
            *s.scalars(sa.select(ApiToken.label)),
            *s.scalars(sa.select(ListVersion.loaded_by)),
            *s.scalars(sa.select(SecurityEvent.account)),
            *(
                re.sub(r"^command line \((.*)\)$", r"\1", a)
                for a in s.scalars(sa.select(SecurityEvent.actor_name))
            ),
            *(d.get("label", "") for d in s.scalars(sa.select(SecurityEvent.detail)) if isinstance(d, dict)),
            *LIST_KEYS,
        }
    latin = sorted((n for n in names if n and re.search(r"[A-Za-z]", str(n))), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(str(n)) for n in latin) + r")(?![\w-])")


#: The YAML parser's own words after the page's "YAML 语法错误：" (it has no Chinese).
PARSER_DETAIL = re.compile(r"(?<=YAML 语法错误：).*")


class Visible(HTMLParser):
    """The text a reader sees (and hears: titles, labels, placeholders), without the parts marked as
    written in `skip_lang` (a `lang` attribute starting with it)."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self, skip_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_lang = skip_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hidden = tag in ("script", "style") or (values.get("lang") or "").startswith(self.skip_lang)
        if not (hidden or self._hidden()):
            for name in ("title", "placeholder", "aria-label", "alt"):
                if values.get(name):
                    self.parts.append(values[name] or "")
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(values["value"] or "")
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed elements (<li>, <p>)
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.parts.append(data.strip())


def visible(html: str, skip_lang: str) -> list[str]:
    parser = Visible(skip_lang)
    parser.feed(html)
    return parser.parts


@pytest.fixture
def county_words(app: Flask) -> list[str]:
    """The county's own words a page may show in any language, longest first."""
    words: set[str] = {*TYPED, *MASKED}

    def add(value: Any) -> None:
        if isinstance(value, str) and HAN.search(value):
            words.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                add(v)
        elif isinstance(value, list | tuple):
            for v in value:
                add(v)

    with stored(app) as s:
        for unit in s.scalars(sa.select(Unit)):
            add([unit.name, unit.contacts, unit.escalation])
        add(list(s.scalars(sa.select(Category.name))))
        add(list(s.scalars(sa.select(Area.name))))
        add(list(s.scalars(sa.select(User.display_name))))
    county = default_list()
    add([county.jurisdiction.name, [(r.basis, r.note) for r in county.rules]])
    add([appeal_payload(), reply_body()])
    return sorted(words, key=len, reverse=True)


# -- the appeals the pages show -------------------------------------------------------------------


def code_of(app: Flask, number: str) -> str:
    with stored(app) as s:
        return s.scalar(sa.select(Appeal.query_code).where(Appeal.number == number))


@pytest.fixture
def appeals(app: Flask, client: Any, as_user: Any) -> dict[str, str]:
    """An appeal in every state a page shows differently, through the API as each role would."""
    dispatcher, reviewer = as_user("dispatcher"), as_user("reviewer")
    full = new_appeal(as_user)  # 区城管局 leads, 梅林镇 co-handles
    ok(dispatcher, full, "supervise", kind="press", note="请尽快签收")
    ok(as_user(CO), full, "sign")
    ok(as_user(LEAD), full, "sign")
    ok(as_user(CO), full, "contribute", text="本镇已派人到现场核实")
    ok(as_user(LEAD), full, "extension", days=3, reason="需协调环卫所和镇政府")
    ok(reviewer, full, "extension-review", decision="approve")
    ok(as_user(LEAD), full, "return", reason="不属于本单位职责", basis="职责清单第3项")
    ok(dispatcher, full, "return-review", decision="reject", note="属于你单位职责，请继续办理")
    ok(as_user(LEAD), full, "reply", **reply_body())
    ok(reviewer, full, "review", decision="send_back", reasons=["未联系诉求人核实"])
    ok(as_user(LEAD), full, "reply", **reply_body())
    ok(reviewer, full, "review", decision="approve")
    assert rate(client, {"number": full, "query_code": code_of(app, full)}, UNSATISFIED).status_code == 200
    ok(reviewer, full, "exclude-rating", reason="malicious", note="来电人恶意评价")
    ok(reviewer, full, "exclude-rating", reason=None, note="来电人恶意评价")
    ok(dispatcher, full, "reopen", reason="群众反映垃圾仍未清运", attributable=True)
    ok(dispatcher, full, "supervise", kind="raise", note="群众多次来电，提请督办")
    ok(dispatcher, full, "supervise", kind="raise", note="再次督办")
    merged = new_appeal(as_user)
    ok(dispatcher, merged, "merge", master=full, reason="同一地点同一事项")

    late = new_appeal(as_user, urgency="紧急")  # urgent: alerted, then overdue and escalated
    ok(as_user(CO), late, "sign")
    with stored(app) as s:
        due = s.scalar(sa.select(Appeal.reply_due_at).where(Appeal.number == late))
        for kind in (ESCALATE, SIGN_OVERDUE, REPLY_DUE_SOON, REPLY_OVERDUE):
            sweep(s, kind, now=due + timedelta(days=2))
        s.commit()

    closed = new_appeal(as_user)
    ok(as_user(LEAD), closed, "sign")
    ok(as_user(LEAD), closed, "reply", **reply_body())
    ok(reviewer, closed, "review", decision="approve")
    returned = new_appeal(as_user)
    ok(as_user(LEAD), returned, "return", reason="不属于本单位职责", basis="职责清单第3项")
    extending = new_appeal(as_user)
    ok(as_user(LEAD), extending, "sign")
    ok(as_user(LEAD), extending, "extension", days=3, reason="需协调环卫所和镇政府")
    reviewing = new_appeal(as_user)
    ok(as_user(LEAD), reviewing, "sign")
    ok(as_user(LEAD), reviewing, "reply", **reply_body(result="unresolvable", reason="需协调环卫所和镇政府"))
    sent_back = new_appeal(as_user)  # the reply to correct, the centre's internal note
    ok(as_user(LEAD), sent_back, "sign")
    ok(as_user(LEAD), sent_back, "reply", **reply_body())
    ok(
        reviewer,
        sent_back,
        "review",
        decision="send_back",
        reasons=["未联系诉求人核实"],
        note="请补充处理时间",
    )
    withdrawn = new_appeal(as_user)  # an extension withdrawn by a return (延期申请已撤回)
    ok(as_user(LEAD), withdrawn, "sign")
    ok(as_user(LEAD), withdrawn, "extension", days=3, reason="需协调环卫所和镇政府")
    ok(as_user(LEAD), withdrawn, "return", reason="不属于本单位职责", basis="职责清单第3项")
    waiting = register(as_user("operator"))["number"]  # no category: the dispatch form and a duplicate flag
    redispatched = new_appeal(as_user)
    ok(dispatcher, redispatched, "dispatch", unit="GXQ-RSJ", reason="职责清单第3项")
    # Then its co-units alone change (调整协办单位): one added, then dropped (its part ended).
    ok(dispatcher, redispatched, "dispatch", unit="GXQ-RSJ", co_units=["GXZ-MLZ"], reason="需镇政府配合")
    ok(dispatcher, redispatched, "dispatch", unit="GXQ-RSJ", co_units=[], reason="撤回协办")
    as_user("dispatcher").post(
        "/api/v1/knowledge",
        json={
            "title": "城乡居民医保缴费时间",
            "body": "每年9月至12月缴纳下一年度医保费用。",
            "keywords": ["医保"],
        },
    )
    return {
        "full": full,
        "merged": merged,
        "late": late,
        "closed": closed,
        "returned": returned,
        "extending": extending,
        "reviewing": reviewing,
        "waiting": waiting,
        "redispatched": redispatched,
        "sent_back": sent_back,
        "withdrawn": withdrawn,
    }


# -- the walk -------------------------------------------------------------------------------------

#: Links not to follow: they leave the pages, change state, or download a file.
NOT_FOLLOWED = re.compile(r"^/(api/|assets/|static/|lang/|logout)|/export|\.(xlsx|yaml|csv)$")
HREF = re.compile(r'href="(/[^"#]*)"')


class Walk:
    """The pages seen, as (what, status, html)."""

    def __init__(self, app: Flask, language: str) -> None:
        self.app = app
        self.language = language
        self.pages: list[tuple[str, int, str]] = []

    def client(self) -> Any:
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = new_address()  # the public pages are rate-limited
        client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"  # a browser
        client.get(f"/lang/{self.language}")
        return client

    def seen(self, what: str, response: Any, expect: int | None = None) -> str:
        html = response.get_data(as_text=True)
        assert expect is None or response.status_code == expect, (what, response.status_code, html[:2000])
        if response.mimetype == "text/html":
            self.pages.append((what, response.status_code, html))
        return html

    def get(self, client: Any, url: str, who: str, expect: int | None = None) -> str:
        return self.seen(f"{who} GET {url}", client.get(url, follow_redirects=True), expect)

    def post(
        self, client: Any, url: str, who: str, data: dict[str, Any], page: str, expect: int | None = None
    ) -> str:
        """Post a form of `page` (its CSRF token), following the redirect to the page that answers."""
        sent = client.post(url, data={"csrf_token": csrf_token_of(page), **data}, follow_redirects=True)
        return self.seen(f"{who} POST {url}", sent, expect)

    def crawl(self, client: Any, start: str, who: str, limit: int = 150) -> None:
        """Every page reachable by links from `start`, each address once."""
        todo, done = [start], set()
        while todo and len(done) < limit:
            url = todo.pop(0)
            if url in done:
                continue
            done.add(url)
            html = self.get(client, url, who)
            for href in HREF.findall(html):
                href = href.replace("&amp;", "&")
                if not NOT_FOLLOWED.search(urlsplit(href).path) and href not in done:
                    todo.append(href)

    def staff(self, username: str) -> Any:
        client = self.client()
        r = log_in(client, username)
        assert r.status_code == 302, r.get_data(as_text=True)
        self.seen(f"{username} logs in", client.get(r.location))  # the welcome message
        self.crawl(client, r.location, username)
        return client


INTAKE_KEY = re.compile(r'name="intake_key" value="([0-9a-f]+)"')
CALL = {
    "contact.phone": "13800001234",
    "contact.name": "李四",
    "title": "路灯不亮",
    "content": "王母渡镇光明路的路灯一个星期都不亮了，晚上走路很危险。",
    "address": "王母渡镇光明路",
}


def walk(app: Flask, appeals: dict[str, str], language: str) -> list[tuple[str, int, str]]:
    """Every page the demo roles and a citizen reach, in `language`, with the answers to their forms."""
    w = Walk(app, language)
    full, closed, waiting = appeals["full"], appeals["closed"], appeals["waiting"]

    operator = w.staff("operator")
    page = operator.get("/console").get_data(as_text=True)
    call = {
        "channel": "hotline",
        "appeal_type": "求助",
        "urgency": "一般",
        "intake_key": INTAKE_KEY.search(page)[1],
    }
    w.post(operator, "/console", "operator", {**call, "action": "submit"}, page, 422)  # every field missing
    w.post(
        operator, "/console", "operator", {**call, **CALL, "action": "check", "category_q": "垃圾"}, page, 200
    )
    htmx = {"X-CSRFToken": csrf_token_of(page), "HX-Request": "true"}
    for url in ("/console/suggest", "/console/duplicates"):
        w.seen(f"operator POST {url}", operator.post(url, data=CALL, headers=htmx), 200)
    for url in (
        "/console/caller?contact.phone=13800001234",
        "/console/knowledge?kb_q=医保",
        "/console/categories?category_q=垃圾",
        f"/portal/areas?township={a_village()[:9]}",
    ):
        w.get(operator, url, "operator", 200)
    w.post(
        operator, "/console", "operator", {**call, **CALL, "action": "submit", "area": a_village()}, page, 200
    )
    page = operator.get("/console").get_data(as_text=True)
    call["intake_key"] = INTAKE_KEY.search(page)[1]
    closing = {**call, **CALL, "appeal_type": "咨询", "action": "close", "answer": ""}
    w.post(operator, "/console", "operator", closing, page, 422)  # no answer
    wrong = {"current_password": "x", "password": "short"}
    w.post(operator, "/account/password", "operator", wrong, page, 422)
    w.post(operator, "/logout", "operator", {}, page, 200)  # the log-in page, saying so

    dispatcher = w.staff("dispatcher")
    w.get(dispatcher, "/centre/search?status=nope", "dispatcher", 422)
    w.get(dispatcher, "/centre/search?unit=GXQ-CGJ&status=dispatched&urgency=紧急", "dispatcher", 200)
    w.get(dispatcher, f"/centre/appeals/{full}?reason=核实来电人身份", "dispatcher", 200)  # the contact shown
    page = dispatcher.get(f"/centre/appeals/{full}").get_data(as_text=True)
    press = f"/centre/appeals/{full}/press"
    w.post(dispatcher, press, "dispatcher", {"note": ""}, page, 422)
    w.post(
        dispatcher, press, "dispatcher", {"note": "请尽快签收", "version": "1"}, page, 409
    )  # changed since
    w.post(dispatcher, f"/centre/appeals/{full}/review", "dispatcher", {"decision": "approve"}, page, 403)
    w.post(dispatcher, press, "dispatcher", {"note": "请尽快签收"}, page, 200)  # done: its message
    w.get(dispatcher, f"/centre/appeals/{closed}/letter", "dispatcher", 422)  # the reason asked for
    w.get(dispatcher, f"/centre/appeals/{closed}/letter?reason=打印给来电人", "dispatcher", 200)
    w.get(dispatcher, f"/centre/appeals/{appeals['returned']}/letter", "dispatcher", 409)  # no reply yet
    w.get(dispatcher, "/centre/appeals/GX19990101-0001", "dispatcher", 404)
    w.get(dispatcher, "/admin", "dispatcher", 403)
    page = dispatcher.get(f"/centre/appeals/{waiting}").get_data(as_text=True)
    w.post(dispatcher, f"/centre/appeals/{waiting}/dispatch", "dispatcher", {"reason": ""}, page, 422)

    for number in (appeals["sent_back"], appeals["withdrawn"]):
        w.get(dispatcher, f"/centre/appeals/{number}", "dispatcher", 200)
    w.staff("reviewer")
    w.staff("leader")

    cgj = w.staff(LEAD)
    page = cgj.get(f"/unit/appeals/{full}").get_data(as_text=True)
    w.post(cgj, f"/unit/appeals/{full}/sign", LEAD, {}, page, 200)
    w.post(cgj, f"/unit/appeals/{full}/reply", LEAD, {"result": "unresolvable"}, page, 422)
    w.post(cgj, f"/unit/appeals/{full}/contribute", LEAD, {"text": "本镇已派人到现场核实"}, page, 403)
    for number in (appeals["sent_back"], appeals["withdrawn"]):
        w.get(cgj, f"/unit/appeals/{number}", LEAD, 200)
    w.staff(CO)

    admin = w.staff("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    account = {"username": "", "role": "unit_staff", "password": "x"}
    w.post(admin, "/admin/users", "admin", account, page, 422)
    with stored(app) as s:
        tokens = f"/admin/users/{s.scalar(sa.select(User.id).where(User.username == LEAD))}/tokens"
    page = admin.get(tokens).get_data(as_text=True)
    w.post(admin, tokens, "admin", {"label": ""}, page, 422)  # the label asked for
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page)[1]
    page = w.post(
        admin, tokens, "admin", {"label": "微信公众号对接", "form_key": key}, page, 201
    )  # shown once
    revoke = re.findall(r'href="(/admin/tokens/\d+/revoke)"', page)[-1]
    page = w.get(admin, revoke, "admin", 200)  # the confirmation
    w.post(admin, revoke, "admin", {}, page, 200)  # revoked: its message
    w.seen("admin uploads a list", upload(admin, "ganxian.yaml", changed_list().encode()), 200)
    w.get(admin, "/admin/lists/2026.12/activate", "admin", 200)
    w.seen("admin uploads a broken list", upload(admin, "broken.yaml", b"version: [unclosed\n"), 422)

    citizen = w.client()
    w.crawl(citizen, "/portal", "citizen")
    w.get(citizen, "/nope", "citizen", 404)
    page = citizen.get("/login").get_data(as_text=True)
    w.post(citizen, "/login", "citizen", {"username": "operator", "password": "wrong"}, page, 422)
    page = citizen.get("/portal/submit").get_data(as_text=True)
    submission = {"intake_key": INTAKE_KEY.search(page)[1], "appeal_type": "投诉"}
    w.post(citizen, "/portal/submit", "citizen", submission, page, 422)
    place = {"township": a_village()[:9], "area": a_village()}
    w.post(citizen, "/portal/submit", "citizen", {**submission, **CALL, **place}, page, 200)  # its number
    page = citizen.get("/portal/track").get_data(as_text=True)
    w.post(citizen, "/portal/track", "citizen", {"number": full, "code": "000000"}, page, 404)
    w.post(citizen, "/portal/track", "citizen", {"number": "", "code": "x"}, page, 422)
    for number in (full, appeals["merged"], closed, waiting):
        w.post(
            citizen, "/portal/track", "citizen", {"number": number, "code": code_of(app, number)}, page, 200
        )
    rating = {
        "contacted": "true",
        "resolved": "yes",
        "attitude": "满意",
        "result": "满意",
        "comment": "很及时",
    }
    page = citizen.get(f"/portal/appeals/{closed}").get_data(as_text=True)
    w.post(citizen, f"/portal/appeals/{closed}/rate", "citizen", {"contacted": "true"}, page, 422)
    w.post(citizen, f"/portal/appeals/{closed}/rate", "citizen", rating, page, 200)  # thanked
    w.post(citizen, f"/portal/appeals/{closed}/rate", "citizen", rating, page, 409)  # rated already
    w.post(citizen, f"/portal/appeals/{waiting}/rate", "citizen", rating, page, 409)  # not answered yet

    from service.web.pages import render_error  # (imported first, it would start an import cycle)

    with app.test_request_context(f"/?lang={language}"):
        html, status = render_error(500)
        w.pages.append(("the 500 page", status, html))
    return w.pages


def leftovers(
    pages: list[tuple[str, int, str]],
    skip_lang: str,
    words: list[str],
    found: re.Pattern[str],
    allowed: frozenset[str] = frozenset(),
    codes: re.Pattern[str] | None = None,
) -> list[str]:
    """Each page's texts in which `found` matches once the county's words (and `codes`) are taken out."""
    problems = []
    for what, status, html in pages:
        left = []
        for text in visible(html, skip_lang):
            if codes is not None:
                text = codes.sub(" ", text)
            for word in words:
                if word in text:
                    text = text.replace(word, " ")
            if any(m not in allowed for m in found.findall(text)):
                left.append(text)
        if left:
            problems.append(f"{what} ({status}): {sorted(set(left))}")
    return problems


def test_every_page_in_english_has_no_chinese_but_the_county_s_own_words(app, appeals, county_words):
    pages = walk(app, appeals, "en")

    assert len(pages) > 100  # the walk reached the pages
    assert [what for what, _status, html in pages if "<html" in html and '<html lang="en">' not in html] == []
    problems = leftovers(pages, "zh", county_words, HAN)
    assert not problems, "Chinese left on English pages:\n" + "\n".join(problems)
    problems = leftovers(pages, "zh", county_words, FULL_WIDTH)
    assert not problems, "Chinese punctuation on English pages:\n" + "\n".join(problems)
    doubled = sorted(
        {
            f"{what}: {text!r}"
            for what, _s, html in pages
            for text in visible(html, "zh")
            if DOUBLE_SPACE.search(text)
        }
    )
    assert not doubled, "Two spaces between words on English pages:\n" + "\n".join(doubled)


def test_every_page_in_chinese_has_no_english(app, appeals, county_words):
    pages = walk(app, appeals, "zh")

    assert [
        what for what, _status, html in pages if "<html" in html and '<html lang="zh-CN">' not in html
    ] == []
    codes = re.compile(f"{CODES.pattern}|{PARSER_DETAIL.pattern}|{names_in_latin(app).pattern}")
    problems = leftovers(pages, "en", county_words, LATIN_WORD, NOT_ENGLISH, codes=codes)
    assert not problems, "English left on Chinese pages:\n" + "\n".join(problems)


def test_the_routing_explanations_and_the_service_s_notes_read_in_english(app, county_words):
    """Every explanation the list gives (each category, at a village, a township and county-wide, and
    the places it cannot route) and each note the service writes, as an English page shows them;
    what people wrote stays as it is, and a Chinese page shows the record as it was written."""
    from service.appeals.recorded import recorded
    from service.escalation.sweeps import _EVENT_NOTES
    from service.handling.closing import CLOSED_MESSAGES

    county = default_list()
    router = Router(county)
    village = a_village("梅林镇")
    places = (village, village[:9], county.jurisdiction.code, None, "999999999")
    said: list[str] = [*CLOSED_MESSAGES.values(), *_EVENT_NOTES.values()]
    for category in [c.code for c in county.categories] + [None, "NOPE"]:
        for place in places:
            expl = router.explain(category, place, "一般", "投诉")
            said += [expl.get("summary"), expl.get("message"), (expl.get("scope") or {}).get("reason")]
            said += [o["reason"] for o in (*expl.get("overridden", ()), *expl.get("skipped", ()))]
    said = [text for text in said if text]
    assert len(said) > 1000

    with app.test_request_context("/?lang=en"):
        english = [recorded(text) for text in said]
        assert recorded("按时签收（距签收时限1天2小时5分钟）") == (
            "Signed for on time (1 d 2 h 5 min before the sign-for deadline)"
        )
        assert recorded("办理时限延长至2026年12月24日") == "Time limit extended to 2026-12-24"
        assert recorded("评价剔除：恶意评价。来电人恶意评价") == "Rating set aside: Malicious. 来电人恶意评价"
        assert recorded("签收") == "Signed for"  # the note, not the button's "Sign for"
        assert recorded("门口的垃圾三天没人清运") == "门口的垃圾三天没人清运"  # what people wrote
    left = leftovers(
        [("explanations", 200, "<p>" + "</p><p>".join(english) + "</p>")], "zh", county_words, HAN
    )
    assert not left, left
    with app.test_request_context("/?lang=zh"):
        assert [recorded(text) for text in said] == said
