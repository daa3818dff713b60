"""Build or update the search index from the store, embedding only what changed.

Each case's field texts (see `search/texts.py`) are hashed; a text whose hash is in the
live index keeps its vector, so only new or edited text is embedded. Composed fields
(`texts.COMPOSED`, the `whole` vector) are the normalised mean of their parts' vectors
and cost no model pass. Cases gone from the
store leave the index. A different model (or a missing/corrupt index) means everything
is embedded again: vectors of two models are never mixed. When nothing changed, nothing
is written. The new index is written to a fresh generation and swapped in atomically.

One process builds at a time (`build.lock`); the build's progress goes to BUILDING.json,
which `/api/health` and the pages' banner read. A build that fails, or is killed, never
becomes live: a failed one removes its own folder, and the next build prunes any folder
a killed one left (see `index_files.publish`).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from corpus.errors import IndexMissing
from corpus.settings import Settings
from corpus.store import Store
from search import index_files, lexical
from search.embedders import Embedder, get_embedder, l2_normalise
from search.ranking import STORED_NEIGHBOURS, nearest_cases
from search.texts import COMPOSED, TEXT_VERSION, field_texts, lexical_texts

#: progress(done, total) is called while field texts are embedded.
Progress = Callable[[int, int], None]

#: Texts embedded per call: small enough for steady progress reports.
BATCH = 32


def text_hash(text: str) -> str:
    """Key of an embedded text in the cache."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def composed_hash(part_hashes: list[str]) -> str:
    """Key of a composed vector: which texts it averages (never a text's own hash)."""
    return "mean:" + text_hash(",".join(part_hashes))


def _previous(settings: Settings, model_id: str) -> index_files.DenseIndex | None:
    """The live index if it can be reused with this model, else None (full rebuild)."""
    try:
        prev = index_files.load_dense(settings.index_dir, model_id, check_all=False)
    except IndexMissing:
        return None
    return prev


def build_index(
    settings: Settings,
    store: Store,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """Bring the index up to date with the store (holding the build lock).

    Returns counts `{embedded, reused, removed, total, texts_embedded, seconds, rebuilt}`:
    cases embedded (new or with changed text), cases whose vectors were reused, cases
    removed, cases in the index now. `progress(done, total)` follows every text
    embedded. Raises LockHeld when another process is building.
    """
    with index_files.build_lock(settings.index_dir):
        try:
            return _build(settings, store, progress, embedder)
        finally:
            index_files.clear_progress(settings.index_dir)


def _build(
    settings: Settings,
    store: Store,
    progress: Progress | None,
    embedder: Embedder | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    started_wall = time.time()
    index_files.write_progress(settings.index_dir, 0, 0, started_wall)
    embedder = embedder or get_embedder(settings.embedder)
    hashes = store.case_hashes()
    # Nothing changed? Decided from the meta and each file's checksum, without parsing
    # the vectors or the FAISS index (which takes seconds at 100k cases).
    meta = index_files.read_meta(settings.index_dir) or {}
    gen = index_files.current_generation(settings.index_dir)
    if (
        gen is not None
        and meta.get("model_id") == embedder.model_id
        and meta.get("cases") == hashes
        and meta.get("text_version") == TEXT_VERSION
        and meta.get("index_kind") == settings.index_kind
        and index_files.looks_intact(gen, meta)
    ):
        return {
            "embedded": 0,
            "reused": len(hashes),
            "removed": 0,
            "total": len(hashes),
            "texts_embedded": 0,
            "seconds": round(time.perf_counter() - started, 3),
            "rebuilt": False,
        }
    prev = _previous(settings, embedder.model_id)
    prev_cases: dict[str, str] = prev.meta.get("cases", {}) if prev else {}
    removed = len(set(prev_cases) - set(hashes))

    cache: dict[str, int] = {}
    if prev is not None:
        cache = {h: i for i, h in enumerate(prev.row_text_hash)}

    # One pass over the store; only the texts are kept (not 100k parsed cases).
    ids: list[str] = []
    lexical_rows: list[tuple[str, dict[str, str]]] = []
    rows: list[tuple[str, str, str]] = []
    parts_of: dict[int, list[str]] = {}  # row of a composed field -> its parts' hashes
    todo: dict[str, str] = {}  # text hash -> text, for texts not in the cache
    embedded_cases: set[str] = set()
    for case in store.iter_cases():
        texts = field_texts(case)
        ids.append(case.id)
        lexical_rows.append((case.id, lexical_texts(case)))
        hashes_of = {field: text_hash(text) for field, text in texts.items()}
        for field, text in texts.items():
            h = hashes_of[field]
            rows.append((case.id, field, h))
            if h not in cache:
                todo.setdefault(h, text)
                embedded_cases.add(case.id)
        for field, parts in COMPOSED.items():
            part_hashes = [hashes_of[p] for p in parts if p in hashes_of]
            if part_hashes:
                parts_of[len(rows)] = part_hashes
                rows.append((case.id, field, composed_hash(part_hashes)))

    total = len(todo)

    def report(done: int) -> None:
        index_files.write_progress(settings.index_dir, done, total, started_wall)
        if progress:
            progress(done, total)

    report(0)
    new_vectors: dict[str, np.ndarray] = {}
    # Texts of like length share a batch: the engine splits a batch across its threads
    # text by text, so one long text among short ones leaves the other core idle.
    pending = sorted(todo.items(), key=lambda item: len(item[1]))
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        vecs = embedder.embed_documents([t for _, t in batch])
        for (h, _), v in zip(batch, vecs, strict=True):
            new_vectors[h] = v
        report(min(start + BATCH, len(pending)))

    def vector_of(h: str) -> np.ndarray:
        return new_vectors[h] if h in new_vectors else prev.vectors[cache[h]]

    vectors = np.zeros((len(rows), embedder.dim), dtype=np.float32)
    for i, (_, _, h) in enumerate(rows):
        if i in parts_of:
            vectors[i] = l2_normalise(np.mean([vector_of(p) for p in parts_of[i]], axis=0))
        else:
            vectors[i] = vector_of(h)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    gen = index_files.new_generation(settings.index_dir, stamp)
    try:
        with index_files.writing(gen / "lexical.db"):
            lexical.build(gen / "lexical.db", lexical_rows)
        meta = {
            "model_id": embedder.model_id,
            "embedder": settings.embedder,
            "dim": embedder.dim,
            "count": len(ids),
            "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "text_version": TEXT_VERSION,
            "fields": sorted({r[1] for r in rows}),
            # A case added while this build ran is picked up by the next one.
            "cases": {cid: hashes.get(cid, "") for cid in ids},
        }
        # The neighbour table now, not at the generation's first search (seconds at 10k).
        neighbours = nearest_cases(
            [r[0] for r in rows], [r[1] for r in rows], vectors, STORED_NEIGHBOURS
        )
        index_files.write_generation(
            gen, meta, rows, vectors, settings.index_kind, neighbours=neighbours
        )
        index_files.publish(settings.index_dir, gen)
    except BaseException:
        # Never leave a partial generation behind (a disk-full build left 4 MB of them).
        if index_files.current_generation(settings.index_dir) != gen:
            shutil.rmtree(gen, ignore_errors=True)
        raise
    report(total)
    return {
        "embedded": len(embedded_cases),
        "reused": len(ids) - len(embedded_cases),
        "removed": removed,
        "total": len(ids),
        "texts_embedded": len(todo),
        "seconds": round(time.perf_counter() - started, 3),
        "rebuilt": prev is None,
    }
