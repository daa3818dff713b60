"""GOV.UK outcomes funds: fund pages, HTML attachments listing projects, inline tables."""

import pytest

from corpus.errors import InvalidInput
from ingest.sources import govuk

LCF = {
    "name": "Life Chances Fund",
    "path": "/government/publications/life-chances-fund",
    "payer": "Department for Culture, Media and Sport",
}
FCF = {
    "name": "Fair Chance Fund",
    "path": "/government/publications/fair-chance-fund",
    "payer": "Ministry of Housing, Communities and Local Government",
}
ROUTES = {
    LCF["path"]: "life-chances-fund.html",
    LCF["path"] + "/life-chances-fund-funded-projects": "life-chances-fund-funded-projects.html",
    FCF["path"]: "fair-chance-fund.html",
}


def run(national, funds=(LCF, FCF)):
    return national.run(govuk, base_url=national.server.base_url, funds=list(funds))


def test_projects_listed_in_an_html_attachment(national):
    national.serve("govuk", ROUTES)
    report = run(national)
    assert report.status == "ok" and report.counts["new"] == 3
    case = national.store.get_case("govuk-life-chances-fund-northshire-edge-of-care-partnership")
    assert case.title == "Northshire Edge of Care Partnership"
    assert case.countries == ["GB"]
    assert case.sector == "Child and family welfare"
    assert case.start_year == 2019
    roles = {(p.name, p.role) for p in case.parties}
    assert ("Northshire County Council", "outcome_payer") in roles
    assert ("Family Steps Charity", "service_provider") in roles
    assert ("An Outcomes Investment Fund", "investor") in roles
    dcms = next(p for p in case.parties if p.name == LCF["payer"])
    assert (dcms.role, dcms.amount.currency, dcms.amount.amount) == (
        "outcome_payer",
        "GBP",
        1_181_570,
    )
    assert case.sources[0].url.endswith("/life-chances-fund-funded-projects")
    riverton = national.store.get_case("govuk-life-chances-fund-riverton-healthy-lives")
    payers = [p.name for p in riverton.parties if p.role == "outcome_payer"]
    assert payers[:2] == ["Riverton City Council", "Riverton NHS Trust"]
    assert riverton.sector == "Health"


def test_projects_in_a_table_on_the_fund_page(national):
    national.serve("govuk", ROUTES)
    run(national)
    case = national.store.get_case("govuk-fair-chance-fund-hillford-young-homeless-outcomes")
    assert case.places[0].name == "Hillford"
    assert case.sector == "Homelessness"
    investors = [p.name for p in case.parties if p.role == "investor"]
    assert investors == ["A Social Ventures Fund", "A Community Foundation"]
    award = next(p for p in case.parties if p.name == FCF["payer"]).amount
    assert award.amount == 1_800_000


def test_fund_page_without_projects_fails_that_run_and_keeps_the_store(national):
    national.serve("govuk", ROUTES)
    run(national)
    before = national.store.case_hashes()
    national.serve("govuk", {LCF["path"]: "redesigned-fund.html"})
    report = run(national)
    assert report.status == "failed" and "structure changed" in report.message
    assert national.store.case_hashes() == before


def test_project_list_that_fails_is_a_reject_and_its_cases_are_kept(national):
    national.serve("govuk", ROUTES)
    run(national)
    national.server.route(LCF["path"] + "/life-chances-fund-funded-projects", "", status=500)
    report = run(national)
    assert report.status == "partial"
    assert report.counts["removed"] == 0
    assert {r["where"].rsplit("/", 1)[-1] for r in report.rejects} == {
        "life-chances-fund-funded-projects"
    }
    assert national.store.find_case_id("govuk-life-chances-fund-riverton-healthy-lives")


def test_wrong_content_type_is_a_reject(national):
    national.serve("govuk", ROUTES)
    national.server.route(
        LCF["path"] + "/life-chances-fund-funded-projects",
        b"%PDF-1.4",
        content_type="application/pdf",
    )
    report = run(national)
    assert "content type" in report.rejects[0]["reason"]


def test_funds_option_is_checked():
    with pytest.raises(InvalidInput, match="funds\\[0\\]: missing payer"):
        govuk.items(None, funds=[{"name": "X", "path": "/x"}])


def test_second_run_changes_nothing(national):
    national.serve("govuk", ROUTES)
    run(national)
    hashes = national.store.case_hashes()
    second = run(national)
    assert (second.counts["new"], second.counts["changed"], second.counts["removed"]) == (0, 0, 0)
    assert second.counts["unchanged"] == 3
    assert national.store.case_hashes() == hashes


def test_row_naming_an_indigo_id_joins_that_case(national):
    national.server.route(
        "/gov/yef",
        "<main><h1>Youth Engagement Fund</h1><div class='govspeak'><table>"
        "<tr><th>Project</th><th>Provider</th><th>INDIGO record</th></tr>"
        "<tr><td>Teens and Toddlers Outcomes</td><td>A Youth Charity</td>"
        "<td>INDIGO-POJ-0101</td></tr></table></div></main>",
    )
    fund = {"name": "Youth Engagement Fund", "path": "/gov/yef", "payer": "Ministry of Justice"}
    report = run(national, funds=[fund])
    assert report.counts["new"] == 1
    case = national.store.get_case("INDIGO-POJ-0101")
    assert case.id == "indigo-poj-0101" and case.title == "Teens and Toddlers Outcomes"
