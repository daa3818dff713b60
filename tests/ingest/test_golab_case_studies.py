"""GO Lab case studies: pages linked from INDIGO projects, served from 127.0.0.1, attached
as full text to the linking cases; faults keep what was stored, gone pages remove it."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Case, Link
from ingest.runner import run_source
from ingest.sources import golab_case_studies as golab

PAGES = Path(__file__).parent / "pages" / "golab"
GOLAB = "https://golab.bsg.ox.ac.uk"
HARBOUR = "/knowledge-bank/case-studies/harbour-steps/"
QUAYSIDE = "/knowledge-bank/case-studies/quayside-minds/"


def _indigo(indigo_id: str, title: str, *urls: str) -> Case:
    return Case(
        id=indigo_id.lower(),
        external_ids={"indigo": indigo_id},
        title=title,
        countries=["GB"],
        stage="implementation",
        documents=[Link(url=u, title="GO Lab case study") for u in urls],
    )


PROJECTS = [
    # Two projects of one programme share a case study (one link carries a fragment).
    _indigo("INDIGO-POJ-9201", "Harbour Steps (Harbourtown)", GOLAB + HARBOUR + "#intro"),
    _indigo("INDIGO-POJ-9202", "Harbour Steps (Northport)", GOLAB + HARBOUR),
    _indigo("INDIGO-POJ-9203", "Quayside Minds", GOLAB + QUAYSIDE.rstrip("/")),
    # Links that are not case studies are left alone.
    _indigo(
        "INDIGO-POJ-9204",
        "Report only",
        GOLAB + "/knowledge-bank/resources/some-evaluation/",
        GOLAB + "/documents/final-report.pdf",
        "https://example.org/knowledge-bank/case-studies/elsewhere/",
    ),
]


@pytest.fixture
def site(national):
    run_source(national.store, "indigo", PROJECTS, complete=True)
    national.serve("golab", {HARBOUR: "harbour-steps.html", QUAYSIDE: "broken-markup.html"})
    return national


def run(site):
    return site.run(golab, base_url=site.server.base_url)


def test_links_are_found_per_case_study_page(site):
    assert golab.linked_case_studies(site.store) == {
        HARBOUR: ["INDIGO-POJ-9201", "INDIGO-POJ-9202"],
        QUAYSIDE: ["INDIGO-POJ-9203"],
    }
    assert golab.case_study_path(GOLAB + "/knowledge-bank/case-studies/mhep") == (
        "/knowledge-bank/case-studies/mhep/"
    )
    assert golab.case_study_path("https://golab.bsg.ox.ac.uk/community/blogs/x/") is None


def test_full_text_is_attached_to_every_linking_case(site):
    report = run(site)
    assert report.status == "ok" and report.counts["new"] == 3
    for indigo_id, title in (
        ("INDIGO-POJ-9201", "Harbour Steps (Harbourtown)"),
        ("INDIGO-POJ-9202", "Harbour Steps (Northport)"),
    ):
        case = site.store.get_case(indigo_id)
        text = case.full_text["en"]
        assert text.startswith("GO Lab case study: Harbour Steps (last updated 2024-03-14)")
        assert "The challenge\n\nYoung people leaving the care system" in text
        assert "- managing a tenancy and a household budget;" in text
        assert "Capital raised: GBP 0.90m (USD 1.14m)" in text
        # Navigation, icons, share links and related content are not case-study text.
        for noise in (
            "Knowledge bank",
            "chevron icon",
            "Share this page",
            "Related content",
            "Another case study",
            "dataLayer",
            "Blavatnik School",
        ):
            assert noise not in text
        # INDIGO's own fields still win: the case study only adds its text.
        assert case.title == title
        assert case.stage == "implementation"
        assert ("golab-case-studies", indigo_id) in site.store.records_of_case(indigo_id.lower())
    assert site.server.hits(HARBOUR) == 1  # fetched once for both projects
    assert "full_text" not in site.store.get_case("INDIGO-POJ-9204").model_dump(
        exclude_defaults=True
    )


def test_broken_markup_still_gives_clean_sections(site):
    run(site)
    text = site.store.get_case("INDIGO-POJ-9203").full_text["en"]
    assert text.startswith("GO Lab case study: Quayside Minds (last updated 2023-02-02)")
    assert "The intervention\n\nTherapists and debt advisers" in text
    assert text.count("The outcomes contract") == 1


def test_second_run_changes_nothing_and_parses_nothing(site, monkeypatch):
    run(site)
    calls = []
    real = golab.parse_case_study

    def counting(page):
        calls.append(page.url)
        return real(page)

    monkeypatch.setattr(golab, "parse_case_study", counting)
    again = run(site)
    assert again.counts["unchanged"] == 3
    assert again.counts["new"] == again.counts["changed"] == again.counts["removed"] == 0
    assert calls == []  # same bytes as last time: the kept parse is used


def test_page_whose_structure_changed_is_rejected_and_old_text_kept(site):
    run(site)
    before = site.store.get_case("INDIGO-POJ-9201").full_text["en"]
    site.serve("golab", {HARBOUR: "redesigned.html"})
    report = run(site)
    reasons = {r["where"]: r["reason"] for r in report.rejects}
    assert len(reasons) == 2
    assert all("page structure changed" in r for r in reasons.values())
    assert report.counts["removed"] == 0
    assert site.store.get_case("INDIGO-POJ-9201").full_text["en"] == before


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"content_type": "application/pdf"}, "content type 'application/pdf'"),
    ],
)
def test_fetch_failure_is_rejected_and_old_text_kept(site, reply, reason):
    run(site)
    before = site.store.get_case("INDIGO-POJ-9203").full_text["en"]
    site.server.route(QUAYSIDE, b"%PDF-1.5", **reply)
    report = run(site)
    assert [r["reason"] for r in report.rejects] and all(
        reason in r["reason"] for r in report.rejects
    )
    assert site.store.get_case("INDIGO-POJ-9203").full_text["en"] == before


def test_gone_page_removes_the_text_but_not_the_case(site):
    run(site)
    site.server.route(QUAYSIDE, "<html><body>Not found</body></html>", status=404)
    report = run(site)
    assert report.counts["removed"] == 1
    case = site.store.get_case("INDIGO-POJ-9203")
    assert case.full_text == {} and case.title == "Quayside Minds"


def test_project_that_stops_linking_loses_the_text(site):
    run(site)
    unlinked = PROJECTS[1].model_copy(update={"documents": []})
    run_source(site.store, "indigo", [PROJECTS[0], unlinked, *PROJECTS[2:]], complete=True)
    report = run(site)
    assert report.counts["removed"] == 1
    assert site.store.get_case("INDIGO-POJ-9202").full_text == {}
    assert site.store.get_case("INDIGO-POJ-9201").full_text["en"]


def test_latin1_page_declared_utf8_keeps_its_letters(site):
    html = (PAGES / "harbour-steps.html").read_text("utf-8")
    html = html.replace("Harbourtown, United Kingdom", "Harbourtown").replace(
        "rebuilding contact with trusted adults", "rebuilding contact with trusted adults in Ærø"
    )
    site.server.route(
        HARBOUR, html.encode("latin-1", errors="replace"), content_type="text/html; charset=utf-8"
    )
    run(site)
    assert "trusted adults in Ærø" in site.store.get_case("INDIGO-POJ-9201").full_text["en"]
