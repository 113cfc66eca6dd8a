"""The domain operations' messages on the pages and in the API's error envelope: every one has its
Chinese text, and so has every message the libraries behind the API say (service/library_text.py);
a refusal reads in the page's language."""

from __future__ import annotations

import ast
import string
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from marshmallow import Schema
from marshmallow.fields import Field
from werkzeug.exceptions import BadRequest, MethodNotAllowed, NotFound

from service import library_text
from service.errors import ValidationFailed
from service.i18n import SOURCE_DIR, localize
from service.text import t
from service.web.helpers import errors_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("service", "dispatch", "responsibility_lists")
CATALOGUE = SOURCE_DIR / "zh" / "LC_MESSAGES" / "errors.po"
#: Where `t` comes from (responsibility_lists' own modules import it as `from .text import t`).
TEXT_MODULES = ("service.text", "responsibility_lists.text")


def messages_in_code() -> dict[str, list[tuple[str, set[str]]]]:
    """Each `t("template", name=...)` in the code: template → [(where, the value names given)]."""
    found: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imports_t = any(
                isinstance(node, ast.ImportFrom)
                and (node.module in TEXT_MODULES or (node.level == 1 and node.module == "text"))
                and any(a.name == "t" for a in node.names)
                for node in tree.body
            )
            if not imports_t:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t":
                    first = node.args[0]
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                        f"{where}: not a literal"
                    )
                    found[first.value].append((where, {k.arg for k in node.keywords if k.arg}))
    return found


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_every_message_of_the_code_has_a_chinese_text_that_names_only_values_it_is_given():
    in_code = messages_in_code()
    with CATALOGUE.open("rb") as f:
        catalogue = {m.id: m.string for m in read_po(f) if m.id}

    assert len(in_code) > 40  # the scan found the messages (a broken scan would pass trivially)
    assert sorted(set(in_code) - set(catalogue)) == [], "extract and translate them (service/web/README.md)"
    assert sorted(set(catalogue) - set(in_code)) == [], "no longer said: update the catalogue"
    for template, sites in in_code.items():
        chinese = catalogue[template]
        assert chinese and not chinese.isascii(), template
        for where, given in sites:
            assert placeholders(template) <= given, f"{where}: the English text names a value not given"
            assert placeholders(chinese) <= given, f"{where}: {chinese!r} names a value not given"


def test_a_domain_refusal_reads_in_the_page_language(app):
    message = t("Appeal {number} has no lead unit to reopen to.", number="GX20261122-0001")
    refusal = ValidationFailed(
        t("Invalid input: {fields}", fields=["unit"]), {"unit": [t("Unknown unit {code!r}.", code="XX")]}
    )

    with app.test_request_context("/centre?lang=zh"):
        assert localize(message) == "诉求 GX20261122-0001 没有可交回重办的主办单位。"
        assert errors_of(refusal) == {"unit": ["没有代码为 XX 的单位。"]}
        assert localize("a plain message") == "a plain message"
    with app.test_request_context("/centre?lang=en"):
        assert localize(message) == "Appeal GX20261122-0001 has no lead unit to reopen to."
        assert errors_of(refusal) == {"unit": ["Unknown unit 'XX'."]}


def test_no_catalogue_holds_a_message_twice():
    """A message entered twice is read once (the last): one of the two places it is used would
    show the other's translation. Catalogues are appended to by hand, so this is checked."""
    for path in sorted(SOURCE_DIR.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as f:
            entries = [m.id for m in read_po(f)]  # babel keeps one entry per message
        text = path.read_text(encoding="utf-8")
        written = text.count("\nmsgid ")
        assert written == len(entries), (
            f"{path.relative_to(ROOT)}: {written - len(entries)} message(s) written twice"
        )


def _catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _and_inner(field: Field) -> list[Field]:
    """A field and the fields inside it (a list's items, a dict's keys and values, a tuple's)."""
    inner = [getattr(field, name, None) for name in ("inner", "key_field", "value_field")]
    inner += list(getattr(field, "tuple_fields", None) or ())
    return [field, *(f for sub in inner if sub is not None for f in _and_inner(sub))]


def said_by_the_schemas() -> dict[str, str]:
    """Each message marshmallow can refuse a value of the service's schemas with → one field saying it.

    Messages said while loading only: those that name the value (`{input}`, a dump's) are not."""
    found: dict[str, str] = {}
    for cls in _subclasses(Schema):
        if not cls.__module__.startswith("service."):
            continue
        schema = cls()
        for message in schema.error_messages.values():
            found.setdefault(str(message), cls.__name__)
        for name, declared in schema.fields.items():
            for field in _and_inner(declared):
                values = {
                    "obj_type": getattr(field, "OBJ_TYPE", None),
                    "awareness": getattr(field, "AWARENESS", None),
                }
                for key, message in field.error_messages.items():
                    wanted = placeholders(str(message))
                    if not wanted <= {n for n, v in values.items() if v is not None}:
                        continue  # needs the value (a dump's "format"), or a check this field never makes
                    found.setdefault(str(message).format(**values), f"{cls.__name__}.{name} ({key})")
    return found


def test_every_message_marshmallow_can_say_for_the_schemas_has_a_chinese_text(app):
    said = said_by_the_schemas()
    catalogue = _catalogue()

    assert "Missing data for required field." in said and "Unknown field." in said  # the walk found fields
    missing = {message: where for message, where in said.items() if message not in catalogue}
    assert missing == {}, "list them in service/library_text.py, extract and translate them"
    assert set(library_text.MARSHMALLOW) <= set(said), "listed but said by no field of the schemas"


def test_the_werkzeug_descriptions_listed_are_werkzeugs_own():
    """The 400, 404 and 405 the API answers with werkzeug's text: an upgrade that rewords one would
    leave it English for a Chinese client."""
    assert (
        BadRequest.description,
        NotFound.description,
        MethodNotAllowed.description,
    ) == library_text.WERKZEUG


#: The refusals (`DomainError`s) and what the API refuses with the library's exceptions.
REFUSALS = {
    "NotFound",
    "Forbidden",
    "Conflict",
    "ValidationFailed",
    "Unauthorized",
    "DomainError",
    "NotAllowed",
}
REFUSALS |= {"ValidationError", "UnsupportedMediaType", "error_response", "stale_response"}


@pytest.mark.parametrize("package", ["service", "dispatch"])
def test_no_refusal_is_said_in_english_only(package):
    """A refusal made from literal text (`NotFound(f"No appeal {number}.")`) cannot be translated:
    the API would say it in English to a client that reads Chinese. Made with `t`, it can."""
    english_only = []
    for path in sorted((ROOT / package).rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            second = (
                name in ("error_response", "NotAllowed") and len(node.args) > 1
            )  # (status or kind, message)
            message = node.args[1] if second else node.args[0]
            if name in REFUSALS and isinstance(message, ast.Constant | ast.JoinedStr | ast.BinOp):
                english_only.append(f"{where}:{node.lineno}")
    assert english_only == []
