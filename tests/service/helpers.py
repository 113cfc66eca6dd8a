"""Building blocks for service tests: payloads taken from the default list itself."""

from __future__ import annotations

from functools import cache
from typing import Any

from responsibility_lists.loader import load_file
from responsibility_lists.model import ResponsibilityList
from service.demo import default_list_path


@cache
def default_list() -> ResponsibilityList:
    return load_file(default_list_path())


def rule_for(category_name: str | None = None, *, territorial: bool | None = None) -> Any:
    """A rule of the default list (optionally for a category with that name, and of a scope kind)."""
    lst = default_list()
    names = {c.code: c.name for c in lst.categories}
    for rule in lst.rules:
        if category_name and names[rule.category] != category_name:
            continue
        if territorial is not None and rule.territorial != territorial:
            continue
        return rule
    raise LookupError(category_name)


def a_village(township_name: str = "王母渡镇") -> str:
    lst = default_list()
    township = next(a.code for a in lst.areas if a.name == township_name)
    return next(a.code for a in lst.areas if a.parent == township)


def appeal_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "channel": "hotline",
        "channel_meta": {"call_id": "CALL-0001"},
        "appeal_type": "投诉",
        "title": "小区门口垃圾多日无人清运",
        "content": "光明路12号小区门口的垃圾堆了三天没人清运，气味很大，请尽快处理。",
        "address": "王母渡镇光明路12号",
        "urgency": "一般",
        "contact": {"name": "张三", "phone": "13800001234"},
    }
    payload.update(overrides)
    return payload
