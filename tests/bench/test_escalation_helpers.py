"""The escalation benchmark's own arithmetic: how it matches SMS to appeals and reads percentiles."""

from __future__ import annotations

import math

from bench.common import percentile
from bench.escalation_latency import first_arrivals, with_urgency


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 51.0  # rank round(0.5 * 99) = 50 (0-based)
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert math.isnan(percentile([], 99))


def test_first_arrivals_keeps_each_appeal_numbers_earliest_sms() -> None:
    messages = [
        {
            "body": {"to": "13907970101", "text": "【赣县12345】特急工单GX20261122-0042（路灯）已派区城管局"},
            "received_at": 5.0,
        },
        {
            "body": {
                "to": "13907971200",
                "text": "【赣县12345】特急工单GX20261122-0042（路灯），请30分钟内签收",
            },
            "received_at": 3.0,
        },
        {
            "body": {"to": "13907970101", "text": "升级提醒：工单BE20260101-000007（升级基准）未签收"},
            "received_at": 4.0,
        },
        {"body": None, "raw": "not json", "received_at": 1.0},
    ]
    assert first_arrivals(messages) == {"GX20261122-0042": 3.0, "BE20260101-000007": 4.0}


def test_with_urgency_marks_every_kth_appeal_urgent_and_the_rest_routine() -> None:
    payloads = [{"title": str(i), "urgency": "紧急"} for i in range(8)]
    marked = with_urgency(payloads, 4)
    assert [p["urgency"] for p in marked] == ["特急", "一般", "一般", "一般", "特急", "一般", "一般", "一般"]
    assert [p["title"] for p in marked] == [str(i) for i in range(8)]
    assert payloads[0]["urgency"] == "紧急"  # the originals are left alone
