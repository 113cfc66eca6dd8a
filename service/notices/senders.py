"""Notice channels: what every sender promises, and the two over HTTP (an SMS gateway, signed webhooks).

Each sender delivers one `OutgoingMessage` and either returns (the peer's message id when it gives
one) or raises a `DeliveryError`: `TransientDeliveryError` when trying again later may succeed
(5xx, 408, 429, timeouts, refused or reset connections, SMTP 4xx), `PermanentDeliveryError` when it
cannot (other 4xx, SMTP 5xx, a refused recipient, a malformed address, a redirect). The delivery job
retries the first with backoff and records the second on the notice; `.reason` is the short text it
records. Nothing here touches the database or logs personal data unmasked.

The configured senders are assembled by `service.notices.channels.senders_from_config`; e-mail is
in `service.notices.smtp`.

SMS template placeholders are ``{phone}``, ``{text}``, ``{subject}`` and ``{key}`` (the idempotency
key). They are replaced inside the JSON strings of the parsed template, so a quote or a newline in
the text stays valid JSON; other braces are left alone.

Webhook signature: ``X-Minyi-Timestamp`` is the Unix time in whole seconds; ``X-Minyi-Signature`` is
``sha256=`` + hex HMAC-SHA256, keyed with WEBHOOK_SECRET, of ``<timestamp>.`` followed by the exact
body bytes. Receivers check it with `verify_signature` (or the same computation) and refuse stale
timestamps, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
DEFAULT_SMS_TEMPLATE = '{"to": "{phone}", "text": "{text}"}'
SMS_PLACEHOLDERS = frozenset({"phone", "text", "subject", "key"})
USER_AGENT = "minyi-notices/1"
#: The most of a peer's answer we read: enough for an id or an error, never a flood.
MAX_RESPONSE_BYTES = 64 * 1024
#: How old a webhook timestamp `verify_signature` accepts by default, in seconds.
SIGNATURE_TOLERANCE = 300.0


@dataclass(frozen=True)
class OutgoingMessage:
    """One delivery to one destination on one channel."""

    channel: str  # "sms" | "email" | "webhook"
    destination: str  # phone number / e-mail address / webhook URL
    subject: str  # the e-mail subject; also in the webhook body
    body: str  # the rendered text
    payload: dict[str, Any]  # webhook JSON fields (event, appeal number, template, ids): no personal data
    idempotency_key: str  # stable per delivery, e.g. "notice-123": peers drop a repeat


class DeliveryError(Exception):
    """A delivery failed; `reason` is the short text recorded on the notice."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason[:300]
        self.status = status  # the peer's HTTP status or SMTP code, when it answered


class TransientDeliveryError(DeliveryError):
    """Trying again later may succeed: retry with backoff (after `retry_after` seconds if given)."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason, status=status)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help: record it and do not retry."""


class Sender(Protocol):
    channel: str

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver `message`; return the peer's message id if it gives one."""
        ...


# ---- masking for logs ------------------------------------------------------------------------


def mask_destination(destination: str) -> str:
    """A phone number or e-mail address fit for a log line (138****1234, z***@example.com)."""
    if "@" in destination:
        local, _, domain = destination.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if destination.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(destination)
        return f"{parts.scheme}://{parts.hostname or ''}{'/…' if parts.path.strip('/') else ''}"
    digits = re.sub(r"\D", "", destination)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****"


# ---- HTTP ------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a misconfigured URL: urllib would repeat a POST as a bodiless GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def _check_http_url(url: str, what: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL, not {url!r}")
    parts.port  # noqa: B018  (raises ValueError for a port that is not a number)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: let the job's own backoff decide


def _http_error(error: urllib.error.HTTPError, peer: str) -> DeliveryError:
    code = error.code
    detail = ""
    with contextlib.suppress(OSError, http.client.HTTPException):  # the status alone will do
        detail = error.read(300).decode("utf-8", "replace").strip()
    reason = f"{peer} answered {code}" + (f": {detail}" if detail else "")
    if code >= 500 or code in (408, 425, 429):
        return TransientDeliveryError(reason, status=code, retry_after=_retry_after(error.headers))
    if 300 <= code < 400:
        where = error.headers.get("Location", "") if error.headers else ""
        return PermanentDeliveryError(
            f"{peer} redirected ({code}) to {where or '?'}: fix the URL", status=code
        )
    return PermanentDeliveryError(reason, status=code)


def network_error(error: BaseException, peer: str) -> DeliveryError:
    """Classify a failure below HTTP/SMTP: certificates are configuration, the rest may pass."""
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(f"{peer}: TLS certificate not accepted ({cause.verify_message})")
    if isinstance(cause, TimeoutError):
        return TransientDeliveryError(f"{peer}: timed out")
    if isinstance(cause, ConnectionRefusedError):
        return TransientDeliveryError(f"{peer}: connection refused")
    if isinstance(cause, ConnectionError | http.client.HTTPException):
        return TransientDeliveryError(f"{peer}: connection lost ({type(cause).__name__})")
    if isinstance(cause, OSError):
        return TransientDeliveryError(f"{peer}: {cause.strerror or type(cause).__name__}")
    return TransientDeliveryError(f"{peer}: {cause}")


def _post_json(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float, peer: str
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_RESPONSE_BYTES)
    except (ValueError, http.client.InvalidURL) as error:  # a URL or header urllib cannot send
        raise PermanentDeliveryError(f"{peer}: {error}") from error
    except urllib.error.HTTPError as error:
        try:
            raise _http_error(error, peer) from error
        finally:
            error.close()  # its open response would otherwise leak (a ResourceWarning)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise network_error(error, peer) from error


def _peer_id(body: bytes) -> str | None:
    """The message id in a JSON answer (`id`, `message_id`, `messageId`, `msgid`, `sid`), if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("id", "message_id", "messageId", "msgid", "sid"):
            if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool):
                return str(data[key])
    return None


# ---- SMS -------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")


def _fill(node: Any, values: Mapping[str, str]) -> Any:
    """Replace known placeholders inside every string (keys included) of a parsed JSON template."""
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), node)
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {_fill(k, values): _fill(v, values) for k, v in node.items()}
    return node


class SmsGatewaySender:
    """SMS through an HTTP gateway: POST a JSON body built from a configurable template."""

    channel = "sms"

    def __init__(
        self,
        url: str,
        template: str | None = None,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        _check_http_url(url, "SMS_URL")
        template = template or DEFAULT_SMS_TEMPLATE
        try:
            parsed = json.loads(template)
        except ValueError as error:
            raise ValueError(f"SMS_TEMPLATE is not valid JSON: {error}") from error
        if not isinstance(parsed, dict):
            raise ValueError("SMS_TEMPLATE must be a JSON object")
        used = set(_PLACEHOLDER.findall(template))
        if not {"phone", "text"} <= used:
            raise ValueError("SMS_TEMPLATE must contain the placeholders {phone} and {text}")
        self.url, self.template, self.token, self.timeout = url, parsed, token, timeout

    def body_for(self, message: OutgoingMessage) -> bytes:
        values = {
            "phone": message.destination.strip(),
            "text": message.body,
            "subject": message.subject,
            "key": message.idempotency_key,
        }
        return json.dumps(_fill(self.template, values), ensure_ascii=False).encode("utf-8")

    def send(self, message: OutgoingMessage) -> str | None:
        if not _PHONE.match(message.destination.strip()):
            raise PermanentDeliveryError("not a phone number")
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        _, answer = _post_json(self.url, self.body_for(message), headers, self.timeout, "SMS gateway")
        peer_id = _peer_id(answer)
        log.info(
            "sms sent %s to %s (gateway id %s)",
            message.idempotency_key,
            mask_destination(message.destination),
            peer_id,
        )
        return peer_id


# ---- webhooks --------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Minyi-Signature` value of `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance: float | None = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether `header` (X-Minyi-Signature) signs `body` at `timestamp` (X-Minyi-Timestamp) with
    `secret`, compared in constant time; with `tolerance`, also whether the timestamp is at most that
    many seconds from now (None: do not check the age)."""
    try:
        sent_at = int(timestamp)
        expected = sign(secret, timestamp, body)
    except (ValueError, UnicodeEncodeError):
        return False
    if tolerance is not None and abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


class WebhookSender:
    """POST the notice as signed JSON to the destination URL (another system's receiver)."""

    channel = "webhook"

    def __init__(
        self, secret: str, *, timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time
    ) -> None:
        if not secret:
            raise ValueError("WEBHOOK_SECRET must not be empty")
        self.secret, self.timeout, self.clock = secret, timeout, clock

    @staticmethod
    def body_for(message: OutgoingMessage) -> bytes:
        """The payload's fields, then `subject` and `text` (the rendered notice)."""
        document = {**message.payload, "subject": message.subject, "text": message.body}
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def send(self, message: OutgoingMessage) -> str | None:
        try:
            _check_http_url(message.destination, "a webhook destination")
        except ValueError as error:
            raise PermanentDeliveryError(str(error)) from error
        body = self.body_for(message)
        timestamp = str(int(self.clock()))
        headers = {
            "X-Minyi-Timestamp": timestamp,
            "X-Minyi-Signature": sign(self.secret, timestamp, body),
            "Idempotency-Key": message.idempotency_key,
        }
        _, answer = _post_json(message.destination, body, headers, self.timeout, "webhook receiver")
        peer_id = _peer_id(answer)
        log.info(
            "webhook sent %s to %s (receiver id %s)",
            message.idempotency_key,
            mask_destination(message.destination),
            peer_id,
        )
        return peer_id
