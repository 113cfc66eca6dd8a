"""The responsibility list (职责清单) as plain, immutable data.

Everything here is pure: the YAML and XLSX readers produce a `ResponsibilityList`, the checker
inspects one, the router in `dispatch/` compiles one, and the service stores its JSON form.
No I/O and no database in this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, time
from typing import Any

#: Urgency levels (紧急程度), in increasing order of urgency.
URGENCIES: tuple[str, ...] = ("一般", "紧急", "特急")

#: Appeal types (诉求类型).
APPEAL_TYPES: tuple[str, ...] = ("咨询", "求助", "投诉", "举报", "建议", "表扬", "其他")

#: Unit kinds.
UNIT_KINDS: tuple[str, ...] = ("department", "township", "centre", "other")

#: Area levels, from the division code's length: 6 county, 9 township, 12 village or community.
AREA_LEVELS: dict[int, str] = {6: "county", 9: "township", 12: "village"}

#: Special rule scopes besides a division code.
SCOPE_COUNTY = "county"
SCOPE_TERRITORIAL = "territorial"  # 属地: the township government of the place where it happened


@dataclass(frozen=True)
class Source:
    """Where an item was read from, for error messages: a file and a line (YAML) or a sheet and row."""

    file: str = ""
    line: int | None = None
    sheet: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.file}:{self.sheet}!{self.row}"
        if self.line is not None:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True)
class Jurisdiction:
    name: str
    code: str  # division code of the county or city
    prefix: str  # ticket-number prefix, e.g. "GX"


@dataclass(frozen=True)
class Contact:
    """A duty contact (值班联系人) used for notices."""

    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    webhook: str = ""


@dataclass(frozen=True)
class EscalationStep:
    """One level of a unit's escalation ladder (unit head → centre leader → government office).

    `after_minutes` counts from the previous level (or from the missed deadline for level 1).
    `contacts` are notified directly; `units` names other units whose duty contacts are notified.
    """

    level: int
    title: str
    after_minutes: int = 30
    contacts: tuple[Contact, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # one of UNIT_KINDS
    parent: str | None = None
    area: str | None = None  # for township governments: the 9-digit division code they govern
    contacts: tuple[Contact, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    source: Source = field(default_factory=Source, compare=False)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # county | township | village
    parent: str | None = None


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    usual_types: tuple[str, ...] = ()
    urgent: bool = False  # urgent by nature: appeals in it are escalated at once
    source: Source = field(default_factory=Source, compare=False)


@dataclass(frozen=True)
class Limit:
    """Time limits for one urgency level.

    Sign-for is always in clock hours (may be fractional: 0.5 = 30 minutes). The reply limit is
    either in working days (ordinary appeals) or in clock hours (urgent ones); exactly one is set.
    """

    sign_hours: float
    reply_working_days: int | None = None
    reply_hours: float | None = None


@dataclass(frozen=True)
class Rule:
    """One entry of the list: a category node × an area scope → lead unit, co-units, limits.

    `scope` is SCOPE_COUNTY, SCOPE_TERRITORIAL, or a township / village division code.
    For territorial rules `lead` is empty or SCOPE_TERRITORIAL: the lead is the township
    government of the appeal's township, found through `Unit.area`.
    `limits` maps each urgency in URGENCIES to its Limit.
    """

    id: str
    category: str
    scope: str
    lead: str
    co: tuple[str, ...] = ()
    limits: dict[str, Limit] = field(default_factory=dict, compare=False, hash=False)
    basis: str = ""  # 依据
    note: str = ""  # 边界说明
    source: Source = field(default_factory=Source, compare=False)

    @property
    def territorial(self) -> bool:
        return self.scope == SCOPE_TERRITORIAL


#: The working hours (工作时间) an ordinary appeal's hour limits count where the list gives none: the
#: county offices' 08:30–12:00 and 14:30–17:30 on working days.
DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 30), time(17, 30)),
)


@dataclass(frozen=True)
class Calendar:
    """Local calendar overrides on top of the national one, and the working hours.

    `working_hours`: the working periods of a working day, (opening, closing) local times in order,
    a closing 00:00 being the midnight ending the day; empty for the default (08:30–12:00,
    14:30–17:30, `DEFAULT_WORKING_HOURS`). An ordinary appeal's hour limits count
    them (`dispatch.deadlines`).
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    working_hours: tuple[tuple[time, time], ...] = ()


@dataclass(frozen=True)
class ResponsibilityList:
    jurisdiction: Jurisdiction
    version: str
    effective: date
    units: tuple[Unit, ...]
    areas: tuple[Area, ...]
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    calendar: Calendar = field(default_factory=Calendar)
    areas_file: str | None = None  # the CSV the areas were read from, relative to the list file
    # The limits of a unit the centre chooses by hand where no rule of the list applies (per urgency).
    default_limits: dict[str, Limit] = field(default_factory=dict)
    source: str = ""
    # What the file's reader noticed besides the list (a workbook's hidden rows, columns and
    # sheets), as `problems.Problem`s: `check_list` reports them as warnings. Like `source`, not
    # part of the list's content.
    read_warnings: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (sources dropped), the one stored with a list version."""
        return to_plain(self)


def to_plain(lst: ResponsibilityList) -> dict[str, Any]:
    def clean(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items() if k != "source"}
        if isinstance(obj, list | tuple | frozenset | set):
            items = [clean(v) for v in obj]
            return sorted(items) if isinstance(obj, frozenset | set) else items
        if isinstance(obj, date):
            return obj.isoformat()
        if isinstance(obj, time):
            return clock_text(obj)
        return obj

    data = clean(asdict(replace(lst, read_warnings=())))
    del data["read_warnings"]
    if not data["calendar"]["working_hours"]:  # the default: as versions stored before, same hash
        del data["calendar"]["working_hours"]
    if not data["default_limits"]:  # absent, as in versions stored before lists had it: same hash
        del data["default_limits"]
    return data


def from_plain(data: dict[str, Any]) -> ResponsibilityList:
    """Rebuild a list from `to_plain` output (as stored with a version)."""

    def contact(d: dict[str, Any]) -> Contact:
        return Contact(**d)

    units = tuple(
        Unit(
            code=u["code"],
            name=u["name"],
            kind=u["kind"],
            parent=u.get("parent"),
            area=u.get("area"),
            contacts=tuple(contact(c) for c in u.get("contacts", ())),
            escalation=tuple(
                EscalationStep(
                    level=s["level"],
                    title=s["title"],
                    after_minutes=s.get("after_minutes", 30),
                    contacts=tuple(contact(c) for c in s.get("contacts", ())),
                    units=tuple(s.get("units", ())),
                )
                for s in u.get("escalation", ())
            ),
        )
        for u in data["units"]
    )
    areas = tuple(Area(**a) for a in data["areas"])
    categories = tuple(
        Category(
            code=c["code"],
            name=c["name"],
            parent=c.get("parent"),
            keywords=tuple(c.get("keywords", ())),
            usual_types=tuple(c.get("usual_types", ())),
            urgent=bool(c.get("urgent", False)),
        )
        for c in data["categories"]
    )
    rules = tuple(
        Rule(
            id=r["id"],
            category=r["category"],
            scope=r["scope"],
            lead=r["lead"],
            co=tuple(r.get("co", ())),
            limits={k: Limit(**v) for k, v in r.get("limits", {}).items()},
            basis=r.get("basis", ""),
            note=r.get("note", ""),
        )
        for r in data["rules"]
    )
    cal = data.get("calendar") or {}
    return ResponsibilityList(
        jurisdiction=Jurisdiction(**data["jurisdiction"]),
        version=data["version"],
        effective=date.fromisoformat(data["effective"]),
        units=units,
        areas=areas,
        categories=categories,
        rules=rules,
        calendar=Calendar(
            holidays=frozenset(date.fromisoformat(d) for d in cal.get("holidays", ())),
            workdays=frozenset(date.fromisoformat(d) for d in cal.get("workdays", ())),
            working_hours=tuple(
                (parse_clock(opening), parse_clock(closing))
                for opening, closing in cal.get("working_hours", ())
            ),
        ),
        areas_file=data.get("areas_file"),
        default_limits={k: Limit(**v) for k, v in (data.get("default_limits") or {}).items()},
    )


def clock_text(at: time) -> str:
    """ "08:30" (a closing 00:00, the midnight ending the day, is stored as "00:00" too)."""
    return f"{at:%H:%M}"


def period_text(opening: time, closing: time) -> str:
    """A working period as a list writes it: "08:30-12:00"; a closing 00:00 ends the day, "24:00"."""
    return f"{clock_text(opening)}-{'24:00' if closing == time(0) else clock_text(closing)}"


def parse_clock(text: str) -> time:
    """ "08:30" -> 08:30; "24:00" -> 00:00, the midnight ending the day (a period's closing)."""
    return time(0) if text == "24:00" else time.fromisoformat(text)
