"""INDIGO's pipeline dataset: the real pipeline.csv, written CSV faults, and the API path
against a local server (public, made private, gone, failing, changed shape)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from corpus.errors import SourceError
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from ingest.context import SourceContext
from ingest.fetch import Fetcher
from ingest.indigo import pipeline
from ingest.runner import Gone, Note, Reject, run_source

HEADER = [
    "ID",
    "Project Name - (Value)",
    "Alternative Names - (Value)",
    "State of Development - (Value)",
    "Stage of Development - (Value)",
    "Type of instrument and project - Impact Bond - (Value)",
    "Dates - Expected Launch Date - (Value)",
    "Overall project finance - Estimated Maximum potential outcome payment - Currency - (Value)",
    "Overall project finance - Estimated Maximum potential outcome payment - Amount - (Value)",
    "Purpose and classifications - Expected intervention model - (Value)",
    "Purpose and classifications - Policy sector - Education - (Value)",
    "Purpose and classifications - Policy sector - Health - (Value)",
    "Service users and beneficiaries - Targeted number of unique service users or "
    "beneficiaries (total) - (Value)",
    "Delivery Locations - Name",
    "Delivery Locations - Country",
]


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue()


ROWS = [
    [
        "INDIGO-PL-9001",
        "Reading Futures Bond",
        "",
        "Current",
        "Early stage",
        "Yes",
        "Q3 2027",
        "USD",
        "2500000",
        "Tutoring in small groups\nwith a reading coach",
        "Yes",
        "No",
        "1200",
        "Lusaka",
        "ZM",
    ],
    [
        "INDIGO-PL-9002",
        "Clinic Outcomes Fund",
        "",
        "Current",
        "Scoping",
        "No",
        "TBD",
        "TBD",
        "TBD",
        "Outcome payments to rural clinics",
        "No",
        "Yes",
        "TBD",
        "Three regions",
        "KE, TZ; UG",
    ],
]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "casebank.db")
    yield s
    s.close()


def test_real_pipeline_csv_imports_every_row_as_a_pipeline_case(indigo_csv_dir, store):
    items = list(pipeline.read_csv(indigo_csv_dir))
    cases = [i for i in items if isinstance(i, Case)]
    assert len(cases) > 100
    assert not [i for i in items if isinstance(i, Reject)]
    assert {c.stage for c in cases} == {"pipeline"}
    assert all(c.external_ids[pipeline.SCHEME].startswith("INDIGO-PL-") for c in cases)
    assert all(c.id == c.external_ids[pipeline.SCHEME].lower() for c in cases)
    first = run_source(store, pipeline.SOURCE, items, complete=True)
    assert first.counts["new"] == len(cases)
    again = run_source(store, pipeline.SOURCE, pipeline.read_csv(indigo_csv_dir), complete=True)
    assert again.counts["unchanged"] == len(cases)
    assert again.counts["new"] == again.counts["changed"] == again.counts["removed"] == 0
    case = store.get_case(cases[0].external_ids[pipeline.SCHEME])  # found by its external id
    assert case.stage == "pipeline"


def test_written_csv_maps_fields_and_keeps_tbd_as_notes(tmp_path):
    path = tmp_path / "pipeline.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    cases = [i for i in pipeline.read_csv(path) if isinstance(i, Case)]
    reading, clinic = cases
    assert reading.id == "indigo-pl-9001"
    assert reading.countries == ["ZM"]
    assert reading.sector == "Education" and reading.sectors == ["Education"]
    assert reading.max_outcome_payment.currency == "USD"
    assert reading.max_outcome_payment.amount == 2_500_000
    assert reading.cohort_target == 1200
    assert reading.intervention == "Tutoring in small groups\nwith a reading coach"
    assert "Expected launch: Q3 2027" in reading.notes
    assert "Instrument: impact bond" in reading.notes
    # "TBD" is not a number and not a currency: nothing is guessed.
    assert clinic.max_outcome_payment is None and clinic.cohort_target is None
    assert clinic.countries == ["KE", "TZ", "UG"]
    assert clinic.sector == "Health"


def test_csv_in_a_zip_reads_the_same(tmp_path):
    (tmp_path / "pipeline.csv").write_text(_csv(ROWS), encoding="utf-8")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(tmp_path / "pipeline.csv", "indigo-export/pipeline.csv")
    from_zip = [i for i in pipeline.read_csv(archive) if isinstance(i, Case)]
    from_file = [i for i in pipeline.read_csv(tmp_path / "pipeline.csv") if isinstance(i, Case)]
    assert [c.content_hash() for c in from_zip] == [c.content_hash() for c in from_file]


def test_bad_rows_are_rejected_with_their_line_and_the_rest_imported(tmp_path, store):
    nameless = ["INDIGO-PL-9003", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]
    bad_country = list(ROWS[0])
    bad_country[0], bad_country[1], bad_country[-1] = "INDIGO-PL-9004", "Atlantis Bond", "XQ"
    text = _csv([ROWS[0], nameless, bad_country])
    # The last row carries one Latin-1 byte (0xE6, "æ") in its name.
    last = _csv([ROWS[1]]).split("\n", 1)[1].encode("utf-8").replace(b"Clinic", b"Cl\xe6nic")
    raw = text.encode("utf-8") + last
    path = tmp_path / "pipeline.csv"
    path.write_bytes(raw)
    items = list(pipeline.read_csv(path))
    rejects = {r.where.split(" ")[0]: r for r in items if isinstance(r, Reject)}
    # Rows with the two-line intervention span two lines: 2-3, then 4, then 5-6, then 7.
    assert "without a name" in rejects["pipeline.csv:4"].reason
    assert rejects["pipeline.csv:4"].record_id == "indigo-pl-9003"
    warnings = {n.where.split(" ")[0]: n for n in items if isinstance(n, Note)}
    assert warnings["pipeline.csv:5"].kind == "warning"
    assert "XQ" in warnings["pipeline.csv:5"].reason
    assert "not valid UTF-8" in rejects["pipeline.csv:7"].reason
    assert rejects["pipeline.csv:7"].record_id == "indigo-pl-9002"
    cases = {i.id: i for i in items if isinstance(i, Case)}
    assert set(cases) == {"indigo-pl-9001", "indigo-pl-9004"}
    assert cases["indigo-pl-9004"].countries == []  # the bad code is left out, not guessed


def test_csv_without_its_columns_fails_the_run_and_keeps_the_store(tmp_path, store):
    good = tmp_path / "good.csv"
    good.write_text(_csv(ROWS), encoding="utf-8")
    run_source(store, pipeline.SOURCE, pipeline.read_csv(good), complete=True)
    broken = tmp_path / "broken.csv"
    broken.write_text("Identifier,Title\nX,Y\n", encoding="utf-8")
    with pytest.raises(SourceError, match="required column"):
        list(pipeline.read_csv(broken))
    report = run_source(store, pipeline.SOURCE, pipeline.read_csv(broken), complete=True)
    assert report.status == "failed"
    assert store.record_ids(pipeline.SOURCE) == {"indigo-pl-9001", "indigo-pl-9002"}
    with pytest.raises(SourceError, match="no pipelines.csv or pipeline.csv"):
        list(pipeline.read_csv(tmp_path))


# -- the API ----------------------------------------------------------------------------


def _wrap(value):
    return {"value": value}


def _api_record(pid: str, name: str, country: str = "IN") -> dict:
    return {
        "pipeline": {
            "id": pid,
            "data": {
                "name": _wrap(name),
                "stage_development": {"stage": _wrap("Late stage")},
                "purpose_and_classifications": {
                    "intervention": _wrap("Bridge schooling for girls out of school"),
                    "policy_sector": {"education": _wrap("Yes")},
                },
                "delivery_locations": [
                    {"location_name": _wrap("Rajasthan"), "location_country": _wrap(country)}
                ],
                "outcome_payment_commitments": [
                    {
                        "organisation_id": _wrap("INDIGO-ORG-9100"),
                        "organisation_role_category": _wrap("Foundation/philanthropist"),
                    }
                ],
                "service_provisions": [
                    {"organisation_id": _wrap("INDIGO-ORG-9101")},
                ],
                "outcome_metrics": [
                    {"definition": _wrap("Learning gains in literacy, tested yearly")}
                ],
                "sources": [
                    {"name": _wrap("Fund brochure"), "url": _wrap("https://example.org/b.pdf")}
                ],
                "organisations": [
                    {"id": "INDIGO-ORG-9100", "name": _wrap("Lantern Foundation")},
                    {"id": "INDIGO-ORG-9101", "name": _wrap("Village Learning Trust")},
                ],
            },
        }
    }


def _json(server, path, doc, **kw):
    server.route(path, json.dumps(doc), content_type="application/json", **kw)


@pytest.fixture
def api(http_server):
    _json(
        http_server,
        "/app/api1/pipeline",
        {
            "pipelines": [
                {"id": "INDIGO-PL-9101", "public": True},
                {"id": "INDIGO-PL-9102", "public": True},
                {"id": "INDIGO-PL-9103", "public": False},
            ]
        },
    )
    for pid, name, country in (
        ("INDIGO-PL-9101", "Girls Learn DIB", "IN"),
        ("INDIGO-PL-9102", "Skills Bond", "BD"),
    ):
        _json(http_server, f"/app/api1/pipeline/{pid}", _api_record(pid, name, country))
    return http_server


@pytest.fixture
def fetcher(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    with Fetcher(
        settings, source=pipeline.SOURCE, allowed_hosts=["127.0.0.1"], min_interval=0, backoff=0
    ) as f:
        yield f


def test_api_maps_public_pipelines_with_parties(api, fetcher, store):
    report = run_source(
        store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True
    )
    assert report.status == "ok" and report.counts["new"] == 2
    case = store.get_case("INDIGO-PL-9101")
    assert case.stage == "pipeline" and case.countries == ["IN"]
    assert [(p.name, p.role, p.org_type) for p in case.parties] == [
        ("Lantern Foundation", "outcome_payer", "foundation"),
        ("Village Learning Trust", "service_provider", "unknown"),
    ]
    assert case.outcome_metrics[0].definition.startswith("Learning gains")
    assert case.sources[0].url == "https://example.org/b.pdf"
    assert case.provenance[0].url == api.url("/app/api1/pipeline/INDIGO-PL-9101")
    assert api.hits("/app/api1/pipeline/INDIGO-PL-9103") == 0  # not public: never asked


def test_api_and_csv_shapes_agree_on_the_common_fields(tmp_path):
    row = dict.fromkeys(HEADER, "")
    row.update(
        {
            "ID": "INDIGO-PL-9101",
            "Project Name - (Value)": "Girls Learn DIB",
            "Stage of Development - (Value)": "Late stage",
            "Purpose and classifications - Expected intervention model - (Value)": "Bridge schooling for girls out of school",
            "Purpose and classifications - Policy sector - Education - (Value)": "Yes",
            "Delivery Locations - Name": "Rajasthan",
            "Delivery Locations - Country": "IN",
        }
    )
    from_csv = pipeline.pipeline_to_case("INDIGO-PL-9101", pipeline.row_to_data(row)).case
    from_api = pipeline.pipeline_to_case(
        "INDIGO-PL-9101", _api_record("INDIGO-PL-9101", "Girls Learn DIB")["pipeline"]["data"]
    ).case
    keys = ("id", "title", "countries", "places", "sector", "stage", "intervention", "notes")
    assert from_csv.model_dump(include=set(keys)) == from_api.model_dump(include=set(keys))


def test_api_pipeline_made_private_or_gone_is_removed(api, fetcher, store):
    run_source(store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True)
    _json(
        api,
        "/app/api1/pipeline",
        {
            "pipelines": [
                {"id": "INDIGO-PL-9101", "public": False},
                {"id": "INDIGO-PL-9102", "public": True},
            ]
        },
    )
    api.route(
        "/app/api1/pipeline/INDIGO-PL-9102", "{}", status=404, content_type="application/json"
    )
    items = list(pipeline.read_api(fetcher, api.base_url))
    assert [type(i) for i in items] == [Gone, Gone]
    report = run_source(store, pipeline.SOURCE, items, complete=True)
    assert report.counts["removed"] == 2
    assert store.record_ids(pipeline.SOURCE) == set()


def test_api_detail_failing_is_rejected_and_its_record_kept(api, fetcher, store):
    run_source(store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True)
    api.route("/app/api1/pipeline/INDIGO-PL-9102", "down", status=503)
    _json(api, "/app/api1/pipeline/INDIGO-PL-9101", {"unexpected": True})
    report = run_source(
        store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True
    )
    reasons = sorted(r["reason"] for r in report.rejects)
    assert any("HTTP 503" in r for r in reasons)
    assert any('expected {"pipeline"' in r for r in reasons)
    assert report.counts["removed"] == 0
    assert store.record_ids(pipeline.SOURCE) == {"indigo-pl-9101", "indigo-pl-9102"}


def test_api_list_that_changed_shape_fails_the_run_and_keeps_the_store(api, fetcher, store):
    run_source(store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True)
    before = store.case_hashes()
    _json(api, "/app/api1/pipeline", {"results": []})
    report = run_source(
        store, pipeline.SOURCE, pipeline.read_api(fetcher, api.base_url), complete=True
    )
    assert report.status == "failed" and "the API changed" in report.message
    assert store.case_hashes() == before


def test_items_picks_csv_when_a_path_is_set(tmp_path, api, fetcher):
    (tmp_path / "pipeline.csv").write_text(_csv(ROWS), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "d", indigo_base_url=api.base_url)
    store = Store(tmp_path / "d" / "casebank.db")

    def ctx(**options) -> SourceContext:
        return SourceContext(
            "indigo-pipeline", settings, store, options, open_fetcher=lambda: fetcher
        )

    from_csv = list(pipeline.items(ctx(path=str(tmp_path))))
    assert {c.id for c in from_csv if isinstance(c, Case)} == {"indigo-pl-9001", "indigo-pl-9002"}
    assert api.requests == []
    from_api = list(pipeline.items(ctx(path="", per_project=True)))
    assert {c.id for c in from_api if isinstance(c, Case)} == {"indigo-pl-9101", "indigo-pl-9102"}
    assert pipeline.allowed_hosts(settings) == ["127.0.0.1"]
