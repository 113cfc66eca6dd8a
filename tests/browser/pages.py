"""Helpers shared by the browser tests (the log-in itself is the `log_in` fixture in conftest.py)."""

from __future__ import annotations

import secrets
from typing import Any


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
