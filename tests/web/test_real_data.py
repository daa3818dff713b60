"""Every real case renders: the INDIGO export, its pipeline and the curated files in a fresh
store, no index.

Pages that need no search index (case, compare, organisation, home, about) must work on
the real, sparse data; the similar-cases box then says the index is missing. Every Danish
page is walked for codelist values left in English and for outcome metrics shown twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import INVESTOR_MODELS, PROVIDER_MODELS
from corpus.settings import Settings
from corpus.store import Store
from ingest.indigo import pipeline as indigo_pipeline
from ingest.indigo.csv_export import read_export
from ingest.runner import run_source
from ingest.sources import corpus_files
from web.app import create_app
from web.i18n import Translator, labels


@pytest.fixture(scope="module")
def real(indigo_csv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A client on a store holding the real INDIGO export, and the store's case ids."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("real") / "data")
    store = Store(settings.db_path)
    report = run_source(store, "indigo", read_export(indigo_csv_dir), complete=True)
    assert report.status in ("ok", "partial")
    pipeline = run_source(
        store,
        indigo_pipeline.SOURCE,
        indigo_pipeline.read_csv(indigo_csv_dir / "pipeline.csv"),
        complete=True,
    )
    assert pipeline.status in ("ok", "partial")
    curated = run_source(store, corpus_files.SOURCE, corpus_files.read(), complete=True)
    assert curated.status in ("ok", "partial")
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
        if case_id.startswith("indigo-"):
            assert "GO Lab INDIGO" in soup.select_one(".cite").get_text()


def test_case_by_indigo_id_in_json_and_html(real: tuple) -> None:
    client, _ = real
    case = client.get("/api/cases/INDIGO-POJ-0077").json()
    assert case["id"] == "indigo-poj-0077"
    assert case["external_ids"]["indigo"] == "INDIGO-POJ-0077"
    assert case["provider_model"] in PROVIDER_MODELS
    assert case["investor_model"] in INVESTOR_MODELS
    page = BeautifulSoup(client.get("/cases/INDIGO-POJ-0077").text, "html.parser")
    # The Danish page shows the Danish title where the case has one (this case does).
    assert page.h1.get_text(strip=True) == case["title_i18n"].get("da", case["title"])
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


def test_a_fund_s_country_is_danish_on_danish_pages(real: tuple) -> None:
    client, _ = real
    case = BeautifulSoup(
        client.get("/cases/indigo-poj-0167", headers={"accept-language": "da"}).text, "html.parser"
    )
    funds = [a.get_text(strip=True) for a in case.select("a[href^='/search?fund=']")]
    assert "Life Chances Fund - Storbritannien" in funds, funds
    page = BeautifulSoup(
        client.get("/search", params={"country": "GB"}, headers={"accept-language": "da"}).text,
        "html.parser",
    )
    labels = page.get_text(" ", strip=True)
    assert "Life Chances Fund - Storbritannien" in labels
    assert "Life Chances Fund - United Kingdom" not in labels


def test_home_counts_are_what_their_links_find(real: tuple) -> None:
    """The home page's lists of countries and policy areas link to searches, which leave
    the projects in design out (132 of the real data: India's 24 cases are 6 found):
    each count is the number its search finds."""
    client, ids = real
    home = BeautifulSoup(client.get("/", headers={"accept-language": "en"}).text, "html.parser")
    items = home.select("ul.counts li:has(a[href^='/search?'])")
    assert len(items) >= 15  # 12 countries and the policy areas
    for item in items:
        href = item.a["href"]
        found = client.get("/api/search?" + href.split("?", 1)[1]).json()["total"]
        assert int(item.select_one(".n").get_text(strip=True)) == found, href
    # The page still says how many cases the store holds, projects in design included.
    assert f"{len(ids)} cases in total" in home.get_text(" ", strip=True)


def test_broendby_case_page_in_danish(real: tuple) -> None:
    """The curated TUBA case merged with INDIGO's record of it: the municipality is
    Brøndby Kommune among the parties and the places, listed once, and an investor's
    amount stands apart from its description."""
    client, _ = real
    page = BeautifulSoup(
        client.get("/cases/dk-broendby-tuba", headers={"accept-language": "da"}).text,
        "html.parser",
    )
    parties = page.select_one("section[aria-labelledby=parties]")
    names = [a.get_text(strip=True) for a in parties.select(".role li a")]
    assert "Brøndby Kommune" in names and "Brøndby Municipality" not in names
    places = [li.get_text(" ", strip=True) for li in page.select("ul.places li")]
    assert [p for p in places if "Brøndby" in p] == ["Brøndby Kommune, Danmark"]
    investor = parties.select_one(".amount").parent.get_text()
    assert ") 3.200.000 kr." in " ".join(investor.split())


def test_results_say_which_outcome_metric_they_report(real: tuple) -> None:
    """INDIGO reports a number per outcome metric (Reboot West, INDIGO-POJ-0121: 231
    for its first metric): the case page's results and the compare page say which."""
    client, _ = real
    case = client.get("/api/cases/indigo-poj-0121").json()
    first = case["outcome_metrics"][0]
    result = next(r for r in case["results"] if r["metric_id"] == first["id"])
    page = BeautifulSoup(
        client.get("/cases/indigo-poj-0121", headers={"accept-language": "da"}).text,
        "html.parser",
    )
    table = page.select_one("section[aria-labelledby=results] table")
    assert table.th.get_text(strip=True) == "Resultatmål"
    cells = [td.get_text(" ", strip=True) for td in table.tbody.tr.find_all("td")]
    assert cells[0] == f"1. {first['definition']}" and cells[2] == result["achieved"]
    assert table.tbody.tr.a["href"] == "#metric-1" and page.select_one("li#metric-1")
    compare = BeautifulSoup(
        client.get("/compare?id=indigo-poj-0121&id=dk-broendby-tuba").text, "html.parser"
    )
    row = next(
        tr for tr in compare.select("tr") if tr.th and tr.th.get_text(strip=True) == "Resultater"
    )
    lines = [li.get_text(" ", strip=True) for li in row.find_all("td")[0].select("li")]
    assert f"{first['definition']}: {result['achieved']}" in lines
    assert not any(line.isdigit() for line in lines)  # no bare numbers


def test_a_municipality_is_one_organisation_named_in_danish(real: tuple) -> None:
    """Aarhus Municipality under its INDIGO id and under its name alone (a source that
    gives no id) is one organisation page, headed as a Danish reader says it."""
    client, _ = real
    by_id = BeautifulSoup(
        client.get("/organisations/INDIGO-ORG-1410", headers={"accept-language": "da"}).text,
        "html.parser",
    )
    assert by_id.h1.get_text(strip=True) == "Aarhus Kommune"
    by_name = BeautifulSoup(
        client.get("/organisations/name:aarhus municipality").text, "html.parser"
    )
    cases = [[a["href"] for a in page.select("tbody tr a")] for page in (by_id, by_name)]
    assert cases[0] == cases[1] and len(cases[0]) >= 5


def _codelist_labels() -> dict[str, str]:
    """English codelist value -> its Danish label, for every kind of code the pages show."""
    da, en = labels("da"), labels("en")
    prefixes = (
        "sector.",
        "stage.",
        "role.",
        "org_type.",
        "instrument.",
        "provider_model.",
        "investor_model.",
    )
    return {
        key.split(".", 1)[1] if key.startswith("sector.") else en[key]: da[key]
        for key in en
        if key.startswith(prefixes) and key in da and da[key] != en[key]
    }


def _english_only(soup: BeautifulSoup, selector: str) -> list[str]:
    """Texts of the coded parts of a page, leaving out text marked as another language."""
    out = []
    for el in soup.select(selector):
        for other in el.select("[lang]"):
            other.decompose()
        out.append(el.get_text(" ", strip=True))
    return out


def test_every_codelist_value_in_the_real_data_has_a_danish_label(real: tuple) -> None:
    client, ids = real
    t = Translator("da")
    cases = [client.get(f"/api/cases/{i}").json() for i in ids]
    sectors = {s for c in cases for s in [c["sector"], *c["sectors"]] if s}
    missing = sorted(s for s in sectors if not t.has("sector." + s))
    assert not missing, f"policy areas without a Danish label: {missing}"
    for kind, values in (
        ("stage", {c["stage"] for c in cases}),
        ("instrument", {c["instrument"] for c in cases}),
        ("provider_model", {c["provider_model"] for c in cases}),
        ("investor_model", {c["investor_model"] for c in cases}),
        ("role", {p["role"] for c in cases for p in c["parties"]}),
        ("org_type", {p["org_type"] for c in cases for p in c["parties"]}),
    ):
        assert all(t.has(f"{kind}.{v}") for v in values), (kind, values)
    countries = {x for c in cases for x in c["countries"]}
    assert all(t.country(x) != x for x in countries), countries


def test_no_danish_page_shows_an_untranslated_code_or_a_metric_twice(real: tuple) -> None:
    client, ids = real
    english = {v for v in _codelist_labels() if len(v) > 3}
    # A fund facet shows the funds' names (proper names such as "Education Outcomes
    # Fund ..."), not codes to translate.
    coded = (
        ".meta span, .glance dd, .role h3, .type, .counts li, "
        '.facet:not([aria-labelledby="facet-fund"]) .label'
    )
    pages = [f"/cases/{i}" for i in ids] + ["/", "/search", "/search?stage=pipeline"]
    for path in pages:
        r = client.get(path, headers={"accept-language": "da"})
        assert r.status_code == 200, path
        soup = BeautifulSoup(r.text, "html.parser")
        definitions = [d.get_text(" ", strip=True) for d in soup.select(".metrics .definition")]
        assert len(definitions) == len(set(definitions)), (path, definitions)
        for text in _english_only(soup, coded):
            left = [v for v in english if v == text or text.startswith(v + " ")]
            assert not left, f"{path}: {left} shown in English"


def test_curated_danish_case_is_shown_in_danish_once_per_fact(real: tuple) -> None:
    """Aarhus Housing First has a curated file and an INDIGO record (issue 11's example)."""
    client, ids = real
    danish = [
        i
        for i in ids
        if (c := client.get(f"/api/cases/{i}").json())["summary"].get("da")
        and "DK" in c["countries"]
    ]
    assert danish
    for case_id in danish:
        case = client.get(f"/api/cases/{case_id}").json()
        soup = BeautifulSoup(
            client.get(f"/cases/{case_id}", headers={"accept-language": "da"}).text, "html.parser"
        )
        assert soup.select(".summary")[0]["lang"] == "da"
        if case["title_i18n"].get("da"):
            assert soup.h1.get_text(strip=True) == case["title_i18n"]["da"]
            assert not soup.h1.get("lang")
        places = [li.get_text(strip=True) for li in soup.select(".places li")]
        assert len(places) == len(set(places)), places
        hrefs = [a["href"] for a in soup.select("#docs ~ .columns a, .links a")]
        assert len(hrefs) == len(set(hrefs)), hrefs


def test_exports_hold_one_row_per_visible_case(real: tuple) -> None:
    """`/api/search.csv?q=` (all cases) gives every case not in design, and so does JSON."""
    client, ids = real
    visible = [i for i in ids if client.get(f"/cases/{i}.json").json()["stage"] != "pipeline"]
    assert len(visible) >= 300
    r = client.get("/api/search.csv", params={"q": ""})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row["id"] for row in rows) == sorted(visible)
    data = client.get("/api/search.json", params={"q": ""}).json()
    assert data["total"] == len(visible) == len(data["results"])
    pipeline = client.get("/api/search.jsonl", params={"stage": "pipeline"}).text.splitlines()
    assert len(pipeline) == len(ids) - len(visible)
    page = BeautifulSoup(client.get("/cases/indigo-poj-0077").text, "html.parser")
    href = page.select_one("a[href^='/organisations/']")["href"]
    org = client.get(href + ".json")
    assert org.status_code == 200
    assert "indigo-poj-0077" in [c["id"] for c in org.json()["cases"]]


def test_a_danish_query_shows_a_danish_case_in_its_danish_words(real: tuple) -> None:
    """ "stofmisbrug unge" finds the Aarhus Housing First case for the most vulnerable
    young people (the curated file's INDIGO-POJ-0265) by its English challenge, which
    says "substance use" and "young"; the results page shows the challenge's Danish
    translation, which says "unge" as typed, marked and tagged as Danish."""
    client, _ = real
    page = BeautifulSoup(
        client.get(
            "/search", params={"q": "stofmisbrug unge"}, headers={"accept-language": "da"}
        ).text,
        "html.parser",
    )
    item = next(li for li in page.select("li") if li.find("a", href="/cases/indigo-poj-0265"))
    snippet = item.select_one("p.snippet")
    assert "De mest udsatte hjemløse unge i Aarhus" in snippet.get_text()
    assert [m.get_text() for m in snippet.select("mark")] == ["unge"]
    # The page is Danish, so the Danish text needs no lang attribute of its own.
    assert not snippet.select("[lang=en]")
