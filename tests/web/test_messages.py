"""The domain operations' messages on the pages: every one has its Chinese text, and a refusal
reads in the page's language."""

from __future__ import annotations

import ast
import string
from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

from service.errors import ValidationFailed
from service.text import t
from service.web.helpers import errors_of
from service.web.i18n import SOURCE_DIR, localize

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
