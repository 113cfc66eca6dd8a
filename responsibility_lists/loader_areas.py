"""Reading and checking a list's areas (区划): the division codes its rules and townships name.

A YAML list gives them either in a CSV beside it (`areas_file`, columns code,name,level,parent_code)
or inline (`areas`). `read_areas` reads them for `loader`, collecting problems with their file
and line (the CSV's own lines for `areas_file`).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from .line_yaml import FieldReader, LineMap
from .model import AREA_LEVELS, Area
from .text import t

_AREA_LEVEL_NAMES = tuple(AREA_LEVELS.values())

#: An area as read, before it is checked: (line, code, name, level, parent code).
_AreaRow = tuple[int, str, str, str, str]


def read_areas(fields: FieldReader, top: LineMap, base_dir: Path) -> tuple[str | None, tuple[Area, ...]]:
    """The list's areas, and the name of the CSV they were read from (None when inline);
    `base_dir` is where that CSV is looked for."""
    areas_file = None
    if "areas_file" in top and "areas" in top:
        fields.error(
            top.line_of("areas"), t("give either areas_file (a CSV beside the list) or areas, not both")
        )
    if "areas_file" in top:
        areas_file = fields.text(top, "areas_file", t("the list"))
        areas = _areas_csv(fields, base_dir, areas_file, top.line_of("areas_file"))
    elif "areas" in top:
        areas = _areas_inline(fields, top)
    else:
        fields.error(top.line, t("the list needs areas_file (a CSV beside the list) or inline areas"))
        areas = ()
    return areas_file, areas


def _areas_csv(fields: FieldReader, base_dir: Path, name: str, line: int) -> tuple[Area, ...]:
    if Path(name).name != name or name in ("", ".", ".."):
        # A file name only: a list (perhaps uploaded through the admin pages) must not make the
        # server read files outside the list's own folder.
        fields.error(
            line, t("areas_file {name}: give a file name beside the list, without a folder", name=name)
        )
        return ()
    path = base_dir / name
    shown = name if fields.file == "<string>" else os.path.join(os.path.dirname(fields.file), name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fields.error(
            line,
            t("areas_file {name}: cannot read {path}: {detail}", name=name, path=path, detail=str(exc)),
        )
        return ()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("code", "name", "level", "parent_code") if c not in (reader.fieldnames or ())]
    if missing:
        fields.error(
            1,
            t(
                "areas file header must be code,name,level,parent_code (missing {missing})",
                missing=missing,
            ),
            shown,
        )
        return ()
    rows = ((reader.line_num, row["code"], row["name"], row["level"], row["parent_code"]) for row in reader)
    return _area_rows(fields, rows, shown)


def _areas_inline(fields: FieldReader, top: LineMap) -> tuple[Area, ...]:
    rows = []
    area = t("area")
    for value in fields.sequence(top, "areas", t("the list")):
        m = fields.mapping(value, top.line_of("areas"), t("an area"))
        if m is None:
            continue
        fields.keys(m, area, ("code", "name", "level"), ("parent",))
        rows.append(
            (
                m.line,
                fields.key_code(m, "code", area) or "",
                fields.text(m, "name", area),
                fields.text(m, "level", area),
                fields.key_code(m, "parent", area) or "",
            )
        )
    return _area_rows(fields, rows, fields.file)


def _area_rows(fields: FieldReader, rows: Iterable[_AreaRow], file: str) -> tuple[Area, ...]:
    areas: list[Area] = []
    seen: dict[str, int] = {}
    for line, code, name, level, parent in rows:
        code, parent = (code or "").strip(), (parent or "").strip()
        if not code.isdigit() or len(code) not in AREA_LEVELS:
            fields.error(
                line, t("area code {code!r} must be a 6, 9 or 12 digit division code", code=code), file
            )
        elif level not in _AREA_LEVEL_NAMES:
            message = t(
                "area {code}: level {level!r} must be one of {levels}",
                code=code,
                level=level,
                levels=list(_AREA_LEVEL_NAMES),
            )
            fields.error(line, message, file)
        elif code in seen:
            message = t("area code {code} appears twice (first on line {first})", code=code, first=seen[code])
            fields.error(line, message, file)
        else:
            seen[code] = line
            areas.append(Area(code=code, name=name, level=level, parent=parent or None))
    return tuple(areas)
