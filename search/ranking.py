"""Ranking: dense field scores combined per case, fused with lexical evidence.

Dense side: the query vector is compared with the field vectors of every case in one
pass (`DenseScorer.case_scores`): with the default flat index that is one product with
all field vectors, what FAISS's exact scan reads anyway, and it scores every case, so a
filter or facet click is a mask over the query's one ranking instead of a second,
filtered search. An HNSW index (`CASEBANK_INDEX_KIND=hnsw`, for corpora too large to
scan) keeps its point, a graph search that reads a small part of the vectors: there
only the cases of its best rows are scored, and a filter masks those. Raw cosines are not comparable across fields: a short text
("Adult smokers.") is close to almost any query with e5, so a plain max over fields
favours cases with short fields. Each field's score is therefore standardised against
that field's background for this query (mean and spread over a fixed sample of cases),
and a case's dense score combines its standardised field scores (`RankConfig.aggregate`:
by default the mean of its two best fields, so one lucky field is not enough).
Standardised scores also mean the same thing across queries and models, so one
threshold (`min_z`) decides what counts as a match.

Lexical side, as a bounded boost rather than an equal vote: a plain reciprocal-rank
fusion lets BM25 push cases that share a common word with a Danish or Swedish query
(words that rarely occur in English text) as high as the best semantic matches, which
made those languages worse. Here lexical evidence counts in proportion to how much of
the query it explains: `coverage` = IDF mass of the query terms a case contains over
the IDF mass of all query terms (terms the index has never seen count at the highest
IDF; terms in over a quarter of the cases do not count at all). A rare name that
matches ("Peterborough") covers the whole query and lifts its cases to the top; a
common word, or a query mostly in a language the text is not in, covers little and
barely moves the dense order.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import faiss
import numpy as np

from search.index_files import DenseIndex
from search.lexical import LexicalHits
from search.texts import field_kind

#: Rows fetched per query from an HNSW index before per-case aggregation.
HNSW_ROWS = 800
#: Rows sampled per field for that field's background mean and spread.
BACKGROUND = 256
#: FAISS row selections kept (one per distinct filter mask searched lately).
SELECTIONS = 32


def _default_weights() -> dict[str, float]:
    return {
        "whole": 1.0,
        "title": 1.0,
        "names": 1.0,
        "challenge": 1.0,
        "intervention": 1.0,
        "target": 1.0,
        "outcomes": 1.0,
        "summary": 1.0,
    }


@dataclass(frozen=True)
class RankConfig:
    """How scores are computed; the defaults are what the service uses."""

    #: "fusion" (dense + bounded lexical boost), "dense", "lexical" or "rrf".
    method: str = "fusion"
    #: Weights per field kind (`summary` covers every `summary_<lang>` field) for the
    #: per-case dense score; kinds not listed are ignored.
    weights: dict[str, float] = field(default_factory=_default_weights)
    #: "max" (best field), "mean_top2" (mean of the two best) or "mean" (weighted mean).
    aggregate: str = "mean_top2"
    #: Standardise each field against its own background (else raw cosines).
    per_field_z: bool = True
    #: Pseudo-count pulling a field's background toward the pooled one of all fields.
    shrink: float = 5.0
    #: Size of the lexical boost, in background standard deviations of the dense score.
    lexical_boost: float = 3.0
    #: Standardised dense score (or lexical coverage) a case needs to be in the result.
    min_z: float = 2.0
    min_coverage: float = 0.5
    #: The relevance bar (`match`), on the first dense pass (before feedback, which
    #: pulls the best cases of any query up, nonsense included) and the lexical
    #: coverage: a case matches with coverage >= `match_coverage` and a first-pass z
    #: >= `match_z`, or with a first-pass z >= `match_z_alone` without lexical evidence.
    #: Calibrated on both dev sets' real and nonsense queries (bench/RESULTS.md).
    match_coverage: float = 0.3
    match_z: float = 1.5
    match_z_alone: float = 5.0
    #: Matches are listed before the weak answers (else all by score).
    matches_first: bool = True
    #: Fewest cases a query returns: below that, the best non-matching cases fill up. A
    #: full first page (the default page size): a weakly matching relevant case ranked
    #: eighth is worth showing, and a caseworker reads a page, not a threshold.
    min_matches: int = 10
    rrf_k: int = 60
    #: Pseudo-relevance feedback: weight of the mean vector of the `prf_k` best cases
    #: added to the query vector before a second dense pass (0 = off). It moved a query
    #: toward the wording of the cases it found, which helped across languages before
    #: the glossary; with it, feedback changed neither dev set (bench/RESULTS.md) and
    #: cost a second index search, so it is off.
    prf: float = 0.0
    prf_k: int = 3
    #: Expand the query with the Nordic glossary (`search/expansion.py`): the translated
    #: query is embedded with the original, its English terms searched lexically.
    glossary: bool = True
    #: Weight of the translated query's vector beside the original's (1 = equal).
    translation_weight: float = 1.0
    #: Similar cases: weights of the field kinds compared between two cases (cosine of
    #: their vectors, averaged over the kinds both have), and what sharing a policy area
    #: adds (in cosine units). See `bench/bench_similar.py`.
    similar_weights: dict[str, float] = field(
        default_factory=lambda: {"whole": 1.0, "intervention": 1.0, "target": 1.0}
    )
    similar_sector_bonus: float = 0.05


@dataclass(slots=True)
class Scored:
    """One ranked case: its score and the field that matched best."""

    case_id: str
    score: float
    dense: float = 0.0
    coverage: float = 0.0
    best_field: str | None = None
    #: Whether the case passes the relevance bar (else it is one of the closest others).
    match: bool = True


class DenseScorer:
    """Standardised per-case dense scores over a loaded generation."""

    def __init__(self, dense: DenseIndex) -> None:
        self.dense = dense
        # In memory: gathering candidate rows from a memory-mapped file costs a copy per
        # query, and a file changed under a running server must not change its answers.
        self.vectors = np.ascontiguousarray(dense.vectors, dtype=np.float32)
        self.case_ids: list[str] = []
        self.case_pos: dict[str, int] = {}
        starts: list[int] = []
        for i, cid in enumerate(dense.row_case):
            if cid not in self.case_pos:
                self.case_pos[cid] = len(self.case_ids)
                self.case_ids.append(cid)
                starts.append(i)
        self.starts = np.array(starts + [len(dense.row_case)], dtype=np.int64)
        self.row_case_idx = np.repeat(np.arange(len(self.case_ids)), np.diff(self.starts))
        self.row_field = np.array(dense.row_field)
        self.fields = sorted(set(dense.row_field))
        self.kinds = sorted({field_kind(f) for f in self.fields})
        field_pos = {f: i for i, f in enumerate(self.fields)}
        kind_pos = {k: i for i, k in enumerate(self.kinds)}
        self.row_field_id = np.array([field_pos[f] for f in dense.row_field], dtype=np.int64)
        self.row_kind_id = np.array([kind_pos[field_kind(f)] for f in self.fields], dtype=np.int64)[
            self.row_field_id
        ]
        rng = np.random.default_rng(0)
        self.background_rows: dict[str, np.ndarray] = {}
        for f in self.fields:
            rows = np.flatnonzero(self.row_field == f)
            self.background_rows[f] = np.sort(
                rng.choice(rows, size=min(BACKGROUND, len(rows)), replace=False)
            )
        every = np.concatenate(list(self.background_rows.values())) if self.fields else []
        self._bg_all = np.asarray(every, dtype=np.int64)
        self._bg_vectors = self.vectors[self._bg_all]
        self._selections: OrderedDict[tuple, tuple[int, faiss.SearchParameters] | None] = (
            OrderedDict()
        )
        self._selections_lock = threading.Lock()

    def field_background(self, q: np.ndarray, config: RankConfig) -> tuple[np.ndarray, np.ndarray]:
        """Per field (index into `self.fields`): mean and spread of the query's cosine
        with a sample of that field's vectors.

        A field with few vectors (a small corpus, a rarely filled field) gets statistics
        pulled toward those of all fields together (`config.shrink` pseudo-counts), so
        two or three texts cannot set an extreme scale.
        """
        n_fields = len(self.fields)
        mu = np.zeros(n_fields, dtype=np.float32)
        sd = np.ones(n_fields, dtype=np.float32)
        if len(self._bg_all) == 0:
            return mu, sd
        sims = self._bg_vectors @ q
        mu_all, var_all = float(sims.mean()), float(sims.var())
        pos = 0
        for i, f in enumerate(self.fields):
            n = len(self.background_rows[f])
            s = sims[pos : pos + n]
            pos += n
            m = (s.sum() + config.shrink * mu_all) / (n + config.shrink)
            var = (((s - m) ** 2).sum() + config.shrink * var_all) / (n + config.shrink)
            mu[i], sd[i] = m, max(np.sqrt(var), 1e-3)
        return mu, sd

    def _graph_selection(self, wkind: np.ndarray, allowed_cases: np.ndarray | None):
        """How many rows an HNSW search fetches and its parameters for the rows it may
        return (None: no row). Kept for the last few masks (most searches share one),
        since building the selector is a large part of a graph search's own cost."""
        key = (
            wkind.tobytes(),
            None if allowed_cases is None else np.packbits(allowed_cases).tobytes(),
        )
        with self._selections_lock:
            if key in self._selections:
                self._selections.move_to_end(key)
                return self._selections[key]
        n_rows = len(self.dense.row_case)
        row_ok = wkind[self.row_kind_id] > 0
        if allowed_cases is not None:
            row_ok &= allowed_cases[self.row_case_idx]
        n_ok = int(row_ok.sum())
        out: tuple[int, faiss.SearchParameters] | None = None
        if n_ok:
            # A graph search costs in proportion to how many rows it returns.
            k = min(n_ok, HNSW_ROWS)
            sel = None  # nothing excluded: a selector would only slow the search down
            if n_ok < n_rows:
                # The graph walks past the rows left out.
                bitmap = np.packbits(row_ok, bitorder="little")
                sel = faiss.IDSelectorBitmap(n_rows, faiss.swig_ptr(bitmap))
                # The selector points into the bitmap: keep it alive with it.
                sel.referenced_bitmap = bitmap
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(128, k))
            params.referenced_selector = sel
            out = (k, params)
        with self._selections_lock:
            self._selections[key] = out
            while len(self._selections) > SELECTIONS:
                self._selections.popitem(last=False)
        return out

    @property
    def graph(self) -> bool:
        """Whether the index is an approximate graph (HNSW) rather than exact (flat)."""
        return isinstance(self.dense.faiss_index, faiss.IndexHNSW)

    def _row_sims(
        self,
        q: np.ndarray,
        wkind: np.ndarray,
        allowed_cases: np.ndarray | None,
        also: np.ndarray | None,
    ) -> np.ndarray:
        """The query's cosine with every row: exact over all rows for a flat index (one
        pass over the vectors, what FAISS's exact scan reads anyway); for HNSW, over the
        rows of the cases its graph search finds (and of `also`), -inf elsewhere."""
        if not self.graph:
            return self.vectors @ q
        sims = np.full(len(self.row_case_idx), -np.inf, dtype=np.float32)
        selection = self._graph_selection(wkind, allowed_cases)
        if selection is None:
            return sims
        k, params = selection
        # One FAISS thread per search: requests already run in parallel, and more threads
        # per search only wait for each other (OpenMP keeps this setting per thread, so
        # it is set by the thread that searches).
        faiss.omp_set_num_threads(1)
        qq = np.ascontiguousarray(q.reshape(1, -1), dtype=np.float32)
        _, idx = self.dense.faiss_index.search(qq, k, params=params)
        found = self.row_case_idx[idx[0][idx[0] >= 0]]
        if also is not None and len(also):
            found = np.concatenate([found, also])
        cand = np.unique(found)
        lo, lens = self.starts[cand], self.starts[cand + 1] - self.starts[cand]
        rows = np.repeat(lo, lens) + (
            np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        )
        sims[rows] = self.vectors[rows] @ q
        return sims

    def case_scores(
        self,
        q: np.ndarray,
        config: RankConfig,
        allowed_cases: np.ndarray | None = None,
        also: np.ndarray | None = None,
    ) -> CaseScores:
        """The standardised dense score of every case (by position in `case_ids`) and
        its best field row, from one pass over the field vectors.

        Each case's weighted field rows are standardised and combined per case with
        segment operations (rows of a case are contiguous). With a flat index every
        case is scored, so a filter is a mask over these arrays, never a second search.
        With HNSW only the cases of one graph search (over `allowed_cases`, plus the
        case positions `also`) are scored; the others get -inf.
        """
        n_cases = len(self.case_ids)
        if len(self.row_case_idx) == 0:
            return CaseScores(np.zeros(0, np.float32), np.zeros(0, np.int64))
        wkind = np.array([config.weights.get(k, 0.0) for k in self.kinds], dtype=np.float32)
        w = wkind[self.row_kind_id]
        sims = self._row_sims(q, wkind, allowed_cases, also)
        if config.per_field_z:
            mu, sd = self.field_background(q, config)
            sims = (sims - mu[self.row_field_id]) / sd[self.row_field_id]
        weighted = w > 0
        v = np.where(weighted, sims * w, -np.inf).astype(np.float32)
        heads = self.starts[:-1]
        best = np.maximum.reduceat(v, heads)
        # The best row of a case: the first of its rows that reaches its best value.
        at_best = np.flatnonzero((v == best[self.row_case_idx]) & (v > -np.inf))
        owner = self.row_case_idx[at_best]
        first = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
        best_row = np.full(n_cases, -1, dtype=np.int64)
        best_row[owner[first]] = at_best[first]
        if config.aggregate == "mean_top2":
            rest = v.copy()
            rest[at_best[first]] = -np.inf
            second = np.maximum.reduceat(rest, heads)
            score = np.where(second > -np.inf, (best + second) / 2, best)
        elif config.aggregate == "mean":
            total = np.add.reduceat(np.where(v > -np.inf, v, 0).astype(np.float64), heads)
            wsum = np.add.reduceat(np.where(v > -np.inf, w, 0).astype(np.float64), heads)
            score = np.where(best_row >= 0, total / np.maximum(wsum, 1e-12), -np.inf)
        else:
            score = best
        return CaseScores(score, best_row)

    def as_dict(
        self, scores: CaseScores, cases: np.ndarray | None = None
    ) -> dict[str, tuple[float, str]]:
        """`{case_id: (score, best field)}` of the scored cases (of those in the mask
        `cases`)."""
        ok = scores.best_row >= 0
        if cases is not None:
            ok &= cases
        at = np.flatnonzero(ok)
        ids, names = self.case_ids, self.dense.row_field
        return {
            ids[c]: (sc, names[r])
            for c, sc, r in zip(
                at.tolist(), scores.score[at].tolist(), scores.best_row[at].tolist(), strict=True
            )
        }


@dataclass(frozen=True)
class CaseScores:
    """A query's dense score per case (by `DenseScorer.case_ids` position)."""

    #: Standardised, combined over the case's fields; -inf where no field was scored.
    score: np.ndarray
    #: The row of the case's best field (-1 where none was scored).
    best_row: np.ndarray


def feedback_query(
    scorer: DenseScorer, q: np.ndarray, scores: CaseScores, config: RankConfig
) -> np.ndarray:
    """The query moved toward its best first-pass cases (pseudo-relevance feedback).

    The cases' `whole` vectors are in the language of the case texts (mostly English),
    so the moved query meets the other relevant cases in their own language.
    """
    scored = np.flatnonzero(scores.best_row >= 0)
    top = scored[np.argsort(-scores.score[scored], kind="stable")[: config.prf_k]]
    if not len(top) or config.prf <= 0:
        return q
    rows = []
    for ci in top.tolist():
        lo, hi = scorer.starts[ci], scorer.starts[ci + 1]
        rows.extend(int(lo + j) for j, f in enumerate(scorer.row_field[lo:hi]) if f == "whole")
    centroid = scorer.vectors[rows].mean(axis=0)
    moved = q + config.prf * centroid
    return (moved / max(np.linalg.norm(moved), 1e-12)).astype(np.float32)


def coverage(hits: LexicalHits, groups: list[list[str]] | None = None) -> dict[str, float]:
    """Share of the query's IDF mass that each lexically matching case contains.

    `groups` are alternatives per part of the query (a Nordic word and its English
    terms, see `search.expansion`); a part counts once, with the IDF of the best-known
    alternative, and a case covers it with the best alternative it contains. Without
    groups every term is its own part.
    """
    parts = groups if groups is not None else [[t] for t in hits.idf]
    weights: list[float] = []
    usable: list[list[str]] = []
    for group in parts:
        # Terms in over a quarter of the cases are no evidence.
        alts = [t for t in group if t in hits.idf and t not in hits.common]
        if not alts:
            continue
        known = [hits.idf[t] for t in alts if t in hits.known]
        weights.append(max(known) if known else max(hits.idf[t] for t in alts))
        usable.append(alts)
    total = sum(weights)
    if total <= 0 or not hits.term_cases:
        return {}
    # Over the cases some term matched, part by part in order (so the sums are those of
    # a per-case loop): the best alternative a case contains, capped at the part's weight.
    cases = hits.matched_cases()
    got = np.zeros(len(cases), dtype=np.float64)
    for w, alts in zip(weights, usable, strict=True):
        best = np.zeros(len(cases), dtype=np.float64)
        for t in alts:
            found = hits.term_cases.get(t)
            if found is not None:
                at = np.searchsorted(cases, found)
                best[at] = np.maximum(best[at], hits.idf[t])
        got += np.minimum(w, best)
    share = (got / total).tolist()
    ids = hits.case_ids
    return {ids[c]: v for c, v in zip(cases.tolist(), share, strict=True) if v > 0}


@dataclass(frozen=True)
class Ranked:
    """A query's ranked cases as arrays, best first; `Scored` objects are made only for
    the cases a page shows (`get`), since a query at 10,000 cases ranks thousands."""

    ids: list[str]
    score: np.ndarray
    dense: np.ndarray
    coverage: np.ndarray
    best_field: list[str | None]
    match: np.ndarray
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def scored(self, i: int) -> Scored:
        """The i-th case as a `Scored`."""
        return Scored(
            self.ids[i],
            float(self.score[i]),
            float(self.dense[i]),
            float(self.coverage[i]),
            self.best_field[i],
            match=bool(self.match[i]),
        )

    def get(self, case_id: str) -> Scored | None:
        """The case's `Scored`, or None when it is not in the result."""
        if not self._index and self.ids:
            self._index.update(zip(self.ids, range(len(self.ids)), strict=True))
        i = self._index.get(case_id)
        return None if i is None else self.scored(i)

    def __iter__(self):
        return (self.scored(i) for i in range(len(self.ids)))


def rank(
    dense_scores: dict[str, tuple[float, str]],
    hits: LexicalHits,
    config: RankConfig,
    groups: list[list[str]] | None = None,
    first_pass: dict[str, tuple[float, str]] | None = None,
    cov: dict[str, float] | None = None,
) -> Ranked:
    """The matching cases, best first, by the configured method.

    A case is in the result when its dense score reaches `min_z` or its lexical coverage
    reaches `min_coverage`; when fewer than `min_matches` cases are, the best of the rest
    fill up to that number, so a query always gets answers. Each is marked `match` by
    the relevance bar (see `RankConfig.match_z`), on the first dense pass `first_pass`.
    `cov` is `coverage(hits, groups)` when the caller has it already.
    """
    if cov is None:
        cov = coverage(hits, groups)
    if config.method in ("lexical", "rrf"):
        ids, score, dense, cover, best, passing = _rank_table_lexical(
            dense_scores, hits, config, cov
        )
    else:
        ids, score, dense, cover, best, passing = _rank_table_fusion(dense_scores, config, cov)
    chosen = passing.copy()
    n_pass = int(passing.sum())
    if n_pass < config.min_matches:
        rest = ((score[i], ids[i], i) for i in np.flatnonzero(~passing).tolist())
        for _, _, i in heapq.nlargest(config.min_matches - n_pass, rest):
            chosen[i] = True
    keep = np.flatnonzero(chosen)
    ids = [ids[i] for i in keep.tolist()]
    score, dense, cover = score[keep], dense[keep], cover[keep]
    best = [best[i] for i in keep.tolist()]
    first = first_pass if first_pass is not None else dense_scores
    # The lexical coverage of every chosen case (the fusion's `cover` is 0 without boost).
    full_cov = np.array([cov.get(cid, 0.0) for cid in ids], dtype=np.float64)
    if config.method == "lexical" or not first:
        match = full_cov >= config.min_coverage
    else:
        if first is dense_scores and config.method != "rrf":
            z1 = dense  # the dense score of a case is its first-pass score
        else:
            none = (0.0, None)
            z1 = np.array([first.get(cid, none)[0] for cid in ids], dtype=np.float64)
        match = (z1 >= config.match_z_alone) | (
            (z1 >= config.match_z) & (full_cov >= config.match_coverage)
        )
    # Best first, ties by id (a stable sort of the ids' places); matches first if asked.
    id_place = np.empty(len(ids), dtype=np.int64)
    id_place[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    keys = (id_place, -score, ~match) if config.matches_first else (id_place, -score)
    order = np.lexsort(keys).tolist()
    return Ranked(
        ids=[ids[i] for i in order],
        score=score[order],
        dense=dense[order],
        coverage=cover[order],
        best_field=[best[i] for i in order],
        match=match[order],
    )


def _rank_table_fusion(
    dense_scores: dict[str, tuple[float, str]], config: RankConfig, cov: dict[str, float]
) -> tuple:
    """Dense score plus the bounded lexical boost ("fusion"), or the dense score alone."""
    boost = config.lexical_boost if config.method == "fusion" else 0.0
    ids = list(dense_scores)
    z = np.array([v[0] for v in dense_scores.values()], dtype=np.float64)
    best: list[str | None] = [v[1] for v in dense_scores.values()]
    if boost:
        c = np.array([cov.get(cid, 0.0) for cid in ids], dtype=np.float64)
        passing = (z >= config.min_z) | (c >= config.min_coverage)
        # Cases found by words alone.
        only = [(cid, v) for cid, v in cov.items() if cid not in dense_scores]
        c_only = np.array([v for _, v in only], dtype=np.float64)
        ids += [cid for cid, _ in only]
        best += [None] * len(only)
        score = np.concatenate([z + boost * c, boost * c_only])
        passing = np.concatenate([passing, c_only >= config.min_coverage])
        z = np.concatenate([z, np.zeros(len(only))])
        c = np.concatenate([c, c_only])
    else:
        c = np.zeros(len(ids))
        score = z + 0.0
        passing = z >= config.min_z
    return ids, score, z, c, best, passing


def _rank_table_lexical(
    dense_scores: dict[str, tuple[float, str]],
    hits: LexicalHits,
    config: RankConfig,
    cov: dict[str, float],
) -> tuple:
    """BM25 alone ("lexical") or reciprocal-rank fusion of the dense and BM25 orders."""
    cand: dict[str, tuple[float, float, float, str | None]] = {}
    passing: set[str] = set()
    if config.method == "lexical":
        for cid, s in hits.bm25.items():
            cand[cid] = (s, 0.0, cov.get(cid, 0.0), None)
        passing = {cid for cid in hits.bm25 if cov.get(cid, 0.0) >= config.min_coverage}
    else:
        dense_order = sorted(dense_scores, key=lambda c: -dense_scores[c][0])
        lex_order = sorted(hits.bm25, key=lambda c: -hits.bm25[c])
        fused: dict[str, float] = {}
        for order in (dense_order, lex_order):
            for r, cid in enumerate(order):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (config.rrf_k + r + 1)
        for cid, s in fused.items():
            d, best = dense_scores.get(cid, (0.0, None))
            cand[cid] = (s, d, cov.get(cid, 0.0), best)
            if d >= config.min_z or cid in hits.bm25:
                passing.add(cid)
    ids = list(cand)
    values = list(cand.values())
    return (
        ids,
        np.array([v[0] for v in values], dtype=np.float64),
        np.array([v[1] for v in values], dtype=np.float64),
        np.array([v[2] for v in values], dtype=np.float64),
        [v[3] for v in values],
        np.array([cid in passing for cid in ids], dtype=bool),
    )
