"""GOV.UK watched through its Content API only, served on 127.0.0.1: fund pages and their
attachments, a new evaluation report marked new, a cited report not marked, no HTML page.

Evidence: GOV.UK Content API reference (content-api.publishing.service.gov.uk,
reference.html and getting-started.html, search corpus "pages"): `GET /api/content/<path>`
returns a ContentItem with `base_path`, `title`, `description`, `public_updated_at` and
`details`; 404 and 410 for missing and removed content. The `publication` content schema
(docs.publishing.service.gov.uk/content-schemas/publication.html, corpus "docs"):
`details.body` is "the main content provided as HTML rendered from govspeak" and
`details.attachments` "an ordered list of asset links" (each with `attachment_type`,
`title`, `url`, `content_type`, `filename`). The JSON files here are our own words in that
shape. Issue 9: the real `/government/publications/life-chances-fund` is an application
page (form, guidance, FAQ attachments) with no project table.
"""

from __future__ import annotations

from pathlib import Path

from ingest.sources import govuk

PAGES = Path(__file__).parent / "pages" / "govuk"
LCF = "/government/publications/life-chances-fund"
FCF = "/government/publications/fair-chance-fund"
YEF = "/government/publications/youth-engagement-fund"
FCF_REPORT = (
    "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
    "attachment_data/file/793810/Fair_Chance_Fund_final_report.pdf"
)


def serve(national, lcf: str = "life-chances-fund.json") -> None:
    for path, name in ((LCF, lcf), (FCF, "fair-chance-fund.json")):
        national.server.route(
            "/api/content" + path,
            (PAGES / name).read_bytes(),
            content_type="application/json; charset=utf-8",
        )


def run(national):
    return national.run(
        govuk,
        base_url=national.server.base_url,
        funds=[LCF, FCF, YEF],
        curated_as_of="2026-11-29",
    )


def marks(national) -> dict[str, str]:
    return {i["url"]: i["review"] for i in national.store.review_items()}


def test_fund_pages_and_attachments_through_the_content_api_only(national):
    national.with_curated()
    before = national.store.case_hashes()
    serve(national)
    report = run(national)
    assert report.status == "partial"  # the Youth Engagement Fund path answers 404
    assert report.rejects == [{"where": "https://www.gov.uk" + YEF, "reason": "HTTP 404 Not Found"}]
    pages = national.store.watched_pages("govuk")
    assert pages["https://www.gov.uk" + LCF]["modified"] == "2019-05-20T10:00:00+01:00"
    assert pages[FCF_REPORT]["cases"]  # the curated Fair Chance Fund cases cite the report
    review = marks(national)
    # Attachments no curated case cites are new; the cited report and the fund pages (the
    # configured index of what is watched) are not.
    assert review == {
        "https://assets.publishing.service.gov.uk/media/aaa111/lcf-application-form.odt": "new",
        "https://www.gov.uk/government/publications/life-chances-fund/guidance": "new",
        "https://assets.publishing.service.gov.uk/media/bbb222/lcf-faq.pdf": "new",
    }
    # Only the Content API was asked; no HTML page, no CSS selector.
    assert all(
        r.path.startswith(("/api/content/", "/robots.txt")) for r in national.server.requests
    )
    assert national.store.case_hashes() == before


def test_a_new_evaluation_report_is_marked_new_once(national):
    serve(national)
    run(national)
    from ingest.watch import mark_reviewed

    assert mark_reviewed(national.store, source="govuk") == 4  # 3 + the uncited report
    assert marks(national) == {}
    serve(national, "life-chances-fund-evaluation.json")
    report = run(national)
    assert report.counts["new"] == 1 and report.counts["changed"] == 0
    report_url = (
        "https://assets.publishing.service.gov.uk/media/ccc333/lcf-evaluation-final-report.pdf"
    )
    assert marks(national) == {report_url: "new"}
    titles = {i["url"]: i["title"] for i in national.store.review_items()}
    assert titles[report_url] == "Life Chances Fund evaluation: final report"


def test_a_response_that_is_not_a_content_item_is_rejected(national):
    national.server.route("/api/content" + LCF, "[]", content_type="application/json")
    serve_fcf = (PAGES / "fair-chance-fund.json").read_bytes()
    national.server.route("/api/content" + FCF, serve_fcf, content_type="application/json")
    report = run(national)
    assert report.status == "partial"
    assert any("not a GOV.UK content item" in r["reason"] for r in report.rejects)
