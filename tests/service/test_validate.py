"""service.validate: marshmallow's validators saying marshmallow's own messages, as texts the pages
translate."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError
from marshmallow import validate as marshmallow_validate

from service import validate
from service.text import Text, t

ROOT = Path(__file__).resolve().parents[2]

FAILING = [
    ("OneOf", (["hotline", "web"],), {}, "fax"),
    ("Length", (), {"min": 1, "max": 3}, ""),
    ("Length", (), {"min": 1, "max": 3}, "abcd"),
    ("Length", (), {"min": 2}, "a"),
    ("Length", (), {"max": 2}, ["a", "b", "c"]),
    ("Length", (), {"equal": 2}, "abc"),
    ("Range", (), {"min": 1, "max": 30}, 31),
    ("Range", (), {"min": 1}, 0),
    ("Range", (), {"max": 1}, 2),
    ("Range", (), {"min": 1, "min_inclusive": False}, 1),
    ("Range", (), {"max": 1, "max_inclusive": False}, 1),
    ("Range", (), {"min": 1, "max": 3, "min_inclusive": False}, 1),
    ("Range", (), {"min": 1, "max": 3, "max_inclusive": False}, 3),
    ("Range", (), {"min": 1, "max": 3, "min_inclusive": False, "max_inclusive": False}, 3),
    ("Regexp", (r"^\d+$",), {}, "x"),
]


def refusal(validator: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        validator(value)
    [message] = raised.value.messages
    return message


@pytest.mark.parametrize(("name", "args", "kwargs", "value"), FAILING)
def test_the_api_says_marshmallows_own_message_made_as_a_text(name, args, kwargs, value):
    said = refusal(getattr(validate, name)(*args, **kwargs), value)

    assert said == refusal(getattr(marshmallow_validate, name)(*args, **kwargs), value)
    assert isinstance(said, Text)


def test_a_schemas_own_message_is_said_as_it_is():
    own = t("Not a category code.")

    assert refusal(validate.Regexp(r"^\d+$", error=own), "x") is own
    assert refusal(validate.OneOf(["a"], error="Pick a."), "b") == "Pick a."


def test_no_schema_uses_marshmallows_validators_directly():
    """A validator from marshmallow.validate would say its message as plain English on the pages."""
    found = []
    for path in sorted((ROOT / "service").rglob("*.py")):
        if path == ROOT / "service" / "validate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.module == "marshmallow.validate"
                or (node.module == "marshmallow" and any(a.name == "validate" for a in node.names))
            ):
                found.append(str(path.relative_to(ROOT)))
    assert found == []
