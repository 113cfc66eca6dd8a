"""Real peers on loopback: an SMTP server (aiosmtpd) and the recording fake gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from service.notices.fake_gateway import FakeGateway, start_in_thread


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    server = start_in_thread()
    yield server
    server.stop()


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps what it accepts and refuses the recipients it is told to."""

    messages: list[Any] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder

    def url(self, userinfo: str = "") -> str:
        return f"smtp://{userinfo + '@' if userinfo else ''}{self.host}:{self.port}"


SMTP_USER, SMTP_PASSWORD = "minyi", "p@ss word"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


def _smtp(auth: bool) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    port = free_port()
    options: dict[str, Any] = {}
    if auth:  # plain-text AUTH is fine on loopback; production uses smtps:// or ?starttls=1
        # PLAIN only: after a refused PLAIN, smtplib would go on to LOGIN, which aiosmtpd answers with
        # a challenge smtplib does not send, and the test would wait for the timeout.
        options = {
            "authenticator": _authenticator,
            "auth_required": True,
            "auth_require_tls": False,
            "auth_exclude_mechanism": ["LOGIN"],
        }
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield SmtpServer("127.0.0.1", port, recorder)
    controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from _smtp(auth=False)


@pytest.fixture
def smtp_server_with_auth() -> Iterator[SmtpServer]:
    yield from _smtp(auth=True)
