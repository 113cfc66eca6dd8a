"""The appeals the intake and escalation benchmarks post: realistic payloads (hotline, app and
WeChat; varied titles, contents, names and phones) whose category and area the default list routes,
so the service dispatches every one of them on intake."""

from __future__ import annotations

import json
import random
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅兰志文斌辉林玲春燕"
ROADS = ("光明路", "建设路", "人民路", "胜利路", "解放路", "新华街", "文化路", "和平路", "中山路", "滨江大道")
PLACES = ("小区门口", "菜市场旁", "学校附近", "十字路口", "公交站台", "村委会前", "河堤边", "商铺门前")
OPENINGS = ("市民来电反映：", "群众反映：", "来电人称：", "网友留言：")
DETAILS = (
    "该问题已持续一周以上，多次向有关方面反映未得到解决，",
    "附近居民出行和生活受到较大影响，",
    "夜间尤其明显，老人和小孩安全存在隐患，",
    "之前拨打过热线，暂未收到处理结果，",
    "周边商户和住户意见较大，",
)
ASKS = ("请相关部门尽快核实处理。", "希望尽快派人到现场查看并答复。", "请尽快处理并回复来电人。")


def make_payloads(n: int, seed: int = 20261121) -> list[dict[str, Any]]:
    """`n` realistic appeals whose (category, area) the default list routes, so each is dispatched."""
    from dispatch.routing import Decision, Router
    from responsibility_lists.loader import load_file
    from service.demo import default_list_path

    lst = load_file(default_list_path())
    router = Router(lst)
    rnd = random.Random(seed)
    categories = {c.code: c for c in lst.categories}
    areas = [a for a in lst.areas if a.level in ("township", "village")]
    by_code = {a.code: a for a in lst.areas}
    types = ("咨询", "求助", "投诉", "举报", "建议")
    payloads: list[dict[str, Any]] = []
    attempts = 0
    while len(payloads) < n:
        attempts += 1
        if attempts > n * 50:
            raise RuntimeError("could not find enough routable (category, area) pairs in the default list")
        rule = rnd.choice(lst.rules)
        category = categories[rule.category]
        area = rnd.choice(areas)
        urgency = rnd.choices(("一般", "紧急", "特急"), weights=(90, 8, 2))[0]
        appeal_type = rnd.choice(category.usual_types or types)
        if not isinstance(router.route(category.code, area.code, urgency, appeal_type), Decision):
            continue
        township = area if area.level == "township" else by_code.get(area.parent or "", area)
        place = f"{township.name}{rnd.choice(ROADS)}{rnd.randint(1, 300)}号"
        where = area.name if area is township else f"{township.name}{area.name}"
        title = f"{where}{category.name}问题"[:100]
        content = (
            f"{rnd.choice(OPENINGS)}{place}{rnd.choice(PLACES)}存在{category.name}方面的问题。"
            + "".join(rnd.sample(DETAILS, rnd.randint(1, 3)))
            + rnd.choice(ASKS)
            + f"（编号{len(payloads) + 1:05d}）"
        )
        name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.randint(1, 2)))
        phone = f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"
        channel, meta = rnd.choices(
            (
                (
                    "hotline",
                    {"call_id": f"CALL-{len(payloads) + 1:06d}", "seat": f"A{rnd.randint(1, 40):02d}"},
                ),
                (
                    "app",
                    {"app_user_id": f"u{rnd.randrange(10**6)}", "platform": rnd.choice(("ios", "android"))},
                ),
                ("wechat", {"openid": f"o{rnd.randrange(10**12):012d}"}),
            ),
            weights=(70, 15, 15),
        )[0]
        payloads.append(
            {
                "channel": channel,
                "channel_meta": meta,
                "appeal_type": appeal_type,
                "title": title,
                "content": content,
                "category": category.code,
                "area": area.code,
                "address": place,
                "urgency": urgency,
                "contact": {"name": name, "phone": phone},
            }
        )
    return payloads


def encode(payloads: list[dict[str, Any]]) -> list[bytes]:
    """The request bodies of `payloads`: JSON, UTF-8, the Chinese text as it is."""
    return [json.dumps(p, ensure_ascii=False).encode() for p in payloads]


def make_bodies(n: int) -> list[bytes]:
    return encode(make_payloads(n))


def request_headers(token: str) -> dict[str, str]:
    """The headers of every benchmark request: JSON both ways, the demo operator's API token."""
    return {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
    }
