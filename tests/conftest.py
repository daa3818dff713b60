"""Fixtures shared by the whole test tree, and the rule that CI cannot pass by skipping.

Under `CI=true` (what `.ci/run` runs with), a test or module that would skip because the
INDIGO data in ../shared or Debian's chromium (with playwright) is missing fails instead:
a run that skipped those would prove nothing about them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The real INDIGO data (read at test time, never copied into the repository).
INDIGO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "indigo"
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
#: Skip reasons that mean "a required part is missing": failures under CI.
REQUIRED = ("indigo", "chromium", "playwright", "axe", "../shared")


def _required_missing(reason: str) -> bool:
    return any(word in reason.lower() for word in REQUIRED)


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def _fail_if_required(report: pytest.CollectReport | pytest.TestReport) -> None:
    if CI and report.skipped and _required_missing(reason := _skip_reason(report)):
        report.outcome = "failed"
        report.longrepr = f"CI=true, so this may not skip: {reason.removeprefix('Skipped: ')}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    """Under CI, a test skipped for a missing INDIGO export or browser fails."""
    outcome = yield
    _fail_if_required(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> None:
    """Under CI, a module skipped whole (the browser tests without chromium) fails."""
    outcome = yield
    _fail_if_required(outcome.get_result())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the real INDIGO export and browser tests are `slow` (seconds to minutes
    each): `make test-fast` leaves them out, `make test` runs them."""
    for item in items:
        if "indigo_csv_dir" in getattr(item, "fixturenames", ()) or item.get_closest_marker(
            "browser"
        ):
            item.add_marker(pytest.mark.slow)


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
