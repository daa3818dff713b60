"""NFF watched from pages served on 127.0.0.1 through its sitemap: the script-built
/projects map is never scraped; profiles below /project/ are, with their lastmod dates.

Evidence: issue 9's check of the real site: `payforsuccess.org/projects` is an activity
map built by script that mixes projects, legislation and opportunities (so its HTML has no
project links); the curated files cite the site's files under
`/sites/default/files/resource-files/` (Drupal's file path), and Drupal sites publish a
`sitemap.xml` (here a sitemap index with `?page=1`, as Drupal's XML sitemap module
splits it). Test pages are our own words.
"""

from __future__ import annotations

from pathlib import Path

from ingest.sources import nff

PAGES = Path(__file__).parent / "pages" / "nff"
HOME = "/project/county-home-visiting"
REENTRY = "/project/youth-reentry-outcomes"


def serve(national) -> None:
    def sitemap(req):
        name = "sitemap-page-1.xml" if "page=1" in req.path else "sitemap.xml"
        body = (PAGES / name).read_bytes()
        return {"body": body, "content_type": "application/xml; charset=utf-8"}

    national.server.handler("/sitemap.xml", sitemap)
    national.serve(
        "nff", {HOME: "profile.html", REENTRY: "profile.html", "/projects": "projects.html"}
    )


def test_profiles_come_from_the_sitemap_not_from_the_script_built_map(national):
    serve(national)
    report = national.run(nff, base_url=national.server.base_url, curated_as_of="2026-11-29")
    assert report.status == "ok", report.as_dict()
    pages = national.store.watched_pages("nff")
    base = national.server.base_url
    assert set(pages) == {base + HOME, base + REENTRY}
    assert pages[base + REENTRY]["modified"] == "2026-11-30T09:00Z"
    assert pages[base + HOME]["via"] == "sitemap"
    assert national.server.hits("/projects") == 0  # the map is not read
    assert national.server.hits("/about") == national.server.hits("/resource/a-guide") == 0
    assert {i["review"] for i in national.store.review_items()} == {"new"}


def test_a_broken_sitemap_fails_the_run(national):
    national.server.route("/sitemap.xml", "<urlset><url>", content_type="application/xml")
    report = national.run(nff, base_url=national.server.base_url)
    assert report.status == "failed"
    assert "sitemap is not valid XML" in report.message
    assert national.store.source_status()["nff"]["last_success"] is None
