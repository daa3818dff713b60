"""How long the INDIGO CSV import takes: a full import into a fresh store, then a re-import.

Each run imports the export (default ../shared/data/indigo/csv: 319 projects) into a new
SQLite store in a temporary folder through `ingest.runner.run_source`, as
`casebank ingest indigo-csv` does; the time of reading and mapping the export alone
(`read_export`) is measured separately, so the store's share is visible. The re-import
runs the same export against the filled store (every case unchanged, nothing written).
Reports median, min and max of N runs (default 5) and writes the `## INDIGO import`
section of bench/RESULTS.md. Goal: a full import under 10 s.

Run: `.venv/bin/python bench/bench_import.py [EXPORT] [--runs N] [--no-write]`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._setup import INDIGO_CSV, replace_section  # noqa: E402
from corpus.store import Store  # noqa: E402
from ingest.indigo.csv_export import read_export  # noqa: E402
from ingest.runner import run_source  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.2f} s (min {min(times):.2f}, "
        f"max {max(times):.2f}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=INDIGO_CSV)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if not (args.export / "projects.csv").exists() and args.export.suffix != ".zip":
        sys.exit(f"no INDIGO CSV export at {args.export}")

    read_times, full_times, again_times = [], [], []
    counts = again_counts = None
    for _ in range(args.runs):
        seconds, items = timed(lambda: list(read_export(args.export)))
        read_times.append(seconds)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "casebank.db")
            seconds, report = timed(
                lambda s=store: run_source(s, "indigo", read_export(args.export), complete=True)
            )
            full_times.append(seconds)
            counts = report.counts
            seconds, report = timed(
                lambda s=store: run_source(s, "indigo", read_export(args.export), complete=True)
            )
            again_times.append(seconds)
            again_counts = report.counts
            store.close()
        print(
            f"run {len(full_times)}: read {read_times[-1]:.2f} s, full {full_times[-1]:.2f} s, "
            f"re-import {again_times[-1]:.2f} s",
            flush=True,
        )

    body = f"""
`bench/bench_import.py` (`.venv/bin/python bench/bench_import.py`): the INDIGO CSV export
({args.export.name}, {counts["new"]} projects) imported into a fresh SQLite store through
`ingest.runner.run_source`, as `casebank ingest indigo-csv` does; then the same export
again into the filled store. Machine: {platform.machine()}, Python {platform.python_version()},
2 cores shared with other work (figures vary by a few tens of percent).

| step | time |
|---|---|
| full import into a fresh store (goal < 10 s) | {summary(full_times)} |
| of which reading and mapping the export (`read_export`) | {summary(read_times)} |
| re-import, every case unchanged, nothing written | {summary(again_times)} |

Full import: new {counts["new"]}, rejected {counts["rejected"]} (field-level warnings; every
project imported). Re-import: unchanged {again_counts["unchanged"]}, new {again_counts["new"]},
changed {again_counts["changed"]}, removed {again_counts["removed"]}.
"""
    print(body)
    if not args.no_write:
        replace_section(RESULTS, "INDIGO import", body)
        print(f"updated {RESULTS}")


if __name__ == "__main__":
    main()
