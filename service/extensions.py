"""Flask extensions, created once and bound in `create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from service import errors


class Api(_Api):
    """flask-smorest's Api, rendering errors in the service's one envelope."""

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        return errors.handle_http_exception(error)


limiter = Limiter(key_func=get_remote_address, default_limits=[])
