"""`casebank index` and `casebank search`, run as a user runs them (a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.settings import Settings
from corpus.store import Store

REPO = Path(__file__).resolve().parents[2]


def casebank(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casebank", "--data-dir", str(settings.data_dir), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_search_without_index_searches_by_keywords_and_says_so(
    settings: Settings, store: Store
) -> None:
    proc = casebank(settings, "search", "homeless")
    assert proc.returncode == 0, proc.stderr
    assert "keyword search only" in proc.stderr and "casebank index" in proc.stderr
    assert "Housing First for unge hjemløse i Aarhus" in proc.stdout


@pytest.mark.slow
def test_index_then_search_json(settings: Settings, store: Store) -> None:
    first = casebank(settings, "index")
    assert first.returncode == 0, first.stderr
    assert "8 cases (8 embedded, 0 reused, 0 removed" in first.stderr
    again = casebank(settings, "index")
    assert "(0 embedded, 8 reused, 0 removed" in again.stderr

    proc = casebank(settings, "search", "Peterborough", "--json", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["query"] == "Peterborough"
    assert len(doc["results"]) == 2
    assert doc["results"][0]["id"] == "c-homeless-uk"
    assert doc["matched"] >= 1 and doc["results"][0]["match"] is True
    assert {"country", "sector", "stage", "provider_model", "investor_model", "start_year"} <= set(
        doc["facets"]
    )

    dk = json.loads(
        casebank(settings, "search", "young people", "--json", "--country", "DK").stdout
    )
    assert dk["results"] and all("DK" in r["countries"] for r in dk["results"])

    text = casebank(settings, "search", "juvenile offenders")
    assert text.returncode == 0
    assert "Juvenile justice recidivism project" in text.stdout
    nonsense = casebank(settings, "search", "xyzzyqq")
    assert "0 matching cases" in nonsense.stdout and "closest" in nonsense.stdout
    assert "English terms" not in nonsense.stdout
    danish = casebank(settings, "search", "hjemløse unge").stdout
    assert "Also searched with the English terms: hjemløse unge (youth homelessness)" in danish


def test_bad_country_is_a_clear_error(settings: Settings, store: Store) -> None:
    casebank(settings, "index")
    proc = casebank(settings, "search", "homeless", "--country", "Denmark")
    assert proc.returncode == 1
    assert "country" in proc.stderr and "Traceback" not in proc.stderr
