"""Flask extensions, created once and bound in `create_app`, and the API's blueprint class."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api as _Api
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from service import errors

#: How deep a request's JSON may nest. The deepest body the API takes is two levels
#: (`{"contact": {"phone": ...}}`); this leaves room and keeps every body far from Python's
#: recursion limit, so a deep one is refused as such instead of crashing the parser.
MAX_JSON_DEPTH = 32


class Api(_Api):
    """flask-smorest's Api, rendering errors in the service's one envelope."""

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        return errors.handle_http_exception(error)


def json_depth(value: Any, limit: int) -> int:
    """How deep `value` nests (a scalar is 0, `[]` is 1), counted without recursion; stops
    counting once past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                break
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


class RequestParser(FlaskParser):
    """webargs' Flask parser, strict about the request body of the JSON API.

    webargs treats a body whose Content-Type is not JSON as no body at all, so a valid JSON body
    sent as text/plain was answered "Missing data for required field" for every field; here it is
    refused with 415. webargs also lets json.loads' RecursionError through on a deeply nested body
    (a 500): here a body nested too deeply is refused with 400.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        body = req.get_data(cache=True)
        if not is_json_request(req):
            if body or req.content_length:
                raise UnsupportedMediaType(
                    "The request body must be JSON, sent with Content-Type: application/json "
                    f"(this one came as {req.mimetype or 'no Content-Type'})."
                )
            return core.missing  # no body: a schema whose fields are all optional still loads
        try:
            data = core.parse_json(body)
            too_deep = json_depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH
        except RecursionError:  # json.loads gives up nesting long before a 1 MiB body ends
            too_deep = True
        if too_deep:
            abort(400, messages={"json": [f"The JSON body nests more than {MAX_JSON_DEPTH} levels deep."]})
        return data


class Blueprint(flask_smorest.Blueprint):
    """The JSON API's blueprint: flask-smorest's, reading bodies with `RequestParser`."""

    ARGUMENTS_PARSER = RequestParser()


limiter = Limiter(key_func=get_remote_address, default_limits=[])
