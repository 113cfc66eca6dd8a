"""The Minyi web service: app factory, storage, JSON API and pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, g
from flask_smorest.spec.plugins import integerconverter2paramschema
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from service import config as config_module
from service import db, errors
from service.extensions import Api, limiter
from service.redis_conn import limiter_storage_uri
from service.text import t


class RowId(IntegerConverter):
    """`<int:...>` in a URL: an id, so at most the largest row id a database stores (a 64-bit
    integer). A larger number matches no route (404): passed on, SQLite cannot bind it and
    answered 500 (/admin/users/99999999999999999999/tokens)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    import service.escalation.planning  # registers the replanning of alarms before each flush
    import service.models  # noqa: F401  (every mapper known before the first query resolves its foreign keys)

    app = Flask(__name__)
    # Before any route is added: every <int:...> in a URL is a row id.
    app.url_map.converters["int"] = RowId
    app.config.update(config_module.STATIC)
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    app.config["TZ"] = ZoneInfo(app.config["TIMEZONE"])
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if proxies := int(app.config.get("PROXY_COUNT", 0) or 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    db.init_app(app)
    # Without Redis (a CLI command outside `minyi run`) limits are kept in memory.
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", limiter_storage_uri(redis_url) if redis_url else "memory://"
    )
    # A rate limiter that cannot reach Redis lets requests through: intake must not stop with Redis.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # The limiter object is process-wide and otherwise keeps `enabled` from the last app it was bound
    # to: an app made with limits off (the browser tests' server) would switch them off for every
    # app made after it in the same process.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    # Registered before the limiter's own after_request, so it runs after it (Flask runs them in
    # reverse order): flask-limiter puts Retry-After on every answer of a limited endpoint.
    app.after_request(_retry_after_only_on_refusals)
    limiter.init_app(app)
    api = Api(app)
    api.register_converter(RowId, integerconverter2paramschema)
    errors.init_app(app)
    from service.appeals.citizen_codes import read_numbers_in_url

    app.url_value_preprocessor(read_numbers_in_url)  # gx20261121-0042 in a URL: GX20261121-0042
    _register_blueprints(app, api)
    app.after_request(_commit_request)
    return app


def _retry_after_only_on_refusals(response: Response) -> Response:
    """Retry-After on a 429 or a 503 only: on a 201 or a 422 of a rate-limited endpoint it told
    the client to wait a minute before a request it could send at once (X-RateLimit-* stay)."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def _register_blueprints(app: Flask, api: Api) -> None:
    from service import docs, health, web
    from service.appeals.access_log import blp as access_log_blp
    from service.appeals.api import blp as appeals_blp
    from service.appeals.public_api import blp as public_blp
    from service.auth.api import blp as auth_blp
    from service.auth.api_users import blp as admin_users_blp
    from service.auth.audit import blp as security_events_blp
    from service.figures.api import blp as figures_blp
    from service.handling.api import blp as handling_blp
    from service.handling.api_closing import blp as closing_blp
    from service.handling.api_closing import public_blp as public_evaluate_blp
    from service.handling.api_duplicates import blp as duplicates_blp
    from service.knowledge.api import blp as knowledge_blp
    from service.lists.api import lists_blp, reference_blp
    from service.notices.api import blp as notices_blp
    from service.queues.api import blp as queues_blp
    from service.suggestions.api import blp as suggest_blp

    for blp in (auth_blp, appeals_blp, public_blp, reference_blp, lists_blp, suggest_blp, handling_blp):
        api.register_blueprint(blp)
    for blp in (closing_blp, public_evaluate_blp, knowledge_blp):
        api.register_blueprint(blp)
    for blp in (queues_blp, duplicates_blp, notices_blp, figures_blp, access_log_blp, security_events_blp):
        api.register_blueprint(blp)
    api.register_blueprint(admin_users_blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    web.init_app(app)  # the pages: blueprint, languages, CSRF on forms (service/web/README.md)


def _commit_request(response: Response) -> Response:
    """The request boundary: commit what the operations flushed, or roll it all back on an error."""
    from service.auth import audit

    s = g.get("db_session")
    if s is None:
        return response
    if response.status_code >= 400:
        s.rollback()
        audit.keep_after_rollback(s)  # a refusal is recorded all the same (a failed log-in)
        return response
    try:
        s.commit()
    except StaleDataError:
        s.rollback()
        audit.keep_after_rollback(s)
        return errors.stale_response(t("The appeal was changed by someone else; reload and try again."))
    except IntegrityError:
        s.rollback()
        audit.keep_after_rollback(s)
        return errors.error_response(409, t("A conflicting change was stored at the same time; try again."))
    return response
