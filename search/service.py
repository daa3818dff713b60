"""SearchService: the one entry point web/, the exports and casebank.py use to search cases.

`search(SearchRequest)` ranks (dense fields + bounded lexical boost, see
`search/ranking.py`, with the query expanded by the glossary), filters, counts facets
for the current query, sorts and pages, and writes a typed snippet per result. A query
is ranked once over every case (kept per index generation): a filter, a facet click,
another page or sort is a mask and an order over that ranking, never another search;
`Hit` says whether it passes the relevance bar (`match`) and the response how many do
(`matched`). `similar()` finds the cases that do the same thing as one case. `health()`
reports whether the index matches the store.

Concurrency: everything a search reads lives in one immutable `Generation` (index, case
table, lexical index); `reload()` builds a new one and swaps the reference, so no lock
is held while searching and requests run in parallel (the model's C code, FAISS and
sqlite3 release the GIL). Each thread reads the store through its own connection; a
search's lexical look-up runs on a helper thread beside its dense pass.

Without a semantic index yet (a fresh install while the first build runs), search is
lexical only: the generation then holds a keyword index built from the store in a
second, and `health()` says the semantic index is missing.
"""

from __future__ import annotations

import atexit
import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from corpus.errors import IndexMissing, NotFound
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store, StoreVersion
from search import index_files
from search.embedders import Embedder, cut_to_tokens, get_embedder, l2_normalise
from search.expansion import QueryExpansion, expand, glossary_terms
from search.generation import (
    LRU,
    Generation,
    Shown,
    hit_of,
    keep_card,
    load_generation,
    shown_of,
)
from search.lexical import LexicalHits
from search.parallel import beside
from search.ranking import (
    CaseScores,
    Evidence,
    RankConfig,
    Ranked,
    Scored,
    coverage,
    feedback_query,
    rank,
)
from search.request import SearchRequest
from search.results import FacetValue, Hit, SearchResponse, Snippet, Understood
from search.similar import best_first, same_people_first, similar_scores, target_groups
from search.snippets import snippet_of

#: Best dense cases among which the lexical index looks up its most frequent terms
#: (`LexicalIndex.search`'s candidates).
LEXICAL_POOL = 1000
#: Tokens of a query the model reads: e5 was trained on short queries, and the first
#: 128 tokens of a long paragraph say what it is about, so a 1,000-character query
#: costs about what a sentence does.
QUERY_TOKENS = 128
#: Query texts whose vectors are kept (a facet click or page 2 re-runs the same text).
VECTOR_CACHE = 256


def one_blas_thread() -> None:
    """Run numpy's BLAS on the calling thread only, process-wide (each time a service is
    made: a library loaded since, e.g. by another backend, is limited too).

    A search multiplies a few thousand field vectors by the query. OpenBLAS hands
    products of that size to its thread pool, whose threads spin while they wait: with
    the cores busy (the model, other requests, other processes) that cost 10-25 ms per
    search here, against 0.3 ms on the calling thread. Requests already run in
    parallel, one per thread, so the pool only adds contention.
    """
    threadpool_limits(limits=1, user_api="blas")


#: How often the background warm-up looks whether the searches in flight are done.
IDLE_POLL = 0.001
#: Seconds a generation's load may spend keeping result cards before it serves
#: (`SearchService._warm`): every case of a few hundred, some two thousand of more.
WARM_AT_LOAD = 2.0
#: Set as the interpreter exits: every warm-up stops, and is waited for. A daemon thread
#: still running inside C code when Python finalizes can abort the process.
_EXITING = threading.Event()
_WARMING: set[threading.Thread] = set()


@atexit.register
def _stop_warming() -> None:
    _EXITING.set()
    for thread in list(_WARMING):
        thread.join(timeout=5)


def _closing(cases: Iterator[tuple[int, Case]], store: Store) -> Iterator[tuple[int, Case]]:
    """The rest of `cases`, closing `store` once they are read or dropped."""
    try:
        yield from cases
    finally:
        store.close()


def _in_flight(method: Callable) -> Callable:
    """Counts a call as a search in flight while it runs: the background warm-up
    (`SearchService._warm`) waits until there is none, so it never holds the GIL or a
    core against one."""

    @functools.wraps(method)
    def counted(self: SearchService, *args: Any, **kwargs: Any) -> Any:
        with self._flight_lock:
            self._flying += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            with self._flight_lock:
                self._flying -= 1

    return counted


@dataclass(frozen=True)
class _Selection:
    """A search's rows in order (`SearchService._select`): the generation they index, the
    filters' masks and the result before filtering (for facets), the ranking and its
    lexical evidence and the query's expansion (None and empty when browsing)."""

    gen: Generation
    masks: dict[str, np.ndarray]
    in_result: np.ndarray
    ranked: Ranked | None
    hits: LexicalHits
    expansion: QueryExpansion
    order: np.ndarray


class SearchService:
    """Search, facets, similar cases and health over one store and its index."""

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        config: RankConfig | None = None,
        *,
        warm: bool = False,
    ) -> None:
        """`warm`: prepare each generation as it loads (`_warm`, `_warm_behind`), as a
        server does: its first searches then look up none of the glossary's terms and
        parse none of the cases they show."""
        one_blas_thread()
        self.settings = settings
        self.config = config or RankConfig()
        self.warm = warm
        #: The thread keeping the cards of the latest generation's cases that its load
        #: had no time for (None: none started).
        self.warming: threading.Thread | None = None
        self._flying = 0
        self._flight_lock = threading.Lock()
        self._local = threading.local()
        if store is not None:
            self._local.store = store
        self._gen: Generation | None = None
        # Held only while a generation loads, never while searching.
        self._load_lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._vectors = LRU(VECTOR_CACHE)
        self._store_version = StoreVersion(settings.db_path)
        #: `_health_facts` with the store version and index files they were read at.
        self._health: tuple[tuple, tuple[int, dict[str, Any] | None, bool]] | None = None

    # -- loading --------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """This thread's store (a sqlite3 connection must not be shared by threads)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.settings.db_path)
        return store

    @property
    def embedder(self) -> Embedder:
        """The configured model, loaded on first use."""
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder)
        return self._embedder

    def generation(self) -> Generation:
        """The loaded generation (loaded on first use)."""
        gen = self._gen
        if gen is None:
            with self._load_lock:
                gen = self._gen
                if gen is None:
                    gen = self._load()
                    rest = self._warm(gen)
                    self._gen = gen
                    self._warm_behind(gen, rest)
        return gen

    def _load(self) -> Generation:
        has_index = index_files.current_generation(self.settings.index_dir) is not None
        # The model is loaded only when there is an index to use it with.
        return load_generation(self.settings, self.store, self.embedder if has_index else None)

    def reload(self) -> None:
        """Load the live index and case table now and swap them in atomically.

        Searches running meanwhile finish on the generation they started with.
        """
        with self._load_lock:
            new = self._load()
            rest = self._warm(new)
            old, self._gen = self._gen, new
            self._warm_behind(new, rest)
        if old is not None:
            # Searches that started on it may still run: close it a little later.
            timer = threading.Timer(30.0, old.close)
            timer.daemon = True
            timer.start()

    def _warm(self, gen: Generation) -> Iterator[tuple[int, Case]] | None:
        """With `warm`, prepare a generation before it serves: look up the glossary's
        English terms in the lexical index (a Nordic query adds 20-40 of them), then keep
        the `Shown` of as many cases as `WARM_AT_LOAD` seconds allow (about 1 ms a case).
        The cases left, if any, are returned for `_warm_behind`. A fresh service's first
        18 searches at 348 cases (in-process): median 37-42 ms, longest 190-220,
        without it; 24-28 and 48-53 with it, which costs the load 0.6-0.8 s."""
        if not self.warm or gen.fatal or _EXITING.is_set():
            return None
        deadline = time.monotonic() + WARM_AT_LOAD
        store = Store(self.settings.db_path)
        cases = enumerate(store.iter_cases())
        try:
            gen.lexical.warm(glossary_terms() if self.config.glossary else [])
            gen.neighbour_rows(self.config)
            for n, case in cases:
                if not keep_card(gen, n, case):
                    break
                if time.monotonic() > deadline:
                    return _closing(cases, store)
        except Exception:  # only a head start: a search reports its own errors
            pass
        store.close()
        return None

    def _warm_behind(self, gen: Generation, rest: Iterator[tuple[int, Case]] | None) -> None:
        """The cases `_warm` had no time for, on a thread of their own, one at a time and
        only while no search is in flight (run beside them, its Python held the GIL
        against theirs: a fresh server's first searches took 2-3x as long). It stops when
        another generation replaces this one or the interpreter exits."""
        if rest is None:
            return

        def run() -> None:
            try:
                for n, case in rest:
                    if not self._when_idle(gen) or not keep_card(gen, n, case):
                        return
            except Exception:  # only a head start: a search reports its own errors
                return
            finally:
                rest.close()
                _WARMING.discard(threading.current_thread())

        self.warming = threading.Thread(target=run, name="casebank-warm", daemon=True)
        _WARMING.add(self.warming)
        self.warming.start()

    def _when_idle(self, gen: Generation) -> bool:
        """Wait until no search is in flight; False when `gen` is no longer the live
        generation or the interpreter exits (the warm-up then stops)."""
        while self._flying and self._gen is gen and not _EXITING.is_set():
            time.sleep(IDLE_POLL)
        return self._gen is gen and not _EXITING.is_set()

    # -- search ---------------------------------------------------------------------------

    @_in_flight
    def result_ids(self, request: SearchRequest) -> list[str]:
        """The ids of every row of `search(request)`, in its order, and nothing else: what
        the pages' charts and the exports read (each reads its own fields of the cases),
        without a `Hit` per row. The ranking is the one `search` keeps."""
        sel = self._select(request)
        return [sel.gen.table.ids[i] for i in sel.order.tolist()]

    def _select(self, request: SearchRequest) -> _Selection:
        """The rows of a search in their order, with what `search` needs to show them."""
        gen = self.generation()
        if gen.fatal:
            raise IndexMissing(gen.fatal)
        table = gen.table
        wanted = {k: set(v) for k, v in request.filters.items()}
        masks = table.masks(wanted)
        base = np.ones(len(table), dtype=bool)
        if not request.include_pipeline:
            base &= table.mask("stage", {"pipeline"}) == 0
        allowed = base.copy()
        for m in masks.values():
            allowed &= m
        text = request.q
        hits = LexicalHits()
        expansion = QueryExpansion()
        in_result = base
        ranked: Ranked | None = None
        if text:
            # One ranking per text over every case of the base: a filter or a facet
            # click is a mask over it, not another search. An HNSW graph search scores
            # only the cases it finds, so there a filter also searches its own cases.
            key: tuple = (text, request.include_pipeline)
            narrowed = None
            if gen.scorer is not None and gen.scorer.graph and not np.array_equal(allowed, base):
                narrowed = allowed
                key = (*key, np.packbits(allowed).tobytes())
            ranked, hits, expansion = gen.ranks.get_or_make(
                key, lambda: self._rank(gen, text, base, narrowed)
            )
            in_result = ranked.chosen
        rows = in_result & allowed
        sort = request.sort if (request.sort != "relevance" or text) else "title"
        if sort == "date":
            order = table.ordered(table.date_order, rows)
        elif sort == "relevance" and ranked is not None:
            order = table.ordered(ranked.order, rows)
        else:
            order = table.ordered(table.title_order, rows)
        return _Selection(gen, masks, in_result, ranked, hits, expansion, order)

    @_in_flight
    def search(self, request: SearchRequest) -> SearchResponse:
        """Ranked, filtered results with facets: a page of them (`result_ids` gives every
        row's id, for the charts and exports).

        An empty query browses every case (newest first for `sort="date"`, else by title).
        Projects in the pipeline stage are left out unless the stage filter asks for them.
        """
        sel = self._select(request)
        gen, ranked, hits, order = sel.gen, sel.ranked, sel.hits, sel.order
        expansion = sel.expansion
        table, text = gen.table, request.q
        facets = table.facets(sel.in_result, sel.masks)
        page = order[request.offset : request.offset + request.limit]
        matched = int(ranked.match[order].sum()) if ranked is not None else 0
        results = [
            self._hit(gen, table.ids[i], expansion, ranked.scored(i) if ranked else None, hits)
            for i in page.tolist()
        ]
        return SearchResponse(
            query=text,
            total=len(order),
            matched=matched if text else len(order),
            semantic=gen.scorer is not None,
            results=results,
            facets={k: [FacetValue(**f) for f in v] for k, v in facets.items()},
            understood=[
                Understood(typed=typed, terms=list(said))
                for typed, said in sel.expansion.understood
            ],
        )

    def ranked_already(self, request: SearchRequest) -> bool:
        """Whether `search(request)` has nothing slow left to do: the generation is
        loaded and the request browses (no text) or its text's ranking is kept, as for
        a facet click, another page or sort of a search just made. What remains is
        masks, facets and a page of snippets (a few ms of Python).

        With HNSW a filter searches its own cases, so a filtered request is never
        counted as ranked there.
        """
        gen = self._gen
        if gen is None or gen.fatal:
            return False
        if not request.q:
            return True
        if gen.scorer is not None and gen.scorer.graph and request.filters:
            return False
        return gen.ranks.has((request.q, request.include_pipeline))

    def _expand(self, text: str) -> QueryExpansion:
        return expand(text, use_glossary=self.config.glossary, term_words=self.config.term_words)

    def query_vector(self, text: str, translated: str | None) -> np.ndarray:
        """The query's vector: of its glossary translation alone when it has one (the
        translation keeps the words the glossary did not know), else of the query; with
        `RankConfig.embed_original`, the original's and the translation's added. One
        model call, cached."""
        weight = self.config.translation_weight
        both = self.config.embed_original
        key = (self.embedder.model_id, text, translated, weight, both)
        cached = self._vectors.get(key)
        if cached is not None:
            return cached
        texts = [translated] if translated and not both else [text, *filter(None, [translated])]
        vectors = self.embedder.embed_queries(
            [cut_to_tokens(self.embedder, t, QUERY_TOKENS) for t in texts]
        )
        q = l2_normalise(vectors[0] + weight * vectors[1]) if len(vectors) > 1 else vectors[0]
        self._vectors.put(key, q)
        return q

    def _rank(
        self, gen: Generation, text: str, base: np.ndarray, narrowed: np.ndarray | None = None
    ) -> tuple[Ranked, LexicalHits, QueryExpansion]:
        """The query's ranking over every case of the base (filters are masks over it,
        applied by the caller), the lexical evidence, and the query's expansion (the
        terms searched, what its words were searched as). Evidence
        is gathered as arrays over the case table's rows.

        The lexical look-up runs on a helper thread while this one scores the cases:
        both wait in C code that releases the GIL (SQLite, FAISS), so on two or more
        cores a search costs the longer of the two instead of their sum.
        """
        table, scorer = gen.table, gen.scorer
        n = len(table)
        expansion = self._expand(text)
        config = self.config
        dense = np.full(n, np.nan)
        best_row = np.full(n, -1, dtype=np.int64)
        first = None
        if scorer is None or config.method == "lexical":
            config = RankConfig(**{**config.__dict__, "method": "lexical"})
            hits = gen.lexical.search(expansion.terms, with_bm25=True)
        else:
            q = self.query_vector(text, expansion.translated)
            best_rows: Future[np.ndarray] = Future()

            def pool() -> Iterator[str]:
                # Read only for the look-up of very frequent terms (LexicalIndex.search).
                rows = best_rows.result()
                yield from (table.ids[i] for i in rows.tolist())

            with_bm25 = config.method == "rrf"
            lexical_hits = beside(gen.lexical.search, expansion.terms, pool(), with_bm25)
            try:
                dense, best_row, first = self._dense(gen, q, base, config, narrowed)
                rows = np.flatnonzero(~np.isnan(dense))
                if len(rows) > LEXICAL_POOL:
                    rows = rows[np.argpartition(-dense[rows], LEXICAL_POOL)[:LEXICAL_POOL]]
            except BaseException:
                best_rows.set_result(np.zeros(0, dtype=np.int64))
                raise
            best_rows.set_result(rows)
            hits = lexical_hits()
        # Only the cases of the result's base (not in the pipeline unless asked).
        lex_rows = gen.lexical_to_table()
        hits.restrict(table.through(base, lex_rows))
        cover = np.zeros(n)
        flags = expansion.synonym_sets if config.synonym_sets else None
        at, share = coverage(hits, expansion.groups, flags)
        cover[lex_rows[at]] = share
        bm25 = None
        if config.method in ("lexical", "rrf"):
            bm25 = np.full(n, np.nan)
            bm25[table.rows_of(hits.bm25)] = list(hits.bm25.values())
        row_field = scorer.dense.row_field if scorer is not None else []
        evidence = Evidence(
            dense,
            cover,
            table.id_rank,
            best_row,
            row_field,
            first,
            bm25,
            gen.neighbour_rows(config),
        )
        return rank(evidence, config), hits, expansion

    def _dense(
        self,
        gen: Generation,
        q: np.ndarray,
        base: np.ndarray,
        config: RankConfig,
        narrowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per row of the case table: the dense score (NaN: none), its best field row,
        and the first pass's score when feedback moved the query (else None). With
        `narrowed` (HNSW and a filter), the filter's own best cases are scored too."""
        table, scorer = gen.table, gen.scorer
        in_base = table.through(base, gen.to_table)

        def on_table(scores: CaseScores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            # The scored cases of the base (by position in the index), and per table row
            # their dense score (NaN: none) and best field row (-1: none).
            scored = np.flatnonzero(in_base & (scores.best_row >= 0))
            dense = np.full(len(table), np.nan)
            best_row = np.full(len(table), -1, dtype=np.int64)
            rows = gen.to_table[scored]
            dense[rows], best_row[rows] = scores.score[scored], scores.best_row[scored]
            return scored, dense, best_row

        scores = scorer.case_scores(q, config, in_base)
        if narrowed is not None:
            # A case's score is the same whichever search found it: the two merge.
            own = scorer.case_scores(q, config, table.through(narrowed, gen.to_table))
            found = own.best_row >= 0
            scores = CaseScores(
                np.where(found, own.score, scores.score),
                np.where(found, own.best_row, scores.best_row),
            )
        scored, dense, best_row = on_table(scores)
        if config.prf <= 0:
            return dense, best_row, None
        # The moved query rescores every case (with HNSW: the cases its graph search
        # finds and those of the first pass).
        moved = feedback_query(scorer, q, scores, config)
        _, moved_dense, moved_best = on_table(scorer.case_scores(moved, config, in_base, scored))
        return moved_dense, moved_best, dense

    def _groups(self, gen: Generation, case_id: str) -> frozenset[str]:
        return gen.groups.get_or_make(case_id, lambda: target_groups(self.store.get_case(case_id)))

    def _shown(self, gen: Generation, case_id: str) -> Shown:
        return gen.shown.get_or_make(case_id, lambda: shown_of(self.store.get_case(case_id)))

    def _snippet(
        self,
        gen: Generation,
        case_id: str,
        expansion: QueryExpansion | None = None,
        best_field: str | None = None,
        idf: dict[str, float] | None = None,
    ) -> Snippet | None:
        """`search.snippets.snippet` of the expansion's terms, each query part (`groups`)
        counted once, kept per generation: within one, a case's texts and the terms' IDF
        are fixed, so the same query parts give the same snippet."""
        groups = expansion.parts if expansion else ()
        terms = expansion.terms if expansion else []
        nordic = expansion.nordic if expansion else False

        def make() -> Snippet | None:
            prepared = self._shown(gen, case_id).prepared
            return snippet_of(prepared, terms, best_field, idf, groups=groups, nordic=nordic)

        return gen.snippets.get_or_make((case_id, groups, best_field, nordic), make)

    def _hit(
        self,
        gen: Generation,
        case_id: str,
        expansion: QueryExpansion,
        scored: Scored | None,
        hits: LexicalHits,
    ) -> Hit:
        best_field = scored.best_field if scored else None
        return hit_of(
            self._shown(gen, case_id).card,
            scored.score if scored else 0.0,
            scored.match if scored else True,
            self._snippet(gen, case_id, expansion, best_field, hits.idf),
        )

    # -- similar cases ----------------------------------------------------------------------

    @_in_flight
    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[Hit]:
        """Cases that do what one case does: its policy area and target group first.

        The score combines the cosine of the whole-case vectors with those of the
        intervention and target-group fields, prefers cases of the same policy area and,
        among those, the ones that serve the same people (`search.similar`).
        Raises NotFound for an unknown case (also when it is not indexed yet) and
        IndexMissing without a semantic index.
        """
        case = self.store.get_case(case_id)
        limit = max(1, min(limit, 100))
        countries = SearchRequest(country=[country] if country else []).country
        gen = self.generation()
        scorer = gen.scorer
        if scorer is None or gen.dense is None:
            raise IndexMissing(gen.problem or f"no search index: {index_files.FIX}")
        pos = scorer.case_pos.get(case.id)
        if pos is None:
            raise NotFound(f"case {case.id!r} is not in the search index yet: run `casebank index`")
        table = gen.table
        ok = table.mask("stage", {"pipeline"}) == 0
        if countries:
            ok &= table.mask("country", set(countries))
        allowed = table.through(ok, gen.to_table)
        allowed[pos] = False  # never the case itself
        scores = similar_scores(scorer, pos, allowed, self.config.similar_weights)
        config = self.config
        same = None
        if case.sector:
            same = table.through(table.mask("sector", {case.sector}), gen.to_table)
            scores += config.similar_sector_bonus * same
        order = best_first(scores, table.id_rank[gen.to_table])
        if same is not None and config.similar_group_bonus:
            order = same_people_first(
                order,
                scores,
                same,
                self._groups(gen, case.id),
                lambda i: self._groups(gen, scorer.case_ids[i]),
                config.similar_group_bonus,
            )
        best = order[:limit]
        out = []
        for i in best.tolist():
            cid = scorer.case_ids[i]
            card = self._shown(gen, cid).card
            out.append(hit_of(card, float(scores[i]), True, self._snippet(gen, cid)))
        return out

    # -- health -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """`{status, cases, search, index}`: `search` is "semantic" or "lexical"; degraded
        when the semantic index is missing, stale or unusable, with `message` and
        `problems` (`[{kind, message}]`, kinds in `search.generation.PROBLEM_KINDS`) saying
        why."""
        gen = self.generation()
        cases, meta, stale = self._health_facts()
        problems = []
        if gen.scorer is None:
            problems.append(
                {"kind": gen.problem_kind, "message": gen.problem or "no semantic search index"}
            )
        elif stale:
            problems.append(
                {
                    "kind": "stale",
                    "message": "the index is older than the store: run `casebank index`",
                }
            )
        out: dict[str, Any] = {
            "status": "degraded" if problems else "ok",
            "cases": cases,
            "search": "semantic" if gen.scorer is not None else "lexical",
            "index": meta,
        }
        if problems:
            out["problems"] = problems
            out["message"] = "; ".join(p["message"] for p in problems)
        return out

    def _health_facts(self) -> tuple[int, dict[str, Any] | None, bool]:
        """The store's case count, the live index's meta (without its case hashes) and
        whether the index is older than the store, kept until the store or the index
        files change: comparing every case's hash with the index's took 90 ms at 10,000
        cases, each health check, holding the interpreter against the searches."""
        key = (index_files.fingerprint(self.settings.index_dir), self._store_version())
        kept = self._health
        if kept is not None and kept[0] == key:
            return kept[1]
        meta = index_files.read_meta(self.settings.index_dir)
        stale = meta is not None and meta.get("cases") != self.store.case_hashes()
        shown = {k: v for k, v in meta.items() if k != "cases"} if meta else None
        facts = (self.store.count_cases(), shown, stale)
        self._health = (key, facts)
        return facts
