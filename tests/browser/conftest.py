"""Browser tests: the app served for real, driven in Debian's headless chromium through Playwright.

- `live_server` (session): the app under werkzeug's `make_server` in a thread on 127.0.0.1 and a
  free port, on a database of its own (a fresh SQLite file with the default list and the demo
  users, migrated like the real one) and an embedded Redis of its own. Requests commit for real:
  the per-test rollback of tests/conftest.py cannot span the server's threads, and a separate
  database keeps what browser tests commit away from the other tests. Each test makes its own data
  and must not rely on what another test left. Rate limits are off (every test logs in from
  127.0.0.1).
- `page` (per test): a fresh browser context (own cookies) at 1280×800, Chinese by default, with
  `base_url` set, so `page.goto("/login")` works. Every page it visits is saved as a screenshot
  under var/test-output/browser/<test name>/NN-<path>.png as the test leaves it, the last one at
  the end of the test (see `Screenshots`; the `screenshots` fixture takes extra ones on demand).
- `log_in(page, username)`: logs in through the log-in page (demo password).

Run: `.venv/bin/pytest tests/browser -q -p no:cacheprovider` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import base64
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = ROOT / "var" / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


def buffered(app: Any) -> Any:
    """WSGI middleware: each response read whole and its iterable closed before it is sent.

    Werkzeug's development server leaves a response's iterable unclosed when the browser drops the
    connection while it drains the request (it navigated away while a static file was still being
    served): the open file then surfaces as a ResourceWarning in a later test. Buffered, there is
    nothing left open to leak; the responses the browser sees are the same.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        chunks = app(environ, start_response)
        try:
            return [b"".join(chunks)]
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

    return serve


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from service import create_app, db, migrate
    from service.demo import create_demo_users, default_list_path, load_default_list
    from service.redis_conn import EmbeddedRedis

    base = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{base / 'browser.db'}"
    migrate.upgrade(database_url)
    (base / "redis").mkdir()
    redis = EmbeddedRedis(base / "redis")
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "SECRET_KEY": "browser-tests",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        s = db.session()
        load_default_list(s, default_list_path())
        create_demo_users(s)
        s.commit()

    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    app.extensions["minyi.engine"].dispose()
    redis.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (10 s, `page` below), not Playwright's 5 s: on a loaded
    # two-core CI machine an htmx round trip (the caller's history) has taken longer than 5 s.
    expect.set_options(timeout=10_000)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _slug(url: str) -> str:
    parts = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", parts.path).strip("-") or "home"
    return slug[:60]


class Screenshots:
    """Numbered screenshots of every page a test visits, taken as the test leaves each page.

    A `load` listener cannot do it: Playwright's sync API runs listeners in a greenlet of their
    own, so a screenshot taken there races the test's next steps and can show the next page.
    Instead a route holds each new document request (a link, a form post, a `goto`) until the
    page still shown is saved, so each file shows a page as the user last saw it (forms filled
    in, errors shown); the fixture saves the last page at the end. htmx swaps are not navigations:
    call `screenshots.take(page, "name")` for a state worth keeping.

    Pages are saved as the viewport when left, and whole at the end and on `take`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.unsaved = False  # a page has loaded since the last screenshot
        # One DevTools session per page, opened outside the listeners (opening one inside a route
        # handler deadlocks).
        self.sessions: dict[int, Any] = {}
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def take(self, page: Any, name: str | None = None) -> Path:
        """Save the whole page now (not from inside a held navigation: see `_take_leaving`)."""
        path = self._next_path(page, name)
        page.screenshot(path=str(path), full_page=True)
        return path

    def _next_path(self, page: Any, name: str | None) -> Path:
        self.count += 1
        self.unsaved = False
        return self.folder / f"{self.count:02d}-{name or _slug(page.url)}.png"

    def _take_leaving(self, page: Any) -> None:
        """Save the viewport while the next document request is held.

        Through the DevTools protocol: Playwright's `page.screenshot` (and a full-page capture,
        which resizes the view) waits for a new frame, which never comes while a navigation is held.
        """
        path = self._next_path(page, None)
        shot = self.sessions[id(page)].send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))

    def watch(self, page: Any) -> None:
        self.sessions[id(page)] = page.context.new_cdp_session(page)

        def loaded(_page: Any) -> None:
            self.unsaved = True

        def leaving(route: Any) -> None:
            request = route.request
            if request.resource_type == "document" and self.unsaved and not page.is_closed():
                self._take_leaving(page)
            route.continue_()

        page.on("load", loaded)
        page.route(lambda url: "/assets/" not in url, leaving)

    def finish(self, page: Any) -> None:
        if self.unsaved and not page.is_closed():
            self.take(page)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return Screenshots(OUTPUT_DIR / name)


@pytest.fixture
def page(browser: Any, live_server: LiveServer, screenshots: Screenshots) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    screenshots.watch(page)
    yield page
    screenshots.finish(page)
    context.close()


@pytest.fixture
def log_in() -> Callable[..., None]:
    """log_in(page, "dispatcher"): log in through the log-in page and wait for the next page.

    On the log-in page already (after a redirect with `next`), it fills that form in.
    """

    def do(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
        if urlsplit(page.url).path != "/login":
            page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()

    return do
