"""Arranging two months of appeals for the volume figures (诉求量), through the intake API as an
operator would; appeals of past days logged with their own `received_at`, as late letters are."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time
from typing import Any

from flask import Flask

from service.db import utcnow
from service.figures.queries import month_of
from service.figures.volumes import previous_month
from tests.service.closing_arrange import ok
from tests.service.factories import SHANGHAI, register, township, villages

GARBAGE, NOISE = "020101", "010401"  # 生活垃圾清运 (城市管理), 施工噪音扰民 (城乡建设与住房)
MEILIN, WANGMUDU, SHADI = township("梅林镇"), township("王母渡镇"), township("沙地镇")


def at(month: str, day: int, hour: int = 10, minute: int = 0) -> str:
    """A local time of `month` (Asia/Shanghai, the service's zone) as the intake API takes it."""
    local = datetime.combine(date(int(month[:4]), int(month[5:]), day), time(hour, minute), SHANGHAI)
    return local.isoformat()


def last_day(month: str) -> int:
    return monthrange(int(month[:4]), int(month[5:]))[1]


def take_in(as_user: Any, month: str, day: int, **fields: Any) -> dict[str, Any]:
    """An operator logs an appeal received on `day` of `month` at 10:00 local time (unless
    `received_at` says otherwise; None: now); the 201 body."""
    fields.setdefault("received_at", at(month, day))
    if fields.get("channel", "hotline") != "hotline":
        fields.setdefault("channel_meta", {})
    return register(as_user("operator"), **fields)


def past_months(app: Flask) -> tuple[str, str]:
    """Last month (a whole month, all in the past) and the one before it."""
    last = previous_month(month_of(utcnow(), app.config["TZ"]))
    return last, previous_month(last)


def two_months(as_user: Any, months: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """Last month: 生活垃圾清运 four times (three in 梅林镇's villages, one in 王母渡镇, one 紧急),
    施工噪音扰民 twice in 王母渡镇, one consultation closed at first contact, and a repeat of the
    first merged into it. The month before: 生活垃圾清运 twice in 梅林镇, 施工噪音扰民 once in 沙地镇
    on its last evening. This month: one more, counted in no figure of last month."""
    last, before = months
    meilin, wangmudu = villages("梅林镇"), villages("王母渡镇")
    first = take_in(as_user, last, 3, category=GARBAGE, area=meilin[0])
    take_in(as_user, last, 3, category=GARBAGE, area=meilin[1], urgency="紧急")
    # Just after local midnight on the 1st: the day before in UTC, yet last month's first day.
    take_in(
        as_user,
        last,
        1,
        received_at=at(last, 1, 0, 30),
        category=GARBAGE,
        area=meilin[0],
        channel="wechat",
        appeal_type="求助",
    )
    take_in(as_user, last, 9, category=GARBAGE, area=wangmudu[0])
    for _ in range(2):
        take_in(as_user, last, 9, category=NOISE, area=wangmudu[1], channel="web")
    consultation = take_in(
        as_user,
        last,
        12,
        appeal_type="咨询",
        channel="app",
        title="燃气开户怎么办理",
        content="想问新房燃气开户要带什么材料。",
    )
    ok(
        as_user("operator").post(
            f"/api/v1/appeals/{consultation['number']}/close-directly",
            json={"answer": "请携带身份证和房产证到燃气营业厅办理。"},
        )
    )
    repeat = take_in(as_user, last, 3, category=GARBAGE, area=meilin[0])
    ok(
        as_user("dispatcher").post(
            f"/api/v1/appeals/{repeat['number']}/merge",
            json={"master": first["number"], "reason": "同一问题"},
        )
    )
    for village in meilin[:2]:
        take_in(as_user, before, 20, category=GARBAGE, area=village)
    take_in(
        as_user,
        before,
        last_day(before),
        received_at=at(before, last_day(before), 23, 30),
        category=NOISE,
        area=villages("沙地镇")[0],
    )
    take_in(as_user, last, 1, received_at=None, category=GARBAGE, area=meilin[0])  # now: this month
    return {"first": first, "repeat": repeat, "consultation": consultation}
