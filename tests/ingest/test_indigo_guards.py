"""Broken INDIGO exports never lose data: each is refused whole through the real CLI.

The good export (../shared/data/indigo/csv) is imported once into a real SQLite store;
then each broken copy, written to a temporary folder, is offered to
`casebank ingest indigo-csv`: it must exit non-zero with a one-line reason and leave
`casebank stats --json` and every case's parties exactly as they were. The broken
exports are the ones issue 9 found (header-only projects.csv, the first 10 projects,
missing list files, bad organisation rows, garbage rows, /dev/zero, a FIFO, a zip of
blank lines). The 1M-row case is in bench/bench_import.py; here 50,000 garbage rows show
that the reject bound stops the run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casebank import app
from corpus.store import Store

runner = CliRunner()


def cli(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def state(data_dir: Path) -> tuple[dict, dict]:
    """What must not change: `casebank stats --json` and each case's parties."""
    result = cli(data_dir, "stats", "--json")
    assert result.exit_code == 0, result.output
    store = Store(data_dir / "casebank.db")
    parties = {c.id: [p.model_dump() for p in c.parties] for c in store.iter_cases()}
    store.close()
    return json.loads(result.stdout), parties


@pytest.fixture(scope="module")
def imported(indigo_csv_dir, tmp_path_factory) -> tuple[Path, tuple[dict, dict]]:
    data_dir = tmp_path_factory.mktemp("data")
    result = cli(data_dir, "ingest", "indigo-csv", str(indigo_csv_dir))
    assert result.exit_code == 0, result.output
    before = state(data_dir)
    assert before[0]["cases"] == 319 and before[0]["by_source"]["indigo"] == 319
    return data_dir, before


def copy_export(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def first_lines(path: Path, keep_rows: int) -> None:
    """Keep the header and the first `keep_rows` records of a CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[: keep_rows + 1])


def header_only(folder: Path) -> None:
    first_lines(folder / "projects.csv", 0)


def first_ten(folder: Path) -> None:
    first_lines(folder / "projects.csv", 10)


def first_ten_everywhere(folder: Path) -> None:
    """A consistent export of the first 10 projects: what a genuine shrink looks like."""
    first_ten(folder)
    with (folder / "projects.csv").open(encoding="utf-8", newline="") as fh:
        kept = {row["ID"] for row in csv.DictReader(fh)}
    for path in folder.glob("projects_*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([rows[0], *(r for r in rows[1:] if r and r[0] in kept)])


def without_lists(folder: Path) -> None:
    # The issue's case: only projects.csv and organisations.csv.
    for f in folder.iterdir():
        if f.name not in ("projects.csv", "organisations.csv"):
            f.unlink()


def without_locations(folder: Path) -> None:
    (folder / "projects_delivery_locations.csv").unlink()


def bad_organisations(folder: Path) -> None:
    """96 organisation rows with a cell too many (the issue saw 96 rejected rows)."""
    path = folder / "organisations.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:97]:
        row.append("stray cell")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def truncated_organisations(folder: Path) -> None:
    first_lines(folder / "organisations.csv", 100)


def garbage_rows(folder: Path) -> None:
    path = folder / "projects.csv"
    with path.open("a", encoding="utf-8", newline="") as fh:
        for n in range(50_000):
            fh.write(f"garbage {n},{'x' * 20}\n")


def dev_zero(folder: Path) -> None:
    (folder / "projects.csv").unlink()
    (folder / "projects.csv").symlink_to("/dev/zero")


def fifo(folder: Path) -> None:
    (folder / "projects.csv").unlink()
    os.mkfifo(folder / "projects.csv")


BROKEN = {
    "header-only projects.csv": (header_only, "would remove 319 of the 319"),
    "first 10 projects": (first_ten, "would remove 309 of the 319"),
    "first 10 projects, lists cut to match": (first_ten_everywhere, "would remove 309 of the 319"),
    "only projects.csv and organisations.csv": (without_lists, "missing"),
    "no projects_delivery_locations.csv": (without_locations, "projects_delivery_locations"),
    "96 bad organisation rows": (bad_organisations, "refused: more than 100 rejected"),
    "organisations.csv cut to 100 rows": (truncated_organisations, "lacks"),
    "50,000 garbage rows": (garbage_rows, "refused: more than 100 rejected"),
    "projects.csv linked to /dev/zero": (dev_zero, "outside the export"),
    "projects.csv is a FIFO": (fifo, "a FIFO"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_export_is_refused_and_changes_nothing(name, imported, indigo_csv_dir, tmp_path):
    data_dir, before = imported
    breaking, reason = BROKEN[name]
    folder = copy_export(indigo_csv_dir, tmp_path / "export")
    breaking(folder)
    result = cli(data_dir, "ingest", "indigo-csv", str(folder))
    assert result.exit_code != 0, result.output
    message = Store(data_dir / "casebank.db").runs(limit=1)[0]["message"]
    assert reason in message and "\n" not in message
    assert message in result.output.replace("\n", "")
    assert state(data_dir) == before


def test_zip_of_blank_lines_is_refused(imported, indigo_csv_dir, tmp_path):
    data_dir, before = imported
    archive = tmp_path / "blank.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in indigo_csv_dir.iterdir():
            zf.writestr(f.name, "\n" * 1000)
    result = cli(data_dir, "ingest", "indigo-csv", str(archive))
    assert result.exit_code != 0
    assert "required column" in Store(data_dir / "casebank.db").runs(limit=1)[0]["message"]
    assert state(data_dir) == before


def test_one_bad_organisation_row_keeps_the_projects_naming_it(imported, indigo_csv_dir, tmp_path):
    """A rejected organisation row keeps the stored version of each project naming it;
    the other projects are updated, the run is partial."""
    data_dir, before = imported
    folder = copy_export(indigo_csv_dir, tmp_path / "export")
    path = folder / "organisations.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    bad = next(r for r in rows[1:] if r[0] == "INDIGO-ORG-0505")  # POJ-0001's investor
    bad[header.index("Name")] = "Renamed In A Bad Row"
    bad.append("stray cell")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = cli(data_dir, "ingest", "indigo-csv", str(folder))
    assert result.exit_code == 0, result.output
    run = Store(data_dir / "casebank.db").runs(limit=1)[0]
    assert run["status"] == "partial"
    assert any("INDIGO-ORG-0505" in r["reason"] for r in run["rejects"])
    assert state(data_dir) == before  # POJ-0001 and the others: as they were


def test_header_only_with_allow_removals_removes(indigo_csv_dir, tmp_path):
    """`--allow-removals` accepts a genuine shrink (here: the first 10 projects)."""
    data_dir = tmp_path / "data"
    assert cli(data_dir, "ingest", "indigo-csv", str(indigo_csv_dir)).exit_code == 0
    folder = copy_export(indigo_csv_dir, tmp_path / "export")
    first_ten_everywhere(folder)
    refused = cli(data_dir, "ingest", "indigo-csv", str(folder))
    assert refused.exit_code == 1 and "--allow-removals" in refused.output
    accepted = cli(data_dir, "ingest", "indigo-csv", str(folder), "--allow-removals")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(cli(data_dir, "stats", "--json").stdout)["by_source"]["indigo"] == 10


def test_run_report_is_bounded(tmp_path):
    """A report keeps the first rejects and counts the rest, so a run row stays small."""
    from ingest.runner import Limits, Reject, run_source

    store = Store(tmp_path / "s.db")
    rejects = (Reject(f"projects.csv:{n}", "x" * 1000) for n in range(5000))
    report = run_source(store, "scraper", rejects, limits=Limits(keep_entries=50))
    saved = store.runs(limit=1)[0]
    assert report.counts["rejected"] == 5000
    assert len(saved["rejects"]) == 50 and saved["left_off"] == {"rejects": 4950, "notes": 0}
    size = len(json.dumps(saved))
    assert size < 60_000, size
    store.close()


def test_zip_member_that_is_a_symlink_is_refused(tmp_path):
    from corpus.errors import SourceError
    from ingest.indigo.export import Export

    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("projects.csv")
        info.external_attr = (0o120777 << 16) | 0
        zf.writestr(info, "/dev/zero")
    with Export(archive) as export, pytest.raises(SourceError, match="symbolic link"):
        list(export.rows("projects.csv"))


def test_bytes_zip_is_read_like_a_folder(indigo_csv_dir):
    from ingest.indigo.export import Export

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.write(indigo_csv_dir / "funds.csv", "export/funds.csv")
    with Export(buffer.getvalue(), label="download") as export:
        rows = list(export.rows("funds.csv", ("ID",)))
    assert len(rows) == 21 and rows[0].where == "funds.csv:2"


def test_export_reader_bounds_and_links(tmp_path):
    """A link to a file inside the export is read; too big a file, too long a line and
    too many rows are refused with the file (and line) named."""
    from corpus.errors import SourceError
    from ingest.indigo.export import Export

    folder = tmp_path / "export"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "real.csv").write_text("ID,Name\n1,a\n2,b\n", encoding="utf-8")
    (folder / "funds.csv").symlink_to(folder / "data" / "real.csv")
    (folder / "long.csv").write_text("ID,Name\n1," + "x" * 500 + "\n", encoding="utf-8")
    with Export(folder, max_line=100, max_rows=1) as export:
        with pytest.raises(SourceError, match="more than 1 rows"):
            list(export.rows("funds.csv", ("ID",)))
        assert [r.line for r in export.rows("funds.csv", ("ID",), max_rows=5)] == [2, 3]
        with pytest.raises(SourceError, match=r"long.csv:2: a line longer than 100"):
            list(export.rows("long.csv"))
    with Export(folder, max_bytes=10) as export, pytest.raises(SourceError, match="over the 10"):
        list(export.rows("funds.csv"))
