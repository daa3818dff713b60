"""NFF pay-for-success profiles: directory with a pager, Quick Facts, faults, merging."""

from corpus.model import Case, PartialDate
from ingest.runner import run_source
from ingest.sources import nff

ROUTES = {
    "/projects": "projects.html",
    "/projects?page=1": "projects-page-2.html",
    "/project/youth-reentry-commonwealth": "youth-reentry-commonwealth.html",
    "/project/county-home-visiting": "county-home-visiting.html",
    "/project/river-city-supportive-housing": "river-city-supportive-housing.html",
    "/project/old-layout": "old-layout.html",
}


def run(national, **kw):
    return national.run(nff, base_url=national.server.base_url, **kw)


def test_profile_quick_facts_are_extracted(national):
    national.serve("nff", ROUTES)
    run(national)
    case = national.store.get_case("nff-youth-reentry-commonwealth")
    assert case.title == "Youth Reentry Outcomes Project, Commonwealth Edition"
    assert case.countries == ["US"]
    assert case.places[0].name == "Springfield, MA" and case.places[0].admin_area == "MA"
    assert case.sector == "Criminal justice"
    assert {"Criminal Justice", "Workforce Development"} <= set(case.sectors)
    assert case.stage == "complete"
    assert case.dates["service_start"].value == "2014-01"
    assert case.investment.amount == 21_760_000 and case.investment.currency == "USD"
    assert case.max_outcome_payment.amount == 27_000_000
    assert case.intervention.startswith("Outreach, life skills")
    assert case.summary["en"].startswith("A nonprofit works with young men")
    roles = {(p.name, p.role) for p in case.parties}
    assert ("Commonwealth of Massachusetts", "outcome_payer") in roles
    assert ("Streetworks Youth Inc.", "service_provider") in roles
    assert ("Third Sector Example Partners", "intermediary") in roles
    assert ("An Evaluation Institute", "evaluator") in roles
    bank = next(p for p in case.parties if p.name == "A Large Bank Impact Fund")
    assert (bank.role, bank.amount.amount, bank.role_detail) == (
        "investor",
        9_000_000,
        "$9 million senior loan",
    )


def test_pager_is_followed_and_stages_are_mapped(national):
    national.serve("nff", ROUTES)
    report = run(national)
    assert report.counts["new"] == 3
    river = national.store.get_case("nff-river-city-supportive-housing")
    assert (river.stage, river.sector) == ("pipeline", "Homelessness")


def test_indigo_id_named_on_the_profile_joins_the_indigo_case(national):
    national.serve("nff", ROUTES)
    run(national)
    assert national.store.find_case_id("INDIGO-POJ-0042") == "indigo-poj-0042"
    case = national.store.get_case("indigo-poj-0042")
    assert case.title == "County Home Visiting Pay for Success Project"
    assert case.stage == "implementation" and case.start_year == 2016


def test_profile_matching_an_indigo_project_by_name_merges_into_it(national):
    indigo = Case(
        id="INDIGO-POJ-0077",
        external_ids={"indigo": "INDIGO-POJ-0077"},
        title="Youth Reentry Outcomes Project Commonwealth Edition",
        countries=["US"],
        dates={"service_start": PartialDate.parse("2014-01")},
    )
    run_source(national.store, "indigo", [indigo])
    national.serve("nff", ROUTES)
    report = run(national)
    assert national.store.find_case_id("nff-youth-reentry-commonwealth") == "indigo-poj-0077"
    assert any(n["kind"] == "merge" and "indigo-poj-0077" in n["reason"] for n in report.notes)


def test_changed_structure_and_missing_profile_are_rejects(national):
    national.serve("nff", ROUTES)
    national.server.route("/project/river-city-supportive-housing", "gone", status=404)
    report = run(national)
    reasons = {r["where"].rsplit("/", 1)[-1]: r["reason"] for r in report.rejects}
    assert "structure changed" in reasons["old-layout"]
    assert "404" in reasons["river-city-supportive-housing"]
    assert national.store.find_case_id("nff-old-layout") is None


def test_a_profile_that_fails_later_keeps_its_stored_record(national):
    national.serve("nff", ROUTES)
    run(national)
    national.server.route("/project/county-home-visiting", "busy", status=503)
    report = run(national)
    assert report.counts["removed"] == 0
    assert national.store.find_case_id("INDIGO-POJ-0042") == "indigo-poj-0042"
    assert any(r["where"].endswith("county-home-visiting") for r in report.rejects)


def test_utf8_page_declared_as_latin1_is_decoded(national):
    body = (
        "<main><h1>Café Outcomes Señor Project</h1>"
        '<div class="field"><div class="field__label">Location</div>'
        '<div class="field__item">Santa Fe, NM</div></div></main>'
    )
    national.server.route(
        "/project/cafe", body.encode("utf-8"), content_type="text/html; charset=iso-8859-1"
    )
    with national.fetcher("nff") as fetcher:
        [case] = nff.parse_project(fetcher.get(national.server.url("/project/cafe")))
    assert case.title == "Café Outcomes Señor Project"


def test_second_run_changes_nothing(national):
    national.serve("nff", ROUTES)
    run(national)
    hashes = national.store.case_hashes()
    second = run(national)
    assert (second.counts["new"], second.counts["changed"], second.counts["removed"]) == (0, 0, 0)
    assert second.counts["unchanged"] == 3
    assert national.store.case_hashes() == hashes


def test_profile_redirected_to_another_host_is_refused(national):
    national.serve("nff", ROUTES)
    elsewhere = national.server.url("/project/river-city-supportive-housing", host="localhost")
    national.server.route(
        "/project/river-city-supportive-housing", "", status=302, headers={"Location": elsewhere}
    )
    report = run(national)
    [refused] = [r for r in report.rejects if "river-city" in r["where"]]
    assert "redirected to 'localhost'" in refused["reason"]
    assert national.store.find_case_id("nff-river-city-supportive-housing") is None
