"""The HTML pages through TestClient, parsed with BeautifulSoup."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case, FundRef, Link, Money, OutcomeMetric, Party, Place, Provenance


def soup_of(client: TestClient, url: str, **kw) -> BeautifulSoup:
    r = client.get(url, **kw)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return BeautifulSoup(r.text, "html.parser")


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_home_shows_search_and_what_the_base_holds(client: TestClient) -> None:
    soup = soup_of(client, "/", headers={"accept-language": "da"})
    form = soup.find("form", attrs={"role": "search"})
    assert form["action"] == "/search" and form["method"] == "get"
    label = soup.find("label", attrs={"for": "q"})
    assert label and label.get_text(strip=True) == "Søg efter sager"
    countries = {
        a.get_text(strip=True): a["href"] for a in soup.select("a[href^='/search?country=']")
    }
    assert countries["Danmark"] == "/search?country=DK"
    assert "Storbritannien" in countries
    # What the base holds, and a link to all that a search shows (projects in design
    # are left out; a note says how many): it had read "8 sager i alt: 7 sager fundet".
    browse = soup.find("a", string=lambda x: bool(x and x.startswith("gennemse")))
    assert browse["href"] == "/search"
    assert browse.get_text(strip=True) == "gennemse de 7 i søgningen"
    assert browse.parent.get_text(strip=True).startswith("8 sager i alt:")
    nordic = soup.find("a", string="Alle sager fra de nordiske lande")
    assert query_of(nordic["href"])["country"] == ["DK", "SE", "NO", "FI", "IS"]
    found = soup_of(client, nordic["href"])
    assert len(found.select(".result")) == 5  # three Danish, one Swedish, one Finnish
    sectors = [a.get_text(strip=True) for a in soup.select("a[href^='/search?sector=']")]
    assert "Hjemløshed" in sectors
    updates = soup.find("span", string="GO Lab INDIGO").find_parent("li")
    assert updates.time["datetime"] == "2026-01-02T03:04:05+00:00"


def test_results_page_lists_results_with_their_facts(client: TestClient) -> None:
    soup = soup_of(client, "/search?q=hjemløse+unge", headers={"accept-language": "da"})
    assert "sager fundet" in soup.select_one("#count").get_text()
    first = soup.select(".result")[0]
    assert first.select_one(".result-title a")["href"] == "/cases/indigo-poj-0901"
    meta = first.select_one(".meta").get_text()
    assert "Danmark" in meta and "Hjemløshed" in meta and "2020" in meta
    assert "Nonprofit" in first.select_one(".models").get_text()
    assert first.select_one(".snippet").get_text(strip=True)
    # The search box keeps the query.
    assert soup.find("input", attrs={"name": "q"})["value"] == "hjemløse unge"
    # The Danish words are said with the English terms they were searched as.
    understood = soup.select_one(".understood")
    assert "engelske fagudtryk" in understood.get_text()
    assert "hjemløse unge (youth homelessness)" in understood.get_text()
    assert understood.select_one("[lang=en]").get_text() == "youth homelessness"
    english = soup_of(client, "/search?q=homeless", headers={"accept-language": "en"})
    assert english.select_one(".understood") is None


def test_facets_are_links_that_keep_the_other_filters(client: TestClient) -> None:
    soup = soup_of(client, "/search?q=job&sector=Employment+and+training")
    groups = {s.h3.get_text(strip=True): s for s in soup.select(".facet")}
    assert set(groups) >= {"Land", "Politikområde", "Status"}
    denmark = next(a for a in groups["Land"].select("a") if "Danmark" in a.get_text())
    q = query_of(denmark["href"])
    assert q == {"q": ["job"], "sector": ["Employment and training"], "country": ["DK"]}
    # Projects still in design are offered, though left out until asked for.
    pipeline = next(a for a in groups["Status"].select("a") if "forberedelse" in a.get_text())
    assert query_of(pipeline["href"])["stage"] == ["pipeline"]
    chosen = groups["Politikområde"].select_one("a.on")
    assert chosen["aria-current"] == "true"
    assert "sector" not in query_of(chosen["href"])  # clicking a chosen value removes it
    # Following the link applies both filters.
    narrowed = soup_of(client, denmark["href"])
    assert [a["href"] for a in narrowed.select(".result-title a")] == ["/cases/dk-herning-job"]
    chips = [a.get_text(" ", strip=True) for a in narrowed.select(".active-filters a.chip")]
    assert len(chips) == 2


def test_sorting_and_paging_live_in_the_url(client: TestClient) -> None:
    soup = soup_of(client, "/search?sort=date&limit=3")
    years = [int(s.get_text().split()[-1]) for s in soup.select(".result .meta span:last-child")]
    assert years == sorted(years, reverse=True)
    pager = soup.select_one("nav.pager")
    assert pager.select_one("[aria-current=page]").get_text(strip=True) == "1"
    nxt = pager.select_one("a[rel=next]")
    assert query_of(nxt["href"]) == {"sort": ["date"], "limit": ["3"], "page": ["2"]}
    page2 = soup_of(client, nxt["href"])
    assert page2.select_one("ol.result-list")["start"] == "4"
    assert page2.select_one("nav.pager a[rel=prev]")
    sort_links = {a.get_text(strip=True): a["href"] for a in page2.select(".sort a")}
    assert query_of(sort_links["Bedste match"]) == {}
    # An API-style offset shows the same page.
    by_offset = soup_of(client, "/search?sort=date&limit=3&offset=3")
    assert [a["href"] for a in by_offset.select(".result-title a")] == [
        a["href"] for a in page2.select(".result-title a")
    ]


@pytest.mark.parametrize("page", [4, 9999])
def test_a_page_past_the_last_says_which_pages_there_are(client: TestClient, page: int) -> None:
    # An old or edited link: the search has cases, only not on this page. It must not say
    # that nothing matches, nor send "previous" to another empty page.
    soup = soup_of(
        client, f"/search?sort=date&limit=3&page={page}", headers={"accept-language": "da"}
    )
    assert soup.select(".result") == []
    notice = soup.select_one(".notice.past-end")
    assert notice.get_text(" ", strip=True).startswith(
        f"Side {page} findes ikke: søgningen har 3 sider."
    )
    assert query_of(notice.a["href"]) == {"sort": ["date"], "limit": ["3"], "page": ["3"]}
    assert query_of(soup.select_one("nav.pager a[rel=prev]")["href"])["page"] == ["3"]
    assert "Ingen sager passer" not in soup.get_text()


def test_results_offer_compare_and_export_without_javascript(client: TestClient) -> None:
    soup = soup_of(client, "/search?q=housing&country=DK")
    form = soup.select_one("form.compare-form")
    assert form["action"] == "/compare" and form["method"] == "get"
    boxes = form.select("input[type=checkbox][name=id]")
    assert boxes and all(b.find_parent("label") for b in boxes)
    assert form.find("button", attrs={"type": "submit"})
    workbook, csv_link = (a["href"] for a in soup.select(".export a")[:2])
    assert workbook.startswith("/api/search.xlsx?") and csv_link.startswith("/api/search.csv?")
    for export in (workbook, csv_link):
        assert query_of(export) == {"q": ["housing"], "country": ["DK"]}


def test_an_empty_result_says_so(client: TestClient) -> None:
    soup = soup_of(client, "/search?country=SE&sector=Homelessness")
    assert soup.select(".result") == []
    assert soup.select_one(".notice").get_text(strip=True)
    # The chosen filters stay visible so they can be removed.
    assert len(soup.select(".active-filters a.chip")) == 2


def test_matches_come_first_and_weak_answers_are_set_apart(client: TestClient) -> None:
    """What the API says of each result (`match`) is what the page shows: the matches in
    one list, the closest weak answers after a heading of their own, and a notice when
    nothing matches well."""
    seen = set()
    for q in ["xyzzyqq", "homeless young people", "housing first", "employment", "unge"]:
        api = client.get("/api/search", params={"q": q}).json()
        flags = [r["match"] for r in api["results"]]
        assert flags == sorted(flags, reverse=True), (q, flags)  # matches first
        soup = soup_of(client, "/search", params={"q": q}, headers={"accept-language": "da"})
        strong = soup.select("ol.result-list:not(.weak) li.result")
        weak = soup.select("ol.result-list.weak li.result")
        assert (len(strong), len(weak)) == (sum(flags), len(flags) - sum(flags)), q
        heading = soup.select_one("h2.weak-head")
        notice = soup.select_one(".notice.no-match")
        if api["matched"] == 0:
            seen.add("none")
            assert notice is not None and heading is None
            assert "Ingen sager matcher din søgning godt" in notice.get_text()
            # The count (what a screen reader announces) says so too: "12 sager fundet"
            # alone read as twelve answers.
            count = soup.select_one("#count").get_text(" ", strip=True)
            assert count.endswith("· ingen matcher godt"), count
        elif weak:
            seen.add("mixed")
            assert notice is None and heading.get_text(strip=True).startswith("Svagere svar")
            # The count says how many of the cases found match well.
            count = soup.select_one("#count").get_text(" ", strip=True)
            assert f"{api['matched']} matcher godt" in count, count
            assert weak[0].find_previous("h2", class_="weak-head") is heading
            # Sorted by date the two kinds mix: each weak answer is marked where it falls.
            by_date = soup_of(
                client,
                "/search",
                params={"q": q, "sort": "date"},
                headers={"accept-language": "da"},
            )
            dated = client.get("/api/search", params={"q": q, "sort": "date"}).json()
            weak_dated = sum(not r["match"] for r in dated["results"])
            assert weak_dated and len(by_date.select("li.result .weak-mark")) == weak_dated
        else:
            seen.add("all")
            assert notice is None and heading is None
    assert {"none", "mixed"} <= seen, seen


def test_case_page_shows_the_facts(client: TestClient) -> None:
    soup = soup_of(client, "/cases/INDIGO-POJ-0901", headers={"accept-language": "en"})
    assert soup.h1.get_text(strip=True) == "Odense youth housing outcomes partnership"
    glance = {
        d.dt.get_text(strip=True): d.dd.get_text(" ", strip=True)
        for d in soup.select(".glance .facts > div")
    }
    assert glance["Country"] == "Denmark"
    assert glance["Policy area"] == "Homelessness"
    assert glance["Stage"] == "Running"
    assert glance["Provider model (who delivers)"].startswith("Non-profit")
    # Code and number apart; euro at the ERM II central rate (corpus/currency.py).
    assert glance["Investment"] == "DKK\u00a015,000,000 ($2,200,000; ≈ €2,010,000)"
    assert glance["Planned number of participants"] == "120"
    # Summary in the original language and in English.
    langs = [d["lang"] for d in soup.select(".summary")]
    assert langs == ["en", "da"]
    # Parties grouped by role, with their type, linked to organisation pages.
    roles = {r.h3.get_text(strip=True): r for r in soup.select(".role")}
    investors = roles["Investors (put up the money and carry the risk)"]
    assert [a.get_text(strip=True) for a in investors.select("a")] == [
        "Fonden for Socialt Ansvar",
        "Nordic Impact Bank A/S",
    ]
    assert "(foundation)" in investors.get_text()
    assert any(k.startswith("Outcome payers") for k in roles)
    # Why the models are what they are.
    basis = soup.select_one(".models-box").get_text(" ", strip=True)
    assert "set by the editors" in basis and "Fonden for Socialt Ansvar" in basis
    metric = soup.select_one(".metrics li")
    assert (
        metric.select_one(".definition").get_text(strip=True)
        == "Stays in own housing for 12 months"
    )
    assert "municipal housing register" in metric.get_text()
    assert "DKK\u00a090,000" in metric.get_text()
    assert soup.select_one("#results").find_next("table").find("td", string="VIVE")
    assert soup.find("a", href="https://example.org/odense")
    assert soup.find("time", attrs={"datetime": "2019-11"})


def test_a_case_text_in_another_language_says_so_beside_its_label(client: TestClient) -> None:
    """A Danish reader of an INDIGO case sees which texts are the source's English before
    reading them (the audit's item 16: only the mark-up's lang attribute said it)."""
    soup = soup_of(client, "/cases/INDIGO-POJ-0901", headers={"accept-language": "da"})
    about = soup.find("h2", id="about-int").find_parent("section")
    labels = {dt.contents[0].strip(): dt.select_one(".lang-note") for dt in about.select("dt")}
    english = [k for k, note in labels.items() if note is not None]
    assert english, labels
    for key in english:
        assert labels[key].get_text() == "(på engelsk, som kilden skrev det)"
        assert labels[key].find_parent("dt").find_next_sibling("dd")["lang"] == "en"
    # Texts in the reader's own language carry no note.
    danish = soup_of(client, "/cases/dk-tryg-familie", headers={"accept-language": "da"})
    assert danish.select(".lang-note") == []


def test_a_case_without_results_or_payments_says_so(client: TestClient) -> None:
    """A reader must tell "none recorded" from "not shown": the sections stay, each with
    its empty state (they were left out, as the audit of session 12 found)."""
    soup = soup_of(client, "/cases/dk-tryg-familie", headers={"accept-language": "da"})
    for section, said in (("results", "Ingen resultater er registreret endnu."),
                          ("payments", "Ingen udbetalinger er registreret endnu.")):  # fmt: skip
        heading = soup.find("h2", id=section)
        assert heading is not None, section
        assert heading.find_next("p").get_text(strip=True) == said
    full = soup_of(client, "/cases/INDIGO-POJ-0901", headers={"accept-language": "da"})
    assert "Ingen resultater" not in full.get_text()


def test_case_page_cites_and_credits_indigo(client: TestClient) -> None:
    soup = soup_of(client, "/cases/indigo-poj-0901", headers={"accept-language": "en"})
    cite = soup.select_one(".cite").get_text(" ", strip=True)
    assert "Odense youth housing outcomes partnership" in cite
    assert "/cases/indigo-poj-0901" in cite
    assert "GO Lab INDIGO" in cite and "INDIGO-POJ-0901" in cite
    curated = soup_of(client, "/cases/dk-herning-job", headers={"accept-language": "en"})
    assert "INDIGO" not in curated.select_one(".cite").get_text()
    # A long text is there, folded away, in its language.
    long = curated.select_one("details.full-text")
    assert long["lang"] == "da" and "Danish" in long.summary.get_text()
    assert "Anden del" in long.get_text()


def test_case_page_offers_similar_cases_to_compare(client: TestClient) -> None:
    soup = soup_of(client, "/cases/indigo-poj-0901")
    form = soup.select_one("#similar").find_next("form")
    assert form["action"] == "/compare"
    assert form.find("input", attrs={"type": "hidden", "name": "id"})["value"] == "indigo-poj-0901"
    picks = [i["value"] for i in form.select("input[type=checkbox][name=id]")]
    assert len(picks) == 5 and "indigo-poj-0901" not in picks


def test_similar_cases_can_be_narrowed_to_a_country(client: TestClient) -> None:
    soup = soup_of(client, "/cases/indigo-poj-0902", headers={"accept-language": "en"})
    links = {a.get_text(strip=True): a["href"] for a in soup.select("#similar + p a")}
    assert set(links) == {"Denmark", "United Kingdom"}
    assert soup.select_one("#similar + p strong").get_text(strip=True) == "anywhere"
    danish = soup_of(client, links["Denmark"], headers={"accept-language": "en"})
    form = danish.select_one("#similar").find_next("form")
    picks = [i["value"] for i in form.select("input[type=checkbox][name=id]")]
    assert picks and set(picks) <= {"indigo-poj-0901", "dk-herning-job", "dk-tryg-familie"}
    assert client.get("/cases/indigo-poj-0902?similar_in=XX").status_code == 400


def test_compare_puts_cases_side_by_side(client: TestClient) -> None:
    soup = soup_of(
        client,
        "/compare?id=INDIGO-POJ-0901&id=dk-herning-job&id=indigo-poj-0902",
        headers={"accept-language": "en"},
    )
    heads = [th.get_text(strip=True) for th in soup.select("thead th")]
    assert heads == [
        "Odense youth housing outcomes partnership",
        "Job til flygtninge i Herning",
        "Manchester rough sleeping impact bond",
    ]
    rows = {tr.th.get_text(strip=True): tr.find_all("td") for tr in soup.select("tbody tr")}
    for label in ("Country", "Problem", "Target group", "Intervention", "Investors",
                  "Outcome payers", "Money", "Duration", "Results"):  # fmt: skip
        assert len(rows[label]) == 3
    assert [td.get_text(strip=True) for td in rows["Country"]] == [
        "Denmark", "Denmark", "United Kingdom",
    ]  # fmt: skip
    assert rows["Provider model (who delivers)"][1].get_text(strip=True).startswith("Public")
    assert rows["Duration"][1].get_text(strip=True) == "2018–2021"
    assert "Bridges Social Impact Fund" in rows["Investors"][2].get_text()
    # The planned number of participants is no result: it has a row of its own.
    participants = rows["Participants"][0].get_text(" ", strip=True)
    assert "Planned number of participants: 120" in participants
    assert "Actual number of participants: 87" in participants
    assert "Planned" not in rows["Results"][0].get_text()


def test_the_cases_address_without_an_id_lists_every_case(client: TestClient) -> None:
    r = client.get("/cases?country=DK", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/search?country=DK"
    assert client.get("/cases").url.path == "/search"


def test_compare_accepts_at_most_four(client: TestClient) -> None:
    ids = "&".join(f"id={x}" for x in ["indigo-poj-0901", "indigo-poj-0902", "indigo-poj-0903",
                                         "dk-herning-job", "se-dementia"])  # fmt: skip
    assert client.get(f"/compare?{ids}").status_code == 400
    one = client.get("/compare?id=indigo-poj-0901", headers={"accept-language": "da"})
    assert one.status_code == 400
    page = BeautifulSoup(one.text, "html.parser")
    assert page.select_one(".lead").get_text().startswith("Vælg 2 til 4 sager")
    # The server's English message is one click away, marked as English.
    details = page.select_one("details.details")
    assert details.summary.get_text(strip=True) == "Tekniske detaljer (på engelsk)"
    assert details.select_one("p[lang=en]").get_text().startswith("choose 2 to 4 cases")
    # An error with no words of its own for the reader shows the message, marked English
    # (a bare status phrase is not shown: test_errors.py).
    missing = BeautifulSoup(client.get("/lang/de").text, "html.parser")
    assert missing.select_one("p.details span[lang=en]").get_text(strip=True)


def test_organisation_page_lists_cases_and_roles(client: TestClient) -> None:
    case = soup_of(client, "/cases/dk-herning-job", headers={"accept-language": "en"})
    link = case.find("a", string="Herning Kommune")["href"]
    soup = soup_of(client, link, headers={"accept-language": "en"})
    assert soup.h1.get_text(strip=True) == "Herning Kommune"
    rows = soup.select("tbody tr")
    assert len(rows) == 1
    assert rows[0].a["href"] == "/cases/dk-herning-job"
    cells = [td.get_text(strip=True) for td in rows[0].find_all("td")]
    assert cells[1:] == ["outcome payer, service provider", "Denmark", "2018–2021", "Completed"]


def test_an_organisation_page_marks_unknown_years(client: TestClient) -> None:
    """A case whose years are not known shows a dash, as the compare page does (the cell
    was empty: the audit's item 19)."""
    case = soup_of(client, "/cases/indigo-pln-0901", headers={"accept-language": "da"})
    soup = soup_of(client, case.find("a", string="Familiefonden")["href"])
    cell = soup.select("tbody tr")[0].find_all("td")[3]
    assert cell.get_text(strip=True) == "—"
    assert cell.span["title"] == "år ikke oplyst"


def test_about_credits_sources_with_last_update(client: TestClient) -> None:
    soup = soup_of(client, "/about", headers={"accept-language": "en"})
    rows = {tr.strong.get_text(strip=True): tr for tr in soup.select("tbody tr")}
    indigo = rows["GO Lab INDIGO"]
    assert "Government Outcomes Lab" in indigo.get_text()
    assert indigo.time["datetime"] == "2026-01-02T03:04:05+00:00"
    assert rows["Curated cases"].time["datetime"] == "2026-01-03T10:00:00+00:00"
    terms = [dt.get_text(strip=True) for dt in soup.select("dl.prose dt")]
    assert "Provider model (who delivers)" in terms and "Investor model (who invests)" in terms


def test_language_follows_accept_language_then_the_cookie(client: TestClient) -> None:
    da = soup_of(client, "/about", headers={"accept-language": "da-DK,da;q=0.9,en;q=0.5"})
    assert da.html["lang"] == "da"
    assert da.h1.get_text(strip=True) == "Om siden og data"
    en = soup_of(client, "/about", headers={"accept-language": "en-GB,en;q=0.9"})
    assert en.html["lang"] == "en"
    switch = en.select_one("nav.lang a[hreflang=da]")["href"]
    assert query_of(switch) == {"next": ["/about"]}
    r = client.get(switch, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/about"
    assert "lang=da" in r.headers["set-cookie"]
    # The cookie now wins over the browser's English.
    again = soup_of(client, "/about", headers={"accept-language": "en"})
    assert again.html["lang"] == "da"


def test_language_switch_keeps_the_search(client: TestClient) -> None:
    soup = soup_of(client, "/search?q=job&country=DK", headers={"accept-language": "da"})
    switch = soup.select_one("nav.lang a[hreflang=en]")["href"]
    back = query_of(switch)["next"][0]
    assert query_of(back) == {"q": ["job"], "country": ["DK"]}
    r = client.get(switch)
    assert r.status_code == 200 and r.url.path == "/search"
    assert BeautifulSoup(r.text, "html.parser").html["lang"] == "en"


def test_every_label_exists_in_both_languages() -> None:
    from web.i18n import labels

    assert set(labels("da")) == set(labels("en"))
    assert all(labels("da").values()) and all(labels("en").values())


def test_pages_are_accessible_in_structure(client: TestClient) -> None:
    for path in ("/", "/search?q=housing", "/cases/indigo-poj-0901", "/about",
                 "/compare?id=indigo-poj-0901&id=indigo-poj-0902"):  # fmt: skip
        soup = soup_of(client, path)
        assert len(soup.find_all("h1")) == 1, path
        assert soup.find("main", id="main") and soup.select_one("a.skip[href='#main']")
        assert soup.find("meta", attrs={"name": "viewport"})
        for field in soup.select("input:not([type=hidden])"):
            labelled = field.find_parent("label") or soup.find(
                "label", attrs={"for": field.get("id")}
            )
            assert labelled, (path, field)
        for img in soup.find_all("img"):
            assert img.has_attr("alt")


# -- Danish first, one record per fact, the small breaks (issue 11) -------------------------


@pytest.fixture(scope="module")
def nordic(tmp_path_factory: pytest.TempPathFactory, site_over) -> Iterator[TestClient]:
    """A store with a curated Danish case and its INDIGO copy (no index: pages need none)."""
    curated = Case(
        id="dk-roskilde-youth",
        external_ids={"indigo": "INDIGO-POJ-0950"},
        title="Preventive Housing First for young people",
        title_i18n={"da": "Forebyggende Housing First for unge", "en": "Preventive Housing First"},
        summary={"da": "Unge får egen bolig før de bliver hjemløse.", "en": "Young people get..."},
        countries=["DK"],
        places=[Place(name="Roskilde", country="DK", lat=55.64, lng=12.08)],
        sector="Homelessness",
        instrument="outcomes_contract",
        outcome_funds=[FundRef(id="INDIGO-FUND-0099", name="Nordic Test Fund")],
        intervention="A flat and a support worker.",
        intervention_i18n={"da": "En bolig og en bostøttemedarbejder."},
        investment=Money(currency="DKK", amount=3_200_000),
        unverified_fields=["investment"],
        parties=[
            Party(
                name="Roskilde Kommune",
                role="outcome_payer",
                org_type="government",
                role_detail="Pays for outcomes",
                role_detail_i18n={"da": "Betaler for resultater"},
            ),
            Party(name="Private investor", undisclosed=True, role="investor"),
        ],
        outcome_metrics=[
            OutcomeMetric(
                definition="Young person keeps their own home for 12 months",
                definition_i18n={"da": "Den unge bliver boende i egen bolig i 12 måneder"},
                source_refs=["dsi"],
            )
        ],
        sources=[Link(id="dsi", url="https://www.example.dk/roskilde/", title="DSI page")],
    )
    indigo = Case(
        id="indigo-poj-0950",
        external_ids={"indigo": "INDIGO-POJ-0950"},
        title="Preventive Housing First for young people on the edge of homelessness",
        countries=["DK"],
        places=[Place(name="Roskilde Municipality", country="DK")],
        sector="Homelessness",
        outcome_metrics=[
            OutcomeMetric(
                definition="Young person keeps their own home for 12 months.",
                target="Young person keeps their own home for 12 months.",
            ),
            OutcomeMetric(definition="Young person keeps their own home for 24 months"),
        ],
        sources=[Link(url="http://example.dk/roskilde", title="DSI")],
        provenance=[Provenance(source="indigo", record_id="INDIGO-POJ-0950")],
    )
    records = [(curated, "corpus"), (indigo, "indigo")]
    with site_over(tmp_path_factory.mktemp("nordic") / "data", records) as c:
        yield c


def test_a_fund_facet_and_its_filter_chip_show_the_fund_name(nordic: TestClient) -> None:
    soup = soup_of(nordic, "/search", params={"fund": "INDIGO-FUND-0099"})
    facet = soup.select_one("#facet-fund").find_parent("section")
    assert "Nordic Test Fund" in facet.get_text() and "INDIGO-FUND-0099" not in facet.get_text()
    chip = soup.select_one(".active-filters a.chip").get_text(" ", strip=True)
    assert "Nordic Test Fund" in chip


def test_danish_case_page_is_in_danish_with_other_languages_marked(nordic: TestClient) -> None:
    soup = soup_of(nordic, "/cases/INDIGO-POJ-0950", headers={"accept-language": "da"})
    assert soup.h1.get_text(strip=True) == "Forebyggende Housing First for unge"
    assert soup.h1.get("lang") is None  # Danish on a Danish page
    assert soup.select_one(".alt span[lang='en']")  # the English name, marked as English
    assert soup.select(".summary")[0]["lang"] == "da"
    about = {
        dt.get_text(strip=True): dt.find_next("dd") for dt in soup.select("#about-int ~ dl dt")
    }
    assert about["Indsats"].get_text(strip=True) == "En bolig og en bostøttemedarbejder."
    assert about["Problem"].get_text(strip=True) == "ikke oplyst"
    role = soup.select_one(".role small")
    assert role.get_text(strip=True) == "Betaler for resultater" and role.get("lang") is None
    assert (
        soup.select_one(".undisclosed").get_text(strip=True) == "ikke offentliggjort organisation"
    )
    assert "Private investor" not in soup.get_text()
    glance = {d.dt.get_text(strip=True): d.dd for d in soup.select(".glance .facts > div")}
    assert glance["Instrument"].get_text(strip=True) == "Resultatkontrakt uden ekstern investor"
    assert glance["Resultatfond"].a["href"] == "/search?fund=INDIGO-FUND-0099"
    assert "ikke verificeret" in glance["Investering"].get_text()
    assert glance["Højeste mulige resultatbetaling"].get_text(strip=True) == "ikke oplyst"


def test_a_fact_from_two_sources_is_shown_once(nordic: TestClient) -> None:
    soup = soup_of(nordic, "/cases/indigo-poj-0950", headers={"accept-language": "da"})
    definitions = [p.get_text(" ", strip=True) for p in soup.select(".metrics .definition")]
    # The curated list is the record: INDIGO's copy of its metric merged in, INDIGO's
    # other metric left in the INDIGO record.
    assert definitions == ["Den unge bliver boende i egen bolig i 12 måneder"]
    assert soup.select_one(".metrics a[href='https://www.example.dk/roskilde/']").get_text() == (
        "DSI page"
    )
    assert "Mål" not in soup.select(".metrics li")[0].get_text()  # target repeated the definition
    assert [li.get_text(strip=True) for li in soup.select(".places li")] == ["Roskilde, Danmark"]
    assert len(soup.select(".links a[href*='example.dk/roskilde']")) == 1
    english = soup_of(nordic, "/cases/indigo-poj-0950", headers={"accept-language": "en"})
    assert english.h1.get_text(strip=True) == "Preventive Housing First"
    assert "DKK\u00a03,200,000" in english.select_one(".glance").get_text()


def test_browsing_shows_the_danish_summary_and_title(nordic: TestClient) -> None:
    soup = soup_of(nordic, "/search", headers={"accept-language": "da"})
    result = soup.select_one(".result")
    assert result.select_one(".result-title").get_text(strip=True) == (
        "Forebyggende Housing First for unge"
    )
    assert "Unge får egen bolig" in result.select_one(".snippet").get_text()


def test_compare_with_one_or_five_ticks_keeps_the_selection(client: TestClient) -> None:
    soup = soup_of(client, "/search?q=housing", headers={"accept-language": "da"})
    back = soup.select_one(".compare-form input[name=back]")["value"]
    assert back.startswith("/search?q=housing")
    for ids in (
        ["indigo-poj-0901"],
        [
            "indigo-poj-0901",
            "indigo-poj-0902",
            "indigo-poj-0903",
            "dk-herning-job",
            "dk-tryg-familie",
        ],
    ):
        params = [("back", back), *[("id", x) for x in ids]]
        page = soup_of(client, "/compare", params=params, headers={"accept-language": "da"})
        message = page.select_one(".compare-error").get_text(strip=True)
        assert (
            message.startswith("Vælg 2 til 4 sager at sammenligne")
            and f"du valgte {len(ids)}" in message
        )
        assert page.select_one("#q")["value"] == "housing"
        checked = {i["value"] for i in page.select(".pick input[checked]")}
        shown = {i["value"] for i in page.select(".pick input")}
        assert checked == set(ids) & shown and checked


def test_counts_explain_hidden_pipeline_and_read_well(client: TestClient) -> None:
    home = soup_of(client, "/", headers={"accept-language": "da"})
    note = home.select_one(".pipeline-note")
    assert note.get_text(" ", strip=True).startswith("1 projekt under forberedelse er skjult")
    assert note.a["href"] == "/search?stage=pipeline"
    results = soup_of(client, "/search?limit=2", headers={"accept-language": "da"})
    assert (
        results.select_one("#count")
        .get_text(" ", strip=True)
        .startswith("7 sager fundet · Viser 1–2")
    )
    stage = results.select_one(".facet a[href$='stage=pipeline']")
    assert stage.select_one(".n").get_text(strip=True) == "1"


def test_snippets_mark_the_query_words_and_escape_the_rest(
    client: TestClient, script_text: str
) -> None:
    soup = soup_of(client, "/search?q=Recidivism", headers={"accept-language": "en"})
    snippet = next(s for s in soup.select(".snippet") if s.mark)
    assert snippet.mark.get_text() == "Recidivism"
    assert not soup.select(".snippet script")
    raw = client.get("/search?q=Recidivism").text
    assert script_text not in raw


def test_snippets_mark_what_the_service_marked_never_function_words(client: TestClient) -> None:
    """The page marks the service's highlight spans (the query's words and their glossary
    translations: a Danish query marks English words), not the raw query words."""
    q = "hjemløse unge for en bolig"
    api = client.get("/api/search", params={"q": q}).json()["results"]
    soup = soup_of(client, "/search", params={"q": q}, headers={"accept-language": "en"})
    marked_any = False
    for hit, item in zip(api, soup.select("li.result"), strict=True):
        shown = item.select_one(".snippet")
        if hit["snippet"] is None or shown is None or not hit["snippet"]["highlights"]:
            continue
        text = hit["snippet"]["text"]
        want = [text[a:b] for a, b in hit["snippet"]["highlights"]]
        assert [m.get_text() for m in shown.select("mark")] == want
        marked_any = True
    assert marked_any
    words = {m.get_text().casefold() for m in soup.select(".snippet mark")}
    assert words and not words & {"for", "en"}
    assert words - {"hjemløse", "unge", "bolig"}  # English words found through the glossary


def test_compare_from_a_case_page_with_nothing_ticked_explains_there(client: TestClient) -> None:
    soup = soup_of(client, "/cases/indigo-poj-0901", headers={"accept-language": "da"})
    form = soup.select_one("#similar ~ form.compare-form, form#compare")
    params = [(i["name"], i["value"]) for i in form.select("input[type=hidden]")]
    page = client.get("/compare", params=params, headers={"accept-language": "da"})
    assert page.status_code == 200 and page.url.path == "/cases/indigo-poj-0901"
    back = BeautifulSoup(page.text, "html.parser")
    assert "Vælg 2 til 4 sager" in back.select_one(".compare-error").get_text()
    titles = [a.get_text(strip=True) for a in back.select("#compare .result a")]
    assert titles and "Bolig først for unge i Odense" not in titles  # the case itself


def test_two_spellings_of_a_policy_area_are_one_facet() -> None:
    from web.i18n import Translator
    from web.pages import facet_groups
    from web.params import SearchQuery

    facets = {
        "sector": [
            {"value": "Agriculture", "count": 9},
            {"value": "Agriculture and environment", "count": 11},
        ]
    }
    groups = facet_groups(SearchQuery(), facets, Translator("da"), pipeline=3)
    sector = next(g for g in groups if g["key"] == "sector")
    assert [(i["label"], i["count"]) for i in sector["items"]] == [("Landbrug og miljø", 20)]
    assert query_of(sector["items"][0]["url"])["sector"] == [
        "Agriculture",
        "Agriculture and environment",
    ]
    on = facet_groups(
        SearchQuery(sector=["Agriculture", "Agriculture and environment"]),
        facets,
        Translator("da"),
    )
    item = next(g for g in on if g["key"] == "sector")["items"][0]
    assert item["active"] and "sector" not in query_of(item["url"])  # one click removes both
    stage = next(g for g in groups if g["key"] == "stage")
    assert [(i["value"], i["count"]) for i in stage["items"]] == [("pipeline", 3)]


def test_case_and_about_pages_name_sources_in_danish(client: TestClient) -> None:
    """The chrome around a case's facts is Danish: the ids say whose ids they are (was the
    store's key, "indigo"), the euro note names its source in Danish with a Danish decimal
    comma (was the English "ERM II central rate (746.038 kroner ...)"), and the about
    page's link to the API says what it opens (was the bare path "/docs")."""
    da = {"accept-language": "da"}
    soup = soup_of(client, "/cases/indigo-poj-0901", headers=da)
    ids = [li.get_text(" ", strip=True) for li in soup.select(".ids li")]
    assert "GO Lab INDIGO: INDIGO-POJ-0901" in ids
    source = soup.select_one(".glance .note a")
    assert source.get_text(strip=True).startswith(
        "Danmarks Nationalbank: centralkursen i ERM II (746,038 kr. pr. 100 euro"
    )
    assert not source.has_attr("lang") and source["hreflang"] == "en"
    about = soup_of(client, "/about", headers=da)
    assert about.select_one("main a[href='/docs']").get_text(strip=True) == (
        "API-dokumentationen (på engelsk)"
    )
    en = soup_of(client, "/cases/indigo-poj-0901", headers={"accept-language": "en"})
    assert en.select_one(".glance .note a").get_text(strip=True) == (
        "Danmarks Nationalbank: ERM II central rate (746.038 kroner per 100 euro)"
    )
