"""Log-in failure handling (登录失败处理: GB/T 22239-2019, 等保2.0, 8.1.4.1 b).

After MINYI_LOGIN_MAX_FAILURES (default 5) wrong passwords for one username within
MINYI_LOGIN_LOCK_MINUTES (default 15), the account is locked for that many minutes: every log-in
with that username is refused, the right password too, until the lock lifts on its own. A
successful log-in before that clears the count. An unknown username is counted and locked the same
way, so the lock tells nobody which usernames exist. Per username, not per client: many clients
guessing one password share one count (the per-client rate limit of the log-in routes is separate).

Each attempt is counted as it starts, before its password is checked (`begin_attempt`), in one
atomic step: guesses sent at once cannot all pass a check made before any of them was counted, so
no more than the maximum of passwords are ever tried per window. A success then clears the count.

The count lives in Redis (a key per username that expires with the window). If Redis cannot be
reached, log-in still works, without the count: availability first, and the log says so.
"""

from __future__ import annotations

import logging
import math

from flask import current_app
from redis.exceptions import RedisError

from service.auth.models import username_key
from service.errors import DomainError
from service.redis_conn import get_redis
from service.text import t

log = logging.getLogger(__name__)

#: The count cannot be reached: Redis is down, or none is configured (a command-line run).
UNREACHABLE = (RedisError, RuntimeError)


class AccountLocked(DomainError):
    """Too many failed log-ins for this username: 429, with Retry-After (seconds)."""

    status, error = 429, "account_locked"

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.minutes = max(1, math.ceil(seconds / 60))
        super().__init__(
            t(
                "Too many failed log-ins: this account is locked for {minutes} more minute(s).",
                minutes=self.minutes,
            )
        )
        self.headers = {"Retry-After": str(seconds)}


def _key(username: str) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"minyi:{prefix}:login-failures:{username_key(username.strip())[:64]}"


def _settings() -> tuple[int, int]:
    """(the most failures, the window in seconds); (0, 0) when either setting is 0: no lock."""
    most, window = (
        int(current_app.config["LOGIN_MAX_FAILURES"]),
        int(current_app.config["LOGIN_LOCK_MINUTES"]) * 60,
    )
    return (most, window) if most > 0 and window > 0 else (0, 0)


def begin_attempt(username: str) -> int:
    """Count a log-in attempt for `username` before its password is checked; returns its number
    in the window (0 when there is no count). Raises AccountLocked when the attempts before it
    already reached the maximum: the username is locked, whatever the password."""
    most, window = _settings()
    if most <= 0:
        return 0
    key = _key(username)
    try:
        pipe = get_redis().pipeline(transaction=True)  # MULTI/EXEC: one step, whoever else counts
        pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first attempt
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    except UNREACHABLE as exc:
        log.warning("log-in attempt not counted (Redis: %s)", exc)
        return 0
    if count > most:
        raise AccountLocked(int(ttl) if ttl > 0 else window)
    return int(count)


def record_failure(username: str, attempt: int) -> bool:
    """The attempt numbered `attempt` failed: the one that reaches the maximum locks the username
    for the whole window from now (and returns True)."""
    most, window = _settings()
    if most <= 0 or attempt < most:
        return False
    try:
        get_redis().expire(_key(username), window)
    except UNREACHABLE as exc:
        log.warning("log-in lock not extended (Redis: %s)", exc)
    return attempt == most


def clear_failures(username: str) -> None:
    try:
        get_redis().delete(_key(username))
    except UNREACHABLE as exc:
        log.warning("log-in failures not cleared (Redis: %s)", exc)
