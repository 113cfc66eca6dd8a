"""Which units a dispatcher may name (主办 and 协办): known, active, each named once. A co-unit the
appeal has now stays named, even once a newer list deactivated it, where the dispatch keeps its part.

The dispatch and return-review forms' schemas check the choice itself at the edge (`co_unit_errors`,
no I/O); the operations check it again, with the units known to the database (`unit_errors`), for
any caller. Each problem is reported under the field that named the unit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.errors import ValidationFailed
from service.lists.models import Unit
from service.text import Text, t


def co_unit_errors(lead: str | None, co_units: list[str]) -> list[Text]:
    """What is wrong with naming these co-units (协办单位) beside this lead unit (主办; None: the
    list decides it): the lead named as a co-unit too, a co-unit named twice. No I/O: the schemas of
    the dispatch and return-review forms say it at the edge, the operation again for any caller."""
    errors: list[Text] = []
    if lead is not None and lead in co_units:
        errors.append(t("The lead unit cannot also be a co-unit."))
    seen: set[str] = set()
    for code in co_units:
        if code in seen:
            errors.append(t("Co-unit {code!r} is named twice.", code=code))
        seen.add(code)
    return errors


def check_units(s: Session, unit: str | None, co_units: list[str], *, kept: Collection[str] = ()) -> None:
    """Every code named, by field (`unit_errors`), all at once."""
    if errors := unit_errors(s, unit, co_units, kept=kept):
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def unit_errors(
    s: Session, unit: str | None, co_units: list[str], *, kept: Collection[str] = ()
) -> dict[str, list[Text]]:
    """What is wrong with a lead unit and co-units chosen by hand, by field: each unknown unit, each
    inactive one (a newer list deactivated it), and the co-units that are the lead or named twice
    (`co_unit_errors`).

    `kept`: the co-units whose parts the appeal has now and the dispatch keeps (a change of the
    co-units alone): one of them named again is no new choice, and stays even once inactive, as
    the dispatch form offers it (marked 已停用). Naming an inactive unit anew is refused."""
    codes = {"unit": [unit] if unit is not None else [], "co_units": list(dict.fromkeys(co_units))}
    errors: dict[str, list[Text]] = {}
    for field, given in codes.items():
        for code in given:
            found = s.get(Unit, code)
            if found is None:
                errors.setdefault(field, []).append(t("Unknown unit {code!r}.", code=code))
            elif not found.active and not (field == "co_units" and code in kept):
                errors.setdefault(field, []).append(inactive_unit(found))
    if clash := co_unit_errors(unit, co_units):
        errors.setdefault("co_units", []).extend(clash)
    return errors


def inactive_unit(unit: Unit) -> Text:
    """A unit a newer list deactivated, named where it cannot be chosen."""
    return t(
        "{name} ({code}) is no longer active (the responsibility list in force deactivated it); "
        "choose another unit.",
        name=unit.name,
        code=unit.code,
    )


def inactive_codes(s: Session, codes: Iterable[str]) -> list[str]:
    """The codes of `codes` whose unit is no longer active (or no longer known), in their order."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    active = set(s.scalars(sa.select(Unit.code).where(Unit.code.in_(wanted), Unit.active)))
    return [c for c in wanted if c not in active]
