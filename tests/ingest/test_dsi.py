"""DSI scraper: investment pages and the annual report's table, served from 127.0.0.1."""

from corpus.model import Case
from ingest.sources import dsi

ROUTES = {
    "/vores-investeringer/": "index.html",
    "/vores-investeringer/ung-hjemloeshed-aarhus/": "ung-hjemloeshed-aarhus.html",
    "/vores-investeringer/stressbehandling/": "stressbehandling.html",
    "/vores-investeringer/ny-skabelon/": "ny-skabelon.html",
    "/forebyggelse-i-skive/": "latin1-broken.html",
    "/ft/redegoerelse.htm": "redegoerelse.html",
}


def run(national, reports=None):
    if reports is None:
        reports = [national.server.url("/ft/redegoerelse.htm")]
    return national.run(dsi, base_url=national.server.base_url, reports=reports)


def test_investment_page_fields_are_extracted(national):
    national.serve("dsi", ROUTES)
    report = run(national)
    case = national.store.get_case("dsi-ung-hjemloeshed-aarhus")
    assert case.title == "Bolig først for unge uden hjem i Aarhus"
    assert case.countries == ["DK"]
    assert case.summary["da"].startswith("Fonden har sammen med Aarhus Kommune")
    assert "intensiv og fleksibel bostøtte" in case.intervention
    assert case.social_challenge.startswith("Byen har mange unge hjemløse")
    assert case.target_population.startswith("Unge hjemløse mellem 18 og 24 år")
    assert [m.definition for m in case.outcome_metrics][0].startswith("Den unge bor stabilt")
    assert (case.investment.currency, case.investment.amount) == ("DKK", 23_200_000)
    assert case.sector == "Homelessness"
    assert case.start_year == 2021
    roles = {(p.name, p.role) for p in case.parties}
    assert ("Aarhus Kommune", "outcome_payer") in roles
    assert ("Den Sociale Investeringsfond", "investor") in roles
    assert ("Bikubenfonden", "investor") in roles
    assert ("Hjem til Alle", "service_provider") in roles
    fund = next(p for p in case.parties if p.name == "Den Sociale Investeringsfond")
    assert fund.amount.amount == 11_600_000
    assert case.sources[0].url.endswith("/vores-investeringer/ung-hjemloeshed-aarhus/")
    assert report.counts["new"] == 4


def test_definition_list_facts_and_partners_without_roles(national):
    national.serve("dsi", ROUTES)
    run(national)
    case = national.store.get_case("dsi-stressbehandling")
    assert case.investment.amount == 8_400_000
    roles = {(p.name, p.role) for p in case.parties}
    assert ("Holbæk Kommune", "outcome_payer") in roles
    assert ("Stressklinikken ApS", "other") in roles
    assert case.sector == "Health"


def test_report_rows_complete_pages_and_add_investments_without_a_page(national):
    national.serve("dsi", ROUTES)
    run(national)
    stress = national.store.get_case("dsi-stressbehandling")
    assert "Ind på arbejdsmarkedet" in stress.sectors
    assert any(s.kind == "annual report" for s in stress.sources)
    viborg = national.store.get_case("dsi-familiebehandling-mod-vold-i-viborg-kommune")
    assert viborg.investment.amount == 12_000_000
    fund = next(p for p in viborg.parties if p.name == "Den Sociale Investeringsfond")
    assert fund.amount.amount == 6_000_000
    assert ("Lauritzen Fonden", "investor") in {(p.name, p.role) for p in viborg.parties}
    assert ("Viborg Kommune", "outcome_payer") in {(p.name, p.role) for p in viborg.parties}


def test_page_whose_structure_changed_is_a_reject_not_a_case(national):
    national.serve("dsi", ROUTES)
    report = run(national)
    assert report.status == "partial"
    assert report.counts["rejected"] == 1
    reject = report.rejects[0]
    assert reject["where"].endswith("/vores-investeringer/ny-skabelon/")
    assert "structure changed" in reject["reason"]
    assert national.store.find_case_id("dsi-ny-skabelon") is None


def test_investment_linked_from_a_card_outside_the_overview_path(national):
    national.serve("dsi", ROUTES)
    run(national)
    # Served as UTF-8 but written in Latin-1, with unclosed tags: still read right.
    case = national.store.get_case("dsi-forebyggelse-i-skive")
    assert case.title == "Forebyggelse af hjemløshed i Skive Kommune"


def test_broken_html_in_latin1_without_charset_is_read(national):
    national.serve("dsi", {"/p/": "latin1-broken.html"}, content_type="text/html")
    with national.fetcher("dsi") as fetcher:
        page = fetcher.get(national.server.url("/p/"))
    [case] = dsi.parse_investment(page)
    assert case.title == "Forebyggelse af hjemløshed i Skive Kommune"
    assert case.summary["da"] == "Unge får støtte før de mister boligen."
    assert case.investment.amount == 5_000_000
    assert ("Skive Kommune", "outcome_payer") in {(p.name, p.role) for p in case.parties}


def test_second_run_changes_nothing_and_unchanged_pages_are_not_parsed(national, monkeypatch):
    national.serve("dsi", ROUTES)
    first = run(national)
    hashes = national.store.case_hashes()
    calls = []
    original = dsi.parse_investment
    monkeypatch.setattr(dsi, "parse_investment", lambda page: calls.append(page) or original(page))
    second = run(national)
    assert first.counts["new"] == 4
    assert (second.counts["new"], second.counts["changed"], second.counts["removed"]) == (0, 0, 0)
    assert second.counts["unchanged"] == 4
    assert national.store.case_hashes() == hashes
    # Only the page that failed last time is parsed again; the others come from the cache.
    assert [p.url.rsplit("/", 2)[-2] for p in calls] == ["ny-skabelon"]


def test_investment_gone_from_the_overview_is_removed(national):
    national.serve("dsi", ROUTES)
    run(national)
    national.server.route(
        "/vores-investeringer/",
        '<main><a href="/vores-investeringer/stressbehandling/">Stress</a></main>',
    )
    report = run(national, reports=[])
    assert report.counts["removed"] >= 2
    assert national.store.find_case_id("dsi-ung-hjemloeshed-aarhus") is None
    assert isinstance(national.store.get_case("dsi-stressbehandling"), Case)


def test_unreadable_overview_fails_the_run_and_keeps_the_store(national):
    national.serve("dsi", ROUTES)
    run(national)
    before = national.store.case_hashes()
    national.server.route("/vores-investeringer/", "<html><body><p>Vedligehold</p></body></html>")
    report = run(national)
    assert report.status == "failed"
    assert "structure changed" in report.message
    assert national.store.case_hashes() == before
