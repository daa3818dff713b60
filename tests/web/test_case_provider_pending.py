"""The case page of a project in design that names no provider shows that state, in Danish
and English, with its basis; the JSON keeps the API's provider codelist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case, Provenance, ProviderSelection
from corpus.settings import Settings
from corpus.store import Store
from search.indexer import build_index
from web.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("pending") / "data")
    store = Store(settings.db_path)
    store.upsert_record(
        Case(
            id="indigo-pl-9001",
            external_ids={"indigo_pipeline": "INDIGO-PL-9001"},
            title="Sanitation results-based finance in design",
            countries=["KE"],
            stage="pipeline",
            provider_selection=ProviderSelection(
                development_stage="Early stage", methods=["request_for_proposals"]
            ),
            provenance=[Provenance(source="indigo-pipeline", record_id="indigo-pl-9001")],
        ),
        "indigo-pipeline",
    )
    build_index(settings, store)
    store.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _models_box(client: TestClient, lang: str) -> str:
    r = client.get("/cases/indigo-pl-9001", headers={"accept-language": lang})
    assert r.status_code == 200
    box = BeautifulSoup(r.text, "html.parser").select_one(".models-box")
    return " ".join(box.get_text(" ", strip=True).split())


def test_the_case_page_says_not_yet_chosen_in_danish_and_english(client: TestClient) -> None:
    da = _models_box(client, "da")
    assert "Endnu ikke valgt eller oplyst (projekt under udformning)" in da
    assert "Ukendt" not in da.split("Investormodel")[0]  # not shown as a plain "unknown"
    assert "stage: Early stage" in da and "request for proposals" in da  # the basis
    en = _models_box(client, "en")
    assert "Not yet chosen or named (project in design)" in en


def test_the_json_keeps_the_codelist_and_carries_the_state(client: TestClient) -> None:
    doc = client.get("/api/cases/INDIGO-PL-9001").json()
    assert doc["provider_model"] == "unknown"
    assert doc["provider_not_yet_selected"] is True
    assert doc["provider_model_basis"].startswith("not yet selected or named")
