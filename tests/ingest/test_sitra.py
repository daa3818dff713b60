"""Sitra watched from pages served on 127.0.0.1: the SIB fund list and the articles it
links, a fund added to the list, an article that fails, cited English pages.

Evidence for the test pages (our own words; labels from the real site): the real list
page `/hankkeet/sib-rahastot/` has the title in `h1`, a lead and sections `Mistä on
kyse?` and `Missä mennään?`, the latter a bullet list of the themed funds linking to
articles under `/artikkelit/` (the parser this watcher replaces was checked against it,
issue 9: "its list matches what the parser expects"). The curated files cite Sitra's
English pages (`/en/cases/children-sib/`, `/en/news/...`), which are watched as cited.
"""

from __future__ import annotations

from ingest.sources import sitra
from ingest.watch import _citations, curated_links

LIST = "/hankkeet/sib-rahastot/"
KOTO = "/artikkelit/koto-sib-kotoutuminen/"
TYHY = "/artikkelit/tyohyvinvointi-sib/"
LAPSET = "/artikkelit/lasten-ja-perheiden-sib/"


def serve(national, listing: str = "sib-rahastot.html") -> dict[str, str]:
    national.with_curated()
    cited = _citations(["www.sitra.fi"], curated_links(national.store))[1]
    national.serve("sitra", {p: "en-case.html" for p in cited.values()})
    national.serve("sitra", {LIST: listing, KOTO: "koto-sib.html", LAPSET: "lapset-sib.html"})
    return cited


def run(national):
    return national.run(sitra, base_url=national.server.base_url, curated_as_of="2026-11-29")


def marks(national) -> dict[str, str]:
    base = national.server.base_url
    return {i["url"].removeprefix(base): i["review"] for i in national.store.review_items()}


def test_the_list_its_articles_and_the_cited_pages_are_watched(national):
    cited = serve(national)
    report = run(national)
    assert report.status == "partial"  # one linked article answers 404
    assert report.rejects == [
        {"where": national.server.base_url + TYHY, "reason": "HTTP 404 Not Found"}
    ]
    assert report.counts["new"] == 2 + len(cited)  # the list, Koto-SIB, the cited pages
    assert marks(national) == {KOTO: "new"}  # no curated file cites the Finnish article
    cases = {
        u.removeprefix(national.server.base_url): p["cases"]
        for u, p in national.store.watched_pages("sitra").items()
    }
    assert cases["/en/cases/children-sib/"] == ["fi-lapset-sib-childrens-welfare"]


def test_a_fund_added_to_the_list_shows_the_list_changed_and_the_article_new(national):
    serve(national)
    run(national)
    serve(national, "sib-rahastot-uusi.html")
    report = run(national)
    assert report.counts["changed"] == 1 and report.counts["new"] == 1
    assert marks(national) == {KOTO: "new", LIST: "changed", LAPSET: "new"}
