"""Norrköping: the social outcomes contract step and the fund's granted investments."""

from dataclasses import replace

from ingest.sources import norrkoping

FUND = "/organisation/ekonomi/norrkopings-sociala-investeringsfond"
ROUTES = {FUND + "?step=6": "steg-6.html", FUND: "oversikt.html"}


def run(national):
    return national.run(norrkoping, base_url=national.server.base_url)


def test_outcomes_contract_partners_roles_and_dates(national):
    national.serve("norrkoping", ROUTES)
    report = run(national)
    assert report.status == "ok"
    case = national.store.get_case("norrkoping-socialt-utfallskontrakt")
    assert case.title == "Socialt utfallskontrakt i Norrköpings kommun"
    assert case.alt_names == ["Team Nystart"]
    assert case.countries == ["SE"]
    assert case.sector == "Child and family welfare"
    assert case.target_population == "Placerade barn och unga"
    assert case.summary["sv"].startswith("Norrköpings kommun, Leksell Social Ventures")
    assert case.intervention.startswith("Det primära målet")
    assert (case.dates["contract_signed"].value, case.dates["service_start"].value) == (
        "2016",
        "2016",
    )
    roles = {(p.name, p.role) for p in case.parties}
    assert roles == {
        ("Norrköpings kommun", "outcome_payer"),
        ("Leksell Social Ventures", "investor"),
        ("SKL Uppdrag Psykisk Hälsa", "intermediary"),
        ("Health Navigator", "intermediary"),
    }
    assert "Kontakt" not in case.full_text["sv"]


def test_granted_investments_are_cases_of_the_municipal_fund(national):
    national.serve("norrkoping", ROUTES)
    run(national)
    case = national.store.get_case("norrkoping-tidig-insats-for-familjer")
    assert case.summary["sv"] == "stöd till föräldrar med små barn"
    assert {(p.name, p.role) for p in case.parties} == {
        ("Norrköpings sociala investeringsfond", "investor"),
        ("Norrköpings kommun", "service_provider"),
    }
    school = national.store.get_case("norrkoping-skolnarvaro-i-fokus")
    assert school.summary["sv"] == "arbete mot hemmasittande elever"
    assert school.sector == "Education"
    assert national.store.get_case("norrkoping-unga-till-arbete").sector == (
        "Employment and training"
    )


def test_contract_step_with_another_layout_is_a_reject_the_rest_is_stored(national):
    national.serve("norrkoping", ROUTES)
    national.server.route(
        FUND + "?step=6",
        "<main><h1>Fonden</h1><div class='accordion'>Stegen har flyttat</div></main>",
    )
    report = run(national)
    assert report.status == "partial"
    assert "utfallskontrakt" in report.rejects[0]["reason"]
    assert national.store.find_case_id("norrkoping-socialt-utfallskontrakt") is None
    assert national.store.find_case_id("norrkoping-unga-till-arbete")


def test_timeout_on_a_page_keeps_what_it_gave_last_time(national):
    national.serve("norrkoping", ROUTES)
    run(national)
    national.serve("norrkoping", {FUND + "?step=6": "steg-6.html"}, delay=1.5)
    national.settings = replace(national.settings, http_timeout=0.3)
    report = run(national)
    assert report.rejects[0]["reason"] == "timed out"
    assert report.counts["removed"] == 0
    assert national.store.find_case_id("norrkoping-socialt-utfallskontrakt")


def test_second_run_changes_nothing(national):
    national.serve("norrkoping", ROUTES)
    first = run(national)
    hashes = national.store.case_hashes()
    second = run(national)
    assert first.counts["new"] == 4
    assert (second.counts["new"], second.counts["changed"], second.counts["unchanged"]) == (0, 0, 4)
    assert national.store.case_hashes() == hashes
