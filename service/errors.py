"""One JSON error envelope for the whole API: {"error", "message", "errors"}.

Domain operations raise `DomainError` subclasses; HTTP errors from Flask, webargs (422 with the
per-field messages) and the rate limiter are rendered the same way.

The messages are made in English (`service.text.t`, or a library's own English: service/library_text.py)
and said in the client's language: Chinese when its Accept-Language prefers Chinese, else English
as made (`service.i18n.api_language`), with `Content-Language` saying which.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import marshmallow as ma
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from service.text import Text, t

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

#: The one error code that is not a status's own: a session from the pages calling the API without
#: the page's CSRF token (service/web/__init__.py).
CSRF_FAILED = "csrf_failed"


class ErrorEnvelope(ma.Schema):
    """The envelope as the OpenAPI document describes every error response (`error_response`
    builds it; this schema only documents it)."""

    error = ma.fields.String(
        required=True,
        metadata={
            "description": "what went wrong, for programs: "
            + ", ".join((*ERROR_CODES.values(), CSRF_FAILED))
            + f" ({CSRF_FAILED}: a page's session without its X-CSRFToken header, 403)"
        },
    )
    message = ma.fields.String(
        required=True,
        metadata={"description": "what went wrong, for people: in Chinese when Accept-Language prefers it"},
    )
    errors = ma.fields.Dict(
        metadata={
            "description": "400, 403, 409, 422: the messages per field, a field inside another by its "
            'dotted path ({"contact.phone": ["..."]}), the query string\'s and headers\' by name'
        }
    )
    current = ma.fields.Dict(
        metadata={
            "description": "409 on an appeal: its state now (status, version, ...), to try again from; its "
            "status_label in the language Accept-Language asks for, else Chinese"
        }
    )


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
    """The envelope, its message and per-field messages in the client's language (`extra` as it is)."""
    from service.i18n import LANGUAGES, api_language

    language = api_language()
    body: dict[str, Any] = {
        "error": error or ERROR_CODES.get(status, "error"),
        "message": said(message, language),
    }
    if errors:
        body["errors"] = said(flat_errors(errors), language)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Language"] = LANGUAGES[language][1]
    response.vary.add("Accept-Language")
    return response


def flat_errors(errors: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Per-field messages with a nested field named by its dotted path, as the README documents and
    the pages name their fields: marshmallow's {"contact": {"phone": [...]}} is {"contact.phone": [...]}.
    What marshmallow says of a nested object as a whole (its "_schema": `"contact": "张三"`, not an
    object) is said of the field itself, "contact", not of a "contact._schema" no one sent."""
    flat: dict[str, Any] = {}
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix and key != ma.exceptions.SCHEMA else (prefix or str(key))
        if isinstance(value, Mapping):
            flat.update(flat_errors(value, name))
        else:
            flat[name] = value
    return flat


def said(messages: Any, language: str) -> Any:
    """A message, or the per-field messages (nested dicts and lists of them), in `language`: English
    as made (the text integrations and tests have always read), other languages from the catalogue."""
    from service.i18n import API_LANGUAGE, localize

    if isinstance(messages, dict):
        return {field: said(value, language) for field, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [said(value, language) for value in messages]
    if not isinstance(messages, str):
        return messages
    return str(messages) if language == API_LANGUAGE else localize(messages, language)


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


#: The rate limiter's units of time (limits' `GRANULARITY.name`), said in the 429's message.
_TIME_UNITS = {
    "second": t("second"),
    "minute": t("minute"),
    "hour": t("hour"),
    "day": t("day"),
    "month": t("month"),
    "year": t("year"),
}


def _rate(exc: HTTPException) -> str | None:
    """The limit a 429 from flask-limiter names ("20 per 1 minute", as its description says it)."""
    item = getattr(getattr(exc, "limit", None), "limit", None)
    unit = _TIME_UNITS.get(getattr(getattr(item, "GRANULARITY", None), "name", ""))
    if item is None or unit is None or exc.description != str(item):
        return exc.description
    return t("{amount} per {multiples} {unit}", amount=item.amount, multiples=item.multiples, unit=unit)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    errors = _field_errors(exc)
    errors = flat_errors(errors) if errors else errors  # the 422's message names them so
    message: str
    if status == 422:
        message = t("Invalid input: {fields}", fields=sorted(errors)) if errors else t("Invalid input.")
    elif status == 400 and errors:
        # webargs' "Invalid JSON body." is plain English: as a `Text`, it is looked up as it is
        problems = [m if isinstance(m, Text) else Text(str(m)) for v in errors.values() for m in _listed(v)]
        message = t("Malformed request: {problems}", problems=problems)
    elif status == 413:
        message = t("Request body too large (limit 1 MiB).")
    elif status == 429:
        message = t("Too many requests: {limit}. Try again later.", limit=_rate(exc))
    else:
        # werkzeug's own descriptions are in the catalogue too (service/library_text.py)
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
    return error_response(500, t("Internal server error."))


def handle_stale(exc: Exception) -> Response:
    """The appeal's version moved under the caller (optimistic lock): someone else acted first."""
    return stale_response(t("The appeal was changed by someone else at the same time; reload and try again."))


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
