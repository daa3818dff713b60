"""What health says of the index while a build ends: never "run `casebank index`" for an
index that is being built or was just published."""

from __future__ import annotations

import os
import time
from pathlib import Path

from corpus.settings import Settings
from search import index_files
from web.index_state import with_index_state

NO_INDEX = {
    "status": "degraded",
    "problems": [
        {
            "kind": "no_index",
            "message": "no semantic search index yet (run `casebank index` to build it)",
        }
    ],
}


def test_a_build_that_ends_while_the_service_reports_still_shows_as_building(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    # A build under way (this process stands in for the building child).
    index_files.write_progress(settings.index_dir, 5, 10, time.time(), pid=os.getpid())

    def health_as_the_build_ends() -> dict:
        # The build finishes while the service (which has not seen its index) reports.
        index_files.clear_progress(settings.index_dir)
        return dict(NO_INDEX)

    report = with_index_state(health_as_the_build_ends, settings)
    assert report["problems"][0]["kind"] == "building"
    assert "run `casebank index`" not in report["message"]


def test_with_no_build_the_service_report_stands(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    report = with_index_state(lambda: dict(NO_INDEX), settings)
    assert "build" not in report
    assert "run `casebank index`" in report["message"]
