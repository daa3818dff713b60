"""`casebank corpus check` and `casebank ingest corpus` on real folders and a real store."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from typer.testing import CliRunner

from casebank import app

runner = CliRunner()


def write_case(folder: Path, case_id: str, **changes) -> None:
    data = {
        "id": case_id,
        "external_ids": {"indigo": "INDIGO-POJ-9001"},
        "title": f"Case {case_id}",
        "summary": {"en": "English.", "da": "Dansk."},
        "countries": ["DK"],
        "sector": "Health",
        "stage": "complete",
        "title_i18n": {"da": f"Sag {case_id}", "en": f"Case {case_id}"},
        "parties": [
            {
                "name": "Test Kommune",
                "role": "outcome_payer",
                "org_type": "government",
                "source_refs": ["case"],
            }
        ],
        "provider_model": "nonprofit",
        "investor_model": "philanthropic",
        "sources": [{"id": "case", "url": "https://example.org/case"}],
        "field_sources": {k: ["case"] for k in ("stage", "provider_model", "investor_model")},
    }
    data.update(changes)
    (folder / f"{case_id}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_check_lists_problems_and_exits_1(tmp_path):
    write_case(tmp_path, "dk-one", summary={"en": "English only."})
    write_case(
        tmp_path,
        "dk-two",
        external_ids={"indigo": "INDIGO-POJ-9002"},
        sources=[{"id": "case", "url": "example.org"}],
    )
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path / "data"), "corpus", "check", "--cases-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "dk-one.yaml: summary.da: a summary in 'da' is required" in result.output
    assert "dk-two.yaml: sources.0.url: not an http(s) URL with a host: 'example.org'" in (
        result.output
    )
    assert "2 problem(s) in 2 files" in result.output
    assert not (tmp_path / "data" / "casebank.db").exists(), "checking creates no store"


def test_check_against_an_indigo_export(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    write_case(cases, "dk-one")
    export = tmp_path / "projects.csv"
    with open(export, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["ID"], ["INDIGO-POJ-0001"]])
    args = ["--data-dir", str(tmp_path / "data"), "corpus", "check", "--cases-dir", str(cases)]
    result = runner.invoke(app, [*args, "--indigo-csv", str(export)])
    assert result.exit_code == 1
    assert f"unknown INDIGO id INDIGO-POJ-9001 in {export}" in result.output

    with open(export, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["INDIGO-POJ-9001"])
    result = runner.invoke(app, [*args, "--indigo-csv", str(export)])
    assert result.exit_code == 0, result.output
    assert "ok: 1 files, 1 cases" in result.output
    assert f"1 INDIGO ids checked against {export}" in result.output

    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "INDIGO ids not checked" in result.output


def test_ingest_corpus_prints_the_run_report(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    write_case(cases, "dk-one")
    (cases / "dk-bad.yaml").write_text("just text", encoding="utf-8")
    args = ["--data-dir", str(tmp_path / "data"), "ingest", "corpus", "--cases-dir", str(cases)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "corpus: partial (new 1, changed 0, unchanged 0, removed 0, rejected 1, warnings 0)" in (
        result.output
    )
    assert "rejected dk-bad.yaml: must be a YAML mapping" in result.output
    again = runner.invoke(app, args)
    assert "unchanged 1" in again.output


def test_shipped_corpus_checks_clean_from_the_command_line(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "corpus", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_check_uses_the_indigo_records_in_the_store(tmp_path):
    from corpus.model import Case
    from corpus.store import Store

    cases = tmp_path / "cases"
    cases.mkdir()
    write_case(cases, "dk-one")
    store = Store(tmp_path / "data" / "casebank.db")
    store.upsert_record(
        Case(id="INDIGO-POJ-0001", external_ids={"indigo": "INDIGO-POJ-0001"}, title="Other"),
        "indigo",
    )
    store.close()
    args = ["--data-dir", str(tmp_path / "data"), "corpus", "check", "--cases-dir", str(cases)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert (
        "dk-one.yaml: external_ids.indigo: unknown INDIGO id INDIGO-POJ-9001 in the INDIGO "
        "records in the store"
    ) in result.output


def test_check_reports_unsourced_facts_and_lists_unverified_ones(tmp_path):
    write_case(tmp_path, "dk-one", cohort_target=28)
    write_case(tmp_path, "dk-two", external_ids={"indigo": "INDIGO-POJ-9002"})
    args = ["--data-dir", str(tmp_path / "data"), "corpus", "check", "--cases-dir", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert (
        "dk-one.yaml: field_sources.cohort_target: cohort_target is stated without a source"
    ) in result.output
    assert "1 problem(s) in 2 files" in result.output

    only_two = runner.invoke(app, [*args, "dk-two.yaml"])
    assert only_two.exit_code == 0, only_two.output
    assert "ok: 1 files, 1 cases" in only_two.output

    write_case(
        tmp_path,
        "dk-one",
        cohort_target=28,
        field_sources={
            k: ["case"] for k in ("stage", "provider_model", "investor_model", "cohort_target")
        },
        unverified_fields=["cohort_target"],
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 facts without a source; 1 unverified fact(s)" in result.output
    assert "dk-one.yaml: cohort_target: cohort_target not checked" in result.output

    # The domain error reaches `main()`, which prints it and exits 1.
    missing = runner.invoke(app, [*args, "dk-none.yaml"])
    assert missing.exit_code != 0
    assert "not in the cases folder: dk-none.yaml" in str(missing.exception)
