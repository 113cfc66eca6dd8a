"""Configuration, read from the environment in one place.

`create_app(config)` takes a mapping of overrides (tests use it); nothing else reads os.environ.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dispatch.figures import EXCLUSION_REASONS, FigureRules

DEFAULT_TIMEZONE = "Asia/Shanghai"


def var_dir() -> Path:
    """Where the embedded defaults keep their files (SQLite database, Redis dump, secret key)."""
    path = Path(os.environ.get("MINYI_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def timezone_name() -> str:
    """The service's time zone (MINYI_TIMEZONE, an IANA name; unset or empty: Asia/Shanghai): what
    "today" is for deadlines, the pages, and commands that run without the app (`minyi lists check`)."""
    return os.environ.get("MINYI_TIMEZONE") or DEFAULT_TIMEZONE


def _secret_key(directory: Path) -> str:
    """SECRET_KEY from the environment, else one generated into var/ on first run and kept."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = directory / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings; we use the psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def from_environment() -> dict[str, Any]:
    directory = var_dir()
    return {
        "SECRET_KEY": _secret_key(directory),
        "DATABASE_URL": normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{directory / 'minyi.db'}"
        ),
        # Unset means "use the embedded Redis" (started by `minyi run` / the tests).
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "TIMEZONE": timezone_name(),
        "VAR_DIR": str(directory),
        "PUBLIC_RATE_LIMIT": os.environ.get("MINYI_PUBLIC_RATE_LIMIT", "10/minute;60/hour"),
        # Every submission, refused ones too: PUBLIC_RATE_LIMIT counts only those taken, so this
        # ceiling is what stops a client sending bad ones without end.
        "PUBLIC_ATTEMPT_RATE_LIMIT": os.environ.get("MINYI_PUBLIC_ATTEMPT_RATE_LIMIT", "30/minute;300/hour"),
        "PUBLIC_LOOKUP_RATE_LIMIT": os.environ.get("MINYI_PUBLIC_LOOKUP_RATE_LIMIT", "30/minute"),
        # Wrong query codes per appeal number, from any client (service/appeals/citizen_codes.py).
        "PUBLIC_GUESS_RATE_LIMIT": os.environ.get("MINYI_PUBLIC_GUESS_RATE_LIMIT", "10/hour"),
        "DEFAULT_LIST": os.environ.get("MINYI_DEFAULT_LIST") or None,
        "PROXY_COUNT": int(os.environ.get("MINYI_PROXY_COUNT", "0")),
        "PORT": int(os.environ.get("MINYI_PORT", "8000")),
        # Days a citizen has to rate a released reply before the appeal closes unrated.
        "RATING_WINDOW_DAYS": int(os.environ.get("MINYI_RATING_WINDOW_DAYS", "3")),
        # Log-in failure handling (service/auth/lockout.py: per username and client, and per username
        # from all clients) and the idle session timeout (0: none).
        "LOGIN_MAX_FAILURES": _non_negative("MINYI_LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _non_negative("MINYI_LOGIN_LOCK_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _non_negative("MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT", 50),
        "SESSION_IDLE_MINUTES": _non_negative("MINYI_SESSION_IDLE_MINUTES", 30),
        # Minutes the portal keeps an appeal open in the browser after its look-up (at least 1).
        "PORTAL_TRACK_MINUTES": max(_non_negative("MINYI_PORTAL_TRACK_MINUTES", 30), 1),
        # Days a closed appeal keeps the citizen's personal data (service/appeals/retention.py); 0 keeps it.
        "PERSONAL_DATA_RETENTION_DAYS": _non_negative("MINYI_PERSONAL_DATA_RETENTION_DAYS", 1095),
        "RETENTION_SWEEP_SECONDS": int(os.environ.get("MINYI_RETENTION_SWEEP_SECONDS", "3600")),
        # Notice channels (service/notices/channels.py); a channel whose setting is unset is off.
        "SMS_URL": os.environ.get("MINYI_SMS_URL") or None,
        "SMS_TEMPLATE": os.environ.get("MINYI_SMS_TEMPLATE") or None,
        "SMS_TOKEN": os.environ.get("MINYI_SMS_TOKEN") or None,
        "SMTP_URL": os.environ.get("MINYI_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("MINYI_MAIL_FROM") or None,
        "WEBHOOK_SECRET": os.environ.get("MINYI_WEBHOOK_SECRET") or None,
        "NOTICE_TIMEOUT": float(os.environ.get("MINYI_NOTICE_TIMEOUT", "5")),
        # How long a worker holds a notice it is sending before another may send it again.
        "NOTICE_LEASE_SECONDS": float(os.environ.get("MINYI_NOTICE_LEASE_SECONDS", "120")),
        # Escalation (service/escalation): "act" records each step on the appeal; "notify_only" only
        # sends the notices. Waiting times in hours; the worker's periodic jobs in seconds.
        "ESCALATION_MODE": _choice("MINYI_ESCALATION_MODE", ("act", "notify_only"), "act"),
        "REVIEW_WAIT_HOURS": float(os.environ.get("MINYI_REVIEW_WAIT_HOURS", "24")),
        "CALLBACK_AFTER_HOURS": float(os.environ.get("MINYI_CALLBACK_AFTER_HOURS", "48")),
        "RELAY_SWEEP_SECONDS": int(os.environ.get("MINYI_RELAY_SWEEP_SECONDS", "5")),
        "ESCALATION_SWEEP_SECONDS": int(os.environ.get("MINYI_ESCALATION_SWEEP_SECONDS", "30")),
        "CLOSE_UNRATED_SECONDS": int(os.environ.get("MINYI_CLOSE_UNRATED_SECONDS", "300")),
        # The leaders' figures (dispatch/figures.py): what differs by city.
        "FIGURE_RULES": _figure_rules(),
    }


def _figure_rules() -> FigureRules:
    """MINYI_SATISFACTION_BASIC_WEIGHT (基本满意 counts this much of 满意, default 0.8),
    MINYI_FIGURES_EXCLUDE (the exclusion reasons that leave a rating out; comma-separated, default
    all three, empty for none) and MINYI_FIGURES_MIN_RANKED (smallest sample ranked, default 1)."""
    excluded = os.environ.get("MINYI_FIGURES_EXCLUDE", ",".join(EXCLUSION_REASONS))
    return FigureRules(
        basic_weight=float(os.environ.get("MINYI_SATISFACTION_BASIC_WEIGHT", "0.8")),
        excluded=frozenset(r.strip() for r in excluded.split(",") if r.strip()),
        min_ranked=int(os.environ.get("MINYI_FIGURES_MIN_RANKED", "1")),
    )


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _non_negative(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number, 0 or more; got {value!r}")
    return int(value)


#: Settings that are not environment-dependent.
STATIC: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # 1 MiB; larger bodies get 413
    "JSON_AS_ASCII": False,
    "API_TITLE": "Minyi 民意速办 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Every error answers one JSON envelope: "
                '`{"error": "validation_error", "message": "…", "errors": {"contact.phone": ["…"]}}`. '
                "`message` and the per-field messages in `errors` are in Simplified Chinese when the "
                "request's `Accept-Language` prefers Chinese (`zh`, `zh-CN`, `zh-Hans`…), and in English "
                "otherwise (no header included); `Content-Language` says which. `error`, the field names "
                "and the other members are codes and never change with the language."
            )
        }
    },
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Swagger UI's assets come from the swagger-ui-bundle wheel, served by us: no CDN.
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_HEADERS_ENABLED": True,
}
