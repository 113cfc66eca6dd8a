"""The recording fake gateway, as tests, `make run` and the benchmark use it: over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from service.notices.fake_gateway import FakeGateway, start_in_thread
from tests.service.notices.conftest import free_port


def call(url: str, method: str = "GET", document: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(document, ensure_ascii=False).encode() if document is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_records_posts_and_lists_them_newest_last(gateway: FakeGateway) -> None:
    before = time.time()
    first = call(gateway.url + "/sms", "POST", {"to": "13812345678", "text": "你好"}, {"X-Test": "1"})
    second = call(gateway.url + "/hooks/a", "POST", {"n": 2})

    listed = call(gateway.url + "/messages")

    assert [m["path"] for m in listed] == ["/sms", "/hooks/a"]
    assert [m["id"] for m in listed] == [first["id"], second["id"]]
    assert listed[0]["body"] == {"to": "13812345678", "text": "你好"}
    assert listed[0]["headers"]["x-test"] == "1"
    assert before <= listed[0]["received_at"] <= listed[1]["received_at"] <= time.time()
    assert gateway.messages == listed


def test_told_to_fail_it_fails_then_recovers(gateway: FakeGateway) -> None:
    gateway.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as caught:
            call(gateway.url, "POST", {"n": 1})
        assert caught.value.code == 503
        caught.value.close()
    call(gateway.url, "POST", {"n": 1})

    assert [r["status"] for r in gateway.requests] == [503, 503, 200]
    assert len(gateway.messages) == 1


def test_control_endpoint_switches_a_gateway_in_another_process(gateway: FakeGateway) -> None:
    call(gateway.url + "/_control", "POST", {"fail_all": 400})
    with pytest.raises(urllib.error.HTTPError) as caught:
        call(gateway.url, "POST", {"n": 1})
    assert caught.value.code == 400
    caught.value.close()
    call(gateway.url + "/_control", "POST", {"fail_all": None})
    call(gateway.url, "POST", {"n": 2})

    assert [r["status"] for r in gateway.requests] == [400, 200]  # control calls are not recorded
    call(gateway.url + "/messages", "DELETE")
    assert call(gateway.url + "/messages") == []


def test_wait_for_returns_when_enough_arrived_and_says_how_many_did_not(gateway: FakeGateway) -> None:
    call(gateway.url, "POST", {"n": 1})
    assert len(gateway.wait_for(1, timeout=1)) == 1
    with pytest.raises(TimeoutError, match="1 of 2"):
        gateway.wait_for(2, timeout=0.1)


def test_record_file_gets_one_json_line_per_request(tmp_path: Path) -> None:
    record = tmp_path / "sms.jsonl"
    with start_in_thread(record_file=record) as gateway:
        call(gateway.url + "/sms", "POST", {"text": "第一条"})
        call(gateway.url + "/sms", "POST", {"text": "第二条"})
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [line["body"]["text"] for line in lines] == ["第一条", "第二条"]


@pytest.mark.slow
def test_command_serves_until_stopped_and_records_to_the_file(tmp_path: Path) -> None:
    record, port = tmp_path / "sms.jsonl", free_port()
    code = "from service.notices.fake_gateway import fake_gateway_command; fake_gateway_command()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--record", str(record)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        answer = call(f"http://127.0.0.1:{port}/sms", "POST", {"text": "你好"})
        assert json.loads(record.read_text(encoding="utf-8"))["id"] == answer["id"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
