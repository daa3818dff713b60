"""Score regularisation over the cases' nearest neighbours (`RankConfig.neighbours`):
the neighbour table, the mean of the scored neighbours, and its place in the ranking."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.settings import Settings
from corpus.store import Store
from search.ranking import Evidence, RankConfig, neighbour_mean, rank
from search.request import SearchRequest
from search.service import SearchService


def test_the_mean_counts_only_scored_neighbours() -> None:
    score = np.array([1.0, 4.0, 2.0, 9.0])
    scored = np.array([True, True, True, False])  # case 3 has no score (e.g. pipeline)
    neighbours = np.array([[1, 2], [0, 3], [3, -1], [-1, -1]])
    assert neighbour_mean(score, scored, neighbours).tolist() == [3.0, 1.0, 0.0, 0.0]


def test_a_case_among_well_scored_neighbours_ranks_first() -> None:
    """Cases 0 and 1 score alike on their own; 0's neighbours score high, 1's low."""
    dense = np.array([3.0, 3.0, 2.5, 2.5, -1.0, -1.0])
    neighbours = np.array([[2, 3], [4, 5], [0, 3], [0, 2], [1, 5], [1, 4]])
    id_rank = np.arange(6)[::-1].copy()  # ties would put case 1 first
    plain = Evidence(dense, np.zeros(6), id_rank)
    with_neighbours = Evidence(dense, np.zeros(6), id_rank, neighbours=neighbours)
    config = RankConfig(min_matches=6)
    assert rank(plain, config).order.tolist()[:2] == [1, 0]
    ranked = rank(with_neighbours, config)
    order = ranked.order.tolist()
    assert order[0] == 0 and order.index(1) > order.index(2)  # below its neighbours' peers
    assert ranked.score[0] == 3.0 + 0.5 * 2.5 and ranked.score[1] == 3.0 + 0.5 * -1.0
    # Off, or for the lexical ranking, the neighbours change nothing.
    off = rank(with_neighbours, RankConfig(min_matches=6, neighbour_weight=0.0))
    assert off.score.tolist() == rank(plain, config).score.tolist()


def test_neighbours_are_the_nearest_other_cases_by_whole_vector(
    indexed: tuple[Settings, Store],
) -> None:
    scorer = SearchService(*indexed).generation().scorer
    near = scorer.neighbours(3)
    rows = scorer.field_rows["whole"]
    case_of = scorer.row_case_idx[rows]
    vectors = scorer.vectors[rows]
    for i, c in enumerate(case_of.tolist()):
        sims = vectors @ vectors[i]
        sims[i] = -np.inf
        want = case_of[np.argsort(-sims, kind="stable")[:3]]
        assert c not in near[c].tolist()
        got_sims = [float(sims[case_of.tolist().index(j)]) for j in near[c].tolist()]
        want_sims = [float(sims[case_of.tolist().index(j)]) for j in want.tolist()]
        assert np.allclose(got_sims, want_sims, atol=1e-5)
    assert scorer.neighbours(3) is near  # worked out once


def test_the_search_adds_the_neighbours_mean_to_each_score(
    indexed: tuple[Settings, Store],
) -> None:
    """The service's scores are the scores without neighbours plus half the mean of the
    neighbours' scores, case by case."""
    settings, store = indexed
    # Every case in the result (no relevance bar), so every neighbour's score is shown.
    plain = SearchService(
        settings, store, config=RankConfig(min_matches=1000, neighbour_weight=0.0)
    )
    smoothed = SearchService(settings, store, config=RankConfig(min_matches=1000))
    request = SearchRequest(q="housing for homeless young people", limit=100)
    before = {h.id: h.score for h in plain.search(request).results}
    after = {h.id: h.score for h in smoothed.search(request).results}
    gen = smoothed.generation()
    rows = gen.neighbour_rows(RankConfig())
    table = gen.table
    in_design = table.mask("stage", {"pipeline"})
    checked = 0
    assert set(after) == set(before)
    for cid, score in after.items():
        near = [table.ids[r] for r in rows[table.pos[cid]].tolist() if r >= 0]
        scored = [before[n] for n in near if n in before]
        # Projects in design are not searched, so they have no score to lend.
        left_out = [n for n in near if n not in before]
        assert all(in_design[table.pos[n]] for n in left_out)
        assert score == pytest.approx(before[cid] + 0.5 * np.mean(scored), abs=1e-3)
        checked += 1
    assert checked == len(after) > 3
