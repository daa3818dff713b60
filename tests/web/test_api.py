"""The JSON API through TestClient: shapes, filters, external ids, CSV export, runs, docs."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import INVESTOR_MODELS, PROVIDER_MODELS

RESULT_KEYS = {
    "id", "title", "countries", "score", "match", "snippet", "external_ids", "outcome_funds",
    "provider_model", "investor_model", "instrument",
}  # fmt: skip


def test_search_returns_the_contract_shape(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "hjemløse unge", "limit": 3})
    assert r.status_code == 200
    data = r.json()
    assert set(data) >= {"query", "total", "matched", "results", "facets"}
    assert 0 <= data["matched"] <= data["total"]
    assert data["query"] == "hjemløse unge"
    assert 1 <= len(data["results"]) <= 3
    for result in data["results"]:
        assert set(result) >= RESULT_KEYS
        assert result["provider_model"] in PROVIDER_MODELS
        assert result["investor_model"] in INVESTOR_MODELS
    assert set(data["facets"]) >= {"country", "sector", "stage", "provider_model"}
    # What the search took on the server, for developer tools and the latency benchmark.
    name, dur = r.headers["Server-Timing"].split(";dur=")
    assert name == "search" and float(dur) >= 0


def test_danish_query_finds_the_housing_first_case(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "bolig til hjemløse unge"}).json()
    top = [r["id"] for r in data["results"][:2]]
    assert "indigo-poj-0901" in top
    odense = next(r for r in data["results"] if r["id"] == "indigo-poj-0901")
    assert odense["external_ids"] == {"indigo": "INDIGO-POJ-0901"}
    assert odense["countries"] == ["DK"]


def test_search_says_what_the_query_was_searched_as(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "hjemløse unge", "limit": 1}).json()
    assert data["understood"] == [{"typed": "hjemløse unge", "terms": ["youth homelessness"]}]
    # A facet click or page 2 keeps it (it comes with the kept ranking).
    again = client.get("/api/search", params={"q": "hjemløse unge", "country": "DK"}).json()
    assert again["understood"] == data["understood"]
    assert client.get("/api/search", params={"q": "homeless"}).json()["understood"] == []
    assert client.get("/api/search").json()["understood"] == []  # browsing
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(spec["Understood"]["properties"]) == {"typed", "terms"}


def test_filters_combine_or_within_a_key_and_across_keys(client: TestClient) -> None:
    both = client.get("/api/search", params=[("country", "DK"), ("country", "FI")]).json()
    assert {c for r in both["results"] for c in r["countries"]} == {"DK", "FI"}
    narrowed = client.get(
        "/api/search", params=[("country", "DK"), ("sector", "Homelessness")]
    ).json()
    assert [r["id"] for r in narrowed["results"]] == ["indigo-poj-0901"]


def test_lower_case_country_and_blank_values_are_accepted(client: TestClient) -> None:
    data = client.get("/api/search", params=[("country", "dk"), ("stage", "")]).json()
    assert data["total"] == 3
    assert all(r["countries"] == ["DK"] for r in data["results"])


def test_projects_in_preparation_only_when_asked_for(client: TestClient) -> None:
    everything = client.get("/api/search", params={"limit": 100}).json()
    assert "indigo-pln-0901" not in [r["id"] for r in everything["results"]]
    asked = client.get("/api/search", params={"stage": "pipeline", "q": "young carers"}).json()
    assert [r["id"] for r in asked["results"]] == ["indigo-pln-0901"]
    assert asked["results"][0]["stage"] == "pipeline"


def test_paging_and_date_sort(client: TestClient) -> None:
    first = client.get("/api/search", params={"limit": 2, "sort": "date"}).json()
    second = client.get("/api/search", params={"limit": 2, "offset": 2, "sort": "date"}).json()
    assert first["total"] == second["total"] == 7
    assert len(first["results"]) == len(second["results"]) == 2
    years = [r["start_year"] for r in first["results"] + second["results"]]
    assert years == sorted(years, reverse=True)
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_case_by_id_and_by_external_id(client: TestClient) -> None:
    by_ext = client.get("/api/cases/INDIGO-POJ-0901")
    by_id = client.get("/api/cases/indigo-poj-0901")
    assert by_ext.status_code == by_id.status_code == 200
    assert by_ext.json() == by_id.json()
    case = by_ext.json()
    assert case["id"] == "indigo-poj-0901"
    assert case["provider_model"] == "nonprofit"
    assert case["investor_model"] in INVESTOR_MODELS
    assert case["provider_model_basis"] == "curated"
    assert {p["role"] for p in case["parties"]} >= {"outcome_payer", "investor"}


def test_every_case_carries_both_models(client: TestClient) -> None:
    for r in client.get("/api/search", params={"limit": 100}).json()["results"]:
        case = client.get(f"/api/cases/{r['id']}").json()
        assert case["provider_model"] in PROVIDER_MODELS
        assert case["investor_model"] in INVESTOR_MODELS


def test_similar_cases(client: TestClient) -> None:
    r = client.get("/api/cases/INDIGO-POJ-0901/similar", params={"limit": 3})
    assert r.status_code == 200
    data = r.json()
    assert data["case_id"] == "indigo-poj-0901"
    ids = [x["id"] for x in data["results"]]
    assert len(ids) == 3 and "indigo-poj-0901" not in ids
    in_gb = client.get("/api/cases/indigo-poj-0901/similar", params={"country": "GB"}).json()
    assert [x["id"] for x in in_gb["results"]] == ["indigo-poj-0902"]


def test_health_reports_the_index(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["status"] == "ok"
    assert data["cases"] == 8
    assert data["index"]["count"] == 8


def test_ingest_runs_are_listed_newest_first(client: TestClient) -> None:
    data = client.get("/api/ingest/runs").json()
    assert [r["source"] for r in data["runs"]] == ["corpus", "indigo"]
    assert data["runs"][1]["counts"] == {"new": 3}
    assert data["last_success"]["indigo"] == "2026-01-02T03:04:05+00:00"
    only = client.get("/api/ingest/runs", params={"source": "indigo"}).json()
    assert [r["source"] for r in only["runs"]] == ["indigo"]


def test_csv_export_has_the_same_rows_as_the_search(client: TestClient) -> None:
    params = [("q", "housing"), ("country", "DK")]
    found = client.get("/api/search", params=[*params, ("limit", "100")]).json()
    r = client.get("/api/search.csv", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == [x["id"] for x in found["results"]]
    odense = next(row for row in rows if row["id"] == "indigo-poj-0901")
    assert odense["indigo_id"] == "INDIGO-POJ-0901"
    assert odense["countries"] == "DK"
    assert odense["provider_model"] == "nonprofit"
    assert odense["url"].endswith("/cases/indigo-poj-0901")


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client: TestClient) -> None:
    r = client.get("/api/search.csv", params={"q": "=HYPERLINK(1)"})
    assert r.status_code == 200
    for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))):
        assert not row["title"].startswith(("=", "+", "-", "@"))
        assert not row["service_providers"].startswith(("=", "+", "-", "@"))


def test_csv_export_has_every_row_not_a_page(client: TestClient) -> None:
    everything = client.get("/api/search", params={"limit": 1}).json()["total"]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/search.csv").content.decode("utf-8-sig")))
    )
    assert len(rows) == everything > 1


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/search",
        "/api/search.csv",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/similar",
        "/api/health",
        "/api/ingest/runs",
    } <= paths
    assert not any(p.startswith("/cases") for p in paths)  # pages stay out of the API docs
    # The search's parameters are listed (described, not parsed by FastAPI: see web/params).
    listed = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "limit", "offset", "country", "provider_model", "fund", "sort"} <= listed
    exported = [p["name"] for p in spec["paths"]["/api/search.csv"]["get"]["parameters"]]
    assert "country" in exported and len(exported) == len(set(exported))
    # /docs runs Swagger UI from files this app serves: no CDN, no inline script.
    docs = BeautifulSoup(client.get("/docs").text, "html.parser")
    scripts = [tag.get("src") for tag in docs.find_all("script")]
    assert scripts == ["/docs-assets/swagger-ui-bundle.js", "/static/docs.js"]
    for src in [*scripts, docs.find("link", rel="stylesheet")["href"]]:
        assert client.get(src).status_code == 200, src


def test_responses_are_compressed_for_clients_that_ask(client: TestClient) -> None:
    r = client.get("/api/search", params={"limit": 50}, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.json()["total"] == 7  # httpx decompresses: the body is intact
    assert "content-security-policy" in r.headers
