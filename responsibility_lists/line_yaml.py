"""A PyYAML loader that remembers line numbers and the text of numbers.

Mappings come back as `LineMap` (a dict with `.line` and `.key_lines`), so the list loader can say
where a problem is. Integers and floats come back as `int`/`float` subclasses carrying the text
they were written as, so `code: 0101` (which YAML 1.1 reads as the octal number 65) can be caught
and `version: 2026.10` kept as written. `FieldReader` reads typed fields out of those mappings and
collects problems with their lines.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

from .model import Source
from .problems import Problem
from .text import t

# The C parser is several times faster on big lists; the constructors stay in Python either way.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineMap(dict):
    """A YAML mapping with the line it starts on and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class RawInt(int):
    """An int read from YAML, with the text it was written as in `.raw`."""

    raw: str


class RawFloat(float):
    """A float read from YAML, with the text it was written as in `.raw`."""

    raw: str


class LineLoader(_Base):
    """Safe loading plus line numbers; duplicate keys are collected in `.duplicates`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, key)

    def construct_line_map(self, node: yaml.MappingNode) -> Any:
        data = LineMap()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key_node.value))
                seen.add(key_node.value)
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=False)
            if isinstance(key, list | dict):
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key)
            data[key] = self.construct_object(value_node, deep=False)
            data.key_lines[key] = key_node.start_mark.line + 1

    def construct_raw_int(self, node: yaml.ScalarNode) -> RawInt:
        value = RawInt(self.construct_yaml_int(node))
        value.raw = node.value
        return value

    def construct_raw_float(self, node: yaml.ScalarNode) -> RawFloat:
        value = RawFloat(self.construct_yaml_float(node))
        value.raw = node.value
        return value

    def construct_checked_timestamp(self, node: yaml.ScalarNode) -> Any:
        # 2026-02-30 matches YAML's date pattern but is no date: hand back the text so the
        # list loader can report it with its line instead of crashing.
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return node.value


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_line_map)
LineLoader.add_constructor("tag:yaml.org,2002:int", LineLoader.construct_raw_int)
LineLoader.add_constructor("tag:yaml.org,2002:float", LineLoader.construct_raw_float)
LineLoader.add_constructor("tag:yaml.org,2002:timestamp", LineLoader.construct_checked_timestamp)


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, message: str) -> None:  # a `Text`
        super().__init__(message)
        self.line = line
        self.message = message


def parse(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """Parse one YAML document; return the data and the duplicate keys found.

    Raises YamlSyntaxError with the line of the problem.
    """
    loader = LineLoader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        line = mark.line + 1 if mark else None
        source = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in source[: len(source) - len(source.lstrip())]:
            # PyYAML's words ("found character that cannot start any token") do not say it is the tab.
            raise YamlSyntaxError(
                line, t("this line is indented with a tab; YAML indents with spaces only: replace the tab")
            ) from exc
        raise YamlSyntaxError(line, t("YAML syntax: {detail}", detail=", ".join(parts))) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, t("YAML: {detail}", detail=str(exc))) from exc
    finally:
        loader.dispose()


def describe(value: Any) -> str:
    """How a value read from YAML is named in a message (a `Text` when it is words, not the value)."""
    if value is None:
        return t("empty")
    if isinstance(value, bool):
        return t("the boolean {value}", value=str(value).lower())
    if isinstance(value, RawInt | RawFloat):
        return value.raw
    if isinstance(value, dict):
        return t("a mapping")
    if isinstance(value, list):
        return t("a list")
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


class FieldReader:
    """Reads typed fields out of `LineMap`s, collecting problems with their lines instead of stopping."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []

    def error(self, line: int | None, message: str, file: str | None = None) -> None:
        """A problem at `line`; `message` is a `Text` (the CLI prints it, the admin pages translate it)."""
        self.problems.append(Problem(Source(file or self.file, line), message))

    # -- shapes -----------------------------------------------------------------------------

    def mapping(self, value: Any, line: int, what: str) -> LineMap | None:
        if isinstance(value, LineMap):
            return value
        self.error(
            line, t("{what} must be a mapping (key: value), not {value}", what=what, value=describe(value))
        )
        return None

    def sequence(self, m: LineMap, key: str, what: str) -> list[Any]:
        value = m.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.error(
            m.line_of(key),
            t("{what}: {key} must be a list, not {value}", what=what, key=key, value=describe(value)),
        )
        return []

    def keys(self, m: LineMap, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        allowed = required + optional
        for key in m:
            if key not in allowed:
                message = t(
                    "{what}: unknown key {key!r} (expected one of: {expected})",
                    what=what,
                    key=key,
                    expected=list(allowed),
                )
                self.error(m.line_of(key), message)
        for key in required:
            if key not in m:
                self.error(m.line, t("{what}: missing required key {key!r}", what=what, key=key))

    # -- scalars ----------------------------------------------------------------------------

    def text(self, m: LineMap, key: str, what: str) -> str:
        value = m.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, RawInt | RawFloat):
            return value.raw  # written unquoted, e.g. a phone number or "version: 2026.10"
        if isinstance(value, date):
            return value.isoformat()
        self.error(
            m.line_of(key),
            t("{what}: {key} must be text, not {value}", what=what, key=key, value=describe(value)),
        )
        return ""

    def code(self, value: Any, line: int, what: str) -> str | None:
        """A code (unit, category, division, rule id); numbers are accepted unless YAML mangled them."""
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, RawInt) and value.raw == str(int(value)):
            return value.raw
        if isinstance(value, RawInt | RawFloat):
            message = t(
                '{what} {raw} must be quoted ("{raw}"): unquoted, YAML reads it as '
                "the number {number}, not the code {raw}",
                what=what,
                raw=value.raw,
                number=repr(value),
            )
            self.error(line, message)
            return value.raw
        self.error(line, t("{what} must be a code (text), not {value}", what=what, value=describe(value)))
        return None

    def key_code(self, m: LineMap, key: str, what: str) -> str | None:
        return self.code(m.get(key), m.line_of(key), t("{what}: {key}", what=what, key=key))

    def codes(self, m: LineMap, key: str, what: str) -> tuple[str, ...]:
        label = t("{what}: {key}", what=what, key=key)
        items = (self.code(v, m.line_of(key), label) for v in self.sequence(m, key, what))
        return tuple(c for c in items if c is not None)

    def texts(self, m: LineMap, key: str, what: str) -> tuple[str, ...]:
        out = []
        for value in self.sequence(m, key, what):
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, RawInt | RawFloat):
                out.append(value.raw)
            else:
                message = t(
                    "{what}: {key} must be a list of text, not {value}",
                    what=what,
                    key=key,
                    value=describe(value),
                )
                self.error(m.line_of(key), message)
        return tuple(out)

    def number(
        self,
        m: LineMap,
        key: str,
        what: str,
        *,
        integer: bool = False,
        lowest: float = 0,
        strict: bool = True,
    ) -> Any:
        """A number above `lowest` (or at least `lowest` when not `strict`); None when absent or bad."""
        value = m.get(key)
        if value is None:
            return None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (value > lowest if strict else value >= lowest)
        ok = ok and (not integer or float(value).is_integer())
        if not ok:
            kind = t("a whole number") if integer else t("a number")
            bound = t("above {n}", n=_num_text(lowest)) if strict else t("at least {n}", n=_num_text(lowest))
            message = t(
                "{what}: {key} must be {kind} {bound}, not {value}",
                what=what,
                key=key,
                kind=kind,
                bound=bound,
                value=describe(value),
            )
            self.error(m.line_of(key), message)
            return None
        return int(value) if float(value).is_integer() else float(value)

    def date_value(self, value: Any, line: int, what: str) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)  # a quoted "2026-11-01" is fine too
            except ValueError:
                pass
        self.error(
            line, t("{what} must be a date written YYYY-MM-DD, not {value}", what=what, value=describe(value))
        )
        return None

    def dates(self, m: LineMap, key: str, what: str) -> frozenset[date]:
        label = t("{what}: {key}", what=what, key=key)
        found = (self.date_value(v, m.line_of(key), label) for v in self.sequence(m, key, what))
        return frozenset(d for d in found if d is not None)


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
