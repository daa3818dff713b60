"""Cross-source matching: overrides, external ids, names with country and dates, near misses."""

import pytest
import yaml

from corpus.errors import InvalidInput
from corpus.model import Case, PartialDate, Place
from corpus.store import Store
from ingest.match import (
    DEFAULT_OVERRIDES,
    Matcher,
    load_overrides,
    name_similarity,
    normalise_name,
    route,
)
from ingest.runner import run_source


def indigo(n, title, country="US", start="2014-10"):
    ident = f"INDIGO-POJ-{n:04d}"
    return Case(
        id=ident,
        external_ids={"indigo": ident},
        title=title,
        countries=[country],
        dates={"service_start": PartialDate.parse(start)},
    )


def scraped(slug, title, country="US", start="2014", **kw):
    return Case(
        id=f"nff-{slug}",
        title=title,
        countries=[country],
        dates={"service_start": PartialDate.parse(start)} if start else {},
        **kw,
    )


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    run_source(
        s,
        "indigo",
        [
            indigo(1, "Massachusetts Juvenile Justice Pay for Success Initiative"),
            indigo(2, "Reducing Youth Homelessness - Roskilde, Denmark", "DK", "2022-01"),
            indigo(3, "Chicago Child-Parent Center Pay for Success Initiative", "US", "2014-09"),
        ],
    )
    yield s
    s.close()


def ingest(store, records, source="nff", overrides=None):
    matcher = Matcher(store, overrides=overrides or {})
    return run_source(store, source, route(records, matcher, source))


def test_names_are_folded_unaccented_and_stripped_of_kind_words():
    assert normalise_name("Kotouttamisen SIB (Koto-SIB)") == "kotouttamisen koto"
    assert normalise_name("Hjemløshed i Århus – Social Impact Bond") == "hjemloshed arhus"
    assert name_similarity("Aarhus Housing First SIB", "Housing First in Aarhus") == 1.0
    # Sibling projects that differ in one word (the town, "less"/"most", a number) are not one.
    assert name_similarity("MHEP North London - Camden", "MHEP North London - Barnet") < 0.88
    assert name_similarity("Children's Welfare SIB", "Children's Welfare SIB II") < 0.88
    assert name_similarity("Rough Sleepers Brighton", "Rough Sleeping Brighton") > 0.85
    # A name inside a longer one is close, not the same.
    assert (
        0.7
        < name_similarity("Reducing homelessness", "Reducing youth homelessness Roskilde")
        < 0.88
    )


def test_indigo_id_named_on_a_page_decides_whatever_the_name(store):
    record = scraped("x", "Something else entirely", external_ids={"indigo": "INDIGO-POJ-0003"})
    report = ingest(store, [record])
    assert store.find_case_id("nff-x") == "indigo-poj-0003"
    # A record naming an INDIGO id is stored under that id (ingest.runner.record_id_of).
    assert ("nff", "INDIGO-POJ-0003") in store.records_of_case("indigo-poj-0003")
    assert report.notes == [
        {
            "where": "nff:INDIGO-POJ-0003",
            "kind": "merge",
            "reason": "merged into indigo-poj-0003 by external id",
        }
    ]


def test_other_external_id_scheme_matches_a_stored_case(store):
    ingest(store, [scraped("a", "Alpha", external_ids={"pfs_hub": "P-17"})], source="hub")
    matcher = Matcher(store, overrides={})
    decision = matcher.decide(scraped("b", "Beta", external_ids={"pfs_hub": "p-17"}), "nff", "b")
    assert (decision.case_id, decision.how) == ("nff-a", "external_id")


def test_similar_name_same_country_and_dates_merges_and_is_reported(store):
    report = ingest(store, [scraped("majj", "Massachusetts Juvenile Justice PFS Initiative")])
    assert store.find_case_id("nff-majj") == "indigo-poj-0001"
    case = store.get_case("indigo-poj-0001")
    assert (
        case.title == "Massachusetts Juvenile Justice PFS Initiative"
    )  # national pages rank first
    assert "Massachusetts Juvenile Justice Pay for Success Initiative" in case.alt_names
    [note] = report.notes
    assert note["kind"] == "merge" and "indigo-poj-0001 by name (1.00" in note["reason"]
    assert store.runs()[0]["notes"] == report.notes  # kept with the run


def test_other_country_or_far_dates_do_not_merge(store):
    ingest(store, [scraped("uk", "Massachusetts Juvenile Justice Initiative", country="GB")])
    assert store.find_case_id("nff-uk") == "nff-uk"
    matcher = Matcher(store, overrides={})
    late = scraped("late", "Chicago Child Parent Center", start="2021")
    assert matcher.decide(late, "nff", "nff-late").case_id == "nff-late"


def test_near_miss_is_reported_and_not_merged(store):
    record = scraped("rosk", "Reducing homelessness", country="DK", start="2022")
    report = ingest(store, [record])
    assert store.find_case_id("nff-rosk") == "nff-rosk"
    [note] = report.notes
    assert note["kind"] == "near-miss"
    assert "indigo-poj-0002" in note["reason"] and "merge_overrides.yaml" in note["reason"]


def test_same_town_and_years_in_another_language_is_a_near_miss(store):
    english = indigo(
        312,
        "Comprehensive employment intervention for mentally vulnerable citizens "
        "(Slagelse Municipality, Denmark)",
        "DK",
        "2024-03",
    )
    run_source(store, "indigo", [english])
    danish = Case(
        id="dsi-slagelse",
        title="Beskæftigelse for psykisk sårbare borgere",
        countries=["DK"],
        places=[Place(name="Slagelse Kommune", country="DK")],
        dates={"service_start": PartialDate.parse("2024")},
    )
    report = ingest(store, [danish], source="dsi")
    assert store.find_case_id("dsi-slagelse") == "dsi-slagelse"
    [note] = report.notes
    assert note["kind"] == "near-miss" and "indigo-poj-0312" in note["reason"]
    # The person who checks it settles it in the overrides file.
    ingest(store, [danish], source="dsi", overrides={"dsi": {"dsi-slagelse": "INDIGO-POJ-0312"}})
    assert store.find_case_id("dsi-slagelse") == "indigo-poj-0312"


def test_overrides_win_both_ways(store):
    overrides = {
        "nff": {
            "nff-rosk": "INDIGO-POJ-0002",  # merge what the names alone would not
            "nff-majj": "never",  # keep apart what the names would merge
        }
    }
    ingest(
        store,
        [
            scraped("rosk", "Reducing homelessness", country="DK", start="2022"),
            scraped("majj", "Massachusetts Juvenile Justice PFS Initiative"),
        ],
        overrides=overrides,
    )
    assert store.find_case_id("nff-rosk") == "indigo-poj-0002"
    assert store.find_case_id("nff-majj") == "nff-majj"
    assert store.records_of_case("indigo-poj-0001") == [("indigo", "INDIGO-POJ-0001")]


def test_overrides_file_is_read_and_checked(tmp_path):
    good = tmp_path / "o.yaml"
    good.write_text("dsi:\n  dsi-a: INDIGO-POJ-0264\n  dsi-b: never\n", encoding="utf-8")
    assert load_overrides(good) == {"dsi": {"dsi-a": "indigo-poj-0264", "dsi-b": "never"}}
    assert load_overrides(tmp_path / "missing.yaml") == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("dsi:\n  dsi-a: [1, 2]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.yaml: dsi: dsi-a"):
        load_overrides(bad)
    # A record settled twice keeps neither silently: YAML would keep the second.
    bad.write_text("dsi:\n  dsi-a: never\n  dsi-a: INDIGO-POJ-0264\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.yaml: not valid YAML: .*'dsi-a' is given twice"):
        load_overrides(bad)


def test_the_packaged_overrides_file_is_valid():
    overrides = load_overrides(DEFAULT_OVERRIDES)
    assert all(isinstance(entries, dict) for entries in overrides.values())


def test_a_source_never_merges_two_of_its_own_records(store):
    ingest(store, [scraped("one", "Denver Supportive Housing", start=None)])
    report = ingest(
        store,
        [
            scraped("one", "Denver Supportive Housing", start=None),
            scraped("two", "Denver Supportive Housing Initiative", start=None),
        ],
    )
    assert store.find_case_id("nff-two") == "nff-two"
    assert report.counts["new"] == 1


def test_two_runs_in_a_row_the_second_changes_nothing(store):
    records = [
        scraped("majj", "Massachusetts Juvenile Justice PFS Initiative"),
        scraped("rosk", "Reducing homelessness", country="DK", start="2022"),
        scraped("new", "Salt Lake County Homes Not Jail"),
    ]
    first = ingest(store, records)
    hashes = store.case_hashes()
    second = ingest(store, records)
    assert first.counts["new"] == 3
    assert (second.counts["unchanged"], second.counts["new"], second.counts["changed"]) == (3, 0, 0)
    assert store.case_hashes() == hashes
    assert store.find_case_id("nff-majj") == "indigo-poj-0001"
    assert [n["kind"] for n in second.notes] == [n["kind"] for n in first.notes]


def test_a_past_merge_is_redecided_when_an_override_says_never(store):
    ingest(store, [scraped("majj", "Massachusetts Juvenile Justice PFS Initiative")])
    report = ingest(
        store,
        [scraped("majj", "Massachusetts Juvenile Justice PFS Initiative")],
        overrides={"nff": {"nff-majj": "never"}},
    )
    assert report.counts["changed"] == 1
    assert store.find_case_id("nff-majj") == "nff-majj"
    assert store.get_case("indigo-poj-0001").title == (
        "Massachusetts Juvenile Justice Pay for Success Initiative"
    )


def test_the_job_matches_a_source_once_when_its_entry_says_match(store, tmp_path):
    """Matching is the job's: a source entry with `match: true` has its records routed
    through the matcher (merged by name into the INDIGO case), the same source without it
    keeps its own case; two runs in a row change nothing the second time."""
    from corpus.settings import Settings
    from ingest.job import run_job

    cases = tmp_path / "cases"
    cases.mkdir()
    data = {
        "id": "us-majj-curated",
        "title": "Massachusetts Juvenile Justice PFS Initiative",
        "summary": {"en": "English summary.", "da": "Dansk resumé."},
        "countries": ["US"],
        "sector": "Criminal justice",
        "stage": "implementation",
        "dates": {"service_start": "2014"},
        "parties": [{"name": "Roca", "role": "service_provider", "org_type": "nonprofit"}],
        "provider_model": "nonprofit",
        "investor_model": "mixed",
        "sources": [{"url": "https://example.org/majj"}],
    }
    (cases / "us-majj-curated.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    for match, expected in ((False, "us-majj-curated"), (True, "indigo-poj-0001")):
        entry = {"module": "ingest.sources.corpus_files", "options": {"folder": str(cases)}}
        sources.write_text(
            yaml.safe_dump({"sources": {"curated": {**entry, "match": match}}}), encoding="utf-8"
        )
        settings = Settings(data_dir=tmp_path / "data", sources_file=sources)
        first = run_job(settings, store)
        assert first.ok, first.sources
        assert dict(store.records_of_case(expected)).get("corpus") == "us-majj-curated"
        second = run_job(settings, store)
        counts = second.sources[0]["counts"]
        assert (counts["new"], counts["changed"], counts["removed"]) == (0, 0, 0)
    notes = first.sources[0]["notes"]
    assert any("merged into indigo-poj-0001 by name" in n["reason"] for n in notes)


def test_ingest_report_lists_merges_and_near_misses(tmp_path):
    """`casebank ingest --report` shows the informational entries next to the counts."""
    from typer.testing import CliRunner

    from casebank import app

    data = tmp_path / "data"
    store = Store(data / "casebank.db")
    run_source(
        store,
        "indigo",
        [
            indigo(1, "Massachusetts Juvenile Justice Pay for Success Initiative"),
            indigo(2, "Reducing Youth Homelessness - Roskilde, Denmark", "DK", "2022-01"),
        ],
    )
    ingest(
        store,
        [
            scraped("majj", "Massachusetts Juvenile Justice PFS Initiative"),
            scraped("rosk", "Reducing homelessness", country="DK", start="2022"),
        ],
    )
    store.close()
    result = CliRunner().invoke(app, ["--data-dir", str(data), "ingest", "--report"])
    assert result.exit_code == 0, result.output
    assert "merge nff:nff-majj: merged into indigo-poj-0001 by name" in result.output
    assert "near-miss nff:nff-rosk: not merged with indigo-poj-0002" in result.output
