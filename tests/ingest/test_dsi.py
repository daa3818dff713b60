"""DSI watched from pages served on 127.0.0.1: the WordPress REST listing first, the
overview's links, changed and new pages marked for review, curated cases untouched.

Evidence for the test pages (written in our own words, labels only from the real site):
- dsi.dk is WordPress: the stored copy of
  https://dsi.dk/ny-national-handlingsplan-peger-paa-dsi-som-samarbejdspartner-i-indsatsen-mod-skolefravaer/
  (search corpus "pages") shows the theme's menu ("Om DSI's arbejde", "Vores
  investeringer" under "Investeringsmuligheder", "Seneste nyt") and a "Publiceret" date;
  WordPress's REST API lists pages at `/wp-json/wp/v2/pages` with `link`, `modified`,
  `title.rendered` and `content.rendered`, 100 a request with `per_page`/`page`.
- Current investment pages live at `/dsi/vores-investeringer/<slug>/` (the curated files
  in corpus/cases cite four of them) and show Formål / Udfordring / Resultatmål / Indsats
  as tab buttons followed by one panel each (issue 9's check of copies of the real pages);
  no stored copy of an investment page was found, so the tab markup here is the common
  WAI-ARIA pattern (`role="tab"` buttons, `role="tabpanel"` panels).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.errors import InvalidInput
from corpus.model import Case
from ingest.runner import run_source
from ingest.sources import dsi
from ingest.watch import _citations, curated_links, mark_reviewed

PAGES = Path(__file__).parent / "pages" / "dsi"
INV = "/dsi/vores-investeringer/"
VIOLENCE = INV + "behandling-af-voldsramte-familier/"
YOUTH = INV + "investering-i-forebyggelse-af-ungdomshjemloshed/"
SCHOOL = INV + "tidlig-indsats-mod-skolefravaer/"
HOMELESS = INV + "investering-i-bekaempelse-af-hjemloeshed/"
AS_OF = "2026-11-29"


def cited(national) -> dict[str, str]:
    """Every dsi.dk page the curated records cite (investment pages and news articles)."""
    if not national.store.record_ids("corpus"):
        national.with_curated()
    return _citations(["dsi.dk"], curated_links(national.store))[1]


def serve(national, listing: str = "wp-pages.json") -> None:
    national.server.route(
        "/wp-json/wp/v2/pages",
        (PAGES / listing).read_bytes(),
        content_type="application/json; charset=UTF-8",
    )
    # The news articles and older pages the curated files cite answer with an article.
    national.serve("dsi", {p: "nyhed.html" for p in cited(national).values()})
    national.serve(
        "dsi", {INV: "vores-investeringer.html", HOMELESS: "bekaempelse-af-hjemloeshed.html"}
    )


def run(national):
    return national.run(dsi, base_url=national.server.base_url, curated_as_of=AS_OF)


def marks(national) -> dict[str, tuple[str, list[str]]]:
    base = national.server.base_url
    return {
        i["url"].removeprefix(base): (i["review"], i["cases"])
        for i in national.store.review_items()
    }


def test_changed_and_new_pages_are_marked_and_no_curated_field_is_touched(national):
    national.with_curated()
    before = national.store.case_hashes()
    serve(national)
    report = run(national)
    assert report.status == "ok", report.as_dict()
    # three listed by WordPress, the overview, the one it links that WordPress did not
    # list, and the other cited pages
    assert report.counts["new"] == 5 + len(cited(national)) - 3
    assert marks(national) == {
        # modified on 1 December, after the curated records were checked on 29 November
        YOUTH: (
            "changed",
            [
                "dk-aarhus-housing-first-less-vulnerable-youth",
                "dk-aarhus-housing-first-most-vulnerable-youth",
            ],
        ),
        SCHOOL: ("new", []),  # listed, cited by no curated case
    }
    # The WordPress listing was read once; the overview's extra link was fetched as a page;
    # pages WordPress already gave were not fetched again, the page outside the path ignored.
    assert national.server.hits("/wp-json/wp/v2/pages") == 1
    assert national.server.hits(HOMELESS) == 1
    assert national.server.hits(VIOLENCE) == national.server.hits("/om-dsi/") == 0
    assert national.store.case_hashes() == before  # watching writes no case
    assert national.store.source_status()["dsi"]["status"] == "ok"


def test_a_second_run_marks_an_edited_page_and_done_clears_it(national):
    serve(national)
    run(national)
    again = run(national)
    unchanged = 5 + len(cited(national)) - 3
    assert (again.counts["new"], again.counts["changed"], again.counts["unchanged"]) == (
        0,
        0,
        unchanged,
    )
    serve(national, "wp-pages-edited.json")  # one sentence added to a cited page
    edited = run(national)
    assert edited.counts["changed"] == 1
    review = marks(national)
    assert review[VIOLENCE] == ("changed", ["dk-aarhus-domestic-violence-treatment"])
    url = national.server.base_url + VIOLENCE
    reason = {i["url"]: i["review_reason"] for i in national.store.review_items()}[url]
    assert reason.startswith("text changed since ")
    assert mark_reviewed(national.store, urls=[url]) == 1
    assert VIOLENCE not in marks(national)
    run(national)  # the accepted text is the new baseline: not marked again
    assert VIOLENCE not in marks(national)


def test_without_the_rest_api_the_overview_links_are_watched(national):
    national.serve("dsi", {p: "nyhed.html" for p in cited(national).values()})
    national.serve(
        "dsi",
        {
            INV: "vores-investeringer.html",
            VIOLENCE: "voldsramte-familier.html",
            HOMELESS: "bekaempelse-af-hjemloeshed.html",
        },
    )  # /wp-json answers 404; the new page (SCHOOL) is missing too
    national.server.route(SCHOOL, "gone", status=404)
    report = run(national)
    assert report.status == "partial"
    reasons = [r["reason"] for r in report.rejects]
    assert any(r.startswith("WordPress listing: HTTP 404") for r in reasons)
    assert sum("HTTP 404" in r for r in reasons) == 2  # the listing and the new page
    pages = national.store.watched_pages("dsi")
    base = national.server.base_url
    assert {INV, VIOLENCE, YOUTH, HOMELESS} <= {u.removeprefix(base) for u in pages}
    assert base + SCHOOL not in pages
    assert pages[base + VIOLENCE]["via"] == "index"
    # the menu and footer links below the same path were not followed
    assert national.server.hits(INV + "cookiepolitik/") == 0


def test_a_cited_page_that_disappears_is_marked_unreachable(national):
    serve(national)
    run(national)
    national.server.route(HOMELESS, "gone", status=404)
    report = run(national)
    assert report.status == "partial"
    assert marks(national)[HOMELESS] == ("unreachable", ["dk-ikast-brande-housing-first"])
    reason = {i["url"]: i["review_reason"] for i in national.store.review_items()}
    assert reason[national.server.base_url + HOMELESS] == "could not be fetched: HTTP 404 Not Found"


def test_a_site_that_is_down_fails_and_keeps_its_last_success(national):
    serve(national)
    assert run(national).status == "ok"
    success = national.store.source_status()["dsi"]["last_success"]
    for path in ("/wp-json/wp/v2/pages", INV, *cited(national).values()):
        national.server.route(path, "busy", status=503)
    down = run(national)
    assert down.status == "failed"
    assert down.message.startswith("no page of dsi could be fetched")
    status = national.store.source_status()["dsi"]
    assert status["status"] == "failed" and status["last_success"] == success
    # the pages kept their last good state (the failed run was rolled back)
    assert all(p["status"] == "ok" for p in national.store.watched_pages("dsi").values())


def test_an_option_the_watcher_does_not_read_is_refused(national):
    """An option of the old scraper (`reports`) or a typo is refused with its name (the job
    reports the source as failed with this message)."""
    ctx = national.context(dsi, base_url=national.server.base_url, reports=["/r.html"])
    with pytest.raises(InvalidInput, match=r"source 'dsi': unknown option\(s\) 'reports'"):
        dsi.items(ctx)


def test_case_records_of_the_old_scraper_are_dropped_once_curated_cases_stay(national):
    national.with_curated()
    run_source(national.store, "dsi", [Case(id="dsi-old", title="Scraped", countries=["DK"])])
    curated = national.store.get_case("dk-ikast-brande-housing-first")
    serve(national)
    report = run(national)
    assert national.store.record_ids("dsi") == set()
    assert any("removed 1 case record(s)" in n["reason"] for n in report.notes)
    assert national.store.get_case("dk-ikast-brande-housing-first") == curated
    assert run(national).notes == []  # once
