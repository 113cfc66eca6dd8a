"""One JSON error envelope for the whole API: {"error", "message", "errors"}.

Domain operations raise `DomainError` subclasses; HTTP errors from Flask, webargs (422 with the
per-field messages) and the rate limiter are rendered the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class DomainError(Exception):
    status = 400
    error = "bad_request"
    #: Response headers to send with the error (e.g. Retry-After).
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra


class NotFound(DomainError):
    status, error = 404, "not_found"


class Forbidden(DomainError):
    status, error = 403, "forbidden"


class Conflict(DomainError):
    """A state conflict: the appeal changed under the caller, or the action is not allowed now."""

    status, error = 409, "conflict"


class ValidationFailed(DomainError):
    status, error = 422, "validation_error"


class Unauthorized(DomainError):
    status, error = 401, "unauthorized"


def error_response(
    status: int, message: str, errors: dict[str, Any] | None = None, error: str | None = None, **extra: Any
) -> Response:
    body: dict[str, Any] = {"error": error or ERROR_CODES.get(status, "error"), "message": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


def _field_errors(exc: HTTPException) -> dict[str, Any] | None:
    """webargs puts {"json": {field: [...]}} (or "query", "headers") in exc.data["messages"]."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if not isinstance(messages, dict):
        return None
    merged: dict[str, Any] = {}
    for _location, fields in messages.items():
        if isinstance(fields, dict):
            merged.update(fields)
        else:
            merged["_body"] = fields
    return merged or None


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    errors = _field_errors(exc)
    if status == 422:
        message = "Invalid input: " + ", ".join(sorted(errors)) if errors else "Invalid input."
    elif status == 400 and errors:
        message = "Malformed request: " + "; ".join(
            " ".join(map(str, v)) if isinstance(v, list) else str(v) for v in errors.values()
        )
    elif status == 413:
        message = "Request body too large (limit 1 MiB)."
    elif status == 429:
        message = f"Too many requests: {exc.description}. Try again later."
    else:
        message = exc.description or exc.name
    response = error_response(status, message, errors)
    for key, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
        response.headers[key] = value
    if exc.code == 405 and (resp := exc.get_response()) is not None and "Allow" in resp.headers:
        response.headers["Allow"] = resp.headers["Allow"]
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="minyi"'
    return response


def handle_domain_error(exc: DomainError) -> Response:
    response = error_response(exc.status, exc.message, exc.errors, exc.error, **exc.extra)
    for name, value in exc.headers.items():
        response.headers[name] = value
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="minyi"'
    return response


def handle_unexpected(exc: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("unhandled error")
    return error_response(500, "Internal server error.")


def handle_stale(exc: Exception) -> Response:
    """The appeal's version moved under the caller (optimistic lock): someone else acted first."""
    return stale_response("The appeal was changed by someone else at the same time; reload and try again.")


def stale_response(message: str) -> Response:
    """409 for a write the optimistic lock refused, with the appeal's `current` state when the URL names one."""
    from service.appeals.guards import current_of_request

    current = current_of_request()
    return error_response(409, message, **({"current": current} if current is not None else {}))


def init_app(app: Flask) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(Exception, handle_unexpected)
