"""The curated case files: the shipped corpus passes the check; broken files are named."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from corpus import curated
from corpus.errors import SourceError
from corpus.merge import merge_records
from corpus.provider_models import LEFT_UNKNOWN, apply_models, is_curated
from ingest.indigo.csv_export import project_ids


def good_case(**changes) -> dict:
    """A complete, valid curated case as the YAML mapping an author writes."""
    data = {
        "id": "dk-test-case",
        "external_ids": {"indigo": "INDIGO-POJ-9001"},
        "title": "Test housing case",
        "summary": {"en": "An English summary.", "da": "Et dansk resumé."},
        "countries": ["DK"],
        "sector": "Homelessness",
        "stage": "implementation",
        "dates": {"service_start": "2022-01", "contract_signed": 2021},
        "title_i18n": {"da": "Test af boliger", "en": "Test housing case"},
        "parties": [
            {
                "name": "Test Kommune",
                "role": "outcome_payer",
                "org_type": "government",
                "source_refs": ["case"],
            },
            {
                "name": "Test Kommune",
                "role": "service_provider",
                "org_type": "government",
                "source_refs": ["case"],
            },
        ],
        "provider_model": "public",
        "investor_model": "public",
        "sources": [{"id": "case", "url": "https://example.org/case", "title": "The case"}],
        "field_sources": {
            key: ["case"]
            for key in (
                "stage",
                "provider_model",
                "investor_model",
                "dates.service_start",
                "dates.contract_signed",
            )
        },
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def write(folder: Path, name: str, data: dict | str) -> Path:
    path = folder / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def messages(report_or_file) -> list[str]:
    """Every problem of a report, or of one file together with its gaps (as `check` lists)."""
    gaps = getattr(report_or_file, "gaps", [])
    return [str(p) for p in [*report_or_file.problems, *gaps]]


# -- the shipped corpus ---------------------------------------------------------------------


def test_every_shipped_file_passes_the_check():
    report = curated.check()
    assert report.files, "the packaged corpus has case files"
    assert messages(report) == []
    assert len(report.cases) == len(report.files)


def test_shipped_indigo_ids_exist_in_the_indigo_export(indigo_csv_dir):
    ids = project_ids(indigo_csv_dir)
    report = curated.check(indigo_ids=ids, indigo_checked_against="export")
    assert messages(report) == []
    assert report.summary()["indigo_checked_against"] == "export"


def test_every_nordic_indigo_project_has_a_curated_file(indigo_csv_dir):
    with open(indigo_csv_dir / "projects_delivery_locations.csv", encoding="utf-8") as fh:
        nordic = {
            row["Project ID"]
            for row in csv.DictReader(fh)
            if row["Location - Country - (Value)"] in ("DK", "SE", "FI")
        }
    curated_ids = {
        c.external_ids["indigo"]: c for c in curated.check().cases if "indigo" in c.external_ids
    }
    assert nordic - set(curated_ids) == set()
    for indigo_id in nordic:
        case = curated_ids[indigo_id]
        prefix = case.id.split("-")[0].upper()
        assert prefix in case.countries, f"{case.id} is named for a country it is not in"


def test_shipped_files_set_models_with_the_curated_basis():
    for case in curated.check().cases:
        for field in ("provider_model", "investor_model"):
            assert is_curated(getattr(case, f"{field}_basis")), (case.id, field)


def test_a_model_a_file_leaves_unknown_stays_unknown(tmp_path):
    """IMPACT60's file leaves the investor model unknown (its sources do not say whether
    Den Sociale Kapitalfond's money was philanthropic or commercial): the rules, which
    would read an investment fund as commercial, must not fill it in."""
    data = good_case(investor_model="unknown")
    data["parties"].append(
        {
            "name": "Den Sociale Kapitalfond",
            "role": "investor",
            "org_type": "investment_fund",
            "source_refs": ["case"],
        }
    )
    case = curated.read_file(write(tmp_path, "dk-test-case.yaml", data)).case
    assert case.investor_model_basis == LEFT_UNKNOWN
    stored = apply_models(case)
    assert (stored.investor_model, stored.investor_model_basis) == ("unknown", LEFT_UNKNOWN)
    # Merged with an INDIGO record of the same project, the editors' finding stands.
    indigo = case.model_copy(update={"investor_model_basis": None})
    merged = apply_models(merge_records(case.id, [("curated", case), ("indigo-csv", indigo)]))
    assert merged.investor_model == "unknown"
    shipped = {c.id: c for c in curated.check().cases}["dk-aalborg-impact60"]
    assert apply_models(shipped).investor_model == "unknown"


def test_aarhus_and_broendby_have_the_known_provider_models():
    cases = {c.external_ids.get("indigo"): c for c in curated.check().cases}
    brondby = cases["INDIGO-POJ-0269"]
    assert brondby.provider_model == "nonprofit"
    assert any(p.name.startswith("TUBA") and p.role == "service_provider" for p in brondby.parties)
    for indigo_id in ("INDIGO-POJ-0264", "INDIGO-POJ-0265"):  # Aarhus youth Housing First
        aarhus = cases[indigo_id]
        assert aarhus.provider_model == "public"
        assert ("Aarhus Municipality", "service_provider") in {
            (p.name, p.role) for p in aarhus.parties
        }


# -- reading one file -----------------------------------------------------------------------


def test_a_good_file_loads_with_shorthand_dates_and_curated_basis(tmp_path):
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", good_case()))
    assert f.ok, messages(f)
    case = f.case
    assert case.dates["service_start"].precision == "month"
    assert case.dates["contract_signed"].value == "2021"
    assert case.provider_model_basis == "curated"
    assert case.investor_model_basis == "curated"
    assert f.record_key == "INDIGO-POJ-9001"


def test_an_explicit_basis_is_kept(tmp_path):
    data = good_case(provider_model_basis="annual report 2023")
    case = curated.read_file(write(tmp_path, "dk-test-case.yaml", data)).case
    assert case.provider_model_basis == "annual report 2023"
    assert case.investor_model_basis == "curated"


def test_iso_dates_stay_text(tmp_path):
    text = yaml.safe_dump(good_case()) + "notes: x\n"
    text = text.replace("service_start: 2022-01", "service_start: 2022-01-15")
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", text))
    assert f.ok, messages(f)
    assert f.case.dates["service_start"].value == "2022-01-15"


def test_bad_yaml_names_file_and_line(tmp_path):
    write(tmp_path, "dk-broken.yaml", "id: dk-broken\ntitle: [unclosed\n")
    f = curated.read_file(tmp_path / "dk-broken.yaml")
    assert f.case is None
    (msg,) = messages(f)
    assert msg.startswith("dk-broken.yaml: invalid YAML at line")


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    """Plain YAML keeps the second of two equal keys: a second `summary_i18n` or `da:`
    would silently drop the first."""
    text = yaml.safe_dump(good_case()) + "title: Another title\n"
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", text))
    assert f.case is None
    (msg,) = messages(f)
    assert msg.startswith("dk-test-case.yaml: invalid YAML at line"), msg
    assert "'title' is given twice" in msg, msg


def test_a_file_that_is_not_a_mapping(tmp_path):
    f = curated.read_file(write(tmp_path, "dk-list.yaml", "- a\n- b\n"))
    assert messages(f) == ["dk-list.yaml: must be a YAML mapping of Case fields (key: value)"]


def test_missing_danish_summary_names_the_field(tmp_path):
    data = good_case(summary={"en": "Only English."})
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", data))
    assert messages(f) == ["dk-test-case.yaml: summary.da: a summary in 'da' is required"]


def test_missing_required_fields_are_each_named(tmp_path):
    data = good_case(parties=[], sources=None, sector=None)
    data.pop("provider_model")
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", data))
    got = messages(f)
    for fld in ("sector", "parties", "provider_model", "sources"):
        assert f"dk-test-case.yaml: {fld}: required for a curated case" in got


def test_bad_urls_are_named_by_position(tmp_path):
    data = good_case(
        sources=[
            {"id": "case", "url": "https://example.org/ok"},
            {"id": "other", "url": "www.example.org/no-scheme"},
        ],
        documents=[{"url": "ftp://example.org/x.pdf"}, {"url": "https:///no-host"}],
    )
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == [
        "dk-test-case.yaml: sources.1.url: not an http(s) URL with a host: "
        "'www.example.org/no-scheme'",
        "dk-test-case.yaml: documents.0.url: not an http(s) URL with a host: "
        "'ftp://example.org/x.pdf'",
        "dk-test-case.yaml: documents.1.url: not an http(s) URL with a host: 'https:///no-host'",
    ]


def test_sources_without_any_url(tmp_path):
    data = good_case(sources=[{"id": "case", "title": "Email from the fund"}])
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == ["dk-test-case.yaml: sources: at least one source needs a URL"]


def test_file_name_must_be_the_id(tmp_path):
    got = messages(curated.read_file(write(tmp_path, "dk-other-name.yaml", good_case())))
    assert got == ["dk-other-name.yaml: id: file name must be the id: expected dk-test-case.yaml"]


def test_schema_errors_name_the_field(tmp_path):
    data = good_case(provider_model="municipal", colour="blue")
    data["parties"][0]["role"] = "payer"
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert any(m.startswith("dk-test-case.yaml: provider_model: Input should be") for m in got)
    assert any(m.startswith("dk-test-case.yaml: parties.0.role: Input should be") for m in got)
    assert "dk-test-case.yaml: colour: Extra inputs are not permitted" in got


def test_bad_shorthand_date(tmp_path):
    data = good_case(dates={"service_start": "spring 2022"})
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert len(got) == 1 and got[0].startswith("dk-test-case.yaml: dates.service_start: not a date")
    data = good_case(results=[{"description": "x"}, {"period_end": "2021-13"}])
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == ["dk-test-case.yaml: results.1.period_end: month out of range in '2021-13'"]


def test_unknown_sector_and_bad_indigo_id_form(tmp_path):
    data = good_case(sector="Housing", external_ids={"indigo": "POJ-1"})
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got[0].startswith("dk-test-case.yaml: sector: unknown policy sector 'Housing'")
    assert got[1] == (
        "dk-test-case.yaml: external_ids.indigo: not an INDIGO project id "
        "(INDIGO-POJ-0000): 'POJ-1'"
    )


# -- the whole folder -----------------------------------------------------------------------


def test_duplicate_ids_and_indigo_ids_across_files(tmp_path):
    write(tmp_path, "dk-test-case.yaml", good_case())
    other = good_case(id="dk-test-case")
    write(tmp_path, "dk-z-copy.yaml", other)
    third = good_case(id="dk-third")
    write(tmp_path, "dk-third.yaml", third)
    got = messages(curated.check(tmp_path))
    assert "dk-z-copy.yaml: id: duplicate id 'dk-test-case': also in dk-test-case.yaml" in got
    assert (
        "dk-third.yaml: external_ids.indigo: INDIGO id INDIGO-POJ-9001 is also used by "
        "dk-test-case.yaml"
    ) in got
    assert not any(m.startswith("dk-test-case.yaml") for m in got)


def test_unknown_indigo_id_is_reported_only_when_ids_are_known(tmp_path):
    write(tmp_path, "dk-test-case.yaml", good_case())
    assert curated.check(tmp_path).problems == []
    report = curated.check(
        tmp_path, indigo_ids={"INDIGO-POJ-0001"}, indigo_checked_against="the store"
    )
    assert messages(report) == [
        "dk-test-case.yaml: external_ids.indigo: unknown INDIGO id INDIGO-POJ-9001 in the store"
    ]


def test_missing_cases_folder_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="curated cases folder not found"):
        curated.check(tmp_path / "nowhere")


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "dk-latin1.yaml").write_bytes("title: Brøndby\n".encode("latin-1"))
    (msg,) = messages(curated.read_file(tmp_path / "dk-latin1.yaml"))
    assert msg == "dk-latin1.yaml: not UTF-8 text (byte 9)"


# -- facts tied to sources ------------------------------------------------------------------


def test_every_stated_fact_needs_a_known_source(tmp_path):
    data = good_case(
        cohort_target=28,
        investment={"currency": "DKK", "amount": 4000000},
        sources=[
            {"id": "case", "url": "https://example.org/case"},
            {"url": "https://example.org/no-id"},
        ],
        outcome_metrics=[
            {"id": "housing", "definition": "Stable housing", "definition_i18n": {"da": "Bolig"}},
            {
                "id": "work",
                "definition": "Work",
                "definition_i18n": {"da": "Arbejde"},
                "price": {"currency": "DKK", "amount": 1000},
            },
        ],
        results=[{"description": "Half found work", "source_refs": ["report"]}],
        payments=[{"amount": {"currency": "DKK", "amount": 5}, "source_refs": ["case"]}],
    )
    data["field_sources"]["investment"] = ["case"]
    data["field_sources"]["cohort_actual"] = ["case"]
    data["field_sources"]["budget"] = ["case"]
    data["parties"][1]["source_refs"] = []
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == [
        "dk-test-case.yaml: sources.1.id: a source needs an id that facts can cite",
        "dk-test-case.yaml: field_sources.cohort_target: cohort_target is stated without a source",
        "dk-test-case.yaml: field_sources.budget: not a sourced fact; keys: cohort_actual, "
        "cohort_target, dates.anticipated_end, dates.completed, dates.contract_signed, "
        "dates.service_end, dates.service_start, instrument, investment, investor_model, "
        "max_outcome_payment, outcome_payments_made, provider_model, stage",
        "dk-test-case.yaml: field_sources.cohort_actual: cites sources for cohort_actual, which "
        "the file does not state",
        "dk-test-case.yaml: parties.1.source_refs: party Test Kommune (service_provider) has "
        "no source",
        "dk-test-case.yaml: outcome_metrics.1.source_refs: price of outcome work has no source",
        "dk-test-case.yaml: results.0.source_refs: cites unknown source id 'report' (known: case)",
    ]


def test_duplicate_source_ids_and_unknown_date_names(tmp_path):
    data = good_case(
        sources=[
            {"id": "case", "url": "https://example.org/a"},
            {"id": "case", "url": "https://example.org/b"},
        ],
    )
    data["dates"]["launch"] = "2020"
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == [
        "dk-test-case.yaml: sources.1.id: duplicate source id 'case'",
        "dk-test-case.yaml: dates.launch: unknown date name; use one of: contract_signed, "
        "service_start, service_end, anticipated_end, completed",
    ]


def test_an_unknown_model_needs_no_source_but_a_stated_instrument_does(tmp_path):
    data = good_case(provider_model="unknown", instrument="outcomes_contract")
    del data["field_sources"]["provider_model"]
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == [
        "dk-test-case.yaml: field_sources.instrument: instrument is stated without a source"
    ]


def test_unverified_facts_are_listed_not_reported(tmp_path):
    data = good_case(
        cohort_target=28,
        unverified_fields=["cohort_target"],
        results=[{"description": "Half found work", "source_refs": ["case"], "unverified": True}],
    )
    data["field_sources"]["cohort_target"] = ["case"]
    data["parties"][0]["unverified"] = True
    write(tmp_path, "dk-test-case.yaml", data)
    report = curated.check(tmp_path)
    assert messages(report) == []
    assert [str(u) for u in report.unverified] == [
        "dk-test-case.yaml: cohort_target: cohort_target not checked",
        "dk-test-case.yaml: parties.0: party Test Kommune (outcome_payer) not checked",
        "dk-test-case.yaml: results.0: result Half found work not checked",
    ]
    assert report.summary()["unverified"] == 3


def test_an_unverified_mark_on_a_fact_not_stated_is_reported(tmp_path):
    data = good_case(unverified_fields=["investment"])
    got = messages(curated.read_file(write(tmp_path, "dk-test-case.yaml", data)))
    assert got == [
        "dk-test-case.yaml: unverified_fields: 'investment' is not a fact the file states"
    ]


# -- Nordic cases in their own language and Danish ------------------------------------------


def test_nordic_titles_and_danish_texts_are_required(tmp_path):
    data = good_case(
        id="se-test-case",
        countries=["SE"],
        title_i18n={"en": "Test case"},
        intervention="Family support",
        target_population="Families",
        target_population_i18n={"da": "Familier"},
        outcome_metrics=[
            {"id": "m", "definition": "Fewer placements", "target_population": "Kids"}
        ],
    )
    data["parties"][0]["role_detail"] = "Region"
    got = messages(curated.read_file(write(tmp_path, "se-test-case.yaml", data)))
    assert got == [
        "se-test-case.yaml: title_i18n.sv: a Nordic case needs its title in 'sv'",
        "se-test-case.yaml: title_i18n.da: a Nordic case needs its title in 'da'",
        "se-test-case.yaml: intervention_i18n.da: intervention needs a Danish text beside the "
        "English",
        "se-test-case.yaml: parties.0.role_detail_i18n.da: role_detail needs a Danish text",
        "se-test-case.yaml: outcome_metrics.0.definition_i18n.da: definition needs a Danish text",
        "se-test-case.yaml: outcome_metrics.0.target_population_i18n.da: target_population "
        "needs a Danish text",
    ]


def test_cases_outside_the_nordics_need_no_danish_texts(tmp_path):
    data = good_case(id="uk-test-case", countries=["GB"], title_i18n={}, intervention="Mentoring")
    f = curated.read_file(write(tmp_path, "uk-test-case.yaml", data))
    assert messages(f) == []


def test_a_file_with_gaps_still_loads_but_fails_the_check(tmp_path):
    data = good_case(cohort_target=28, title_i18n={})
    f = curated.read_file(write(tmp_path, "dk-test-case.yaml", data))
    assert f.ok and f.case.cohort_target == 28, "a gap never takes a case off the site"
    assert [p.field for p in f.gaps] == [
        "field_sources.cohort_target",
        "title_i18n.da",
        "title_i18n.en",
    ]
    assert [p.field for p in curated.check(tmp_path).problems] == [p.field for p in f.gaps]


def test_a_report_narrowed_to_some_files(tmp_path):
    write(tmp_path, "dk-test-case.yaml", good_case())
    other = good_case(
        id="dk-other", summary={"en": "x"}, external_ids={"indigo": "INDIGO-POJ-9002"}
    )
    write(tmp_path, "dk-other.yaml", other)
    report = curated.check(tmp_path)
    assert messages(report) == ["dk-other.yaml: summary.da: a summary in 'da' is required"]
    assert report.only({"dk-test-case.yaml"}).problems == []
    assert len(report.only({"dk-other.yaml"}).problems) == 1
    with pytest.raises(SourceError, match="not in the cases folder: dk-none.yaml"):
        report.only({"dk-none.yaml"})
