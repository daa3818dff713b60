"""Ranking: dense field scores combined per case, fused with lexical evidence.

Dense side: the query vector is compared with the field vectors of every case in one
pass (`DenseScorer.case_scores`): with the default flat index that is one product with
all field vectors, what FAISS's exact scan reads anyway, and it scores every case, so a
filter or facet click is a mask over the query's one ranking instead of a second,
filtered search. An HNSW index (`CASEBANK_INDEX_KIND=hnsw`, for corpora too large to
scan) keeps its point, a graph search that reads a small part of the vectors: there
only the cases of its best rows are scored, and a filter adds a graph search over its
own cases (`SearchService._dense`).

Raw cosines are not comparable across fields: a short text
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

Neighbours, last: each case's score is raised by a share of the mean score of its
nearest cases (by their `whole` vectors), the cluster hypothesis of score
regularisation (Diaz, 2005): relevant cases resemble each other, so a case among
well-scored neighbours is more likely relevant than its own texts show, and one whose
neighbours all score low (a lucky field) less.
"""

from __future__ import annotations

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


#: The title field's weight. Its text (the name and the policy sectors) is short and
#: broad, and `whole` is composed from it already, so at full weight it was a second vote
#: for the same words: at half weight nDCG@10 shared 0.857 -> 0.864, own 0.759 -> 0.765
#: (anywhere from 0 to 0.8 scored within 0.003 of that on both sets; bench/RESULTS.md).
TITLE_WEIGHT = 0.5


def default_weights() -> dict[str, float]:
    """The default weight of each field kind in a case's dense score."""
    return {
        "whole": 1.0,
        "title": TITLE_WEIGHT,
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
    weights: dict[str, float] = field(default_factory=default_weights)
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
    #: Matches are listed before the weak answers (else all by score): the results page
    #: shows the matches, then the closest weak answers under their own heading.
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
    #: query is embedded, its English terms searched lexically.
    glossary: bool = True
    #: Weight of the translated query's vector beside the original's (1 = equal), when
    #: both are embedded (`embed_original`).
    translation_weight: float = 1.0
    #: A Nordic word's lexical group covered fully by any of its concept's English
    #: terms (`QueryExpansion.synonym_sets`), not graded by their IDF: nDCG@10 shared
    #: 0.831 -> 0.845, own 0.752 -> 0.756 (bench/RESULTS.md).
    synonym_sets: bool = True
    #: The words of those English terms searched too, graded by IDF
    #: (`search.expansion.expand`): shared 0.845 -> 0.857, own 0.756 -> 0.760.
    term_words: bool = True
    #: Embed the original query beside its glossary translation (two texts in the model
    #: call) rather than the translation alone (one text, which keeps the query's
    #: untranslated words): alone was equal or better on both dev sets (shared 0.831
    #: against 0.830, own 0.752 against 0.749) at about half the model call.
    embed_original: bool = False
    #: Score regularisation over the cases' nearest neighbours: a case's score plus
    #: `neighbour_weight` x the mean score of its `neighbours` nearest cases (cosine of
    #: their `whole` vectors; those the query scored). nDCG@10 shared 0.869 -> 0.878,
    #: own 0.774 -> 0.783, first held-out 0.720 -> 0.735; 10-20 neighbours at weights
    #: 0.3-1.0 all within 0.01 of that (bench/RESULTS.md). 0 = off.
    neighbours: int = 10
    neighbour_weight: float = 0.5
    #: Similar cases: weights of the field kinds compared between two cases (cosine of
    #: their vectors, averaged over the kinds both have), and what sharing a policy area
    #: adds (in cosine units). See `bench/bench_similar.py`.
    similar_weights: dict[str, float] = field(
        default_factory=lambda: {"whole": 1.0, "intervention": 1.0, "target": 1.0}
    )
    similar_sector_bonus: float = 0.05
    #: What a case of the same policy area adds when its target-group text names a
    #: glossary concept the case's own names too (among the best `search.similar.POOL`).
    #: Measured by independent target-group labels: "both" over all 346 cases 0.764 ->
    #: 0.782, over the curated 0.838 -> 0.843, the policy area unchanged.
    similar_group_bonus: float = 0.02


#: Neighbours per case a build stores with the index (`nearest_cases`): the ranking's
#: 10 and the 20 its benchmark tries, without working them out at the first search.
STORED_NEIGHBOURS = 20


def case_starts(row_case: list[str]) -> tuple[list[str], np.ndarray]:
    """The cases of an index's rows in the order they first appear (rows are grouped by
    case), and the first row of each, with the row count at the end."""
    ids: list[str] = []
    starts: list[int] = []
    seen: set[str] = set()
    for i, cid in enumerate(row_case):
        if cid not in seen:
            seen.add(cid)
            ids.append(cid)
            starts.append(i)
    return ids, np.array([*starts, len(row_case)], dtype=np.int64)


def nearest_cases(
    row_case: list[str], row_field: list[str], vectors: np.ndarray, k: int
) -> np.ndarray:
    """Each case's `k` nearest other cases by the cosine of their `whole` vectors, nearest
    first, as positions in the order of `case_starts` (-1 pads a case without a `whole`
    vector, or when fewer cases have one). One exact FAISS search of the whole vectors
    against themselves: 25 ms at 348 cases and 0.85-3 s at 10,000 on a 2-core machine
    (its load decides), which is why a build stores it."""
    ids, starts = case_starts(row_case)
    case_of_row = np.repeat(np.arange(len(ids)), np.diff(starts))
    out = np.full((len(ids), k), -1, dtype=np.int64)
    rows = np.flatnonzero(np.asarray(row_field, dtype=object) == "whole")
    if len(rows) > 1 and k > 0:
        cases = case_of_row[rows]
        whole = np.ascontiguousarray(vectors[rows], dtype=np.float32)
        _, idx = faiss.knn(whole, whole, min(k + 1, len(rows)), metric=faiss.METRIC_INNER_PRODUCT)
        near = np.where(idx >= 0, cases[np.maximum(idx, 0)], -1)
        for i, c in enumerate(cases.tolist()):
            own = near[i][(near[i] != c) & (near[i] >= 0)][:k]
            out[c, : len(own)] = own
    return out


@dataclass(slots=True)
class Scored:
    """One ranked case: its score and the field that matched best."""

    score: float
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
        self.case_ids, self.starts = case_starts(dense.row_case)
        self.case_pos: dict[str, int] = {cid: i for i, cid in enumerate(self.case_ids)}
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
        #: Each field's rows, in case order.
        self.field_rows: dict[str, np.ndarray] = {
            f: np.flatnonzero(self.row_field == f).astype(np.int64) for f in self.fields
        }
        rng = np.random.default_rng(0)
        self.background_rows: dict[str, np.ndarray] = {}
        for f in self.fields:
            rows = self.field_rows[f]
            self.background_rows[f] = np.sort(
                rng.choice(rows, size=min(BACKGROUND, len(rows)), replace=False)
            )
        every = np.concatenate(list(self.background_rows.values())) if self.fields else []
        self._bg_all = np.asarray(every, dtype=np.int64)
        self._bg_vectors = self.vectors[self._bg_all]
        # A table of each case's rows, its k-th row in row k and one column per case,
        # padded with the index one past the last row (where the row scores keep -inf):
        # a case's best and second-best field are then maxima down the columns, which
        # numpy takes a row at a time (0.43 -> 0.15 ms at 10,000 cases, against segment
        # reductions over the rows).
        counts = np.diff(self.starts)
        slot = np.arange(int(counts.max()) if len(counts) else 0)[:, None]
        self._padded = np.ascontiguousarray(
            np.where(slot < counts, self.starts[:-1] + slot, len(self.row_case_idx))
        )
        self._row_weights: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._selections: OrderedDict[tuple, tuple[int, faiss.SearchParameters] | None] = (
            OrderedDict()
        )
        self._selections_lock = threading.Lock()
        self._neighbours: dict[int, np.ndarray] = {}
        self._neighbours_lock = threading.Lock()

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

    def neighbours(self, k: int) -> np.ndarray:
        """Each case's `k` nearest other cases by the cosine of their `whole` vectors,
        nearest first, as positions in `case_ids` (-1 pads a case without one, or when
        fewer cases have one): the generation's stored table (`STORED_NEIGHBOURS`) when
        it is wide enough, else worked out once per `k` (`nearest_cases`)."""
        stored = self.dense.neighbours
        if stored is not None and k <= stored.shape[1]:
            return stored[:, :k]
        with self._neighbours_lock:
            found = self._neighbours.get(k)
            if found is None:
                found = nearest_cases(self.dense.row_case, self.dense.row_field, self.vectors, k)
                self._neighbours[k] = found
            return found

    @property
    def graph(self) -> bool:
        """Whether the index is an approximate graph (HNSW) rather than exact (flat)."""
        return isinstance(self.dense.faiss_index, faiss.IndexHNSW)

    def sims_at(self, v: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The inner product of `v` with each of these rows (int64 positions), read in
        place by FAISS's kernel: gathering 10,000 rows into a new array first (about
        15 MB) took twice as long as the products."""
        out = np.empty(len(rows), dtype=np.float32)
        vv = np.ascontiguousarray(v, dtype=np.float32)
        faiss.fvec_inner_products_by_idx(
            faiss.swig_ptr(out),
            faiss.swig_ptr(vv),
            faiss.swig_ptr(self.vectors),
            faiss.swig_ptr(rows),
            self.vectors.shape[1],
            1,
            len(rows),
        )
        return out

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
            # FAISS's own inner-product kernel: about 1.5x numpy's single-thread BLAS
            # product here (both read every vector once), and it releases the GIL.
            out = np.empty(len(self.vectors), dtype=np.float32)
            qq = np.ascontiguousarray(q, dtype=np.float32)
            faiss.fvec_inner_products_ny(
                faiss.swig_ptr(out),
                faiss.swig_ptr(qq),
                faiss.swig_ptr(self.vectors),
                self.vectors.shape[1],
                len(self.vectors),
            )
            return out
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

    def _weights(self, config: RankConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The configured weight per field kind, per row, and which rows weigh (> 0),
        worked out once per set of weights."""
        key = tuple(sorted(config.weights.items()))
        # Threads may fill the same entry at once: they write equal arrays.
        found = self._row_weights.get(key)
        if found is None:
            wkind = np.array([config.weights.get(k, 0.0) for k in self.kinds], dtype=np.float32)
            w = wkind[self.row_kind_id]
            found = self._row_weights[key] = (wkind, w, w > 0)
        return found

    def case_scores(
        self,
        q: np.ndarray,
        config: RankConfig,
        allowed_cases: np.ndarray | None = None,
        also: np.ndarray | None = None,
    ) -> CaseScores:
        """The standardised dense score of every case (by position in `case_ids`) and
        its best field row, from one pass over the field vectors.

        Each case's weighted field rows are standardised and combined per case down the
        columns of the table of its rows (`_padded`). With a flat index every
        case is scored, so a filter is a mask over these arrays, never a second search.
        With HNSW only the cases of one graph search (over `allowed_cases`, plus the
        case positions `also`) are scored; the others get -inf.
        """
        n_cases = len(self.case_ids)
        n_rows = len(self.row_case_idx)
        if n_rows == 0:
            return CaseScores(np.zeros(0, np.float32), np.zeros(0, np.int64))
        wkind, w, weighted = self._weights(config)
        sims = self._row_sims(q, wkind, allowed_cases, also)
        if config.per_field_z:
            mu, sd = self.field_background(q, config)
            sims = (sims - mu[self.row_field_id]) / sd[self.row_field_id]
        # One slot past the rows stays -inf: the padding of `_padded` points there.
        v = np.full(n_rows + 1, -np.inf, dtype=np.float32)
        np.multiply(sims, w, out=v[:n_rows], where=weighted)
        table = v[self._padded]
        cases = np.arange(n_cases)
        best = table.max(axis=0)
        # The best row of a case: the first of its rows that reaches its best value.
        at = (table == best).argmax(axis=0)
        best_row = np.where(best > -np.inf, self._padded[at, cases], -1)
        if config.aggregate == "mean_top2":
            table[at, cases] = -np.inf
            second = table.max(axis=0)
            score = np.where(second > -np.inf, (best + second) / 2, best)
        elif config.aggregate == "mean":
            v = v[:n_rows]
            heads = self.starts[:-1]
            total = np.add.reduceat(np.where(v > -np.inf, v, 0).astype(np.float64), heads)
            wsum = np.add.reduceat(np.where(v > -np.inf, w, 0).astype(np.float64), heads)
            score = np.where(best_row >= 0, total / np.maximum(wsum, 1e-12), -np.inf)
        else:
            score = best
        return CaseScores(score, best_row)


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


def coverage(
    hits: LexicalHits,
    groups: list[list[str]] | None = None,
    synonym_sets: list[frozenset[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Share of the query's IDF mass that each lexically matching case contains: the
    cases' positions in the lexical index (`hits.case_ids`) and their shares (> 0).

    `groups` are alternatives per part of the query (a Nordic word and its English
    terms, see `search.expansion`); a part counts once, with the IDF of the best-known
    alternative, and a case covers it with the best alternative it contains (at most
    the part's IDF), or fully with an alternative in the part's `synonym_sets` entry.
    Without groups every term is its own part.
    """
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
    parts = groups if groups is not None else [[t] for t in hits.idf]
    flags = synonym_sets if synonym_sets is not None else [frozenset()] * len(parts)
    weights: list[float] = []
    usable: list[list[str]] = []
    full: list[frozenset[str]] = []
    for group, flag in zip(parts, flags, strict=True):
        # Terms in over a quarter of the cases are no evidence.
        alts = [t for t in group if t in hits.idf and t not in hits.common]
        if not alts:
            continue
        known = [hits.idf[t] for t in alts if t in hits.known]
        weights.append(max(known) if known else max(hits.idf[t] for t in alts))
        usable.append(alts)
        full.append(flag)
    total = sum(weights)
    if total <= 0 or not hits.term_cases:
        return none
    # Over every case of the index, part by part in order (so the sums are those of a
    # per-case loop): the best alternative a case contains, capped at the part's weight.
    # Arrays over the whole index, indexed by the terms' case positions directly: at
    # 10,000 cases 8x faster than gathering the matched cases first (1.0 -> 0.13 ms).
    got = np.zeros(len(hits.case_ids), dtype=np.float64)
    best = np.empty_like(got)
    for w, alts, flag in zip(weights, usable, full, strict=True):
        found = [
            (hits.term_cases[t], w if t in flag else hits.idf[t])
            for t in alts
            if t in hits.term_cases
        ]
        if not found:
            continue
        best.fill(0.0)
        for at, value in found:
            best[at] = np.maximum(best[at], value)
        got += np.minimum(w, best)
    cases = np.flatnonzero(got > 0)
    return cases, got[cases] / total


@dataclass(frozen=True)
class Evidence:
    """A query's evidence per case, as arrays over one order of cases (the service's
    case table): what `rank` combines."""

    #: Dense score (`DenseScorer.case_scores`); NaN where the case has none.
    dense: np.ndarray
    #: Lexical coverage (`coverage`); 0 where none.
    cover: np.ndarray
    #: Each case's place when sorted by id (ties of a sort by score).
    id_rank: np.ndarray
    #: The dense score's best field row (`-1`: none) and the names of the rows.
    best_row: np.ndarray | None = None
    row_field: list[str] = field(default_factory=list)
    #: The first dense pass, when feedback moved the query (None: `dense` is it).
    first: np.ndarray | None = None
    #: BM25 (lexical and RRF rankings only); NaN where not among the BM25 hits.
    bm25: np.ndarray | None = None
    #: Each case's nearest cases (`DenseScorer.neighbours`) as rows of these arrays, -1
    #: for none; None: no neighbour regularisation.
    neighbours: np.ndarray | None = None


@dataclass(frozen=True)
class Ranked:
    """A query's ranked cases as arrays over the evidence's cases."""

    #: Whether each case is in the result.
    chosen: np.ndarray
    score: np.ndarray
    #: Whether each case passes the relevance bar (else it is one of the closest others).
    match: np.ndarray
    #: The cases of the result, best first, ties by id.
    order: np.ndarray
    best_row: np.ndarray
    row_field: list[str]

    def __len__(self) -> int:
        return len(self.order)

    def scored(self, i: int) -> Scored | None:
        """Case i's `Scored`, or None when it is not in the result."""
        if not self.chosen[i]:
            return None
        r = int(self.best_row[i])
        best = self.row_field[r] if r >= 0 else None
        return Scored(float(self.score[i]), best, bool(self.match[i]))


def neighbour_mean(score: np.ndarray, scored: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Per case, the mean score of its neighbours that have a score (`scored`); 0 for a
    case with none."""
    # One slot past the cases holds 0 and counts 0: a neighbour -1 (none) reads it, so
    # each sum is one gather (at 10,000 cases 1.8 -> 0.7 ms, against masking the table).
    values = np.zeros(len(score) + 1)
    values[:-1] = np.where(scored, score, 0.0)
    counts = np.zeros(len(score) + 1, dtype=np.float32)
    counts[:-1] = scored
    total = values[neighbours].sum(axis=1)
    count = counts[neighbours].sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def rank(ev: Evidence, config: RankConfig) -> Ranked:
    """The matching cases, best first, by the configured method.

    A case is in the result when its dense score reaches `min_z` or its lexical coverage
    reaches `min_coverage`; when fewer than `min_matches` cases are, the best of the rest
    fill up to that number, so a query always gets answers. Each is marked `match` by
    the relevance bar (see `RankConfig.match_z`), on the first dense pass.
    """
    n = len(ev.cover)
    has_dense = ~np.isnan(ev.dense)
    z = np.where(has_dense, ev.dense, 0.0)
    cover = ev.cover
    if config.method == "lexical":
        cand = ~np.isnan(ev.bm25)
        score = np.where(cand, ev.bm25, 0.0)
        passing = cand & (cover >= config.min_coverage)
    elif config.method == "rrf":
        in_bm25 = ~np.isnan(ev.bm25)
        score = np.zeros(n, dtype=np.float64)
        for has, value in ((has_dense, z), (in_bm25, ev.bm25)):
            rows = np.flatnonzero(has)
            order = rows[np.argsort(-value[rows], kind="stable")]
            score[order] += 1.0 / (config.rrf_k + np.arange(len(order)) + 1)
        cand = has_dense | in_bm25
        passing = cand & ((has_dense & (z >= config.min_z)) | in_bm25)
    elif config.method == "fusion" and config.lexical_boost:
        # Dense score plus the bounded lexical boost; cases found by words alone too.
        cand = has_dense | (cover > 0)
        score = z + config.lexical_boost * cover
        passing = cand & ((has_dense & (z >= config.min_z)) | (cover >= config.min_coverage))
    else:
        cand = has_dense
        score = z + 0.0
        passing = cand & (z >= config.min_z)
    if (
        config.method in ("fusion", "dense")
        and config.neighbour_weight
        and (ev.neighbours is not None)
    ):
        score = score + config.neighbour_weight * neighbour_mean(score, has_dense, ev.neighbours)
    chosen = passing.copy()
    n_pass = int(passing.sum())
    if n_pass < config.min_matches:
        # The best of the rest by score, ties by the larger id (as a max-heap of tuples).
        rest = np.flatnonzero(cand & ~passing)
        best = rest[np.lexsort((-ev.id_rank[rest], -score[rest]))]
        chosen[best[: config.min_matches - n_pass]] = True
    first = ev.dense if ev.first is None else ev.first
    if config.method == "lexical" or np.isnan(first).all():
        match = cover >= config.min_coverage
    else:
        z1 = np.where(np.isnan(first), 0.0, first)
        match = (z1 >= config.match_z_alone) | (
            (z1 >= config.match_z) & (cover >= config.match_coverage)
        )
    match &= chosen
    rows = np.flatnonzero(chosen)
    if config.matches_first:
        order = rows[np.lexsort((ev.id_rank[rows], -score[rows], ~match[rows]))]
    else:
        order = rows[np.lexsort((ev.id_rank[rows], -score[rows]))]
    best_row = ev.best_row
    if best_row is None or config.method == "lexical":
        best_row = np.full(n, -1, dtype=np.int64)  # no field matched: words did
    return Ranked(chosen, score, match, order, best_row, ev.row_field)
