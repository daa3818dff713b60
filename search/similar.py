"""Similar cases: what makes two cases comparable (`SearchService.similar`).

Two cases are similar when they do the same thing for the same people, whatever the
language or country of their texts: the cosine of their whole-case, intervention and
target-group vectors, averaged over the kinds both have (`similar_scores`); a bonus for
the same policy area; and, among the best `POOL` of them, a smaller one for a case of
the same policy area whose target-group text names a concept of the glossary that the
case's own names too (`target_groups`). `bench/bench_similar.py` measures them with
target-group labels given independently of both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from corpus.model import Case
from search.glossary import load_glossary
from search.ranking import DenseScorer

#: The best cases by vectors and policy area among which the target-group bonus applies.
POOL = 30


def target_groups(case: Case) -> frozenset[str]:
    """The glossary concepts named in the case's target group (else its title and
    intervention); the general words (`general.yaml`: people, aged, improve) name no
    target group."""
    text = case.target_population or f"{case.title}. {case.intervention or ''}"
    found = load_glossary().find(text)
    return frozenset(m.concept.id for m in found if m.concept.domain != "general")


def similar_scores(
    scorer: DenseScorer, pos: int, allowed: np.ndarray, weights: dict[str, float]
) -> np.ndarray:
    """The similarity to the case at `pos` of every indexed case (by position in
    `scorer.case_ids`; -inf where not allowed or not comparable): per field in
    `weights`, the cosine of the two cases' vectors, weighted and averaged over the
    fields both cases have."""
    lo, hi = scorer.starts[pos], scorer.starts[pos + 1]
    own = {str(scorer.row_field[r]): r for r in range(lo, hi)}
    total = np.zeros(len(scorer.case_ids), dtype=np.float32)
    weight = np.zeros(len(scorer.case_ids), dtype=np.float32)
    for kind, w in weights.items():
        if kind not in own:
            continue
        rows = scorer.field_rows[kind]
        sims = scorer.sims_at(scorer.vectors[own[kind]], rows)
        owners = scorer.row_case_idx[rows]
        total[owners] += w * sims
        weight[owners] += w
    ok = allowed & (weight > 0)
    out = np.full(len(scorer.case_ids), -np.inf)
    out[ok] = total[ok] / weight[ok]
    return out


def best_first(scores: np.ndarray, id_rank: np.ndarray) -> np.ndarray:
    """The positions with a finite score, best first and ties by id (`id_rank`: each
    position's place in id order). Arrays over the indexed cases: at 10,000 cases a dict
    and a sort of every case cost 50 ms a call, most of a case page."""
    found = np.flatnonzero(np.isfinite(scores))
    return found[np.lexsort((id_rank[found], -scores[found]))]


def same_people_first(
    order: np.ndarray,
    scores: np.ndarray,
    same_area: np.ndarray,
    mine: frozenset[str],
    groups_of: Callable[[int], frozenset[str]],
    bonus: float,
) -> np.ndarray:
    """`order` with, among its first `POOL`, each case of the same policy area
    (`same_area` by position) whose target groups (`groups_of`) share one of `mine`
    raised by `bonus` (in `scores` too) and the pool sorted again. Its scores only rise,
    so it stays ahead of the rest, whose order is kept."""
    if not mine:
        return order
    pool = order[:POOL]
    for i in pool[same_area[pool]].tolist():
        if mine & groups_of(i):
            scores[i] += bonus
    # A stable sort keeps the pool's ties in id order, as `best_first` gave them.
    again = pool[np.argsort(-scores[pool], kind="stable")]
    return np.concatenate([again, order[POOL:]])
