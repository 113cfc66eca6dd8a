"""Problems found in a list file, each with the place it was found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Source


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a list: where (file and line, or sheet and row) and what."""

    source: Source
    message: str

    def __str__(self) -> str:
        where = str(self.source)
        return f"{where}: {self.message}" if where else self.message


def _position(problem: Problem) -> tuple[str, str, int]:
    src = problem.source
    return (src.file, src.sheet or "", src.line or src.row or 0)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order (stable for problems at the same place)."""
    return sorted(problems, key=_position)


def format_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


class ListFormatError(ValueError):
    """A list file that cannot be read into a `ResponsibilityList`.

    `problems` holds every structural problem found, in file order, not just the first;
    `warnings` what the reader noticed besides (hidden rows of a workbook), which may explain them.
    """

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = sort_problems(problems)
        self.warnings: list[Problem] = sort_problems(warnings)
        super().__init__(format_problems(self.problems))
