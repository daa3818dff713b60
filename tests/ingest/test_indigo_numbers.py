"""JSON numbers stay exact on every INDIGO API path (pipeline and projects), and the fund
and undisclosed-organisation facts of the real export survive the mapping.

The data standard types amounts and targets as JSON numbers (schema/pipeline.json:
`overall_project_finance.maximum_potential_outcome_payment_v2.amount` is an
`object_with_value_number_and_status`); `:g` once turned 5000000 into "5e+06" (dropped
with a note) and 1234567 into "1.23457e+06".
"""

from __future__ import annotations

import csv
import json

import pytest

from corpus.settings import Settings
from corpus.store import Store
from ingest.fetch import Fetcher
from ingest.indigo import api, pipeline
from ingest.indigo.csv_export import read_export
from ingest.indigo.mapping import UNDISCLOSED
from ingest.normalise import number_text
from ingest.runner import run_source


def v(value):
    return {"value": value}


def serve(server, path, doc) -> None:
    server.route(path, json.dumps(doc), content_type="application/json")


@pytest.fixture
def fetcher(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    with Fetcher(settings, source="t", allowed_hosts=["127.0.0.1"], min_interval=0) as f:
        yield f


@pytest.mark.parametrize("value", [5000000, 1234567, 5000000.0, 1234567.5])
def test_number_text_reads_back_exactly(value):
    assert float(number_text(value)) == value and "e" not in number_text(value)


def test_pipeline_api_keeps_json_numbers_exact(http_server, fetcher):
    serve(
        http_server, "/app/api1/pipeline", {"pipelines": [{"id": "INDIGO-PL-7001", "public": True}]}
    )
    data = {
        "name": v("Numbers pilot"),
        "overall_project_finance": {
            "maximum_potential_outcome_payment_v2": {"currency": v("USD"), "amount": v(5000000)}
        },
        "service_and_beneficiaries": {
            "targeted_number_service_users_or_beneficiaries_total": v(1234567)
        },
    }
    serve(
        http_server,
        "/app/api1/pipeline/INDIGO-PL-7001",
        {"pipeline": {"id": "INDIGO-PL-7001", "data": data}},
    )
    (case,) = list(pipeline.read_api(fetcher, http_server.base_url))
    assert case.max_outcome_payment.amount == 5000000
    assert case.max_outcome_payment.currency == "USD"
    assert case.cohort_target == 1234567
    assert "5e+06" not in (case.notes or "") and "Estimated maximum" not in (case.notes or "")


def test_project_api_keeps_json_numbers_exact(http_server, fetcher):
    serve(
        http_server, "/app/api1/project", {"projects": [{"id": "INDIGO-POJ-7001", "public": True}]}
    )
    data = {
        "name": v("Numbers project"),
        "overall_project_finance": {
            "total_investment_commitment": {"currency": v("GBP"), "amount": {"exact": v(5000000)}},
            "maximum_potential_outcome_payment_v2": {"currency": v("GBP"), "amount": v(1234567)},
        },
        "service_and_beneficiaries": {
            "targeted_number_service_users_or_beneficiaries_total": v(1234567)
        },
        "outcome_metrics": [{"id": "m1", "definition": v("Into work")}],
        "outcome_pricings": [
            {
                "outcome_metric_id": v("m1"),
                "currency": v("GBP"),
                "price_per_unit": {"amount": v(1234567)},
                "maximum_price_if_all_targets_achieved": {"amount": v(5000000)},
            }
        ],
    }
    serve(
        http_server,
        "/app/api1/project/INDIGO-POJ-7001",
        {"project": {"id": "INDIGO-POJ-7001", "data": data}},
    )
    items = list(api.read_api(fetcher, http_server.base_url))
    (case,) = [i for i in items if hasattr(i, "investment")]
    assert case.investment.amount == 5000000
    assert case.max_outcome_payment.amount == 1234567
    assert case.cohort_target == 1234567
    (metric,) = case.outcome_metrics
    assert metric.price.amount == 1234567
    assert "Maximum price if all targets achieved: 5000000" in metric.price_description


def test_real_export_funds_and_undisclosed_parties(indigo_csv_dir, tmp_path):
    """125 projects are in funds, 30 in the Life Chances Fund (INDIGO-FUND-0012), as
    projects_outcome_funds.csv says; the id with a trailing tab is read without it; the
    role rows naming organisations not in organisations.csv stay as undisclosed parties."""
    store = Store(tmp_path / "s.db")
    assert run_source(store, "indigo", read_export(indigo_csv_dir), complete=True).status == "ok"
    with (indigo_csv_dir / "projects_outcome_funds.csv").open(encoding="utf-8") as fh:
        expected: dict[str, set[str]] = {}
        for row in csv.DictReader(fh):
            expected.setdefault(row["Project ID"], set()).add(row["Id"].strip())
    cases = {c.external_ids["indigo"]: c for c in store.iter_cases()}
    got = {pid: {f.id for f in c.outcome_funds} for pid, c in cases.items() if c.outcome_funds}
    assert got == expected and len(got) == 125
    lcf = [c for c in cases.values() if any(f.id == "INDIGO-FUND-0012" for f in c.outcome_funds)]
    assert len(lcf) == 30
    assert lcf[0].outcome_funds[0].name.startswith("Life Chances Fund")
    assert "INDIGO-FUND-0012" in {f.id for f in cases["INDIGO-POJ-0167"].outcome_funds}

    with (indigo_csv_dir / "organisations.csv").open(encoding="utf-8") as fh:
        public = {row["ID"] for row in csv.DictReader(fh)}
    with (indigo_csv_dir / "projects_investments.csv").open(encoding="utf-8") as fh:
        hidden = [
            r for r in csv.DictReader(fh) if r["Organisation ID - (Value)"].strip() not in public
        ]
    assert hidden  # the real export has investments by private organisations
    row = hidden[0]
    parties = cases[row["Project ID"]].parties
    undisclosed = [p for p in parties if p.undisclosed and p.role == "investor"]
    assert undisclosed and all(p.name == UNDISCLOSED and not p.organisation_id for p in undisclosed)
    amount = row["Investment Commitment - Amount - Exact - (Value)"].strip()
    if amount:
        assert any(p.amount and p.amount.amount is not None for p in undisclosed)
    store.close()
