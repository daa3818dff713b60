"""Ingesting the curated files: idempotent runs, rejects by file, merging with INDIGO."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from corpus import curated
from corpus.model import Case, Party
from corpus.store import Store
from ingest.runner import Reject, run_source
from ingest.sources import corpus_files


def case_data(case_id: str, indigo: str | None = None, **changes) -> dict:
    data = {
        "id": case_id,
        "title": f"Case {case_id}",
        "summary": {"en": "English summary.", "da": "Dansk resumé."},
        "countries": ["DK"],
        "sector": "Homelessness",
        "stage": "implementation",
        "parties": [
            {"name": "Aarhus Kommune", "role": "service_provider", "org_type": "government"}
        ],
        "provider_model": "public",
        "investor_model": "public",
        "sources": [{"url": f"https://example.org/{case_id}"}],
    }
    if indigo:
        data["external_ids"] = {"indigo": indigo}
    data.update(changes)
    return data


def write(folder: Path, data: dict, name: str | None = None) -> Path:
    path = folder / (name or f"{data['id']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def ingest(store: Store, folder: Path | None = None):
    return run_source(store, "corpus", corpus_files.read(folder), complete=True)


def test_the_shipped_corpus_ingests_once_then_is_unchanged(tmp_path):
    n = len(curated.case_files())
    store = Store(tmp_path / "s.db")
    first = ingest(store).as_dict()
    assert first["status"] == "ok"
    assert first["counts"]["new"] == n and first["counts"]["rejected"] == 0
    hashes = store.case_hashes()
    again = ingest(store).as_dict()
    assert again["counts"] == {
        "new": 0,
        "changed": 0,
        "unchanged": n,
        "removed": 0,
        "rejected": 0,
        "warnings": 0,
    }
    assert store.case_hashes() == hashes
    assert store.count_cases() == n


def test_items_carry_corpus_provenance(tmp_path):
    write(tmp_path, case_data("dk-one", indigo="INDIGO-POJ-9001"))
    (case,) = list(corpus_files.read(tmp_path))
    assert isinstance(case, Case)
    assert [(p.source, p.record_id) for p in case.provenance] == [("corpus", "INDIGO-POJ-9001")]


def test_a_broken_file_is_rejected_by_name_and_the_rest_imported(tmp_path):
    store = Store(tmp_path / "s.db")
    cases = tmp_path / "cases"
    cases.mkdir()
    write(cases, case_data("dk-good"))
    write(cases, case_data("dk-fixable", title="First good version"))
    assert ingest(store, cases).counts["new"] == 2

    # The second file breaks: its last good version stays, the first file is untouched.
    write(cases, case_data("dk-fixable", summary={"en": "No Danish."}))
    (cases / "dk-bad-yaml.yaml").write_text("id: [\n", encoding="utf-8")
    report = ingest(store, cases).as_dict()
    assert report["status"] == "partial"
    assert report["counts"]["rejected"] == 2 and report["counts"]["removed"] == 0
    rejects = {r["where"]: r["reason"] for r in report["rejects"]}
    assert rejects["dk-fixable.yaml"] == "summary.da: a summary in 'da' is required"
    assert rejects["dk-bad-yaml.yaml"].startswith("invalid YAML at line")
    assert store.get_case("dk-fixable").title == "First good version"
    assert store.get_case("dk-good").summary["da"] == "Dansk resumé."


def test_a_rejected_file_keeps_its_indigo_keyed_record(tmp_path):
    write(tmp_path, case_data("dk-linked", indigo="INDIGO-POJ-9002"))
    store = Store(tmp_path / "s.db")
    ingest(store, tmp_path)
    write(tmp_path, case_data("dk-linked", indigo="INDIGO-POJ-9002", sources=[]))
    items = list(corpus_files.read(tmp_path))
    assert items == [
        Reject(
            where="dk-linked.yaml",
            reason="sources: required for a curated case",
            record_id="INDIGO-POJ-9002",
        )
    ]
    assert ingest(store, tmp_path).counts["removed"] == 0
    assert store.get_case("dk-linked").id == "indigo-poj-9002"


def test_a_deleted_file_removes_its_case(tmp_path):
    store = Store(tmp_path / "s.db")
    write(tmp_path, case_data("dk-a"))
    gone = write(tmp_path, case_data("dk-b"))
    ingest(store, tmp_path)
    gone.unlink()
    assert ingest(store, tmp_path).counts["removed"] == 1
    assert [c.id for c in store.iter_cases()] == ["dk-a"]


def test_a_curated_case_merges_with_its_indigo_record(tmp_path):
    store = Store(tmp_path / "s.db")
    indigo = Case(
        id="INDIGO-POJ-9003",
        external_ids={"indigo": "INDIGO-POJ-9003"},
        title="Reducing youth homelessness - Denmark",
        countries=["DK"],
        sector="Homelessness",
        stage="implementation",
        intervention="Housing First support from INDIGO's record.",
        parties=[
            Party(name="Aarhus Municipality", role="outcome_payer"),
            Party(name="Den Sociale Investeringsfond", role="investor"),
        ],
    )
    assert store.upsert_record(indigo, "indigo") == "new"
    write(
        tmp_path,
        case_data(
            "dk-aarhus-test",
            indigo="INDIGO-POJ-9003",
            title="Housing First for young homeless people (Aarhus)",
            parties=[
                {
                    "name": "Aarhus Municipality",
                    "role": "service_provider",
                    "org_type": "government",
                }
            ],
        ),
    )
    assert ingest(store, tmp_path).counts["new"] == 1
    assert store.count_cases() == 1
    case = store.get_case("dk-aarhus-test")
    assert case.id == "indigo-poj-9003"
    assert store.get_case("INDIGO-POJ-9003").id == case.id
    assert case.title == "Housing First for young homeless people (Aarhus)"
    assert "Reducing youth homelessness - Denmark" in case.alt_names
    assert case.summary == {"en": "English summary.", "da": "Dansk resumé."}
    assert case.intervention == "Housing First support from INDIGO's record."
    assert {(p.name, p.role) for p in case.parties} == {
        ("Aarhus Municipality", "service_provider"),
        ("Aarhus Municipality", "outcome_payer"),
        ("Den Sociale Investeringsfond", "investor"),
    }
    assert (case.provider_model, case.provider_model_basis) == ("public", "curated")
    assert sorted(store.records_of_case(case.id)) == [
        ("corpus", "INDIGO-POJ-9003"),
        ("indigo", "INDIGO-POJ-9003"),
    ]


def test_the_packaged_corpus_path_is_used_by_default(tmp_path):
    copy = tmp_path / "cases"
    shutil.copytree(curated.CASES_DIR, copy)
    from_copy = [c.id for c in corpus_files.read(copy)]
    assert from_copy == [c.id for c in corpus_files.read()]


def test_ingesting_indigo_and_the_corpus_gives_one_case_per_nordic_project(
    tmp_path, indigo_csv_dir
):
    from ingest.indigo.csv_export import read_export

    store = Store(tmp_path / "s.db")
    assert run_source(store, "indigo", read_export(indigo_csv_dir), complete=True).status != (
        "failed"
    )
    before = store.count_cases()
    curated_cases = {c.id: c for c in curated.check().cases}
    report = ingest(store)
    assert report.counts["rejected"] == 0
    linked = {cid: c for cid, c in curated_cases.items() if "indigo" in c.external_ids}
    # Every curated file with an INDIGO id lands on the INDIGO case; the others are new cases.
    assert store.count_cases() == before + len(curated_cases) - len(linked)
    for slug, case in linked.items():
        merged = store.get_case(slug)
        assert merged.id == case.external_ids["indigo"].lower()
        assert sorted(s for s, _ in store.records_of_case(merged.id)) == ["corpus", "indigo"]
        assert merged.title == case.title
        assert merged.summary["da"] == case.summary["da"]
        assert merged.provider_model == case.provider_model
        assert (merged.provider_model_basis or "").startswith("curated")
    stats = store.stats()
    for country, at_least in (("DK", 13), ("SE", 1), ("FI", 4)):
        assert stats["by_country"][country] >= at_least
    brondby = store.get_case("INDIGO-POJ-0269")
    assert brondby.provider_model == "nonprofit"
    assert brondby.alt_names  # INDIGO's own title is kept as another name


def test_the_ingest_job_runs_the_corpus_as_a_complete_source(tmp_path):
    from corpus.settings import Settings
    from ingest.job import run_job

    cases = tmp_path / "cases"
    cases.mkdir()
    write(cases, case_data("dk-a"))
    gone = write(cases, case_data("dk-b"))
    sources = tmp_path / "sources.yaml"
    entry = {"module": "ingest.sources.corpus_files", "options": {"folder": str(cases)}}
    sources.write_text(yaml.safe_dump({"sources": {"corpus": entry}}), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", sources_file=sources)
    first = run_job(settings).sources
    assert [(r["name"], r["status"], r["counts"]["new"]) for r in first] == [("corpus", "ok", 2)]
    gone.unlink()
    (again,) = run_job(settings).sources
    assert again["counts"]["removed"] == 1 and again["counts"]["unchanged"] == 1
