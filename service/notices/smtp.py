"""E-mail notices over SMTP (smtplib): one message per notice, its Message-ID from the notice's
idempotency key. Failures are told apart as the other channels' are (`service.notices.senders`)."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import urllib.parse
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from service.notices.senders import (
    DEFAULT_TIMEOUT,
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    mask_destination,
    network_error,
)

log = logging.getLogger(__name__)


def _smtp_error(code: int, text: bytes | str, what: str) -> DeliveryError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"{what}: {code} {detail}".strip()
    if 400 <= code < 500:
        return TransientDeliveryError(reason, status=code)
    if 500 <= code < 600:
        return PermanentDeliveryError(reason, status=code)
    return TransientDeliveryError(reason, status=code)


class SmtpSender:
    """E-mail over SMTP (smtplib), UTF-8 subject and body; the Message-ID comes from the
    idempotency key, so a repeat is recognisable downstream."""

    channel = "email"

    def __init__(self, url: str, mail_from: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"SMTP_URL must look like smtp://user:pass@host:port or smtps://..., not {url!r}"
            )
        if not mail_from:
            raise ValueError("MAIL_FROM is required with SMTP_URL")
        try:
            sender = Address(addr_spec=mail_from.strip())
        except (ValueError, IndexError) as error:
            raise ValueError(f"MAIL_FROM is not an e-mail address: {mail_from!r}") from error
        query = urllib.parse.parse_qs(parts.query)
        self.ssl = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.ssl else 25)
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password or "") if parts.username else None
        self.mail_from = sender.addr_spec
        self.domain = sender.domain or "minyi.invalid"
        self.timeout = timeout

    def message_id(self, key: str) -> str:
        return "<" + re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", "-", key or "notice") + f"@{self.domain}>"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        try:
            to = Address(addr_spec=message.destination.strip())
        except (ValueError, IndexError) as error:
            raise PermanentDeliveryError("not an e-mail address") from error
        if not to.domain:
            raise PermanentDeliveryError("not an e-mail address")
        email = EmailMessage()
        email["Subject"] = " ".join(message.subject.split())  # a header is one line
        email["From"] = self.mail_from
        email["To"] = to.addr_spec
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = self.message_id(message.idempotency_key)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, no bounce loops
        email.set_content(message.body, charset="utf-8")
        return email

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def send(self, message: OutgoingMessage) -> str | None:
        email = self.build(message)
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email, self.mail_from, [message.destination.strip()])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()), (550, b"refused"))
            raise _smtp_error(code, text, "recipient refused") from error
        except smtplib.SMTPSenderRefused as error:
            raise _smtp_error(error.smtp_code, error.smtp_error, "sender refused") from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(f"SMTP server: {error}") from error
        except smtplib.SMTPResponseException as error:  # data, auth, helo, connect: by the code
            raise _smtp_error(error.smtp_code, error.smtp_error, "SMTP server") from error
        except smtplib.SMTPServerDisconnected as error:
            raise TransientDeliveryError(f"SMTP server disconnected: {error}") from error
        except smtplib.SMTPException as error:
            raise TransientDeliveryError(f"SMTP: {error}") from error
        except OSError as error:
            raise network_error(error, "SMTP server") from error
        log.info("e-mail sent %s to %s", message.idempotency_key, mask_destination(message.destination))
        return str(email["Message-ID"])
