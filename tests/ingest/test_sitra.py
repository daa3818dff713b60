"""Sitra's SIB funds: the fund list, each fund's article and its parties; faults; merging."""

from corpus.model import Case, PartialDate
from ingest.runner import run_source
from ingest.sources import sitra

ROUTES = {
    "/hankkeet/sib-rahastot/": "sib-rahastot.html",
    "/artikkelit/koto-sib-kotoutuminen/": "koto-sib-kotoutuminen.html",
    "/artikkelit/tyohyvinvointi-sib/": "tyohyvinvointi-sib.html",
    "/artikkelit/uusi-ulkoasu/": "uusi-ulkoasu.html",
}


def run(national):
    return national.run(sitra, base_url=national.server.base_url)


def test_fund_article_gives_title_parties_size_and_start(national):
    national.serve("sitra", ROUTES)
    run(national)
    case = national.store.get_case("sitra-koto-sib")
    assert case.title == "Kotouttamisen SIB: maahanmuuttajat nopeasti töihin"
    assert "Koto-SIB" in case.alt_names
    assert case.countries == ["FI"]
    assert case.sector == "Employment and training"
    assert case.summary["fi"].startswith("Rahasto rahoittaa koulutusta")
    assert (case.investment.currency, case.investment.amount) == ("EUR", 14_200_000)
    assert case.dates["service_start"].value == "2017-05"
    roles = {(p.name, p.role) for p in case.parties}
    assert ("Työ- ja elinkeinoministeriö", "outcome_payer") in roles
    assert ("Epiqus Oy", "intermediary") in roles
    assert ("Työnhaku ry", "service_provider") in roles
    assert ("Eläkeyhtiö", "investor") in roles


def test_fund_without_an_article_is_taken_from_the_list(national):
    national.serve("sitra", ROUTES)
    run(national)
    case = national.store.get_case("sitra-ika-sib")
    assert case.title == "Ikääntyneiden toimintakyky (Ikä-SIB)"
    assert case.summary["fi"] == "valmisteilla kuntien kanssa"
    assert case.sector == "Health"


def test_windows_1252_article_with_unclosed_tags_is_read(national):
    national.serve("sitra", ROUTES, content_type="text/html")
    run(national)
    case = national.store.get_case("sitra-tyhy-sib")
    assert case.title == "Työhyvinvoinnin SIB (TyHy-SIB)"
    assert case.investment.amount == 600_000
    assert ("Kirkon eläkerahasto", "investor") in {(p.name, p.role) for p in case.parties}


def test_article_whose_structure_changed_is_a_reject(national):
    national.serve("sitra", ROUTES)
    report = run(national)
    [reject] = report.rejects
    assert reject["where"].endswith("/artikkelit/uusi-ulkoasu/")
    assert "structure changed" in reject["reason"]
    assert national.store.find_case_id("sitra-lapset-sib") is None


def test_fund_list_missing_fails_the_run(national):
    national.server.route(
        "/hankkeet/sib-rahastot/", "<main><h1>SIB-rahastot</h1><p>Uusi sivu</p></main>"
    )
    report = run(national)
    assert report.status == "failed" and "Missä mennään" in report.message


def test_fund_joins_the_indigo_project_with_the_same_short_name(national):
    indigo = Case(
        id="INDIGO-POJ-0025",
        external_ids={"indigo": "INDIGO-POJ-0025"},
        title="TyHy-SIB",
        countries=["FI"],
        dates={"service_start": PartialDate.parse("2015-05")},
    )
    run_source(national.store, "indigo", [indigo])
    national.serve("sitra", ROUTES)
    report = run(national)
    assert national.store.find_case_id("sitra-tyhy-sib") == "indigo-poj-0025"
    assert any(n["kind"] == "merge" for n in report.notes)


def test_second_run_changes_nothing(national):
    national.serve("sitra", ROUTES)
    first = run(national)
    hashes = national.store.case_hashes()
    second = run(national)
    assert first.counts["new"] == 3
    assert (second.counts["new"], second.counts["changed"], second.counts["unchanged"]) == (0, 0, 3)
    assert national.store.case_hashes() == hashes
