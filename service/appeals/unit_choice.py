"""Which units a dispatcher may name (主办 and 协办): known, active, each named once.

The dispatch and return-review forms' schemas check the choice itself at the edge (`co_unit_errors`,
no I/O); the operations check it again, with the units known to the database (`unit_errors`), for
any caller. Each problem is reported under the field that named the unit.
"""

from __future__ import annotations

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


def check_units(s: Session, unit: str | None, co_units: list[str]) -> None:
    """Every code named, by field (`unit_errors`), all at once."""
    if errors := unit_errors(s, unit, co_units):
        raise ValidationFailed(t("Invalid input: {fields}", fields=sorted(errors)), errors)


def unit_errors(s: Session, unit: str | None, co_units: list[str]) -> dict[str, list[Text]]:
    """What is wrong with a lead unit and co-units chosen by hand, by field: each unknown or inactive
    unit, and the co-units that are the lead or named twice (`co_unit_errors`)."""
    codes = {"unit": [unit] if unit is not None else [], "co_units": list(dict.fromkeys(co_units))}
    errors = {
        field: [t("Unknown unit {code!r}.", code=c) for c in unknown]
        for field, given in codes.items()
        if (unknown := [c for c in given if (u := s.get(Unit, c)) is None or not u.active])
    }
    if clash := co_unit_errors(unit, co_units):
        errors.setdefault("co_units", []).extend(clash)
    return errors
