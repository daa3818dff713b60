"""SearchService: the one entry point web/ and casebank.py use to search cases.

`search()` ranks (dense fields + lexical boost, see `search/ranking.py`), filters,
counts facets for the current query, sorts and pages, and writes a snippet per result;
`similar()` finds the cases nearest to one case's vector; `health()` reports whether the
index matches the store. The index is loaded lazily and kept until `reload()`.
"""

from __future__ import annotations

import heapq
import threading
import unicodedata
from typing import Any

import numpy as np

from corpus.errors import IndexMissing, InvalidInput, NotFound
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from search import index_files
from search.bridge import WordBridge, lexical_terms, translate_text
from search.embedders import Embedder, get_embedder, l2_normalise
from search.filters import CaseTable, normalise_filters
from search.lexical import LexicalHits, LexicalIndex, query_terms
from search.ranking import DenseScorer, RankConfig, Scored, feedback_query, rank
from search.snippets import snippet

#: Longer queries are cut, not refused: the start of a long text says the most.
MAX_QUERY = 500
MAX_LIMIT = 100
#: Best first-pass cases rescored by the feedback pass (besides the ones it finds).
FEEDBACK_KEEP = 300
SORTS = ("relevance", "date", "title")


def clean_query(q: str | None) -> str:
    """NFKC-normalised, control characters removed, whitespace collapsed, at most 500 chars."""
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUERY].strip()


def result_dict(case: Case, score: float, snippet_text: str) -> dict[str, Any]:
    """One result as the API shows it."""
    return {
        "id": case.id,
        "title": case.title,
        "countries": case.countries,
        "sector": case.sector,
        "stage": case.stage,
        "provider_model": case.provider_model,
        "investor_model": case.investor_model,
        "start_year": case.start_year,
        "score": round(float(score), 4),
        "snippet": snippet_text,
        "external_ids": case.external_ids,
        "alt_names": case.alt_names,
    }


class _Loaded:
    """One generation of the index, loaded together."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.dense = index_files.load_dense(settings.index_dir, embedder.model_id)
        self.scorer = DenseScorer(self.dense)
        try:
            self.lexical = LexicalIndex(self.dense.path / "lexical.db")
            self.bridge = WordBridge.load(self.dense.path)
        except Exception as exc:  # sqlite, json and numpy raise several kinds
            raise IndexMissing(
                f"the search index in {self.dense.path} is corrupt ({exc}): {index_files.FIX}"
            ) from exc


class SearchService:
    """Search, facets, similar cases and health over one store and its index."""

    def __init__(
        self, settings: Settings, store: Store | None = None, config: RankConfig | None = None
    ) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.config = config or RankConfig()
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._table: CaseTable | None = None
        self._embedder: Embedder | None = None
        self._map_key: tuple[int, int] | None = None
        self._map = np.zeros(0, dtype=np.int64)

    # -- loading --------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The configured model, loaded on first use."""
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder)
        return self._embedder

    def _index(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = _Loaded(self.settings, self.embedder)
            return self._loaded

    def _cases(self) -> CaseTable:
        with self._lock:
            if self._table is None:
                self._table = CaseTable.from_store(self.store)
            return self._table

    def reload(self) -> None:
        """Forget the loaded index and case table; the next call loads the live ones."""
        with self._lock:
            if self._loaded is not None:
                self._loaded.lexical.close()
            self._loaded = None
            self._table = None
            self._map_key = None

    # -- search ---------------------------------------------------------------------------

    def search(
        self,
        q: str,
        *,
        filters: dict[str, list[str]] | None = None,
        limit: int = 10,
        offset: int = 0,
        sort: str = "relevance",
        include_pipeline: bool = False,
    ) -> dict[str, Any]:
        """Ranked, filtered, paged results with facets: `{query, total, results, facets}`.

        An empty query browses every case (newest first for `sort="date"`, else by title).
        Raises InvalidInput for bad filters, sort, limit or offset; IndexMissing when the
        index is absent, corrupt or built with another model.
        """
        if sort not in SORTS:
            raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        if limit < 1 or offset < 0:
            raise InvalidInput("limit must be at least 1 and offset at least 0")
        limit = min(limit, MAX_LIMIT)
        wanted = normalise_filters(filters)
        text = clean_query(q)
        table = self._cases()
        masks = table.masks(wanted)
        base = np.ones(len(table), dtype=bool)
        if not include_pipeline and "pipeline" not in wanted.get("stage", set()):
            base &= table.mask("stage", {"pipeline"}) == 0
        allowed = base.copy()
        for m in masks.values():
            allowed &= m

        scored: dict[str, Scored] = {}
        hits = LexicalHits()
        terms: list[str] = []
        matched = base
        if text:
            loaded = self._index()
            ranked, hits, terms = self._rank(loaded, text, table, base, allowed)
            scored = {r.case_id: r for r in ranked}
            matched = np.zeros(len(table), dtype=bool)
            matched[[table.pos[c] for c in scored if c in table.pos]] = True
            matched &= base
        facets = table.facets(matched, masks)

        rows = np.flatnonzero(matched & allowed)
        if sort == "date":
            order = sorted(
                rows, key=lambda i: (-int(table.start_year[i]), table.titles[i].casefold())
            )
        elif sort == "relevance" and text:
            order = sorted(rows, key=lambda i: (-scored[table.ids[i]].score, table.ids[i]))
        else:
            order = sorted(rows, key=lambda i: (table.titles[i].casefold(), table.ids[i]))
        page = order[offset : offset + limit]
        # Snippets look for the query's own words and for their translations.
        shown = list(dict.fromkeys(query_terms(text) + terms))
        results = [self._result(table.ids[i], shown, scored.get(table.ids[i]), hits) for i in page]
        return {"query": text, "total": len(order), "results": results, "facets": facets}

    def _rank(
        self,
        loaded: _Loaded,
        text: str,
        table: CaseTable,
        base: np.ndarray,
        allowed: np.ndarray,
    ) -> tuple[list[Scored], LexicalHits, list[str]]:
        """Every case matching the query (before filters of the facet keys), the lexical
        evidence, and the terms searched (query words, foreign ones translated)."""
        terms = query_terms(text)
        # The query and its not-yet-seen foreign words are embedded in one batch.
        foreign = loaded.bridge.foreign(terms) if self.config.bridge else []
        vectors = self.embedder.embed_queries([text, *foreign])
        q = vectors[0]
        if self.config.bridge:
            translated = loaded.bridge.translate(self.embedder, terms, vectors[1:])
            if translated:
                # The query with its foreign words replaced by their translations, added to
                # the query itself: words the bridge could not map stay in both.
                q = l2_normalise(q + self.embedder.embed_query(translate_text(text, translated)))
            terms = lexical_terms(terms, translated, loaded.bridge.known)
        scorer = loaded.scorer
        to_table = self._scorer_to_table(loaded, table)
        known = to_table >= 0
        in_base = known & base[np.where(known, to_table, 0)]
        dense = scorer.scores(q, in_base, self.config)
        if self.config.prf > 0:
            # The moved query rescores the first pass's cases and looks for new ones among
            # the whole-case vectors only (a seventh of the rows: cheap on large corpora).
            q = feedback_query(scorer, q, dense, self.config)
            best_first = heapq.nlargest(FEEDBACK_KEEP, dense, key=lambda c: dense[c][0])
            first = np.array([scorer.case_pos[c] for c in best_first], dtype=np.int64)
            dense = scorer.scores(q, in_base, self.config, retrieve={"whole"}, extra_cases=first)
        if not allowed.all() and not np.array_equal(allowed, base):
            # With filters, also the best cases among the filtered ones: a restrictive
            # filter must not depend on its cases being among the best overall.
            in_allowed = known & allowed[np.where(known, to_table, 0)]
            dense = {**scorer.scores(q, in_allowed, self.config), **dense}
        hits = loaded.lexical.search(
            terms, candidates=set(dense), with_bm25=self.config.method in ("lexical", "rrf")
        )
        keep = {c for c in hits.matched if c in table.pos and base[table.pos[c]]}
        hits.bm25 = {c: v for c, v in hits.bm25.items() if c in keep}
        hits.matched = {c: v for c, v in hits.matched.items() if c in keep}
        return rank(dense, hits, self.config), hits, terms

    def _scorer_to_table(self, loaded: _Loaded, table: CaseTable) -> np.ndarray:
        """For each indexed case, its row in the case table (-1: no longer in the store)."""
        key = (id(loaded), id(table))
        if self._map_key != key:
            self._map = np.array(
                [table.pos.get(cid, -1) for cid in loaded.scorer.case_ids], dtype=np.int64
            )
            self._map_key = key
        return self._map

    def _result(
        self, case_id: str, terms: list[str], scored: Scored | None, hits: LexicalHits
    ) -> dict[str, Any]:
        case = self.store.get_case(case_id)
        best_field = scored.best_field if scored else None
        return result_dict(
            case, scored.score if scored else 0.0, snippet(case, terms, best_field, hits.idf)
        )

    # -- similar cases ----------------------------------------------------------------------

    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[dict]:
        """Cases nearest to one case's `whole` vector, optionally in one country.

        Raises NotFound for an unknown case (also when it is not indexed yet).
        """
        case = self.store.get_case(case_id)
        limit = max(1, min(limit, MAX_LIMIT))
        wanted = normalise_filters({"country": [country]} if country else None)
        loaded = self._index()
        scorer = loaded.scorer
        pos = scorer.case_pos.get(case.id)
        if pos is None:
            raise NotFound(f"case {case.id!r} is not in the search index yet: run `casebank index`")
        lo, hi = scorer.starts[pos], scorer.starts[pos + 1]
        fields = list(scorer.row_field[lo:hi])
        row = lo + fields.index("whole")
        q = np.asarray(loaded.dense.vectors[row], dtype=np.float32)
        table = self._cases()
        ok = table.mask("stage", {"pipeline"}) == 0
        if wanted:
            ok &= table.mask("country", wanted["country"])
        to_table = self._scorer_to_table(loaded, table)
        allowed = (to_table >= 0) & ok[np.where(to_table >= 0, to_table, 0)]
        allowed[pos] = False  # never the case itself
        # Cosine of the whole-case vectors: one field, so no standardisation is needed.
        config = RankConfig(weights={"whole": 1.0}, per_field_z=False)
        dense = scorer.scores(q, allowed, config)
        best = sorted(dense.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        out = []
        for cid, (score, _) in best:
            other = self.store.get_case(cid)
            out.append(result_dict(other, score, snippet(other, [])))
        return out

    # -- health -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """`{status, cases, index}`: degraded when the index is missing, stale or unusable."""
        cases = self.store.count_cases()
        meta = index_files.read_meta(self.settings.index_dir)
        if meta is None:
            return {
                "status": "degraded",
                "cases": cases,
                "index": None,
                "message": f"no search index: {index_files.FIX}",
            }
        info = {k: v for k, v in meta.items() if k != "cases"}
        problems = []
        try:
            self._index()
        except IndexMissing as exc:
            problems.append(str(exc))
        if meta.get("cases") != self.store.case_hashes():
            problems.append("the index is older than the store: run `casebank index`")
        out: dict[str, Any] = {
            "status": "degraded" if problems else "ok",
            "cases": cases,
            "index": info,
        }
        if problems:
            out["message"] = "; ".join(problems)
        return out
