"""The INDIGO CSV importer on small hand-written exports and on the real export in ../shared."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from corpus.errors import SourceError
from corpus.model import Case
from corpus.store import Store
from ingest.indigo.csv_export import LIST_FILES, PROJECT_COLUMNS, project_ids, read_export
from ingest.runner import Note, Reject, run_source

NAME = "Impact Bond Name - (Value)"
STAGE = "Stage of Development - (Value)"
SECTOR = "Purpose and classifications - Policy sector - (Value)"
SIGNED = "Dates - Date outcomes contract signed - (Value)"
START = "Dates - Start date of service provision - (Value)"
INTERVENTION = "Purpose and classifications - Intervention - (Value)"
INV = "Overall project finance - Total investment commitment - "
#: Every column the importer reads (a missing one is a warning, tested below).
PROJECT_HEADER = ["ID", *PROJECT_COLUMNS]
ORG_HEADER = ["ID", "Name", "Jurisdiction", "Type - (Value)", "Website", "Country"]
FUND_HEADER = ["ID", "Fund - Name"]
FUND_LIST_HEADER = ["Project ID", "Id", "Sources", "Notes"]


def project(pid: str, name: str, **cells: str) -> dict[str, str]:
    return {"ID": pid, NAME: name, **cells}


def base_export() -> dict:
    """Two small projects of our own: a Danish and an English one, with their lists."""
    return {
        "projects": [
            project(
                "INDIGO-POJ-9001",
                "Aalborg Housing First SIB",
                **{
                    STAGE: "Implementation",
                    SECTOR: "Homelessness",
                    SIGNED: "2019-03",
                    START: "2019-06-01",
                    INV + "Currency - (Value)": "Danish",
                    INV + "Amount - Exact - (Value)": "5,000,000",
                    INV + "Amount USD - Exact - (Value)": "750000",
                    INTERVENTION: (
                        "Housing first  with\r\nintensive\u00a0case management.\n\n\n\nTwo teams."
                    ),
                },
            ),
            project(
                "INDIGO-POJ-9002",
                "Leeds Young People Into Work",
                **{STAGE: "Complete", SECTOR: "Employment and training", START: "2015"},
            ),
        ],
        "organisations": [
            {
                "ID": "ORG-1",
                "Name": "Aalborg Kommune",
                "Jurisdiction": "DK",
                "Type - (Value)": "Government body",
            },
            {
                "ID": "ORG-2",
                "Name": "Fonden for Social Ansvarlighed",
                "Country": "Denmark",
                "Type - (Value)": "Registered non-profit organisation, charity or foundation",
            },
            {"ID": "ORG-3", "Name": "Northern Impact Capital Ltd", "Jurisdiction": "GB"},
            {
                "ID": "ORG-4",
                "Name": "Leeds City Council",
                "Jurisdiction": "GB",
                "Type - (Value)": "Government body",
                "Website": "https://leeds.example",
            },
            {"ID": "ORG-5", "Name": "Outcome Checkers LLP", "Jurisdiction": "GB"},
        ],
        "lists": {
            "projects_delivery_locations.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Location - Name - (Value)": "Aalborg",
                    "Location - Country - (Value)": "DK",
                    "Lat/Lng - Lat - (Value)": "57.05",
                    "Lat/Lng - Lng - (Value)": "9.92",
                },
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Location - Name - (Value)": "Leeds",
                    "Location - Country - (Value)": "GB",
                },
            ],
            "projects_outcome_payment_commitments.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Organisation ID - (Value)": "ORG-1",
                    "Organisation Role Category - (Value)": "Government/Public Sector/Public Bank",
                    "Maximum potential Outcome payment - Currency - (Value)": "DKK",
                    "Maximum potential Outcome payment - Amount - (Value)": "6000000",
                },
                {"Project ID": "INDIGO-POJ-9002", "Organisation ID - (Value)": "ORG-4"},
            ],
            "projects_investments.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Id": "investment1",
                    "Organisation ID - (Value)": "ORG-2",
                    "Organisation Role Category - (Value)": "Foundation/Philanthropist",
                    "Investment Commitment - Currency - (Value)": "DKK",
                    "Investment Commitment - Amount - Exact - (Value)": "3000000",
                },
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Id": "investment2",
                    "Organisation ID - (Value)": "ORG-2",
                    "Investment Commitment - Currency - (Value)": "DKK",
                    "Investment Commitment - Amount - Exact - (Value)": "2000000",
                },
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Id": "investment1",
                    "Organisation ID - (Value)": "ORG-3",
                    "Organisation Role Category - (Value)": "Impact Investor",
                },
                # A private organisation: INDIGO leaves it out of the export.
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Id": "investment2",
                    "Organisation ID - (Value)": "ORG-999",
                },
            ],
            "projects_service_provisions.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Id": "serviceprovision1",
                    "Organisation ID - (Value)": "ORG-1",
                    "Organisation Role Category - (Value)": "Government/Public Sector/Public Bank",
                },
            ],
            "projects_intermediary_services.csv": [
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Organisation ID - (Value)": "ORG-3",
                    "Organisation Role Category - (Value)": "Other",
                    "Other Role Description - (Value)": "Fund manager",
                },
            ],
            "projects_outcome_metrics.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Id": "outcomemetric1",
                    "Outcome Definition - (Value)": "Tenancy sustained for 12 months",
                    "Outcome metric target - (Value)": "80 %",
                    "Outcome validation Method - (Value)": "Register data",
                },
            ],
            "projects_outcome_pricings.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Outcome Metric Id - (Value)": "outcomemetric1",
                    "Currency - (Value)": "DKK",
                    "Price Per Unit - Amount - (Value)": "45000",
                    "Price Description - (Value)": "Per person housed",
                },
            ],
            "projects_results.csv": [
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Result level - (Value)": "Project level",
                    "Result type - (Value)": "Final",
                    "Period - Start - (Value)": "2015-01",
                    "Period - End - (Value)": "2018-12",
                    "Number engaged In impact bond - (Value)": "420",
                    "Outcomes validator(s) - (Value)": "ORG-5",
                },
            ],
            "projects_outcome_payments.csv": [
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Payer Organisation ID - (Value)": "ORG-4",
                    "Type - (Value)": "Actual",
                    "Payments - Currency - (Value)": "GBP",
                    "Payments - Amount - (Value)": "1200.50",
                    "Period - Start - (Value)": "2016-04",
                },
            ],
            "projects_documents.csv": [
                {
                    "Project ID": "INDIGO-POJ-9001",
                    "Title - (Value)": "Contract",
                    "URL - (Value)": "https://docs.example/contract.pdf",
                },
            ],
            "projects_sources.csv": [
                {
                    "Project ID": "INDIGO-POJ-9002",
                    "Id": "source1",
                    "Name - (Value)": "Evaluation",
                    "Type - (Value)": "Evaluation report",
                    "URL - (Value)": "https://ev.example/r",
                    "Publishing Organisations - (Value)": "Leeds research unit",
                },
            ],
        },
    }


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], encoding="utf-8") -> None:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def write_export(folder: Path, export: dict | None = None) -> Path:
    """Write an export folder: every list file (header only when it has no rows)."""
    export = export or base_export()
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "projects.csv", PROJECT_HEADER, export["projects"])
    write_csv(folder / "organisations.csv", ORG_HEADER, export["organisations"])
    for name, (_key, columns) in LIST_FILES.items():
        write_csv(folder / name, ["Project ID", *columns], export["lists"].get(name, []))
    write_csv(folder / "funds.csv", FUND_HEADER, export.get("funds", []))
    write_csv(folder / "projects_outcome_funds.csv", FUND_LIST_HEADER, export.get("in_funds", []))
    return folder


def split(items) -> tuple[dict[str, Case], list[Reject | Note]]:
    """Cases by INDIGO id, and the problems: rejects and warnings, in the order read."""
    items = list(items)
    cases = {i.external_ids["indigo"]: i for i in items if isinstance(i, Case)}
    return cases, [i for i in items if isinstance(i, Reject | Note)]


def import_into(store: Store, path: Path):
    return run_source(store, "indigo", read_export(path), complete=True)


def snapshot(store: Store) -> dict[str, list]:
    return {
        "cases": store.db.execute(
            "SELECT id, content_hash, updated_at FROM cases ORDER BY id"
        ).fetchall(),
        "records": store.db.execute(
            "SELECT record_id, content_hash, updated_at FROM records ORDER BY record_id"
        ).fetchall(),
    }


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "data" / "casebank.db")
    yield s
    s.close()


# -- mapping --------------------------------------------------------------------------------


def test_small_export_maps_every_list(tmp_path):
    cases, rejects = split(read_export(write_export(tmp_path / "export")))
    assert rejects == []
    aalborg, leeds = cases["INDIGO-POJ-9001"], cases["INDIGO-POJ-9002"]

    assert aalborg.id == "indigo-poj-9001"
    assert aalborg.countries == ["DK"] and aalborg.places[0].lat == 57.05
    assert aalborg.stage == "implementation" and aalborg.sector == "Homelessness"
    assert aalborg.dates["contract_signed"].precision == "month"
    assert aalborg.dates["service_start"].value == "2019-06-01"
    assert aalborg.investment.currency == "DKK" and aalborg.investment.amount == 5_000_000
    assert aalborg.investment.amount_usd == 750_000
    # Multi-line text: one space per run, paragraphs kept, no more than one blank line.
    assert aalborg.intervention == "Housing first with\nintensive case management.\n\nTwo teams."

    roles = {(p.name, p.role): p for p in aalborg.parties}
    payer = roles[("Aalborg Kommune", "outcome_payer")]
    assert payer.org_type == "government" and payer.country == "DK"
    assert payer.amount.amount == 6_000_000
    investor = roles[("Fonden for Social Ansvarlighed", "investor")]
    # Two investment rows of one organisation in one currency add up; the role category
    # (foundation) is more specific than the organisation type (non-profit).
    assert investor.amount.amount == 5_000_000 and investor.org_type == "foundation"
    assert investor.country == "DK"
    assert roles[("Aalborg Kommune", "service_provider")].org_type == "government"

    (metric,) = aalborg.outcome_metrics
    assert metric.definition == "Tenancy sustained for 12 months" and metric.target == "80 %"
    assert metric.price.currency == "DKK" and metric.price.amount == 45000
    assert metric.price_description == "Per person housed"
    assert aalborg.documents[0].url == "https://docs.example/contract.pdf"

    assert leeds.stage == "complete" and leeds.dates["service_start"].precision == "year"
    kinds = {(p.name, p.role): p for p in leeds.parties}
    assert kinds[("Northern Impact Capital Ltd", "investor")].org_type == "investment_fund"
    assert kinds[("Northern Impact Capital Ltd", "intermediary")].role_detail == "Fund manager"
    assert kinds[("Leeds City Council", "outcome_payer")].website == "https://leeds.example"
    assert kinds[("Outcome Checkers LLP", "evaluator")].role_detail == "Outcomes validator"
    assert not any(p.organisation_id == "ORG-999" for p in leeds.parties)  # private: left out
    (result,) = leeds.results
    assert result.engaged == 420 and result.validator == "Outcome Checkers LLP"
    assert result.period_end.value == "2018-12"
    (payment,) = leeds.payments
    assert payment.payer == "Leeds City Council" and payment.amount.amount == 1200.5
    assert leeds.sources[0].publisher == "Leeds research unit"
    assert leeds.sources[0].kind == "Evaluation report"


def test_zip_gives_the_same_cases_as_the_folder(tmp_path):
    folder = write_export(tmp_path / "export")
    archive = tmp_path / "indigo.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in folder.iterdir():
            zf.write(f, f"indigo-export/{f.name}")  # exports are often zipped with a folder
    from_folder, _ = split(read_export(folder))
    from_zip, rejects = split(read_export(archive))
    assert rejects == []
    assert {k: c.content_hash() for k, c in from_zip.items()} == {
        k: c.content_hash() for k, c in from_folder.items()
    }


# -- bad input ------------------------------------------------------------------------------


def test_broken_zip_fails_the_run_and_keeps_the_store(tmp_path, store):
    import_into(store, write_export(tmp_path / "export"))
    before = snapshot(store)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    report = import_into(store, broken)
    assert report.status == "failed"
    assert "broken.zip" in report.message and "not a readable zip" in report.message
    assert snapshot(store) == before


def test_missing_projects_csv_fails_with_a_clear_message(tmp_path, store):
    folder = write_export(tmp_path / "export")
    (folder / "projects.csv").unlink()
    report = import_into(store, folder)
    assert report.status == "failed" and "projects.csv missing" in report.message
    assert store.count_cases() == 0


def test_missing_id_column_fails_and_keeps_the_store(tmp_path, store):
    import_into(store, write_export(tmp_path / "good"))
    before = snapshot(store)
    export = base_export()
    folder = write_export(tmp_path / "bad", export)
    rows = [{k: v for k, v in r.items() if k != "ID"} for r in export["projects"]]
    write_csv(folder / "projects.csv", [h for h in PROJECT_HEADER if h != "ID"], rows)
    report = import_into(store, folder)
    assert report.status == "failed"
    assert "projects.csv" in report.message and "'ID'" in report.message
    assert snapshot(store) == before


def test_missing_optional_column_is_a_warning_and_rows_are_kept(tmp_path):
    export = base_export()
    folder = write_export(tmp_path / "export", export)
    header = [h for h in PROJECT_HEADER if h != SIGNED]
    rows = [{k: v for k, v in r.items() if k != SIGNED} for r in export["projects"]]
    write_csv(folder / "projects.csv", header, rows)
    cases, rejects = split(read_export(folder))
    assert set(cases) == {"INDIGO-POJ-9001", "INDIGO-POJ-9002"}
    assert "contract_signed" not in cases["INDIGO-POJ-9001"].dates
    (warning,) = rejects
    assert warning.where == "projects.csv" and SIGNED in warning.reason
    assert isinstance(warning, Note) and warning.kind == "warning"


def test_bad_date_is_reported_by_line_and_column_and_the_project_kept(tmp_path):
    export = base_export()
    export["projects"][1][SIGNED] = "2016-13"
    cases, rejects = split(read_export(write_export(tmp_path / "export", export)))
    assert "contract_signed" not in cases["INDIGO-POJ-9002"].dates
    (warning,) = rejects
    # Line 8: the header, then the first project's row spans six lines (a multi-line cell).
    assert warning.where == f"projects.csv:8 column {SIGNED!r}"
    assert "2016-13" in warning.reason and warning.kind == "warning"


def test_unknown_currency_word_and_codelist_value_are_warnings(tmp_path):
    export = base_export()
    export["projects"][0][INV + "Currency - (Value)"] = "Danish crowns"
    export["projects"][1][STAGE] = "Planning"
    cases, rejects = split(read_export(write_export(tmp_path / "export", export)))
    aalborg, leeds = cases["INDIGO-POJ-9001"], cases["INDIGO-POJ-9002"]
    assert aalborg.investment.currency is None and aalborg.investment.amount == 5_000_000
    assert leeds.stage == "unknown"
    reasons = {r.where: r.reason for r in rejects}
    assert (
        "unknown currency word: 'Danish crowns'"
        in reasons[f"projects.csv:2 column {INV + 'Currency - (Value)'!r}"]
    )
    assert "unknown stage: 'Planning'" in reasons[f"projects.csv:8 column {STAGE!r}"]


def test_latin1_bytes_reject_that_row_and_keep_the_stored_project(tmp_path, store):
    folder = write_export(tmp_path / "export")
    import_into(store, folder)
    stored = store.get_case("INDIGO-POJ-9001").content_hash()
    # Someone re-saved the investments file as Latin-1 and changed an amount.
    export = base_export()
    export["lists"]["projects_investments.csv"][0][
        "Investment Commitment - Amount - Exact - (Value)"
    ] = "9000000"
    write_export(folder, export)
    export["lists"]["projects_investments.csv"][0]["Notes"] = "Bevilget af bestyrelsen i år"
    _key, columns = LIST_FILES["projects_investments.csv"]
    write_csv(
        folder / "projects_investments.csv",
        ["Project ID", *columns, "Notes"],
        export["lists"]["projects_investments.csv"],
        encoding="latin-1",
    )
    report = import_into(store, folder)
    assert report.status == "partial"
    (reject,) = report.rejects
    assert reject["where"] == "projects_investments.csv:2"
    assert "not valid UTF-8 (byte 0xE5 in column 'Notes')" in reject["reason"]
    assert "INDIGO-POJ-9001 not updated" in reject["reason"]
    assert store.get_case("INDIGO-POJ-9001").content_hash() == stored  # kept as it was
    assert report.counts["unchanged"] == 1  # the other project went through


def test_duplicate_project_ids_keep_the_first_row(tmp_path):
    export = base_export()
    export["projects"].append(project("INDIGO-POJ-9002", "A second row with the same id"))
    cases, rejects = split(read_export(write_export(tmp_path / "export", export)))
    assert cases["INDIGO-POJ-9002"].title == "Leeds Young People Into Work"
    (reject,) = rejects
    assert reject.where == "projects.csv:9"
    assert "duplicate project ID INDIGO-POJ-9002 (first at line 8)" in reject.reason


def test_list_row_of_an_unknown_project_is_rejected(tmp_path):
    export = base_export()
    export["lists"]["projects_documents.csv"].append(
        {
            "Project ID": "INDIGO-POJ-0000",
            "Title - (Value)": "Stray",
            "URL - (Value)": "https://x.example",
        }
    )
    cases, rejects = split(read_export(write_export(tmp_path / "export", export)))
    assert len(cases) == 2
    (reject,) = rejects
    assert reject.where == "projects_documents.csv:3"
    assert "INDIGO-POJ-0000 is not in projects.csv" in reject.reason


def test_project_without_a_name_is_rejected_and_not_removed(tmp_path, store):
    folder = write_export(tmp_path / "export")
    import_into(store, folder)
    export = base_export()
    export["projects"][1][NAME] = "  "
    write_export(folder, export)
    report = import_into(store, folder)
    assert report.counts["removed"] == 0 and report.counts["rejected"] == 1
    assert "INDIGO-POJ-9002 has no name" in report.rejects[0]["reason"]
    assert store.get_case("INDIGO-POJ-9002").title == "Leeds Young People Into Work"


def test_project_dropped_from_the_export_is_removed(tmp_path, store):
    folder = write_export(tmp_path / "export")
    import_into(store, folder)
    export = base_export()
    del export["projects"][1]
    for rows in export["lists"].values():
        rows[:] = [r for r in rows if r["Project ID"] != "INDIGO-POJ-9002"]
    write_export(folder, export)
    report = import_into(store, folder)
    assert report.counts["removed"] == 1 and report.counts["unchanged"] == 1
    assert store.find_case_id("INDIGO-POJ-9002") is None


# -- the real export ------------------------------------------------------------------------


def test_real_export_imports_every_project_then_writes_nothing(indigo_csv_dir, store):
    report = import_into(store, indigo_csv_dir)
    assert report.counts["new"] == 319 and store.count_cases() == 319
    # The real export's problems are all field-level warnings: no project is lost.
    assert report.status == "ok" and report.rejects == [] and report.counts["warnings"] > 0
    assert all(n["kind"] == "warning" for n in report.notes)
    by_country = store.stats()["by_country"]
    assert {c: by_country[c] for c in ("GB", "US", "DK", "FI", "SE")} == {
        "GB": 100,
        "US": 28,
        "DK": 13,
        "FI": 4,
        "SE": 1,
    }
    norrkoping = store.get_case("INDIGO-POJ-0077")
    assert norrkoping.countries == ["SE"] and norrkoping.investment.currency == "SEK"
    assert {p.role for p in norrkoping.parties} >= {"outcome_payer", "investor", "service_provider"}

    before = snapshot(store)
    again = import_into(store, indigo_csv_dir)
    assert again.counts["unchanged"] == 319
    assert sum(again.counts[k] for k in ("new", "changed", "removed")) == 0
    assert snapshot(store) == before  # no case or record row rewritten


def test_real_export_as_zip(indigo_csv_dir, tmp_path):
    archive = Path(shutil.make_archive(str(tmp_path / "indigo"), "zip", indigo_csv_dir))
    from_zip, _ = split(read_export(archive))
    from_folder, _ = split(read_export(indigo_csv_dir))
    assert len(from_zip) == 319
    assert {k: c.content_hash() for k, c in from_zip.items()} == {
        k: c.content_hash() for k, c in from_folder.items()
    }


def test_path_to_projects_csv_reads_its_folder(tmp_path):
    folder = write_export(tmp_path / "export")
    cases, rejects = split(read_export(folder / "projects.csv"))
    assert set(cases) == {"INDIGO-POJ-9001", "INDIGO-POJ-9002"} and rejects == []


def test_latin1_project_row_is_rejected_and_the_others_imported(tmp_path, store):
    folder = write_export(tmp_path / "export")
    import_into(store, folder)
    stored = store.get_case("INDIGO-POJ-9002").content_hash()
    export = base_export()
    export["projects"][0][INTERVENTION] = (
        "Housing first with\nintensive case management.\n\nTwo teams."
    )
    export["projects"][1][NAME] = "Leeds Young People Into Work – café edition"
    write_csv(folder / "projects.csv", PROJECT_HEADER, export["projects"], encoding="cp1252")
    report = import_into(store, folder)
    (reject,) = report.rejects
    assert reject["where"] == "projects.csv:6"
    assert f"byte 0x96 in column {NAME!r}" in reject["reason"]
    assert "project not updated" in reject["reason"]
    assert report.counts["unchanged"] == 1 and report.counts["removed"] == 0
    assert store.get_case("INDIGO-POJ-9002").content_hash() == stored


def _write_projects_csv(path: Path, ids: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Impact Bond Name - (Value)"])
        for i in ids:
            w.writerow([i, f"Project {i}"])


def test_project_ids_from_a_folder_a_zip_or_the_file(tmp_path):
    """`casebank corpus check --indigo-csv` reads the ids through the bounded reader."""
    folder = tmp_path / "export"
    folder.mkdir()
    _write_projects_csv(folder / "projects.csv", ["INDIGO-POJ-9001", "INDIGO-POJ-0002"])
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(folder / "projects.csv", "projects.csv")
    want = {"INDIGO-POJ-9001", "INDIGO-POJ-0002"}
    assert project_ids(folder) == want
    assert project_ids(zipped) == want
    assert project_ids(folder / "projects.csv") == want


def test_project_ids_errors_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        project_ids(tmp_path / "missing")
    other = tmp_path / "other"
    other.mkdir()
    (other / "projects.csv").write_text("name,value\na,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="required column 'ID' missing"):
        project_ids(other)
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(SourceError, match="projects.csv not found"):
        project_ids(tmp_path / "empty.zip")
