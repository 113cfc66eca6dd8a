"""Flask extensions, created once and bound in `create_app`, and the API's blueprint class."""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

import flask
import flask_smorest
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_smorest import Api as _Api
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.wsgi import LimitedStream

from service import errors
from service.fields import has_lone_surrogate, lone_surrogate_error
from service.text import Text, t

#: How deep a request's JSON may nest. The deepest body the API takes is two levels
#: (`{"contact": {"phone": ...}}`); this leaves room and keeps every body far from Python's
#: recursion limit, so a deep one is refused as such instead of crashing the parser.
MAX_JSON_DEPTH = 32


class Api(_Api):
    """flask-smorest's Api, rendering errors in the service's one envelope (and documenting it)."""

    ERROR_SCHEMA = errors.ErrorEnvelope

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        return errors.handle_http_exception(error)


class _Object(dict[str, Any]):
    """A JSON object that gives some of its keys more than once (`twice`); json.loads would keep the
    last value of each without a word."""

    twice: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    twice = [key for key, _ in pairs if key in seen or seen.add(key)]
    duplicated = _Object(found)
    duplicated.twice = tuple(dict.fromkeys(twice))
    return duplicated


def parse_json(body: bytes) -> Any:
    """webargs' `core.parse_json`, keeping note of a key an object gives twice (`_Object`), and
    reading past a UTF-8 byte order mark (RFC 8259 lets a parser ignore one) rather than calling
    the body malformed."""
    try:
        # "utf-8-sig": a byte order mark ahead (as some Windows clients send) is no text
        decoded = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(
            f"Bytes decoding error : {exc.reason}", doc=str(exc.object), pos=exc.start
        ) from exc
    return json.loads(decoded, object_pairs_hook=_json_object)


def _check_body(data: Any) -> dict[str, Any] | None:
    """None when `data` nests more than MAX_JSON_DEPTH levels; else the fields whose text holds a
    lone surrogate, or that an object gives more than once (which of its values would count is
    anyone's guess: the sender's mistake), nested as marshmallow names fields ({"contact": {"name":
    [...]}}; a list's items by the list, a bad key by the object holding it). Walked without
    recursion."""
    bad: list[tuple[tuple[str, ...], Text]] = []
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if has_lone_surrogate(node):
                bad.append((path, lone_surrogate_error()))
        elif isinstance(node, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return None
            if isinstance(node, list):
                stack.extend((item, path, depth + 1) for item in node)
                continue
            for key in getattr(node, "twice", ()):
                bad.append(((*path, key), t("Given more than once in the body; give it once.")))
            for key, value in node.items():
                if has_lone_surrogate(key):
                    bad.append((path, lone_surrogate_error()))
                else:
                    stack.append((value, (*path, key), depth + 1))
    errors: dict[str, Any] = {}
    for path, message in bad:
        *parents, leaf = path or ("_body",)
        node = errors
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # the field above is named already
                break
        else:
            node.setdefault(leaf, [message])
    return errors


def _cut_at_the_limit(req: flask.Request) -> bool:
    """The body was sent without Content-Length (chunked) and goes on past MAX_CONTENT_LENGTH.

    werkzeug refuses a declared length over the limit (413), but stops reading a chunked body at
    the limit without a word: what it hands over is the body's first MiB, which then reads as
    malformed JSON (400) instead of too large."""
    stream = req.stream
    if req.content_length is not None or not isinstance(stream, LimitedStream) or not stream.is_exhausted:
        return False
    return bool(req.environ["wsgi.input"].read(1))


def _requires_a_field(schema: Any) -> bool:
    return any(field.required for field in schema.fields.values())


#: What a JSON body that is not an object is, as the 400 names it.
_JSON_KINDS: tuple[tuple[type | tuple[type, ...], Text], ...] = (
    (list, t("an array")),
    (str, t("a string")),
    (bool, t("true or false")),
    ((int, float), t("a number")),
)


def _not_an_object(data: Any) -> Text:
    kind = next((name for types, name in _JSON_KINDS if isinstance(data, types)), t("null"))
    return t("The request body must be a JSON object ({{...}}), not {kind}.", kind=kind)


class RequestParser(FlaskParser):
    """webargs' Flask parser, strict about the request body of the JSON API.

    A chunked body over the size limit is refused with 413, as one that says its length is.

    webargs treats a body whose Content-Type is not JSON as no body at all, so a valid JSON body
    sent as text/plain was answered "Missing data for required field" for every field; here it is
    refused with 415. webargs also lets json.loads' RecursionError through on a deeply nested body
    (a 500): here a body nested too deeply is refused with 400. And a "\\ud800" escape decodes
    to a lone surrogate, which crashes whatever encodes it (the database, the error envelope):
    here any text of the body holding one is refused with 422 naming its field, whatever the
    schema's field type, as is a field an object gives twice. A body that is empty or not a JSON
    object is refused with 400 saying so (`load_json`).
    """

    def load_json(self, req: flask.Request, schema: Any) -> Any:
        """The body, which must be a JSON object: one that is not (`[]`, `"x"`, `42`, `null`) is
        refused with 400 saying so, not checked field by field as `{}` or `"_schema"` (422). An
        empty body loads as `{}` where the schema requires no field (an action that takes only an
        optional `version`); where it does, it is refused with 400 saying the body is empty, not
        with 422 naming every required field as missing, which reads as if the fields were sent
        and lost on the way."""
        data = super().load_json(req, schema)
        if data is core.missing:
            if _requires_a_field(schema):
                abort(400, messages={"json": [t("The request body is empty: a JSON object is expected.")]})
            return data
        if not isinstance(data, dict):
            abort(400, messages={"json": [_not_an_object(data)]})
        return data

    def _raw_load_json(self, req: flask.Request) -> Any:
        body = req.get_data(cache=True)
        if _cut_at_the_limit(req):
            raise RequestEntityTooLarge()
        if not is_json_request(req):
            if body or req.content_length:
                raise UnsupportedMediaType(
                    t(
                        "The request body must be JSON, sent with Content-Type: application/json "
                        "(this one came as {mimetype}).",
                        mimetype=req.mimetype or t("no Content-Type"),
                    )
                )
            return core.missing  # no body: a schema whose fields are all optional still loads
        if not body.strip():
            return core.missing  # blanks only: as empty as no body at all
        try:
            data = parse_json(body)
            refused = _check_body(data)
        except RecursionError:  # json.loads gives up nesting long before a 1 MiB body ends
            refused = None
        if refused is None:
            too_deep = t("The JSON body nests more than {depth} levels deep.", depth=MAX_JSON_DEPTH)
            abort(400, messages={"json": [too_deep]})
        if refused:
            abort(422, messages={"json": refused})
        return data


View = TypeVar("View", bound=Callable[..., Any])

#: How the document describes the refusals of a JSON body made before its schema reads it.
BODY_REFUSALS = {
    400: "Malformed JSON; a body that is not a JSON object (an array, a string, a number, true, "
    "false or null); an empty body where the endpoint has required fields; or a body nested more "
    "than 32 levels deep.",
    413: "The body is over the size limit (1 MiB).",
    415: "A body sent with a Content-Type other than application/json.",
}
#: The Retry-After header of a 429, as the document describes it.
RETRY_AFTER_HEADER = {
    "description": "Seconds until the limit lets the client in again.",
    "schema": {"type": "integer"},
}
#: What an endpoint works on, found from its URL for the caller: `load(user, **view_args)` returns
#: the view's further keyword arguments ({"appeal": ...}), or raises NotFound (404) for what the
#: caller may not see, or Forbidden (403) when one of the admitted roles may not do this (declared
#: with `loader`, so that the OpenAPI document lists it).
Loader = Callable[..., Mapping[str, Any]]
AnyLoader = TypeVar("AnyLoader", bound=Loader)


def loader(*, refuses: str | None = None, finds: bool = True) -> Callable[[AnyLoader], AnyLoader]:
    """Declare what a `Blueprint.requires` loader answers besides the view's arguments, for the
    OpenAPI document: `finds`, a 404 for what the URL names and the caller may not see (a loader
    looks something up unless it says otherwise); `refuses`, a 403 to some callers of the roles the
    endpoint admits (which ones, and when). An undeclared loader is taken to find, not to refuse."""

    def declare(load: AnyLoader) -> AnyLoader:
        load.refuses = refuses  # type: ignore[attr-defined]
        load.finds = finds  # type: ignore[attr-defined]
        return load

    return declare


def body_object() -> dict[str, Any] | None:
    """The request's JSON body when it is an object, for a loader that reads a field of it before
    the body is validated (a 403 that depends on what is asked); else None, and the parser says
    what is wrong with the body (400 unreadable, not an object or nested too deep, 415 not JSON)."""
    try:
        body = flask.request.get_json(silent=True)
    except RecursionError:  # nested too deep for json.loads (400, from the parser)
        return None
    return body if isinstance(body, dict) else None


class Blueprint(flask_smorest.Blueprint):
    """The JSON API's blueprint: flask-smorest's, reading bodies with `RequestParser`, its endpoints
    saying who may use them with `requires`."""

    ARGUMENTS_PARSER = RequestParser()

    def refusal(self, status: int, description: str) -> Callable[[View], View]:
        """Document an error answer of the endpoint, in the one envelope: for a refusal `requires`
        does not make (a public endpoint's, or one made by the operation the view calls)."""
        return self.alt_response(status, description=description, schema=errors.ErrorEnvelope)

    def conflict(self, description: str) -> Callable[[View], View]:
        """Document the endpoint's 409: a state conflict (`current` holds the state now)."""
        return self.refusal(409, description)

    def rate_limited(self, description: str) -> Callable[[View], View]:
        """Document the endpoint's 429 (a flask-limiter limit on it), with its Retry-After."""
        return self.alt_response(
            429,
            description=description,
            schema=errors.ErrorEnvelope,
            headers={"Retry-After": RETRY_AFTER_HEADER},
        )

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Callable[[View], View]:
        """flask-smorest's, with a schema class made an instance once, here: given the class,
        webargs builds a new instance (and its nested ones) for every request, about 0.25 ms of
        CPU each time. Loading keeps no state on the schema, so one instance serves all requests.

        A JSON body's endpoint also documents what `RequestParser` and the app answer before the
        schema sees the body: 400 (not JSON, not an object, empty where fields are required, or
        nested too deep), 413 (over the size limit), 415
        (another Content-Type)."""
        if isinstance(schema, type):
            schema = schema()
        read = super().arguments(schema, *args, **kwargs)
        if kwargs.get("location", "json") != "json":
            return read  # type: ignore[no-any-return]

        def documented(view: View) -> View:
            view = read(view)
            for status, description in BODY_REFUSALS.items():
                view = self.refusal(status, description)(view)
            return view

        return documented

    def requires(
        self, *roles: str, load: Loader | None = None, refusal: str | None = None
    ) -> Callable[[View], View]:
        """Who may use the endpoint, checked before anything else of it: it sits above
        `@blp.arguments`, so a caller who may not use the endpoint is told so whatever they sent.

        The order (README "API"): not logged in, 401; logged in with a role not among `roles` (any
        role when none is named), 403 (`refusal`, or a message naming the roles); then
        `load(user, **view_args)` (404 for what the URL names and the caller may not see); only
        then the query and the body are read (400, 415, 422) and the view runs (409...).

        The view gets the caller as its `user` argument, if it takes one, and what `load` returned
        as further keyword arguments. The OpenAPI document lists the 401, the 403 (the roles', and
        the loader's when it declares one: `loader`) and the 404 (unless the loader finds nothing).
        """

        from service.auth.models import ROLES

        def decorator(view: View) -> View:
            takes_user = "user" in inspect.signature(view).parameters

            @wraps(view)
            def admitted(*args: Any, **view_args: Any) -> Any:
                # (security imports the modules whose blueprints these are)
                from service.auth.security import require_user

                user = require_user(*roles, refusal=refusal)
                given = dict(load(user, **view_args)) if load is not None else {}
                if takes_user:
                    given["user"] = user
                return view(*args, **view_args, **given)

            admitted.roles = frozenset(roles)  # type: ignore[attr-defined]  (the tests read it)
            documented: Any = self.refusal(401, "Not logged in (no session, or no valid API token).")(
                admitted
            )
            refused = []
            if roles and not set(ROLES) <= set(roles):  # (open to every role: no 403 for its role)
                refused.append(f"Logged in with a role other than: {', '.join(roles)}.")
            if refuses := getattr(load, "refuses", None):
                refused.append(refuses)
            if refused:
                documented = self.refusal(403, " ".join(refused))(documented)
            if load is not None and getattr(load, "finds", True):
                documented = self.refusal(404, "What the URL names is unknown, or not the caller's to see.")(
                    documented
                )
            return documented

        return decorator


limiter = Limiter(key_func=get_remote_address, default_limits=[])


def accepted(response: flask.Response) -> bool:
    """A limit's `deduct_when` for what a client sends in: only what was taken counts (a 2xx, or
    the portal's 303 to the receipt). A refusal (422 for a mistyped phone number, 409, a 5xx)
    stores nothing, so a citizen who corrects their mistakes is not locked out by them; the limit
    is still checked before each request, so a client over it is refused (429) as before."""
    return response.status_code < 400


def seconds_to_reset(limit: RequestLimit) -> int:
    """Whole seconds (at least 1) until a breached rate limit lets requests through again: the
    Retry-After of a 429, and the minutes the pages say to wait."""
    return max(1, math.ceil(limit.window.reset_time - time.time()))
