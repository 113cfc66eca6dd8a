"""Page tests with the Flask test client; the app, client and database come from tests/conftest.py."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from service.demo import DEMO_PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def error_summary_of(html: str) -> list[str]:
    """The messages of the page's error summary (every field's errors, also those shown nowhere else)."""
    box = (
        html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        if 'class="error-summary"' in html
        else ""
    )
    return re.findall(r'<li><a href="[^"]*">(?:<span class="error-field">[^<]*</span>)?([^<]*)</a></li>', box)


def error_summary_lines_of(html: str) -> list[str]:
    """The lines of the page's error summary as read: each field's name, then its messages."""
    box = (
        html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        if 'class="error-summary"' in html
        else ""
    )
    return [re.sub(r"<[^>]+>", "", line) for line in re.findall(r"<li>(.*?)</li>", box)]


def log_in(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, next_url: str | None = None):
    """Log in through the page, as a browser would: fetch the form, post it with its token."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


@pytest.fixture
def logged_in(client: FlaskClient):
    """logged_in("dispatcher") → the client, logged in through the log-in page."""

    def make(username: str) -> FlaskClient:
        r = log_in(client, username)
        assert r.status_code == 302, r.get_data(as_text=True)
        return client

    return make
