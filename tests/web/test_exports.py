"""Exports: every row of a search as an Excel workbook, CSV, JSON and JSON Lines; `.json` beside every page; the
whole dataset as a CSV zip and a SQLite file, both crediting GO Lab INDIGO.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case, Party
from corpus.settings import Settings
from corpus.store import Store
from web.app import create_app
from web.exports import COLUMNS, cell
from web.i18n import Translator


def _rows(r) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_holds_every_row_with_parties_amounts_and_dates(client: TestClient) -> None:
    total = client.get("/api/search", params={"limit": 1}).json()["total"]
    r = client.get("/api/search.csv")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"  # exports follow the store: revalidate
    assert r.headers["x-total-count"] == str(total)
    rows = _rows(r)
    assert len(rows) == total
    assert tuple(rows[0]) == COLUMNS
    odense = next(row for row in rows if row["id"] == "indigo-poj-0901")
    assert odense["outcome_payers"] == "Odense Kommune (government)"
    assert (
        odense["investors"]
        == "Fonden for Socialt Ansvar (foundation); Nordic Impact Bank A/S (company)"
    )
    assert odense["investment"] == "15000000" and odense["investment_currency"] == "DKK"
    assert odense["max_outcome_payment"] == "22000000"
    # In euro as the case page says it: kroner at the ERM II central rate (7.46038).
    assert odense["investment_eur"] == "2010621.44"
    assert odense["max_outcome_payment_eur"] == "2948911.45"
    assert odense["outcome_payments_made_eur"] == ""
    assert odense["outcome_metric_count"] == "2"
    assert odense["start_date"] == "2020-02-01" and odense["end_date"] == "2024"
    assert odense["sources"] == "https://example.org/odense"
    # No CASEBANK_BASE_URL: links stay relative (never built from the Host header).
    assert odense["url"] == "/cases/indigo-poj-0901"


def test_json_and_json_lines_hold_the_same_rows_as_the_csv(client: TestClient) -> None:
    params = {"q": "housing", "country": "DK"}
    ids = [row["id"] for row in _rows(client.get("/api/search.csv", params=params))]
    assert ids
    data = client.get("/api/search.json", params=params).json()
    assert data["total"] == len(ids)
    assert [x["id"] for x in data["results"]] == ids
    lines = client.get("/api/search.jsonl", params=params).text.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ids
    assert data["results"][0]["countries"] == ["DK"]


def test_the_workbook_holds_the_csv_rows_with_numbers_as_numbers(client: TestClient) -> None:
    """Danish Excel opens a comma CSV in one column (its list separator is `;`): the
    workbook is the export a caseworker opens, with the CSV's rows and columns."""
    params = {"q": "housing", "country": "DK"}
    csv_rows = _rows(client.get("/api/search.csv", params=params))
    r = client.get("/api/search.xlsx", params=params, headers={"accept-language": "da"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="casebank-search.xlsx"' in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(book["casebank"].iter_rows(values_only=True))
    # Headings, countries and coded values as a Danish reader says them.
    assert rows[0][:4] == ("Id", "Titel", "Titel på dansk", "Lande")
    assert "Leverandørmodel" in rows[0] and "provider_model" not in rows[0]
    assert [row[0] for row in rows[1:]] == [x["id"] for x in csv_rows]
    by_name = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    for got, want in zip(by_name, csv_rows, strict=True):
        assert got["countries"] == "Danmark" and want["countries"] == "DK"
        if want["investment"]:
            assert isinstance(got["investment"], int | float)
            assert str(int(got["investment"])) == want["investment"]
    da = Translator("da")
    for got, want in zip(by_name, csv_rows, strict=True):
        for coded in ("stage", "provider_model", "investor_model", "instrument"):
            assert got[coded] == da.value(coded, want[coded]), coded
    assert by_name[0]["provider_model"] != csv_rows[0]["provider_model"]  # said, not a code
    # The parties' types too: "(government)" in the CSV, "(offentlig myndighed)" here.
    pairs = zip(by_name, csv_rows, strict=True)
    payers = [(g["outcome_payers"], w["outcome_payers"]) for g, w in pairs]
    got, want = next((g, w) for g, w in payers if w and "(government)" in w)
    assert got == want.replace("(government)", "(offentlig myndighed)")
    # The second sheet credits INDIGO and says each heading's column in the CSV.
    about = list(book["Om data"].iter_rows(values_only=True))
    assert "GO Lab INDIGO" in about[0][0]
    assert ("Leverandørmodel", "provider_model") in [tuple(x[:2]) for x in about]
    english = openpyxl.load_workbook(
        io.BytesIO(
            client.get("/api/search.xlsx", params=params, headers={"accept-language": "en"}).content
        )
    )
    assert next(english["casebank"].iter_rows(values_only=True))[:2] == ("Id", "Title")
    # The results page offers it first.
    page = BeautifulSoup(client.get("/search", params=params).text, "html.parser")
    first = page.select_one("p.export a")
    assert first["href"].startswith("/api/search.xlsx?") and "country=DK" in first["href"]


def test_the_comparison_as_a_workbook_is_the_page_s_table(client: TestClient) -> None:
    """A row per fact, a column per case, in the page's language, linked from the page."""
    ids = [("id", "INDIGO-POJ-0901"), ("id", "dk-herning-job")]
    page = BeautifulSoup(
        client.get("/compare", params=ids, headers={"accept-language": "da"}).text, "html.parser"
    )
    link = page.select_one("p.export a")["href"]
    assert link.startswith("/compare.xlsx?")
    r = client.get(link, headers={"accept-language": "da"})
    assert (
        r.status_code == 200
        and 'filename="casebank-compare.xlsx"' in r.headers["content-disposition"]
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(r.content))["casebank"].iter_rows(values_only=True)
    )
    assert rows[0][1:] == (
        "Bolig først for unge i Odense",  # the Danish title on a Danish page
        "Job til flygtninge i Herning",
    )
    by_label = {row[0]: row[1:] for row in rows[1:] if row and row[0]}
    assert by_label["Land"] == ("Danmark", "Danmark")
    assert "Planlagt antal deltagere: 120" in by_label["Deltagere"][0]
    assert by_label["Sagens side"][0].endswith("/cases/indigo-poj-0901")
    assert (
        client.get("/compare.xlsx", params=[("id", "nope"), ("id", "dk-herning-job")]).status_code
        == 404
    )


def test_the_workbook_keeps_formula_text_as_text(big: TestClient) -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(big.get("/api/search.xlsx", params={"limit": 3}).content)
    )
    sheet = book["casebank"]
    column = COLUMNS.index("service_providers") + 1
    cells = [sheet.cell(row=i, column=column) for i in range(2, 5)]
    assert [c.value for c in cells] == ["=cmd|' /C calc'!A0"] * 3
    assert {c.data_type for c in cells} == {"s"}  # text, never a formula


def test_formula_text_is_made_safe() -> None:
    assert cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert cell(["@SUM(1)", "b"]) == "'@SUM(1); b"
    assert cell(15000000.0) == "15000000"
    assert cell(None) == ""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A store of 260 cases (more than the search service's 100-row page), no index."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("big") / "data")
    store = Store(settings.db_path)
    with store.transaction():
        for i in range(260):
            case = Case(
                id=f"case-{i:03d}",
                title=f"Case {i:03d}",
                countries=["DK" if i % 2 else "GB"],
                parties=[Party(name="=cmd|' /C calc'!A0", role="service_provider")],
            )
            store.upsert_record(case, "corpus")
    store.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_exports_are_not_capped_at_one_page(big: TestClient) -> None:
    rows = _rows(big.get("/api/search.csv", params={"q": ""}))
    assert len(rows) == 260
    assert len({r["id"] for r in rows}) == 260
    assert all(r["service_providers"].startswith("'=") for r in rows)
    assert len(big.get("/api/search.jsonl").text.splitlines()) == 260
    assert big.get("/api/search.json", params={"country": "DK"}).json()["total"] == 130
    # An explicit window is honoured (and is the only way to get fewer rows).
    assert len(_rows(big.get("/api/search.csv", params={"limit": 5, "offset": 255}))) == 5


def test_an_export_window_is_checked_like_a_page(client: TestClient) -> None:
    """The export's `limit`/`offset` follow `SearchRequest`'s rules and messages (they had
    FastAPI's own: 'Input should be a valid integer', and 422 where a page says 400)."""
    bad = client.get("/api/search.csv", params={"limit": "ten"})
    assert bad.status_code == 400
    assert (
        bad.json()["error"]["message"]
        == "limit: 'ten' is not a whole number written with digits 0-9"
    )
    page = client.get("/api/search", params={"limit": "ten"})
    assert page.status_code == 400 and page.json() == bad.json()
    for params in ({"limit": "0"}, {"offset": "-1"}, {"offset": "100001"}):
        r = client.get("/api/search.jsonl", params=params)
        assert r.status_code in (400, 422), (params, r.status_code)
        assert r.json()["error"]["message"].split(":")[0] in params, r.json()
    # Blank window fields are the defaults: every row.
    every = client.get("/api/search.jsonl").text.splitlines()
    assert (
        client.get("/api/search.jsonl", params={"limit": "", "offset": ""}).text.splitlines()
        == every
    )


def test_the_documented_parameters_say_what_is_accepted(client: TestClient) -> None:
    """/docs gives each search parameter the range or values `SearchRequest` accepts, and
    the exports their media types and error bodies (a schema fuzzer, schemathesis, had
    found them undocumented: 400 on the exports, JSON Lines' media type, `offset` as
    any string)."""
    spec = client.get("/openapi.json").json()
    search = {p["name"]: p["schema"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert search["limit"] == {"type": "integer", "default": 10, "minimum": 1, "maximum": 100}
    assert search["offset"]["maximum"] == 100_000
    assert search["q"]["maxLength"] == 1000
    assert "DK" in search["country"]["items"]["enum"]
    assert search["sort"]["enum"] == ["", "relevance", "date", "title"]
    for name in ("limit", "offset", "start_year"):
        # Every value the schema documents is one the API takes.
        value = {"limit": "100", "offset": "0", "start_year": "2019"}[name]
        assert client.get("/api/search", params={name: value}).status_code == 200
    # A blank choice (a form's empty field) is no filter, and the schema says so: the
    # fuzzer had found `provider_model=&sort=` taken though the schema refused it.
    browse = client.get("/api/search").json()["total"]
    for name in ("country", "stage", "provider_model", "investor_model", "instrument", "sort"):
        schema = search[name].get("items", search[name])
        assert "" in schema["enum"], name
        assert client.get("/api/search", params={name: ""}).json()["total"] == browse, name
    for name in ("fund", "start_year"):
        assert re.fullmatch(search[name]["items"]["pattern"], ""), name
        assert client.get("/api/search", params={name: ""}).json()["total"] == browse, name
    assert not re.fullmatch(search["start_year"]["items"]["pattern"], "1899")
    # The whole-dataset downloads say what they send (they had documented JSON).
    for path, media in (
        ("/download/casebank-csv.zip", "application/zip"),
        ("/download/casebank.sqlite", "application/vnd.sqlite3"),
    ):
        assert list(spec["paths"][path]["get"]["responses"]["200"]["content"]) == [media]
        assert client.get(path).headers["content-type"].startswith(media), path
    for path, media in (
        ("/api/search.csv", "text/csv"),
        ("/api/search.json", "application/json"),
        ("/api/search.jsonl", "application/x-ndjson"),
    ):
        op = spec["paths"][path]["get"]
        assert media in op["responses"]["200"]["content"], path
        for code in ("400", "422"):
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody"), (path, code)
        names = [p["name"] for p in op["parameters"]]
        assert len(names) == len(set(names)) and {"limit", "offset", "q"} <= set(names)


def test_base_url_makes_links_absolute(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    store = Store(settings.db_path)
    store.upsert_record(Case(id="one", title="One"), "corpus")
    store.close()
    app = create_app(settings)
    # The ops engineer adds `base_url` to Settings; until then set it on the instance.
    object.__setattr__(app.state.resources.settings, "base_url", "https://cases.example.dk/")
    with TestClient(app) as c:
        assert _rows(c.get("/api/search.csv"))[0]["url"] == "https://cases.example.dk/cases/one"


def test_every_page_has_json_beside_it(client: TestClient) -> None:
    case = client.get("/cases/INDIGO-POJ-0901.json")
    assert case.status_code == 200 and case.json()["id"] == "indigo-poj-0901"
    missing = client.get("/cases/no-such-case.json")
    assert (
        missing.status_code == 404 and missing.json()["error"]["status"] == 404
    )  # JSON, not a page
    org = client.get("/organisations/name:odense kommune.json").json()
    assert org["name"] == "Odense Kommune"
    assert [c["id"] for c in org["cases"]] == ["indigo-poj-0901"]
    pair = client.get(
        "/compare.json", params=[("id", "indigo-poj-0901"), ("id", "indigo-poj-0902")]
    )
    assert [c["id"] for c in pair.json()["cases"]] == ["indigo-poj-0901", "indigo-poj-0902"]
    assert pair.json()["rows"][0]["cells"] == [["Danmark"], ["Storbritannien"]]
    assert client.get("/compare.json", params={"id": "indigo-poj-0901"}).status_code == 400
    page = client.get("/search.json", params={"q": "housing"}).json()
    assert page["results"] and "facets" in page
    # Its paging is checked by the API's rules and messages.
    assert len(client.get("/search.json", params={"limit": "2"}).json()["results"]) == 2
    bad = client.get("/search.json", params={"offset": "-1"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("offset: '-1'")
    assert client.get("/search.json", params={"limit": "101"}).status_code == 422
    home = client.get("/index.json").json()
    assert home["stats"]["cases"] == 8


def test_whole_dataset_as_csv_zip_and_sqlite_credits_indigo(client: TestClient) -> None:
    z = zipfile.ZipFile(io.BytesIO(client.get("/download/casebank-csv.zip").content))
    assert {"README.txt", "cases.csv", "parties.csv", "outcome_metrics.csv", "cases.jsonl"} <= set(
        z.namelist()
    )
    assert "GO Lab INDIGO" in z.read("README.txt").decode()
    cases = list(csv.DictReader(io.StringIO(z.read("cases.csv").decode("utf-8-sig"))))
    assert len(cases) == 8  # the projects in design too
    metrics = csv.DictReader(io.StringIO(z.read("outcome_metrics.csv").decode("utf-8-sig")))
    # Each text an editor translates has its Danish column beside it.
    for column in ("definition", "target", "price_description"):
        assert {column, f"{column}_da"} <= set(metrics.fieldnames or [])
    r = client.get("/download/casebank.sqlite")
    assert r.headers["content-type"] == "application/vnd.sqlite3"
    path = Path(client.app.state.resources.settings.data_dir) / "download-test.sqlite"
    path.write_bytes(r.content)
    db = sqlite3.connect(path)
    try:
        credit = db.execute("SELECT value FROM metadata WHERE key = 'credit'").fetchone()[0]
        assert "GO Lab INDIGO" in credit
        assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 8
        parties = db.execute("SELECT count(*) FROM parties WHERE case_id = 'indigo-poj-0901'")
        assert parties.fetchone()[0] == 6
    finally:
        db.close()
        path.unlink()


def test_every_page_points_to_its_json(client: TestClient) -> None:
    from bs4 import BeautifulSoup

    for path in (
        "/",
        "/search?q=housing&country=DK",
        "/cases/indigo-poj-0901",
        "/compare?id=indigo-poj-0901&id=indigo-poj-0902",
        "/organisations/name:odense%20kommune",
    ):
        soup = BeautifulSoup(client.get(path).text, "html.parser")
        link = soup.find("link", rel="alternate", type="application/json")
        assert link is not None, path
        r = client.get(link["href"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", path
