"""Norrköping watched from pages served on 127.0.0.1: the fund page and the pages of the
investments it links; an edit to the fund page is marked, the menu is not followed.

Evidence for the test page (our own words): stored copies of
https://norrkoping.se/organisation/ekonomi/social-investeringsfond (search corpus
"pages") show the current page: the title "Norrköpings sociala investeringsfond", a lead
about the fund, earlier granted social investments and Sweden's first social outcomes
contract, a section "Om sociala investeringsfonden" (seven social investment projects and
one social outcomes contract) and an application link; an older copy is the step guide
("Översikt - Steg 1 av 6") this watcher no longer relies on.
"""

from __future__ import annotations

from ingest.sources import norrkoping

FUND = "/organisation/ekonomi/social-investeringsfond"
EARLY = FUND + "/tidiga-insatser-i-forskolan"
YOUTH = FUND + "/unga-till-arbete"


def serve(national, page: str = "social-investeringsfond.html") -> None:
    national.serve("norrkoping", {FUND: page, EARLY: "investering.html", YOUTH: "investering.html"})


def run(national):
    return national.run(norrkoping, base_url=national.server.base_url)


def marks(national) -> dict[str, str]:
    base = national.server.base_url
    return {i["url"].removeprefix(base): i["review"] for i in national.store.review_items()}


def test_the_fund_page_and_its_investments_are_watched(national):
    national.with_curated()
    serve(national)
    before = national.store.case_hashes()
    report = run(national)
    assert report.status == "ok" and report.counts["new"] == 3
    # The fund page is the index: watched, not "new"; its investments are new to review.
    assert marks(national) == {EARLY: "new", YOUTH: "new"}
    assert national.server.hits(FUND + "/ansok") == 0  # a menu link, not content
    assert national.store.case_hashes() == before


def test_an_edit_to_the_fund_page_is_marked_changed(national):
    serve(national)
    run(national)
    serve(national, "social-investeringsfond-andrad.html")
    report = run(national)
    assert (report.counts["changed"], report.counts["unchanged"]) == (1, 2)
    assert marks(national)[FUND] == "changed"
