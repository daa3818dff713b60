"""Shared set-up of the search benchmarks: a store of the real INDIGO data, indexed.

The store and index live in `bench/out/data` (ignored by git) and are built once with
the public commands (`casebank ingest indigo-csv`, `casebank ingest corpus`,
`casebank index`); later runs reuse them, and `casebank index` embeds only what changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
INDIGO_CSV = SHARED / "data" / "indigo" / "csv"
DEV_QUERIES = SHARED / "eval" / "dev_queries.json"
#: `CASEBANK_BENCH_DATA` puts the benchmark store and index elsewhere (e.g. under /tmp).
DATA_DIR = Path(os.environ.get("CASEBANK_BENCH_DATA") or REPO / "bench" / "out" / "data")


def casebank(*args: str, data_dir: Path = DATA_DIR) -> None:
    """Run one casebank command on the benchmark's data folder."""
    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(data_dir), *args]
    # casebank refuses CASEBANK_* settings it does not know; this one is the bench's own.
    env = {k: v for k, v in os.environ.items() if k != "CASEBANK_BENCH_DATA"}
    subprocess.run(cmd, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)


def ensure_data(data_dir: Path = DATA_DIR) -> Path:
    """The data folder with the INDIGO export and the curated cases ingested and indexed."""
    if not INDIGO_CSV.is_dir():
        sys.exit(f"the INDIGO CSV export is not at {INDIGO_CSV}")
    if not (data_dir / "casebank.db").exists():
        casebank("ingest", "indigo-csv", str(INDIGO_CSV), data_dir=data_dir)
        casebank("ingest", "corpus", data_dir=data_dir)
    casebank("index", data_dir=data_dir)
    return data_dir


def replace_section(results: Path, title: str, body: str) -> None:
    """Replace (or append) one `## title` section of RESULTS.md, leaving the others alone."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    lines = text.splitlines(keepends=True)
    head = f"## {title}"
    start = next((i for i, line in enumerate(lines) if line.strip() == head), None)
    section = head + "\n\n" + body.strip() + "\n\n"
    if start is None:
        new = text.rstrip() + "\n\n" + section
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = "".join(lines[:start]) + section + "".join(lines[end:])
    results.write_text(new.rstrip() + "\n", encoding="utf-8")


def p95(values: list[float]) -> float:
    """The 95th percentile of the values (nearest rank below), as the latency tables
    report it."""
    values = sorted(values)
    return values[int(0.95 * (len(values) - 1))]
