"""What the HTML pages cost: home, results, a filter of them, page 2, a Danish query and a
case page, at 348 real cases and at a synthetic 10,000, against the floor of one query
embedding + one FAISS search measured in the same run.

Run: `.venv/bin/python bench/bench_web_pages.py [--write] [--scales 10000] [--runs 7]`

- 348 real cases (bench/out/data, bench/_setup.py) and, with `--scales`, the synthetic
  stores of `bench_api_latency.py` (bench/out/api-N, built there if missing).
- Each scale runs in a process of its own (so its peak memory is its own): one app
  (`web.app.create_app`) driven by FastAPI's TestClient, no HTTP stack, so the figures
  are what the pages themselves cost.
- First visits are reported apart: the very first home page of the process (it loads
  the model and the index), then the first of each other kind. Later visits: the home
  page again; per run a new English query (no vector or ranking cached), the same with
  a filter (stage=complete), its page 2, a new Danish query, a new case's page (by id
  from the store). Medians over `--runs` runs.
- The floor is one query embedding + one FAISS search (top 10, `bench/_setup.floor_ms`)
  of the same queries, with the app's own model and index, after the pages.
- Peak memory is the process's peak resident set (ru_maxrss) at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import DEV_QUERIES, REPO, ensure_data, floor_ms, replace_section  # noqa: E402
from bench.bench_search_speed import MORE_QUERIES  # noqa: E402

#: The page kinds, in the order each run visits them.
KINDS = ("home", "results", "filter", "page2", "danish", "case")
LABELS = {
    "home": "home `/`",
    "results": "results, new query",
    "filter": "same query + filter",
    "page2": "same query, page 2",
    "danish": "Danish query, new",
    "case": "case page",
}


def queries(lang: str) -> list[str]:
    """The queries of both dev sets in one language, each once."""
    texts: list[str] = []
    for path in (DEV_QUERIES, MORE_QUERIES):
        texts += [
            q["q"]
            for q in json.loads(path.read_text(encoding="utf-8"))["queries"]
            if q["lang"] == lang
        ]
    return list(dict.fromkeys(texts))


def measure(data_dir: Path, runs: int) -> dict:
    """Every page kind at one data folder, in this process (see the module's docstring)."""
    from fastapi.testclient import TestClient

    from corpus.settings import Settings
    from corpus.store import Store
    from web.app import create_app

    english, danish = queries("en"), queries("da")
    if len(english) < runs + 1 or len(danish) < runs + 1:
        sys.exit(f"--runs {runs} needs {runs + 1} queries per language")
    store = Store(data_dir / "casebank.db")
    case_ids = [
        r[0]
        for r in store.db.execute(
            "SELECT id FROM cases WHERE stage != 'pipeline' ORDER BY id"
        ).fetchall()
    ]
    step = max(1, len(case_ids) // (runs + 2))
    cases = case_ids[::step][: runs + 1]
    app = create_app(Settings(data_dir=data_dir))
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    first: dict[str, float] = {}
    sizes: dict[str, int] = {}
    with TestClient(app) as client:

        def visit(kind: str, url: str) -> None:
            t = time.perf_counter()
            r = client.get(url)
            ms = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                sys.exit(f"{url}: HTTP {r.status_code} {r.text[:300]}")
            if kind in first:
                times[kind].append(ms)
            else:
                first[kind] = ms
                sizes[kind] = len(r.content)

        for i in range(runs + 1):
            en = urlencode({"q": english[i]})
            visit("home", "/")
            visit("results", f"/search?{en}")
            visit("filter", f"/search?{en}&stage=complete")
            visit("page2", f"/search?{en}&page=2")
            visit("danish", "/search?" + urlencode({"q": danish[i]}))
            visit("case", f"/cases/{cases[i]}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        service = app.state.resources.search_service()
        index = service.generation().dense.faiss_index
        service.embedder.embed_query("warm up")
        floor = floor_ms(service.embedder, index, english[: runs + 1] + danish[: runs + 1])
    return {
        "cases": store.count_cases(),
        "load_avg": round(os.getloadavg()[0], 2),
        "runs": runs,
        "floor_ms": round(statistics.median(floor), 1),
        "first_ms": {k: round(v, 1) for k, v in first.items()},
        "median_ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
        "kb": {k: round(v / 1024) for k, v in sizes.items()},
        "peak_mb": round(peak),
    }


def report(results: list[dict]) -> str:
    """The markdown of the `## Web pages (in-process)` section."""
    lines = [
        "`.venv/bin/python bench/bench_web_pages.py --write`: the HTML pages through "
        "FastAPI's TestClient in one process per store (no HTTP stack). First visit: the "
        "first page of that kind in a new process (the first home page also loads the model "
        "and the index). Later: medians of the runs, each run a new English query (then the "
        "same with stage=complete, then its page 2), a new Danish query and another case. "
        "Ratios are to the floor: one query embedding + one FAISS search (top 10) of the "
        "same queries, same process, after the pages.",
        "",
    ]
    for r in results:
        f = r["floor_ms"]
        lines += [
            f"**{r['cases']:,} cases** (load average {r['load_avg']}, {r['runs']} runs, "
            f"floor {f} ms, peak RSS {r['peak_mb']} MB)",
            "",
            "| page | first visit ms (/ floor) | later, median ms (/ floor) | KB |",
            "|---|---|---|---|",
        ]
        for k in KINDS:
            first, later = r["first_ms"][k], r["median_ms"][k]
            lines.append(
                f"| {LABELS[k]} | {first} ({first / f:.1f}) | {later} ({later / f:.2f}) | "
                f"{r['kb'][k]} |"
            )
        lines.append("")
    return "\n".join([*lines, NOTES])


NOTES = """Session 15 (this machine runs the pages about twice as slowly as session 7's: home,
later visits, 6.8 -> 15 ms): the session's first runs gave a floor of 20-22 ms, the
model's threads spinning only 100 times before they sleep (libgomp's count once it
manages more threads than there are cores: the app's request threads each keep an
OpenMP team), and 10.5 ms with `OMP_WAIT_POLICY=ACTIVE` beside `GOMP_SPINCOUNT`
(bench/RESULTS.md, Search speed). A new query's results page took 32-39 ms over the
session's runs, either way.

Session 7 (A/B in one hour, this benchmark, 5 runs, old code then new, load 1.9-2.5):
a results page's 20 cards read their fields (title, summaries, intervention, countries,
instrument) with one SQL JSON pass over those cases (`web.briefs.read_cards`) instead of
parsing 20 cases (about 10 of its 34 ms at 348 cases), its facet and chart links are
built from the search's parameters instead of a checked request per link (facets 4.4 ->
1.3 ms), templates are loaded once, and pages are compressed at gzip level 5 instead of
9 (a 95 KB page 2.3 -> 1.4 ms, 11.6 -> 12.2 KB). The same HTML for 22 pages in both
languages before and after. Later visits, median ms, before -> after: 348 cases: home
26.8 -> 16.4, results 85.8 -> 47.0, its filter 28.9 -> 15.2, page 2 16.9 -> 9.4, Danish
query 94.6 -> 52.3, case page 19.0 -> 12.5; 10,000 cases: results 301 -> 206, filter 166
-> 102, page 2 120 -> 82, case page 87 -> 67 (then similar cases 36 -> 21 ms a call at
10,000, by FAISS's by-index inner products). At 10,000 cases the figures move a lot from
run to run (two later A/B pairs of `--one`, 5 runs each: results 290 / 395 and 204 / 153
ms, new / old; first home 7.0 / 7.0 and 10.6 / 10.5 s): the server's warm-up thread keeps
the cards of 10,000 cases between the visits, on the same two cores."""


def main() -> None:
    """Each scale in a process of its own; print the table; with --write update RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--scales", default="10000", help="synthetic sizes besides the real")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a data folder: measure it, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.one), args.runs)))
        return
    data_dir = ensure_data()
    folders = [data_dir]
    if any(n.strip() for n in args.scales.split(",")):
        from bench.bench_api_latency import synthetic_data

        folders += [synthetic_data(int(n), data_dir) for n in args.scales.split(",") if n.strip()]
    results = []
    for folder in folders:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(folder), "--runs", str(args.runs)],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    text = report(results)
    print(text)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "Web pages (in-process)", text)


if __name__ == "__main__":
    main()
