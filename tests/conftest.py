"""Fixtures shared by the whole test tree."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The real INDIGO data (read at test time, never copied into the repository).
INDIGO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "indigo"


@pytest.fixture(scope="session")
def indigo_csv_dir() -> Path:
    """The real INDIGO CSV export in ../shared/data/indigo/csv (skips when it is absent)."""
    path = INDIGO_DIR / "csv"
    if not (path / "projects.csv").is_file():
        pytest.skip(f"the INDIGO CSV export is not at {path}")
    return path


@pytest.fixture(scope="session")
def indigo_schema_dir() -> Path:
    """The INDIGO data standard's JSON Schema in ../shared/data/indigo/schema (skips if absent)."""
    path = INDIGO_DIR / "schema"
    if not (path / "project.json").is_file():
        pytest.skip(f"the INDIGO schema is not at {path}")
    return path
