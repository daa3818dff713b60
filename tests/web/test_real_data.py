"""Every real INDIGO project renders: the CSV export imported into a fresh store, no index.

Pages that need no search index (case, compare, organisation, home, about) must work on
the real, sparse data; the similar-cases box then says the index is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import INVESTOR_MODELS, PROVIDER_MODELS
from corpus.settings import Settings
from corpus.store import Store
from ingest.indigo.csv_export import read_export
from ingest.runner import run_source
from web.app import create_app


@pytest.fixture(scope="module")
def real(indigo_csv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A client on a store holding the real INDIGO export, and the store's case ids."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("real") / "data")
    store = Store(settings.db_path)
    report = run_source(store, "indigo", read_export(indigo_csv_dir), complete=True)
    assert report.status in ("ok", "partial")
    ids = [c.id for c in store.iter_cases()]
    store.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, ids


def test_every_case_page_renders(real: tuple) -> None:
    client, ids = real
    assert len(ids) >= 300
    for case_id in ids:
        r = client.get(f"/cases/{case_id}", headers={"accept-language": "da"})
        assert r.status_code == 200, case_id
        soup = BeautifulSoup(r.text, "html.parser")
        assert soup.h1.get_text(strip=True)
        assert "GO Lab INDIGO" in soup.select_one(".cite").get_text()


def test_case_by_indigo_id_in_json_and_html(real: tuple) -> None:
    client, _ = real
    case = client.get("/api/cases/INDIGO-POJ-0077").json()
    assert case["id"] == "indigo-poj-0077"
    assert case["external_ids"]["indigo"] == "INDIGO-POJ-0077"
    assert case["provider_model"] in PROVIDER_MODELS
    assert case["investor_model"] in INVESTOR_MODELS
    page = BeautifulSoup(client.get("/cases/INDIGO-POJ-0077").text, "html.parser")
    assert page.h1.get_text(strip=True) == case["title"]
    assert page.select_one("#similar").find_next("p").get_text(strip=True)  # index missing


def test_home_and_organisations_on_real_data(real: tuple) -> None:
    client, _ = real
    home = BeautifulSoup(client.get("/", headers={"accept-language": "en"}).text, "html.parser")
    countries = {a.get_text(strip=True) for a in home.select("a[href^='/search?country=']")}
    assert {"United Kingdom", "United States", "Denmark"} <= countries
    case = BeautifulSoup(client.get("/cases/indigo-poj-0077").text, "html.parser")
    links = [a["href"] for a in case.select("a[href^='/organisations/']")]
    assert links
    for href in links:
        org = client.get(href)
        assert org.status_code == 200, href
        rows = BeautifulSoup(org.text, "html.parser").select(
            "tbody tr a[href='/cases/indigo-poj-0077']"
        )
        assert rows, href
