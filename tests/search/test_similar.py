"""search.similar: the order of similar cases, on plain arrays."""

from __future__ import annotations

import numpy as np

from search.similar import POOL, best_first, same_people_first


def test_best_first_breaks_ties_by_id_and_leaves_out_the_incomparable() -> None:
    scores = np.array([0.5, -np.inf, 0.7, 0.5, 0.1])
    id_rank = np.array([3, 0, 1, 2, 4])  # position 3 comes before position 0 by id
    assert best_first(scores, id_rank).tolist() == [2, 3, 0, 4]


def test_same_people_first_raises_only_the_pool_of_the_same_area_that_shares_a_group() -> None:
    n = POOL + 5
    scores = np.linspace(1.0, 0.5, n)  # already best first
    order = np.arange(n)
    same_area = np.ones(n, dtype=bool)
    same_area[3] = False
    groups = {
        3: frozenset({"homeless"}),
        4: frozenset({"homeless"}),
        POOL + 1: frozenset({"homeless"}),
    }
    got = same_people_first(
        order,
        scores.copy(),
        same_area,
        frozenset({"homeless"}),
        lambda i: groups.get(i, frozenset()),
        0.1,
    )
    # Position 4 (same area, shared group, in the pool) moves up past 0-3; position 3
    # (another area) and POOL + 1 (outside the pool) keep their places.
    assert got.tolist()[:6] == [4, 0, 1, 2, 3, 5]
    assert got.tolist()[POOL:] == order.tolist()[POOL:]
    assert sorted(got.tolist()) == order.tolist()
    assert (
        same_people_first(order, scores, same_area, frozenset(), lambda i: groups[i], 0.1) is order
    )
