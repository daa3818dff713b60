"""Ranking: dense field scores combined per case, fused with lexical evidence.

Dense side: the query vector is compared with every field vector of the allowed cases
(FAISS, exact by default); a case's dense score combines its field scores
(`RankConfig.aggregate`). Scores are then standardised against the query's background
(mean and spread of the scores of a fixed sample of cases), which makes them comparable
across queries and models.

Lexical side, as a bounded boost rather than an equal vote: a plain reciprocal-rank
fusion lets BM25 push cases that share a common word with a Danish or Swedish query
(words that rarely occur in English text) as high as the best semantic matches, which
made those languages worse. Here lexical evidence counts in proportion to how much of
the query it explains: `coverage` = IDF mass of the query terms a case contains over
the IDF mass of all query terms (terms the index has never seen count at the highest
IDF). A rare name that matches ("Peterborough") covers the whole query and lifts its
cases to the top; a common word, or a query mostly in a language the text is not in,
covers little and barely moves the dense order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import faiss
import numpy as np

from search.index_files import DenseIndex
from search.lexical import LexicalHits

#: Rows fetched from FAISS per query before per-case aggregation.
TOP_ROWS = 4000
#: Cases sampled for the background mean/spread of dense scores.
BACKGROUND = 512


@dataclass(frozen=True)
class RankConfig:
    """How scores are computed; the defaults are what the service uses."""

    #: "fusion" (dense + bounded lexical boost), "dense", "lexical" or "rrf".
    method: str = "fusion"
    #: Field weights for the per-case dense score; fields not listed are ignored.
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "whole": 1.0,
            "title": 1.0,
            "challenge": 1.0,
            "intervention": 1.0,
            "target": 1.0,
            "outcomes": 1.0,
            "summary": 1.0,
        }
    )
    #: "max" (best field) or "mean_top2" (mean of the two best weighted field scores).
    aggregate: str = "max"
    #: Size of the lexical boost, in background standard deviations of the dense score.
    lexical_boost: float = 3.0
    #: Standardised dense score (or lexical coverage) a case needs to count as a match.
    min_z: float = 2.0
    min_coverage: float = 0.5
    rrf_k: int = 60


@dataclass
class Scored:
    """One ranked case: its score and the field that matched best."""

    case_id: str
    score: float
    dense: float = 0.0
    coverage: float = 0.0
    best_field: str | None = None


class DenseScorer:
    """Per-case dense scores over a loaded generation."""

    def __init__(self, dense: DenseIndex) -> None:
        self.dense = dense
        self.case_ids: list[str] = []
        self.case_pos: dict[str, int] = {}
        starts: list[int] = []
        for i, cid in enumerate(dense.row_case):
            if cid not in self.case_pos:
                self.case_pos[cid] = len(self.case_ids)
                self.case_ids.append(cid)
                starts.append(i)
        self.starts = np.array(starts + [len(dense.row_case)], dtype=np.int64)
        self.row_case_idx = np.repeat(np.arange(len(self.case_ids)), np.diff(self.starts)).astype(
            np.int64
        )
        self.row_field = np.array(dense.row_field)
        rng = np.random.default_rng(0)
        whole = np.flatnonzero(self.row_field == "whole")
        self.background_rows = np.sort(
            rng.choice(whole, size=min(BACKGROUND, len(whole)), replace=False)
        )

    def background(self, q: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's score against sampled case vectors."""
        if len(self.background_rows) < 2:
            return 0.0, 1.0
        s = np.asarray(self.dense.vectors[self.background_rows]) @ q
        return float(s.mean()), float(max(s.std(), 1e-6))

    def scores(
        self, q: np.ndarray, allowed_cases: np.ndarray | None, config: RankConfig
    ) -> dict[str, tuple[float, str]]:
        """`{case_id: (dense score, best field)}` for the best-matching allowed cases."""
        n_rows = len(self.dense.row_case)
        if n_rows == 0:
            return {}
        weighted = np.isin(self.row_field, list(config.weights))
        row_ok = weighted if allowed_cases is None else weighted & allowed_cases[self.row_case_idx]
        n_ok = int(row_ok.sum())
        if n_ok == 0:
            return {}
        k = min(n_ok, TOP_ROWS)
        sel = faiss.IDSelectorBitmap(n_rows, faiss.swig_ptr(np.packbits(row_ok, bitorder="little")))
        params = (
            faiss.SearchParametersHNSW(sel=sel, efSearch=max(128, k))
            if isinstance(self.dense.faiss_index, faiss.IndexHNSW)
            else faiss.SearchParameters(sel=sel)
        )
        _, idx = self.dense.faiss_index.search(
            q.reshape(1, -1).astype(np.float32), k, params=params
        )
        hits = idx[0][idx[0] >= 0]
        cand = np.unique(self.row_case_idx[hits])
        out: dict[str, tuple[float, str]] = {}
        for ci in cand:
            lo, hi = self.starts[ci], self.starts[ci + 1]
            fields = self.row_field[lo:hi]
            w = np.array([config.weights.get(f, 0.0) for f in fields], dtype=np.float32)
            keep = w > 0
            if not keep.any():
                continue
            s = (np.asarray(self.dense.vectors[lo:hi])[keep] @ q) * w[keep]
            best = int(np.argmax(s))
            if config.aggregate == "mean_top2" and len(s) > 1:
                score = float(np.sort(s)[-2:].mean())
            else:
                score = float(s[best])
            out[self.case_ids[ci]] = (score, str(fields[keep][best]))
        return out


def coverage(hits: LexicalHits) -> dict[str, float]:
    """Share of the query's IDF mass that each lexically matching case contains."""
    total = sum(hits.idf.values())
    if total <= 0:
        return {}
    return {cid: sum(hits.idf[t] for t in terms) / total for cid, terms in hits.matched.items()}


def rank(
    dense_scores: dict[str, tuple[float, str]],
    background: tuple[float, float],
    hits: LexicalHits,
    config: RankConfig,
) -> list[Scored]:
    """The matching cases, best first, by the configured method."""
    mean, std = background
    cov = coverage(hits)
    if config.method == "lexical":
        ranked = [Scored(cid, s, coverage=cov.get(cid, 0.0)) for cid, s in hits.bm25.items()]
    elif config.method == "rrf":
        dense_order = sorted(dense_scores, key=lambda c: -dense_scores[c][0])
        lex_order = sorted(hits.bm25, key=lambda c: -hits.bm25[c])
        fused: dict[str, float] = {}
        for order in (dense_order, lex_order):
            for r, cid in enumerate(order):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (config.rrf_k + r + 1)
        ranked = [
            Scored(
                cid,
                s,
                dense=dense_scores.get(cid, (0.0, None))[0],
                best_field=dense_scores.get(cid, (0.0, None))[1],
            )
            for cid, s in fused.items()
        ]
        # Everything RRF returns counts as matched only if dense or lexical says so.
        ranked = [
            r for r in ranked if (r.dense - mean) / std >= config.min_z or r.case_id in hits.bm25
        ]
    else:
        boost = config.lexical_boost if config.method == "fusion" else 0.0
        ranked = []
        for cid in set(dense_scores) | (set(cov) if boost else set()):
            d, best = dense_scores.get(cid, (mean, None))
            z = (d - mean) / std
            c = cov.get(cid, 0.0)
            if z < config.min_z and (not boost or c < config.min_coverage):
                continue
            ranked.append(Scored(cid, z + boost * c, dense=d, coverage=c, best_field=best))
    ranked.sort(key=lambda r: (-r.score, r.case_id))
    return ranked
