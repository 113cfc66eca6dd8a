from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from service.notices.fake_gateway import FakeGateway, start_in_thread


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    server = start_in_thread()
    yield server
    server.stop()


@pytest.fixture
def sms_app(app: Flask, gateway: FakeGateway) -> Flask:
    """The test app sending SMS to the fake gateway."""
    app.config["SMS_URL"] = f"{gateway.url}/sms"
    return app
