"""Log-in failure handling (登录失败处理: GB/T 22239-2019, 等保2.0, 8.1.4.1 b), without handing
anyone a way to lock a colleague out.

Two counts of failed log-ins, each over a window of MINYI_LOGIN_LOCK_MINUTES (default 15) from its
first attempt:

- per username and client address: after MINYI_LOGIN_MAX_FAILURES (default 5) wrong passwords for
  one username from one client, that client is locked out of that username for the window (every
  log-in refused, the right password too). The username's owner at their own workstation is not
  affected: knowing a colleague's username (it is printed on reply letters) is not enough to keep
  them out of the system.
- per username, from all clients together: MINYI_LOGIN_MAX_FAILURES_PER_ACCOUNT (default 50)
  failures lock the username for everyone, against guessing spread over many addresses. A client
  already locked out adds nothing to it (its refused attempts try no password), so no single
  client can reach it by insisting; 0 turns this ceiling off, not the per-client lock.

The attempt that reaches a maximum locks for the whole window from then. A successful log-in clears
its client's count and takes itself off the username's (failures from other clients stay counted).
An unknown username is counted and locked the same way, so a lock tells nobody which usernames
exist. Either MINYI_LOGIN_MAX_FAILURES or MINYI_LOGIN_LOCK_MINUTES at 0 turns all of it off. The
per-client rate limit of the log-in routes is separate.

The client address is `request.remote_addr`, the address the rate limiter and the security audit
log see: the peer's, or behind MINYI_PROXY_COUNT trusted proxies the one werkzeug's ProxyFix takes
from X-Forwarded-For (the header is not trusted otherwise, so nobody picks their own count).
Workstations behind one NAT share an address, and so a count: no worse than a count per username.

Each attempt is counted as it starts, before its password is checked (`begin_attempt`), in atomic
steps (MULTI/EXEC): guesses sent at once cannot all pass a check made before any of them was
counted, so no more than the maximum of passwords are ever tried per client, nor per username, in
a window. An administrator sees the locks (`locks`) and lifts them by hand (`lift`, the accounts
page and API); a password reset lifts all of the username's.

The counts live in Redis (a key per username and client, one per username, expiring with the
window). If Redis cannot be reached, log-in still works, without the counts: availability first,
and the log says so.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

import redis
from flask import current_app, has_request_context, request
from redis.exceptions import RedisError

from service.auth.models import username_key
from service.errors import DomainError
from service.redis_conn import RedisNotConfigured, get_redis
from service.text import t

log = logging.getLogger(__name__)

#: The count cannot be reached: Redis is down, or none is configured (a command-line run).
UNREACHABLE = (RedisError, RedisNotConfigured)
#: Which lock: this client's for the username, or the username's for every client.
CLIENT, ACCOUNT = "client", "account"
#: The client of an attempt made outside a request (none has an address).
NO_ADDRESS = "-"


class AccountLocked(DomainError):
    """Too many failed log-ins for this username (from this client, or from all): 429, with
    Retry-After (seconds). One message for both locks, and for unknown usernames alike."""

    status, error = 429, "account_locked"

    def __init__(self, seconds: int, scope: str = CLIENT) -> None:
        self.seconds = seconds
        self.minutes = max(1, math.ceil(seconds / 60))
        self.scope = scope
        super().__init__(
            t(
                "Too many failed log-ins: this account is locked for {minutes} more minute(s).",
                minutes=self.minutes,
            )
        )
        self.headers = {"Retry-After": str(seconds)}


class LocksUnreachable(DomainError):
    """The log-in locks cannot be read or lifted: Redis is unreachable (503)."""

    status, error = 503, "locks_unreachable"

    def __init__(self) -> None:
        super().__init__(t("The log-in locks cannot be reached just now (Redis); try again later."))


@dataclass(frozen=True)
class Attempt:
    """A log-in attempt as counted: its number among the client's attempts at the username in the
    window, and among everyone's (0: not counted, the lock is off or Redis unreachable)."""

    username: str
    client: str
    number: int = 0
    account_number: int = 0


@dataclass(frozen=True)
class Lock:
    """A lock in force: on `username` (its lower-case key) for `client`, or for every client
    (`client` None); `attempts` counted in the window, `seconds` until it lifts."""

    username: str
    client: str | None
    attempts: int
    seconds: int


def client_address() -> str:
    """The client of this request, as the rate limiter and the audit log take it (see above)."""
    address = request.remote_addr if has_request_context() else None
    return (address or NO_ADDRESS)[:64]


def _base() -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"minyi:{prefix}:login-failures:"


def _name(username: str) -> str:
    # Quoted: a typed username may hold ":" or a glob character; the key must parse back.
    return quote(username_key(username.strip())[:64], safe="")


def _account_key(username: str) -> str:
    return _base() + _name(username)


def _client_key(username: str, client: str) -> str:
    return f"{_base()}{_name(username)}:{quote(client, safe='')}"


def _settings() -> tuple[int, int, int]:
    """(the most failures per client, per username, the window in seconds); all 0 when the lock is
    off (MINYI_LOGIN_MAX_FAILURES or MINYI_LOGIN_LOCK_MINUTES at 0)."""
    config = current_app.config
    most, window = int(config["LOGIN_MAX_FAILURES"]), int(config["LOGIN_LOCK_MINUTES"]) * 60
    if most <= 0 or window <= 0:
        return 0, 0, 0
    return most, max(0, int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])), window


def _count(conn: redis.Redis, key: str, window: int) -> tuple[int, int]:
    """Count one more attempt on `key`, in one step whoever else counts: (its number, seconds left)."""
    pipe = conn.pipeline(transaction=True)  # MULTI/EXEC
    pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first attempt
    pipe.incr(key)
    pipe.ttl(key)
    _, number, ttl = pipe.execute()
    return int(number), int(ttl) if ttl > 0 else window


def _uncount(conn: redis.Redis, key: str) -> None:
    """Take one attempt off `key`'s count, unless the key is gone (expired, lifted): a DECR alone
    would create it again, without an expiry. WATCH/MULTI/EXEC, tried again if the key changes."""

    def take_one(pipe: redis.client.Pipeline) -> None:
        count = pipe.get(key)
        pipe.multi()
        if count is not None and int(count) > 0:
            pipe.decr(key)

    conn.transaction(take_one, key)


def begin_attempt(username: str) -> Attempt:
    """Count a log-in attempt at `username` from this request's client before its password is
    checked. Raises AccountLocked when this client's attempts before it already reached the most
    failures (scope CLIENT), or everyone's reached the most per username (scope ACCOUNT): locked,
    whatever the password."""
    client = client_address()
    most, per_account, window = _settings()
    if most <= 0:
        return Attempt(username, client)
    client_key, account_key = _client_key(username, client), _account_key(username)
    try:
        conn = get_redis()
        number, seconds = _count(conn, client_key, window)
        if number > most:
            raise AccountLocked(seconds, CLIENT)  # nor counted for the username: it tries nothing
        account_number = 0
        if per_account > 0:
            account_number, seconds = _count(conn, account_key, window)
            if account_number > per_account:
                _uncount(conn, client_key)  # tries no password: the client's tries are not used up
                raise AccountLocked(seconds, ACCOUNT)
    except UNREACHABLE as exc:
        log.warning("log-in attempt not counted (Redis: %s)", exc)
        return Attempt(username, client)
    return Attempt(username, client, number, account_number)


def record_failure(attempt: Attempt) -> str | None:
    """The attempt failed: the one that reaches a maximum locks for the whole window from now.
    Returns the lock it set (CLIENT or ACCOUNT, the wider when both), or None."""
    most, per_account, window = _settings()
    reached = []
    if most > 0 and attempt.number >= most:
        reached.append((CLIENT, _client_key(attempt.username, attempt.client), attempt.number == most))
    if per_account > 0 and attempt.account_number >= per_account:
        reached.append((ACCOUNT, _account_key(attempt.username), attempt.account_number == per_account))
    if not reached:
        return None
    try:
        pipe = get_redis().pipeline(transaction=True)
        for _, key, _ in reached:
            pipe.expire(key, window)
        pipe.execute()
    except UNREACHABLE as exc:
        log.warning("log-in lock not extended (Redis: %s)", exc)
    now = [scope for scope, _, first in reached if first]
    return now[-1] if now else None


def record_success(attempt: Attempt) -> None:
    """The attempt succeeded: its client's count starts again; the username's loses this attempt
    (the failures of other clients stay counted)."""
    if not attempt.number:
        return
    try:
        conn = get_redis()
        conn.delete(_client_key(attempt.username, attempt.client))
        if attempt.account_number:
            _uncount(conn, _account_key(attempt.username))
    except UNREACHABLE as exc:
        log.warning("log-in failures not cleared (Redis: %s)", exc)


def _glob(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _read(conn: redis.Redis, keys: list[bytes]) -> list[tuple[str, str | None, int, int]]:
    """(username key, client or None, attempts, seconds left) of each of `keys` still there."""
    if not keys:
        return []
    pipe = conn.pipeline(transaction=False)
    for key in keys:
        pipe.get(key)
        pipe.ttl(key)
    values = pipe.execute()
    base, out = _base(), []
    for key, count, ttl in zip(keys, values[::2], values[1::2], strict=True):
        if count is None or ttl is None or ttl < 0:
            continue
        name, _, client = key.decode().removeprefix(base).partition(":")
        out.append((unquote(name), unquote(client) if client else None, int(count), int(ttl)))
    return out


def locks(usernames: Iterable[str] | None = None) -> list[Lock] | None:
    """The locks in force (of `usernames` only, when given), or None when Redis is unreachable
    (logged). Usernames as counted: their lower-case key, unknown ones too."""
    try:
        return read_locks(usernames)
    except UNREACHABLE as exc:
        log.warning("log-in locks not read (Redis: %s)", exc)
        return None


def read_locks(usernames: Iterable[str] | None = None) -> list[Lock]:
    """`locks`, raising one of UNREACHABLE instead of logging it: for a caller that says so itself
    (`minyi users list`, on the terminal where the log's warning would say it a second time)."""
    most, per_account, _ = _settings()
    if most <= 0:
        return []
    conn = get_redis()
    if usernames is None:
        keys = list(conn.scan_iter(match=_glob(_base()) + "*", count=1000))
    else:
        keys = []
        for username in usernames:
            keys.append(_account_key(username).encode())
            keys.extend(conn.scan_iter(match=_glob(_account_key(username)) + ":*", count=1000))
    found = _read(conn, keys)
    in_force = [
        Lock(name, client, attempts, seconds)
        for name, client, attempts, seconds in found
        if (attempts >= most if client is not None else 0 < per_account <= attempts)
    ]
    return sorted(in_force, key=lambda lock: (lock.username, lock.client is not None, lock.client or ""))


def lift(username: str, client: str | None = None) -> list[Lock]:
    """解除锁定: `client`'s lock on `username`, or (None) all of the username's locks and counts,
    every client's and the username's own. Returns the locks there were. Raises LocksUnreachable
    when Redis is: an administrator's action must not seem done when it was not."""
    try:
        return remove_locks(username, client)
    except UNREACHABLE as exc:
        log.warning("log-in locks not lifted (Redis: %s)", exc)
        raise LocksUnreachable() from exc


def remove_locks(username: str, client: str | None = None) -> list[Lock]:
    """`lift`, raising one of UNREACHABLE instead of logging it: for a caller that says so itself
    (`minyi users unlock` and `users password`, on the terminal where the log's warning would say
    it a second time)."""
    before = read_locks([username])
    conn = get_redis()
    if client is not None:
        conn.delete(_client_key(username, client))
        return [lock for lock in before if lock.client == client]
    keys = [_account_key(username).encode()]
    keys.extend(conn.scan_iter(match=_glob(_account_key(username)) + ":*", count=1000))
    conn.delete(*keys)
    return before


def clear_failures(username: str) -> bool:
    """All of the username's counts and locks go (a password reset); False when Redis is
    unreachable (the log says so, nothing is raised): any lock stays until it runs out."""
    try:
        lift(username)
    except LocksUnreachable:
        return False
    return True
