"""SearchService: the one entry point web/ and casebank.py use to search cases.

`search()` ranks (dense fields + lexical boost, see `search/ranking.py`), filters,
counts facets for the current query, sorts and pages, and writes a snippet per result;
`similar()` finds the cases nearest to one case's vector; `health()` reports whether the
index matches the store. The index is loaded lazily and kept until `reload()`.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

import numpy as np

from corpus.errors import IndexMissing, InvalidInput, NotFound
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
SORTS = ("relevance", "date", "title")


def clean_query(q: str | None) -> str:
    """NFKC-normalised, control characters removed, whitespace collapsed, at most 500 chars."""
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUERY].strip()


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
        if text:
            loaded = self._index()
            ranked, hits, terms = self._rank(loaded, text, table, base)
            scored = {r.case_id: r for r in ranked}
            matched = np.fromiter((cid in scored for cid in table.ids), bool, len(table))
            matched &= base
        else:
            matched = base
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
        self, loaded: _Loaded, text: str, table: CaseTable, base: np.ndarray
    ) -> tuple[list[Scored], LexicalHits, list[str]]:
        """Every case matching the query (before filters of the facet keys), the lexical
        evidence, and the terms searched (query words, foreign ones translated)."""
        q = self.embedder.embed_query(text)
        terms = query_terms(text)
        if self.config.bridge:
            translated = loaded.bridge.translate(self.embedder, terms)
            if translated:
                # The query with its foreign words replaced by their translations, added to
                # the query itself: words the bridge could not map stay in both.
                q = l2_normalise(q + self.embedder.embed_query(translate_text(text, translated)))
            terms = lexical_terms(terms, translated, loaded.bridge.known)
        scorer = loaded.scorer
        allowed_idx = np.zeros(len(scorer.case_ids), dtype=bool)
        base_ids = {table.ids[i] for i in np.flatnonzero(base)}
        for cid, pos in scorer.case_pos.items():
            allowed_idx[pos] = cid in base_ids
        dense = scorer.scores(q, allowed_idx, self.config)
        if self.config.prf > 0:
            q = feedback_query(scorer, q, dense, self.config)
            dense = scorer.scores(q, allowed_idx, self.config)
        hits = loaded.lexical.search(terms, allowed=base_ids)
        return rank(dense, hits, self.config), hits, terms

    def _result(
        self, case_id: str, terms: list[str], scored: Scored | None, hits: LexicalHits
    ) -> dict[str, Any]:
        case = self.store.get_case(case_id)
        return {
            "id": case.id,
            "title": case.title,
            "countries": case.countries,
            "sector": case.sector,
            "stage": case.stage,
            "provider_model": case.provider_model,
            "investor_model": case.investor_model,
            "start_year": case.start_year,
            "score": round(scored.score, 4) if scored else 0.0,
            "snippet": snippet(case, terms, scored.best_field if scored else None, hits.idf),
            "external_ids": case.external_ids,
            "alt_names": case.alt_names,
        }

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
        allowed_ids = {
            table.ids[i]
            for i in np.flatnonzero(
                (table.mask("stage", {"pipeline"}) == 0)
                & (table.mask("country", wanted["country"]) if wanted else True)
            )
        }
        allowed_ids.discard(case.id)
        allowed = np.array([cid in allowed_ids for cid in scorer.case_ids], dtype=bool)
        config = RankConfig(weights={"whole": 1.0})
        dense = scorer.scores(q, allowed, config)
        best = sorted(dense.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        out = []
        for cid, (score, _) in best:
            other = self.store.get_case(cid)
            out.append(
                {
                    "id": other.id,
                    "title": other.title,
                    "countries": other.countries,
                    "sector": other.sector,
                    "stage": other.stage,
                    "provider_model": other.provider_model,
                    "investor_model": other.investor_model,
                    "start_year": other.start_year,
                    "score": round(score, 4),
                    "snippet": snippet(other, []),
                    "external_ids": other.external_ids,
                    "alt_names": other.alt_names,
                }
            )
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
