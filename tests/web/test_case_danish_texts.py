"""A curated case's editors' texts in Danish on a Danish page: the outcome target and
price, the results, the notes, the reason for a model and the name of a described group
of parties, each in English on an English page; a model the file leaves unknown stays unknown through the store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case, Link, OutcomeMetric, Party, Provenance, Result
from corpus.provider_models import LEFT_UNKNOWN


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, site_over) -> Iterator[TestClient]:
    """A store with one curated Danish case merged with its INDIGO record (no index)."""
    curated = Case(
        id="dk-test-jobs",
        external_ids={"indigo": "INDIGO-POJ-0951"},
        title="Jobs for vulnerable unemployed people",
        title_i18n={"da": "Job til sårbare ledige"},
        summary={"da": "Ledige får hjælp til job.", "en": "Unemployed people get help."},
        countries=["DK"],
        sector="Employment and training",
        parties=[
            Party(name="Test Kommune", role="outcome_payer", org_type="government"),
            Party(name="Kapitalfonden", role="investor", org_type="investment_fund"),
            Party(name="FOKUS Test", role="service_provider", org_type="other"),
            Party(
                name="Participating municipalities (3)",
                name_i18n={"da": "Deltagende kommuner (3)"},
                role="outcome_payer",
                org_type="government",
            ),
        ],
        provider_model="nonprofit",
        provider_model_basis="curated: delivered by a social-economy enterprise",
        provider_model_basis_i18n={"da": "leveres af en socialøkonomisk virksomhed"},
        investor_model="unknown",
        investor_model_basis=LEFT_UNKNOWN,
        outcome_metrics=[
            OutcomeMetric(
                id="self-support",
                definition="Participants who become self-supporting",
                definition_i18n={"da": "Deltagere, der bliver selvforsørgende"},
                target="At least half of the 120 participants",
                target_i18n={"da": "Mindst halvdelen af de 120 deltagere"},
                price_description="paid from the savings",
                price_description_i18n={"da": "betales af besparelserne"},
            )
        ],
        results=[
            Result(
                metric_id="self-support",
                description="46 per cent became self-supporting.",
                description_i18n={"da": "46 procent blev selvforsørgende."},
            )
        ],
        notes="The investor model is left unknown.",
        notes_i18n={"da": "Investormodellen er ladt ukendt."},
        sources=[Link(id="s", url="https://www.example.dk/jobs", title="Evaluation")],
        provenance=[Provenance(source="corpus", record_id="dk-test-jobs")],
    )
    indigo = Case(
        id="indigo-poj-0951",
        external_ids={"indigo": "INDIGO-POJ-0951"},
        title="Jobs for vulnerable unemployed people (INDIGO)",
        countries=["DK"],
        sector="Employment and training",
        parties=[Party(name="Kapitalfonden", role="investor", org_type="investment_fund")],
        provenance=[Provenance(source="indigo", record_id="INDIGO-POJ-0951")],
    )
    records = [(curated, "corpus"), (indigo, "indigo")]
    with site_over(tmp_path_factory.mktemp("da-texts") / "data", records) as c:
        yield c


def page(client: TestClient, lang: str) -> BeautifulSoup:
    r = client.get("/cases/indigo-poj-0951", headers={"accept-language": lang})
    assert r.status_code == 200, r.text[:500]
    return BeautifulSoup(r.text, "html.parser")


def facts(soup: BeautifulSoup) -> dict[str, str]:
    items = soup.select(".metric-facts > div")
    return {d.dt.get_text(strip=True): d.dd.get_text(" ", strip=True) for d in items}


def test_the_editors_texts_are_danish_on_a_danish_page(client: TestClient) -> None:
    soup = page(client, "da")
    assert facts(soup)["Mål"] == "Mindst halvdelen af de 120 deltagere"
    assert facts(soup)["Pris pr. resultat"] == "betales af besparelserne"
    cells = [td.get_text(" ", strip=True) for td in soup.select(".table-wrap tbody td")]
    assert "46 procent blev selvforsørgende." in cells
    text = soup.get_text(" ", strip=True)
    assert "Investormodellen er ladt ukendt." in text
    assert "fastsat af redaktionen: leveres af en socialøkonomisk virksomhed" in text
    assert "redaktionen har ladt den stå som ukendt" in text
    assert "Deltagende kommuner (3)" in text
    for english in ("At least half", "46 per cent", "left unknown", "social-economy"):
        assert english not in text
    assert "Participating municipalities" not in text


def test_the_same_texts_are_english_on_an_english_page(client: TestClient) -> None:
    soup = page(client, "en")
    assert facts(soup)["Target"] == "At least half of the 120 participants"
    text = soup.get_text(" ", strip=True)
    assert "46 per cent became self-supporting." in text
    assert "The investor model is left unknown." in text
    assert "set by the editors: delivered by a social-economy enterprise" in text
    assert "Participating municipalities (3)" in text and "Deltagende" not in text


def test_a_model_the_file_leaves_unknown_is_unknown_in_the_api(client: TestClient) -> None:
    """The rules would read the investment fund as commercial; the editors said unknown."""
    case = client.get("/api/cases/indigo-poj-0951").json()
    case = case.get("case", case)
    assert case["investor_model"] == "unknown"
    assert case["investor_model_basis"] == LEFT_UNKNOWN
    assert case["provider_model"] == "nonprofit"
