"""The overview charts and map: server-drawn SVG whose bars and places are filter links, each
with its figures as a table, following the search's filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case, Place
from web import charts
from web.i18n import Translator
from web.params import SearchQuery


def _soup(client: TestClient, url: str, lang: str = "da") -> BeautifulSoup:
    r = client.get(url, headers={"accept-language": lang})
    assert r.status_code == 200, url
    return BeautifulSoup(r.text, "html.parser")


def test_home_shows_charts_with_tables_and_a_map(client: TestClient) -> None:
    soup = _soup(client, "/")
    figures = {f["id"]: f for f in soup.select(".overview figure")}
    assert set(figures) == {"chart-year", "chart-sector", "chart-provider", "chart-map"}
    for fig in figures.values():
        assert fig.select_one("svg title").get_text(strip=True)
        assert fig.select("svg a[href^='/search']"), fig["id"]
        assert fig.select("table tbody tr"), fig["id"]  # the same figures as text
    years = {a["href"] for a in figures["chart-year"].select("table a")}
    # The visible cases start in 2015, 2017, 2018, 2020 (2), 2022 and 2023 (a contract
    # signed); the pipeline project has no date and is hidden anyway.
    assert {parse_qs(urlsplit(h).query)["start_year"][0] for h in years} == {
        "2015",
        "2017",
        "2018",
        "2020",
        "2022",
        "2023",
    }
    sectors = figures["chart-sector"].get_text(" ")
    assert "Hjemløshed" in sectors


def test_a_bar_link_filters_the_results(client: TestClient) -> None:
    soup = _soup(client, "/search?q=housing")
    bar = soup.select_one("#chart-year svg a[href*='country=DK'][href*='start_year=2020']")
    assert bar is not None and "q=housing" in bar["href"]
    assert bar["aria-label"].startswith("2020, Danmark – antal sager: ")
    results = _soup(client, bar["href"])
    metas = [m.get_text(" ") for m in results.select(".result .meta")]
    assert metas and all("Danmark" in m and "2020" in m for m in metas)
    # The charts of the filtered page count only its results.
    rows = results.select("#chart-year tbody tr")
    assert len(rows) == 1 and rows[0].th.get_text(strip=True) == "2020"


def test_map_places_points_and_links_to_their_country() -> None:
    t = Translator("en")
    cases = [
        Case(
            id="a", title="A", countries=["DK"], places=[Place(name="Aarhus", lat=56.16, lng=10.2)]
        ),
        Case(
            id="b", title="B", countries=["DK"], places=[Place(name="Aarhus", lat=56.16, lng=10.2)]
        ),
        Case(
            id="c",
            title="C",
            countries=["GB"],
            places=[Place(name="Leeds", country="GB", lat=53.8, lng=-1.55)],
        ),
        Case(id="d", title="D", countries=["US"], places=[Place(name="Nowhere", lat=999, lng=0)]),
    ]
    chart = charts.map_chart(cases, t, SearchQuery(q="x"))
    assert [(r[0]["text"], r[2]) for r in chart.rows] == [("Aarhus", 2), ("Leeds", 1)]
    assert chart.rows[0][0]["url"] == "/search?q=x&country=DK"
    svg = BeautifulSoup(str(chart.svg), "html.parser")
    assert len(svg.select("svg")) == 2  # the world and the Nordic inset
    world = svg.select("svg")[0]
    dots = {a["aria-label"]: a.circle for a in world.select("a")}
    aarhus, leeds = (
        dots["Aarhus (Denmark) – cases: 2"],
        dots["Leeds (United Kingdom) – cases: 1"],
    )
    # Equirectangular: east is right, north is up.
    assert float(aarhus["cx"]) > float(leeds["cx"]) and float(aarhus["cy"]) < float(leeds["cy"])
    assert "Aarhus" in svg.select("svg")[1].get_text()


def test_two_spellings_of_a_policy_area_are_one_bar() -> None:
    t = Translator("da")
    cases = [
        Case(id="a", title="A", sector="Agriculture"),
        Case(id="b", title="B", sector="Agriculture and environment"),
    ]
    chart = charts.sector_chart(cases, t, None)
    assert [(r[0]["text"], r[1]) for r in chart.rows] == [("Landbrug og miljø", 2)]
    query = parse_qs(urlsplit(chart.rows[0][0]["url"]).query)
    assert query["sector"] == ["Agriculture", "Agriculture and environment"]
