"""Fixtures shared by the list tests: the small list, and a workbook made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from responsibility_lists.loader import load_file
from responsibility_lists.xlsx import export_xlsx

SMALL = Path(__file__).parent / "fixtures" / "small.yaml"


@pytest.fixture
def small():
    return load_file(SMALL)


@pytest.fixture
def workbook(small, tmp_path) -> Path:
    """The small list exported to XLSX, for a test to edit as a clerk would."""
    path = tmp_path / "list.xlsx"
    export_xlsx(small, path)
    return path
