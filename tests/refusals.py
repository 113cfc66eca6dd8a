"""Every refusal the API makes is in its OpenAPI document: a guard over the whole suite.

Each test's app records the 401, 403 and 404 answers of the API's operations it gives (not those
of unknown URLs, nor the pages' CSRF refusal, which the envelope's description covers once); at
the test's end, each must be among its operation's responses in `/api/openapi.json`. A refusal
made by a `Blueprint.requires` loader or a view that does not declare it (service/extensions.py
`loader`) fails the test that provoked it, whichever it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, request, request_finished

#: The refusals held to the document: who may not (401, 403) and what they may not see (404).
REFUSALS = frozenset({401, 403, 404})
#: The pages' session without its CSRF token (service/errors.py CSRF_FAILED): any unsafe method.
CSRF_FAILED = "csrf_failed"

_documented: dict[tuple[str, str], frozenset[int]] = {}


def openapi_path(rule: str) -> str:
    """A URL rule as the OpenAPI document names it: `<int:article_id>` → `{article_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def documented(app: Flask) -> dict[tuple[str, str], frozenset[int]]:
    """(method, path) → the error statuses documented for it (read once: the document is the code's)."""
    if not _documented:
        spec = app.test_client().get("/api/openapi.json").json
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if method != "parameters":
                    statuses = {int(s) for s in operation.get("responses", {}) if s.isdigit()}
                    _documented[(method.upper(), path)] = frozenset(statuses)
    return _documented


@contextmanager
def recording(app: Flask) -> Iterator[list[tuple[str, str, int, str]]]:
    """The app's refusals, as they are given: (method, URL rule, status, error code)."""
    seen: list[tuple[str, str, int, str]] = []

    def finished(sender: Flask, response: Response, **_: Any) -> None:
        rule = request.url_rule
        if response.status_code not in REFUSALS or rule is None or not rule.rule.startswith("/api/v1/"):
            return
        body = response.get_json(silent=True) or {}
        if body.get("error") != CSRF_FAILED:
            seen.append((request.method, rule.rule, response.status_code, body.get("error", "")))

    request_finished.connect(finished, app)
    try:
        yield seen
    finally:
        request_finished.disconnect(finished, app)


def undocumented(app: Flask, seen: list[tuple[str, str, int, str]]) -> list[str]:
    """The refusals given that the document does not list for their operation."""
    known = documented(app)
    return sorted(
        {
            f"{method} {rule}: {status} ({error})"
            for method, rule, status, error in seen
            if status not in known.get((method, openapi_path(rule)), frozenset())
        }
    )
