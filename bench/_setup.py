"""Shared set-up of the search benchmarks: a store of the real INDIGO data, indexed.

The store and index live in `bench/out/data` (ignored by git) and are built once with
the public commands (`casebank ingest indigo-csv`, `casebank ingest corpus`,
`casebank index`); later runs reuse them, and `casebank index` embeds only what changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


def floor_ms(embedder, faiss_index, texts: list[str]) -> list[float]:
    """The floor every speed figure is a ratio to: per text, one query embedding + one
    FAISS search (top 10), in ms.

    FAISS runs on one thread, as searches do in the service: its default of one OpenMP
    thread per core made a single top-10 search about twice as slow on these busy cores
    (18.5 against 8.8 ms at 10,000 cases), which would flatter every ratio. OpenMP keeps
    the setting per thread: it is set by the one timing here.
    """
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(1)
    out = []
    for q in texts:
        t = time.perf_counter()
        v = embedder.embed_query(q)
        faiss_index.search(np.ascontiguousarray(v.reshape(1, -1)), 10)
        out.append((time.perf_counter() - t) * 1000)
    return out
