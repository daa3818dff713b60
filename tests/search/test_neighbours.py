"""Score regularisation over the cases' nearest neighbours (`RankConfig.neighbours`):
the neighbour table, the mean of the scored neighbours, and its place in the ranking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus.settings import Settings
from corpus.store import Store
from search import index_files
from search.ranking import (
    STORED_NEIGHBOURS,
    DenseScorer,
    Evidence,
    RankConfig,
    nearest_cases,
    neighbour_mean,
    rank,
)
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


def test_the_build_stores_the_table_and_the_search_reads_it(
    indexed: tuple[Settings, Store],
) -> None:
    """The neighbour table is written with the index (no first search waits for it), and
    it is what the scorer would work out from the vectors."""
    settings, _ = indexed
    dense = index_files.load_dense(settings.index_dir, None)
    stored = dense.neighbours
    assert stored is not None and stored.shape == (len(set(dense.row_case)), STORED_NEIGHBOURS)
    fresh = nearest_cases(dense.row_case, dense.row_field, dense.vectors, STORED_NEIGHBOURS)
    assert (stored == fresh).all()
    scorer = DenseScorer(dense)
    assert (scorer.neighbours(10) == stored[:, :10]).all()
    assert scorer._neighbours == {}  # read, not worked out
    # Wider than stored: worked out once, from the vectors.
    wide = scorer.neighbours(STORED_NEIGHBOURS + 5)
    assert (wide[:, :STORED_NEIGHBOURS] == stored).all()
    assert scorer.neighbours(STORED_NEIGHBOURS + 5) is wide


def test_a_generation_built_before_the_table_searches_the_same(
    indexed: tuple[Settings, Store], tmp_path: Path
) -> None:
    """An index written before builds stored the table (no neighbours.npy, not in its
    meta.json) still loads, works the table out, and ranks exactly as a new one."""
    settings, store = indexed
    old = Settings(data_dir=tmp_path / "data")
    shutil.copytree(settings.data_dir, old.data_dir)
    gen = index_files.current_generation(old.index_dir)
    (gen / "neighbours.npy").unlink()
    meta = json.loads((gen / "meta.json").read_text())
    del meta["files"]["neighbours.npy"]
    (gen / "meta.json").write_text(json.dumps(meta))
    assert index_files.status(old.index_dir) == {"state": "ok"}
    old_store = Store(old.db_path)
    try:
        service = SearchService(old, old_store)
        assert service.generation().dense.neighbours is None
        request = SearchRequest(q="housing for homeless young people", limit=50)
        got = [(h.id, h.score) for h in service.search(request).results]
        want = [(h.id, h.score) for h in SearchService(settings, store).search(request).results]
        assert got == want and len(got) > 3
    finally:
        old_store.close()


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


@pytest.mark.parametrize("bad", ["shape", "range"])
def test_a_neighbour_table_that_does_not_fit_its_cases_is_corrupt(
    indexed: tuple[Settings, Store], tmp_path: Path, bad: str
) -> None:
    """A table whose checksum matches but that names cases the generation does not have
    (a build of another store's table, say) is refused at load, naming the file."""
    settings, _ = indexed
    copy = Settings(data_dir=tmp_path / "data")
    shutil.copytree(settings.data_dir, copy.data_dir)
    gen = index_files.current_generation(copy.index_dir)
    table = np.load(gen / "neighbours.npy")
    table = table[:-1] if bad == "shape" else np.where(table >= 0, table + len(table), -1)
    np.save(gen / "neighbours.npy", table)
    meta = json.loads((gen / "meta.json").read_text())
    meta["files"]["neighbours.npy"] = {
        "sha256": index_files.sha256_file(gen / "neighbours.npy"),
        "bytes": (gen / "neighbours.npy").stat().st_size,
    }
    (gen / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(index_files.IndexCorrupt) as err:
        index_files.load_dense(copy.index_dir, None)
    assert err.value.file == "neighbours.npy"
