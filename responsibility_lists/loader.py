"""Reading a responsibility list from its YAML file (or XLSX workbook) into the model.

Every structural problem (missing or unknown key, wrong type, bad limit, bad date) is collected
with its file and line, and raised together as one `ListFormatError`. References between items
(does this unit exist?) are left to `check.check_list`. Two sections have modules of their own:
the areas (`loader_areas`: inline or from the CSV beside the list) and the calendar with its
working hours (`loader_calendar`, whose grammar of working hours the workbook shares).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import line_yaml
from .dump import dump_yaml
from .line_yaml import FieldReader, LineMap, RawFloat, RawInt, describe
from .loader_areas import read_areas
from .loader_calendar import read_calendar
from .model import (
    SCOPE_TERRITORIAL,
    URGENCIES,
    Category,
    Contact,
    EscalationStep,
    Jurisdiction,
    Limit,
    ResponsibilityList,
    Rule,
    Source,
    Unit,
)
from .problems import ListFormatError, Problem
from .text import t

__all__ = ["ListFormatError", "Problem", "decode_text", "dump_yaml", "load_file", "load_yaml", "loads_yaml"]

_TOP_REQUIRED = ("jurisdiction", "version", "effective", "units", "categories", "rules")
_TOP_OPTIONAL = ("areas_file", "areas", "calendar", "limit_profiles", "default_limits")
_LIMIT_KEYS = ("sign_hours", "reply_working_days", "reply_hours")
_CONTACT_KEYS = ("title", "phone", "email", "webhook")


def load_file(path: str | os.PathLike[str]) -> ResponsibilityList:
    """Load a list from a .yaml/.yml file or an .xlsx workbook."""
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml(path)
    if suffix == ".xlsx":
        from .xlsx import import_xlsx

        return import_xlsx(path)
    raise ListFormatError([Problem(Source(str(path)), t("unknown file type: expected .yaml, .yml or .xlsx"))])


def load_yaml(path: str | os.PathLike[str]) -> ResponsibilityList:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ListFormatError(
            [Problem(Source(str(path)), t("cannot read the file: {detail}", detail=str(exc)))]
        ) from exc
    return loads_yaml(decode_text(data, str(path)), filename=str(path), base_dir=Path(path).parent)


def decode_text(data: bytes, filename: str) -> str:
    """The text of a list file: UTF-8, with or without a byte order mark; else a ListFormatError
    at the line of the first byte that is not UTF-8 (a file saved as GBK, say)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        detail = t(
            "byte {byte} cannot be read; save the file as UTF-8",
            byte=f"0x{data[exc.start]:02x}",
        )
        raise ListFormatError(
            [Problem(Source(filename, line), t("the file is not UTF-8 text: {detail}", detail=detail))]
        ) from exc


def loads_yaml(
    text: str, filename: str = "<string>", base_dir: str | os.PathLike[str] | None = None
) -> ResponsibilityList:
    """Build a list from YAML text; `base_dir` is where `areas_file` is looked for.

    Without `base_dir`, the directory of `filename` is used (the working directory for "<string>").
    """
    if base_dir is None:
        base_dir = Path(filename).parent if filename != "<string>" else Path.cwd()
    try:
        data, duplicates = line_yaml.parse(text)
    except line_yaml.YamlSyntaxError as exc:
        raise ListFormatError([Problem(Source(filename, exc.line), exc.message)]) from None
    builder = _Builder(filename, Path(base_dir))
    for line, key in duplicates:
        builder.error(line, t("key {key!r} appears twice in the same mapping", key=key))
    lst = builder.build(data)
    if builder.problems or lst is None:
        raise ListFormatError(builder.problems)
    return lst


class _Builder(FieldReader):
    """Turns the parsed YAML into model objects."""

    def __init__(self, filename: str, base_dir: Path) -> None:
        super().__init__(filename)
        self.base_dir = base_dir

    # -- the list -----------------------------------------------------------------------------

    def build(self, data: Any) -> ResponsibilityList | None:
        top = self.mapping(data, 1, t("the list file"))
        if top is None:
            return None
        the_list = t("the list")
        self.keys(top, the_list, _TOP_REQUIRED, _TOP_OPTIONAL)
        jurisdiction = self.jurisdiction(top)
        version = self.text(top, "version", the_list)
        effective = self.date_value(top.get("effective"), top.line_of("effective"), "effective")
        areas_file, areas = read_areas(self, top, self.base_dir)
        calendar = read_calendar(self, top)
        profiles = self.limit_profiles(top)
        default_limits = self.limits_or_profile(
            top.get("default_limits"), top.line_of("default_limits"), "default_limits", profiles
        )
        units = tuple(
            u for i, v in enumerate(self.sequence(top, "units", the_list)) if (u := self.unit(v, top, i))
        )
        categories: list[Category] = []
        for value in self.sequence(top, "categories", the_list):
            self.category(value, top.line_of("categories"), None, categories)
        rules = tuple(
            r
            for i, v in enumerate(self.sequence(top, "rules", the_list))
            if (r := self.rule(v, top, i, profiles))
        )
        if self.problems or jurisdiction is None or effective is None:
            return None
        return ResponsibilityList(
            jurisdiction=jurisdiction,
            version=version,
            effective=effective,
            units=units,
            areas=areas,
            categories=tuple(categories),
            rules=rules,
            calendar=calendar,
            areas_file=areas_file,
            default_limits=default_limits,
            source=self.file,
        )

    def jurisdiction(self, top: LineMap) -> Jurisdiction | None:
        m = self.mapping(top.get("jurisdiction"), top.line_of("jurisdiction"), "jurisdiction")
        if m is None:
            return None
        self.keys(m, "jurisdiction", ("name", "code", "prefix"))
        code = self.key_code(m, "code", "jurisdiction") or ""
        return Jurisdiction(
            self.text(m, "name", "jurisdiction"), code, self.text(m, "prefix", "jurisdiction")
        )

    def limit_profiles(self, top: LineMap) -> dict[str, dict[str, Limit]]:
        if top.get("limit_profiles") is None:
            return {}
        m = self.mapping(top["limit_profiles"], top.line_of("limit_profiles"), "limit_profiles")
        if m is None:
            return {}
        profiles = {}
        for name, value in m.items():
            label = name.raw if isinstance(name, RawInt | RawFloat) else str(name)
            profiles[label] = self.limits(value, m.line_of(name), t("limit profile {name}", name=label))
        return profiles

    def limits_or_profile(
        self,
        value: Any,
        line: int,
        what: str,
        profiles: dict[str, dict[str, Limit]],
        owner: str | None = None,
    ) -> dict[str, Limit]:
        """Limits given inline, or by the name of one of the list's limit_profiles."""
        if value is None:
            return {}
        if not isinstance(value, str):
            return self.limits(value, line, what)
        if value in profiles:
            return dict(profiles[value])
        message = t(
            "{what}: unknown limit profile {name!r} (known: {known})",
            what=owner or what,
            name=value,
            known=list(profiles) or t("none defined"),
        )
        self.error(line, message)
        return {}

    def limits(self, value: Any, line: int, what: str) -> dict[str, Limit]:
        m = self.mapping(value, line, what)
        if m is None:
            return {}
        self.keys(m, what, (), URGENCIES)
        out: dict[str, Limit] = {}
        for urgency in URGENCIES:
            if urgency not in m:
                continue
            label = t("{what}, {urgency}", what=what, urgency=urgency)
            lm = self.mapping(m[urgency], m.line_of(urgency), label)
            if lm is None:
                continue
            self.keys(lm, label, ("sign_hours",), _LIMIT_KEYS[1:])
            sign = self.number(lm, "sign_hours", label)
            days = self.number(lm, "reply_working_days", label, integer=True, lowest=1, strict=False)
            hours = self.number(lm, "reply_hours", label)
            if days is not None and hours is not None:
                self.error(lm.line, t("{what}: give reply_working_days or reply_hours, not both", what=label))
            elif sign is not None:
                out[urgency] = Limit(sign_hours=sign, reply_working_days=days, reply_hours=hours)
        return out

    def contacts(self, m: LineMap, what: str) -> tuple[Contact, ...]:
        out = []
        contact = t("{what}: contact", what=what)
        for value in self.sequence(m, "contacts", what):
            cm = self.mapping(value, m.line_of("contacts"), t("{what}: a contact", what=what))
            if cm is None:
                continue
            self.keys(cm, contact, ("name",), _CONTACT_KEYS)
            fields = {k: self.text(cm, k, contact) for k in ("name", *_CONTACT_KEYS)}
            out.append(Contact(**fields))
        return tuple(out)

    def unit(self, value: Any, top: LineMap, index: int) -> Unit | None:
        m = self.mapping(value, top.line_of("units"), t("units item {n}", n=index + 1))
        if m is None:
            return None
        code = self.key_code(m, "code", t("unit"))
        what = t("unit {code}", code=code) if code else t("units item {n}", n=index + 1)
        self.keys(m, what, ("code", "name", "kind"), ("parent", "area", "contacts", "escalation"))
        ladder = []
        for step_value in self.sequence(m, "escalation", what):
            sm = self.mapping(step_value, m.line_of("escalation"), t("{what}: an escalation step", what=what))
            if sm is None:
                continue
            label = t("{what}: escalation step", what=what)
            self.keys(sm, label, ("level", "title"), ("after_minutes", "contacts", "units"))
            level = self.number(sm, "level", label, integer=True, lowest=1, strict=False)
            minutes = self.number(sm, "after_minutes", label, integer=True, strict=False)
            ladder.append(
                EscalationStep(
                    level=level or 0,
                    title=self.text(sm, "title", label),
                    after_minutes=30 if minutes is None else minutes,
                    contacts=self.contacts(sm, label),
                    units=self.codes(sm, "units", label),
                )
            )
        return Unit(
            code=code or "",
            name=self.text(m, "name", what),
            kind=self.text(m, "kind", what),
            parent=self.key_code(m, "parent", what),
            area=self.key_code(m, "area", what),
            contacts=self.contacts(m, what),
            escalation=tuple(ladder),
            source=Source(self.file, m.line),
        )

    def category(self, value: Any, line: int, parent: str | None, out: list[Category]) -> None:
        m = self.mapping(value, line, t("a category"))
        if m is None:
            return
        code = self.key_code(m, "code", t("category"))
        what = t("category {code}", code=code) if code else t("a category")
        self.keys(m, what, ("code", "name"), ("keywords", "usual_types", "urgent", "children"))
        urgent = m.get("urgent", False)
        if not isinstance(urgent, bool):
            message = t(
                "{what}: urgent must be true or false, not {value}", what=what, value=describe(urgent)
            )
            self.error(m.line_of("urgent"), message)
            urgent = False
        out.append(
            Category(
                code=code or "",
                name=self.text(m, "name", what),
                parent=parent,
                keywords=self.texts(m, "keywords", what),
                usual_types=self.texts(m, "usual_types", what),
                urgent=urgent,
                source=Source(self.file, m.line),
            )
        )
        for child in self.sequence(m, "children", what):
            self.category(child, m.line_of("children"), code, out)

    def rule(
        self, value: Any, top: LineMap, index: int, profiles: dict[str, dict[str, Limit]]
    ) -> Rule | None:
        m = self.mapping(value, top.line_of("rules"), t("rules item {n}", n=index + 1))
        if m is None:
            return None
        rule_id = self.key_code(m, "id", t("rule"))
        what = t("rule {id}", id=rule_id) if rule_id else t("rules item {n}", n=index + 1)
        self.keys(m, what, ("id", "category", "area"), ("lead", "co", "limits", "basis", "note"))
        scope = self.key_code(m, "area", what) or ""
        lead = self.key_code(m, "lead", what) or ""
        if scope == SCOPE_TERRITORIAL and not lead:
            lead = SCOPE_TERRITORIAL
        limits = self.limits_or_profile(
            m.get("limits"), m.line_of("limits"), t("{what}: limits", what=what), profiles, what
        )
        return Rule(
            id=rule_id or "",
            category=self.key_code(m, "category", what) or "",
            scope=scope,
            lead=lead,
            co=self.codes(m, "co", what),
            limits=limits,
            basis=self.text(m, "basis", what),
            note=self.text(m, "note", what),
            source=Source(self.file, m.line),
        )
