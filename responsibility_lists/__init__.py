"""Responsibility lists (职责清单): which unit handles which category of appeal where, and how fast.

`load_file` reads a list from YAML or XLSX, `check_list` finds mistakes and coverage gaps,
`diff_lists` compares two versions. The data model is in `model`; README.md documents the format.
"""

from .check import CheckReport, check_file, check_list
from .diff import ListDiff, diff_lists
from .loader import ListFormatError, Problem, dump_yaml, load_file

__all__ = [
    "CheckReport",
    "ListDiff",
    "ListFormatError",
    "Problem",
    "check_file",
    "check_list",
    "diff_lists",
    "dump_yaml",
    "load_file",
]
