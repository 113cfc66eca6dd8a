"""Helpers shared by the browser tests (the log-in itself is the `log_in` fixture in conftest.py)."""

from __future__ import annotations

import secrets
from typing import Any

from service.demo import DEMO_PASSWORD
from tests.service.handling_steps import garbage_in_meilin, reply_body
from tests.service.helpers import appeal_payload


def log_out(page: Any) -> None:
    """Log out with the header's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def new_phone() -> str:
    """A mobile number of its own: the browser tests share one database."""
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


def no_horizontal_scroll(page: Any) -> None:
    """The page fits the viewport's width (a phone: nothing to scroll sideways)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def api_as(live_server: Any, username: str) -> Any:
    """A client of the served app logged in through the API as a demo user (what it does commits)."""
    client = live_server.app.test_client()
    r = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.json
    return client


def logged_call(live_server: Any, **overrides: Any) -> str:
    """An operator logs a call through the API (by default the garbage in 梅林镇: 区城管局 leads,
    梅林镇 co-handles); its number."""
    payload = appeal_payload(**{**garbage_in_meilin(), **overrides})
    r = api_as(live_server, "operator").post("/api/v1/appeals", json=payload)
    assert r.status_code == 201 and r.json["status"] == "dispatched", r.json
    return r.json["number"]


def released_reply(live_server: Any, number: str, citizen_text: str) -> None:
    """The lead unit (区城管局) signs and replies with `citizen_text`; the reviewer releases it."""
    unit = api_as(live_server, "cgj")
    r = unit.post(f"/api/v1/appeals/{number}/sign", json={})
    assert r.status_code == 200, r.json
    r = unit.post(f"/api/v1/appeals/{number}/reply", json=reply_body(citizen_text=citizen_text))
    assert r.status_code == 200 and r.json["status"] == "reply_review", r.json
    r = api_as(live_server, "reviewer").post(f"/api/v1/appeals/{number}/review", json={"decision": "approve"})
    assert r.status_code == 200 and r.json["status"] == "replied", r.json
