"""A recording fake of the SMS gateway (and of webhook receivers) for tests, `make run` and benchmarks.

It accepts a POST on any path, records it (path, headers with lower-case names, JSON body,
`received_at` = time.time()) and answers 200 ``{"id": "fake-<n>"}``. A repeated `Idempotency-Key`
is answered with the first id and recorded with ``"duplicate": true``, as a gateway that drops
repeats would: count the records without it to see what a citizen would have received.

    GET    /messages   the accepted requests, oldest first, as a JSON list
    GET    /requests   every request, failed ones too (each with the status it was answered)
    DELETE /messages   forget everything recorded
    POST   /_control   {"fail_next": n, "status": 503, "fail_all": 400 | null, "delay": seconds}
                       (not recorded): the same switches as `FakeGateway.fail_next` and friends, for
                       a gateway running in another process

In-process: ``gateway = start_in_thread()``, then `gateway.url`, `gateway.messages`,
`gateway.wait_for(3)`, `gateway.fail_next(2, status=503)`, `gateway.stop()`.
From the shell: ``minyi fake-gateway --port 8025 --record var/sms.jsonl``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)

CONTROL_PATH = "/_control"
MAX_BODY = 1024 * 1024


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a sender's 8 parallel connections would overflow
    # it, and each dropped SYN costs the client a 1 s retransmit. A real gateway queues far more.
    request_queue_size = 128


class FakeGateway:
    """The server's state and switches; thread-safe."""

    def __init__(self, record_file: str | Path | None = None) -> None:
        self._lock = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._ids_by_key: dict[str, str] = {}
        self._sequence = 0
        self._fail_next: list[int] = []  # statuses for the next requests, first answered first
        self._fail_all: int | None = None
        self._delay = 0.0
        self._stopping = threading.Event()
        self._record_file = Path(record_file) if record_file else None
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- switches ----

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Answer the next `count` requests with `status` (and record them as failed)."""
        with self._lock:
            self._fail_next.extend([status] * count)

    def fail_all(self, status: int | None = 400) -> None:
        """Answer every request with `status` (a permanent failure mode); None: answer normally."""
        with self._lock:
            self._fail_all = status

    def set_delay(self, seconds: float) -> None:
        """Wait this long before answering each request (to provoke client timeouts)."""
        with self._lock:
            self._delay = max(seconds, 0.0)

    def reset(self) -> None:
        """Forget what was recorded and turn every switch off."""
        with self._lock:
            self._requests.clear()
            self._ids_by_key.clear()
            self._fail_next.clear()
            self._fail_all, self._delay = None, 0.0

    # ---- what was received ----

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("the fake gateway is not running")
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The requests answered 200, oldest first."""
        with self._lock:
            return [r for r in self._requests if r["status"] == 200]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received, failed ones too."""
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` messages are accepted; return them. TimeoutError with what came."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                accepted = [r for r in self._requests if r["status"] == 200]
                if len(accepted) >= count:
                    return accepted
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(accepted)} of {count} messages within {timeout} s")
                self._lock.wait(left)

    # ---- running ----

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeGateway:
        self.server = _Server((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="fake-gateway", daemon=True
        )  # a short poll interval: stop() returns at once, not after half a second
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # delayed answers give up at once
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- used by the handler ----

    def _decide(self) -> tuple[int, float]:
        with self._lock:
            if self._fail_next:
                return self._fail_next.pop(0), self._delay
            return (self._fail_all or 200), self._delay

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._sequence += 1
            record["seq"] = self._sequence
            key = record["headers"].get("idempotency-key")
            if record["status"] == 200:
                if key and key in self._ids_by_key:
                    record["id"], record["duplicate"] = self._ids_by_key[key], True
                else:
                    record["id"], record["duplicate"] = f"fake-{self._sequence}", False
                    if key:
                        self._ids_by_key[key] = record["id"]
            self._requests.append(record)
            if self._record_file is not None:
                with self._record_file.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._lock.notify_all()
            return record

    def _control(self, data: dict[str, Any]) -> None:
        if "fail_next" in data:
            self.fail_next(int(data["fail_next"]), int(data.get("status", 503)))
        if "fail_all" in data:
            self.fail_all(int(data["fail_all"]) if data["fail_all"] is not None else None)
        if "delay" in data:
            self.set_delay(float(data["delay"]))


def _handler_for(gateway: FakeGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "MinyiFakeGateway/1"

        def log_message(self, format: str, *args: Any) -> None:  # not on stderr
            log.debug("fake gateway: " + format, *args)

        def _answer(self, status: int, document: Any) -> None:
            data = json.dumps(document, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timed out)
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/messages":
                self._answer(200, gateway.messages)
            elif self.path.rstrip("/") == "/requests":
                self._answer(200, gateway.requests)
            else:
                self._answer(404, {"error": "not_found"})

        def do_DELETE(self) -> None:
            if self.path.rstrip("/") in ("/messages", "/requests"):
                gateway.reset()
                self._answer(200, {"ok": True})
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            received_at = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                self._answer(413, {"error": "too_large"})
                return
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            if self.path == CONTROL_PATH:
                try:
                    gateway._control(body if isinstance(body, dict) else {})
                except (TypeError, ValueError) as error:
                    self._answer(400, {"error": str(error)})
                    return
                self._answer(200, {"ok": True})
                return
            status, delay = gateway._decide()
            if delay and gateway._stopping.wait(delay):
                self.close_connection = True
                return
            record = gateway._record(
                {
                    "method": "POST",
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "body": body,
                    "raw": raw.decode("utf-8", "replace"),  # the exact text, to check signatures
                    "received_at": received_at,
                    "status": status,
                }
            )
            if status == 200:
                self._answer(200, {"id": record["id"]})
            else:
                self._answer(status, {"error": "fake failure", "status": status})

    return Handler


def start_in_thread(
    host: str = "127.0.0.1", port: int = 0, record_file: str | Path | None = None
) -> FakeGateway:
    """Start a fake gateway on a background thread (port 0: a free one); `.stop()` ends it."""
    return FakeGateway(record_file).start(host, port)


@click.command("fake-gateway")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.option(
    "--record",
    "record_file",
    type=click.Path(dir_okay=False, writable=True),
    help="append each request as a JSON line to this file",
)
def fake_gateway_command(host: str, port: int, record_file: str | None) -> None:
    """A recording fake SMS gateway and webhook receiver (for `make run`, tests and benchmarks).

    Accepts POST on any path and answers 200 {"id": ...}; GET /messages lists what it received.
    """
    gateway = start_in_thread(host, port, record_file)
    click.echo(f"fake gateway listening on {gateway.url} (GET {gateway.url}/messages)")
    try:
        while gateway._thread is not None and gateway._thread.is_alive():
            gateway._thread.join(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
