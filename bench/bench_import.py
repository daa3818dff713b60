"""INDIGO CSV import: time and peak memory of the good export and of 1M-row garbage files.

Every measurement runs in a fresh Python process (so its peak RSS, `ru_maxrss`, is its
own) that imports an export into a new SQLite store in a temporary folder through
`ingest.runner.run_source`, as `casebank ingest indigo-csv` does:

- the good export (default ../shared/data/indigo/csv: 319 projects) into a fresh store,
  and again into the filled store (every case unchanged);
- three broken copies of it whose projects.csv has 1,000,000 rows, into a store holding
  the good export (they must be refused, store untouched, within seconds and < 300 MB):
  107 MB of long garbage rows (the issue's file), 1M short garbage rows (under the size
  bound: the reject bound stops them) and 1M well-formed rows of made-up projects (the
  row bound stops them).

The floor, measured in the same run the same way, is a process that only imports the
modules and opens the store: the table gives each peak also as a ratio to it.
Reports medians (with min and max) of N runs (default 3) and writes the
`## INDIGO import` section of bench/RESULTS.md.

Run: `.venv/bin/python bench/bench_import.py [EXPORT] [--runs N] [--no-write]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._setup import INDIGO_CSV, replace_section  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"

#: Run in a child process: import `export` into the store at `db` (or only load the
#: modules when `export` is "-"), print seconds, peak RSS (MB), status and message.
CHILD = """
import json, resource, sys, time
from corpus.store import Store
from ingest.runner import run_source
from ingest.indigo.csv_export import read_export
db, export = sys.argv[1], sys.argv[2]
store = Store(db)
start = time.perf_counter()
report = None if export == "-" else run_source(store, "indigo", read_export(export), complete=True)
seconds = time.perf_counter() - start
store.close()
print(json.dumps({
    "seconds": seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "status": report.status if report else "-",
    "counts": dict(report.counts) if report else {},
    "message": report.message if report else None,
}))
"""


def child(db: Path, export: Path | str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(export)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def broken_copies(good: Path, tmp: Path) -> dict[str, Path]:
    """The three 1M-row variants of projects.csv, each in a copy of the good export."""
    header = (good / "projects.csv").open(encoding="utf-8").readline()
    variants = {
        "1M long garbage rows": lambda n: f"garbage row {n:07d},{'x' * 90}\n",
        "1M short garbage rows": lambda n: f"g{n:07d},x\n",
        "1M made-up projects (ID and name)": lambda n: f"FAKE-{n:07d},Made-up project {n}\n",
    }
    out = {}
    for i, (label, row) in enumerate(variants.items()):
        folder = tmp / f"broken{i}"
        shutil.copytree(good, folder)
        for f in folder.iterdir():
            f.chmod(0o644)
        with (folder / "projects.csv").open("w", encoding="utf-8") as fh:
            # The made-up projects carry only the two required columns, so they are
            # well-formed rows; the others keep the real header.
            fh.write("ID,Impact Bond Name - (Value)\n" if i == 2 else header)
            fh.writelines(row(n) for n in range(1_000_000))
        size = (folder / "projects.csv").stat().st_size / 1e6
        out[f"{label} ({size:.0f} MB)"] = folder
    return out


def summary(values: list[float], unit: str, floor: float | None = None) -> str:
    text = (
        f"median {statistics.median(values):.2f} {unit} "
        f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"
    )
    if floor:
        text += f", {statistics.median(values) / floor:.2f}x the floor"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=INDIGO_CSV)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if not (args.export / "projects.csv").exists():
        sys.exit(f"no INDIGO CSV export at {args.export}")

    floor_mb: list[float] = []
    full: dict[str, list[float]] = {"seconds": [], "peak_mb": []}
    again: dict[str, list[float]] = {"seconds": [], "peak_mb": []}
    broken: dict[str, dict[str, list[float]]] = {}
    outcomes: dict[str, str] = {}
    counts = again_counts = None
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        copies = broken_copies(args.export, tmp)
        for run in range(args.runs):
            db = tmp / f"run{run}.db"
            floor_mb.append(child(tmp / f"floor{run}.db", "-")["peak_mb"])
            first = child(db, args.export)
            full["seconds"].append(first["seconds"])
            full["peak_mb"].append(first["peak_mb"])
            counts = first["counts"]
            second = child(db, args.export)
            again["seconds"].append(second["seconds"])
            again["peak_mb"].append(second["peak_mb"])
            again_counts = second["counts"]
            for label, folder in copies.items():
                result = child(db, folder)
                assert result["status"] == "failed", result
                entry = broken.setdefault(label, {"seconds": [], "peak_mb": []})
                entry["seconds"].append(result["seconds"])
                entry["peak_mb"].append(result["peak_mb"])
                outcomes[label] = result["message"]
            print(
                f"run {run + 1}: floor {floor_mb[-1]:.0f} MB, full {first['seconds']:.2f} s "
                f"{first['peak_mb']:.0f} MB, re-import {second['seconds']:.2f} s, broken "
                + ", ".join(
                    f"{v['seconds'][-1]:.2f} s {v['peak_mb'][-1]:.0f} MB" for v in broken.values()
                ),
                flush=True,
            )
    floor = statistics.median(floor_mb)
    rows = [
        f"| floor: load the modules, open the store | - | {summary(floor_mb, 'MB')} |",
        f"| full import into a fresh store (goal < 10 s) | {summary(full['seconds'], 's')} "
        f"| {summary(full['peak_mb'], 'MB', floor)} |",
        f"| re-import, every case unchanged | {summary(again['seconds'], 's')} "
        f"| {summary(again['peak_mb'], 'MB', floor)} |",
    ]
    for label, values in broken.items():
        rows.append(
            f"| {label}: refused (goal: seconds, < 300 MB) | {summary(values['seconds'], 's')} "
            f"| {summary(values['peak_mb'], 'MB', floor)} |"
        )
    reasons = "\n".join(f"- {label}: `{message}`" for label, message in outcomes.items())
    body = f"""
`bench/bench_import.py` (`.venv/bin/python bench/bench_import.py`): the INDIGO CSV export
({args.export.name}, {counts.get("new", 0)} projects) imported through
`ingest.runner.run_source` into a fresh SQLite store, as `casebank ingest indigo-csv` does,
then again into the filled store; then three copies whose projects.csv has 1,000,000 rows
offered to the filled store. Each measurement is its own process (peak RSS = its
`ru_maxrss`); the floor is a process that only loads the modules and opens the store.
Machine: {platform.machine()}, Python {platform.python_version()}, 2 cores shared with
other work (figures vary by a few tens of percent).

| step | time | peak memory |
|---|---|---|
{chr(10).join(rows)}

Full import: new {counts.get("new", 0)}, rejected {counts.get("rejected", 0)}, warnings
{counts.get("warnings", 0)} (fields left empty; every project imported). Re-import:
unchanged {again_counts.get("unchanged", 0)}, changed {again_counts.get("changed", 0)},
removed {again_counts.get("removed", 0)}. Each 1M-row copy was refused, the store
untouched; the reasons reported:

{reasons}
"""
    print(body)
    if not args.no_write:
        replace_section(RESULTS, "INDIGO import", body)
        print(f"updated {RESULTS}")


if __name__ == "__main__":
    main()
