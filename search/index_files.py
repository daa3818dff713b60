"""The on-disk search index: one folder per build ("generation") and a pointer to the live one.

Layout under `Settings.index_dir`:

    CURRENT              name of the live generation (replaced atomically with os.replace)
    gen-<stamp>/
        meta.json        model id, dimension, counts, build time, text version, case hashes
        rows.json        per vector row: [case id, field, text hash]; rows grouped by case
        vectors.npy      float32 (rows, dim), L2-normalised: the embedding cache
        dense.faiss      FAISS index over the rows (row number = FAISS id)
        lexical.db       SQLite FTS5 index

A build writes a new generation completely, then swaps `CURRENT`; a reader never sees a
half-written index, and a running service keeps its loaded generation until `reload()`.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from corpus.errors import IndexMissing

FORMAT = 1
#: First bytes of the FAISS files written here (flat inner product, HNSW flat).
FAISS_HEADERS = (b"IxFI", b"IHNf")
POINTER = "CURRENT"
FIX = "run `casebank index` to build it"


@dataclass
class DenseIndex:
    """A loaded generation's vectors and FAISS index."""

    path: Path
    meta: dict[str, Any]
    #: Per row: case id, field name.
    row_case: list[str]
    row_field: list[str]
    row_text_hash: list[str]
    vectors: np.ndarray
    faiss_index: faiss.Index


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when there is none."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    """The live generation's meta, or None when absent or unreadable."""
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        return json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def new_generation(index_dir: Path, stamp: str) -> Path:
    """A fresh, empty generation folder to write a build into."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / f"gen-{stamp}"
    n = 0
    while path.exists():
        n += 1
        path = index_dir / f"gen-{stamp}-{n}"
    path.mkdir()
    return path


def make_faiss(vectors: np.ndarray, kind: str) -> faiss.Index:
    """A FAISS inner-product index over the rows: exact (`flat`) or approximate (`hnsw`)."""
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        raise IndexMissing(f"unknown index kind {kind!r} (CASEBANK_INDEX_KIND: flat or hnsw)")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_generation(
    gen: Path,
    meta: dict[str, Any],
    rows: list[tuple[str, str, str]],
    vectors: np.ndarray,
    kind: str,
) -> None:
    """Write the dense part and the meta of a generation (the lexical db is written apart)."""
    np.save(gen / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(make_faiss(vectors, kind), str(gen / "dense.faiss"))
    (gen / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    meta = {**meta, "format": FORMAT, "rows": len(rows), "index_kind": kind}
    (gen / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


def publish(index_dir: Path, gen: Path, keep: int = 2) -> None:
    """Make `gen` the live generation atomically, then drop all but the newest `keep`."""
    tmp = index_dir / (POINTER + ".tmp")
    tmp.write_text(gen.name, encoding="utf-8")
    os.replace(tmp, index_dir / POINTER)
    gens = sorted(
        (p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    for old in gens[:-keep]:
        if old != gen:
            shutil.rmtree(old, ignore_errors=True)


def looks_intact(gen: Path, meta: dict[str, Any]) -> bool:
    """A cheap check of a generation: every file there, each with the right header and
    size (not a full read: that is `load_dense`'s job)."""
    try:
        vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        if vectors.shape != (meta.get("rows"), meta.get("dim")):
            return False
        with open(gen / "dense.faiss", "rb") as f:
            if f.read(4) not in FAISS_HEADERS:
                return False
        with open(gen / "lexical.db", "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                return False
        with open(gen / "rows.json", "rb") as f:
            head = f.read(1)
            f.seek(-1, os.SEEK_END)
            return head + f.read(1) == b"[]"
    except (OSError, ValueError):
        return False


def load_dense(index_dir: Path, model_id: str | None) -> DenseIndex:
    """Load the live generation; raises IndexMissing if absent, corrupt or of another model."""
    gen = current_generation(index_dir)
    if gen is None or not gen.is_dir():
        raise IndexMissing(f"no search index in {index_dir}: {FIX}")
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT}")
        if model_id is not None and meta.get("model_id") != model_id:
            raise IndexMissing(
                f"the search index in {index_dir} was built with model "
                f"{meta.get('model_id')!r} but the configured model is {model_id!r}: "
                "run `casebank index` to rebuild it"
            )
        rows = json.loads((gen / "rows.json").read_text(encoding="utf-8"))
        vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        index = faiss.read_index(str(gen / "dense.faiss"))
        if not (len(rows) == vectors.shape[0] == index.ntotal):
            raise ValueError(
                f"{len(rows)} rows, {vectors.shape[0]} vectors, {index.ntotal} in FAISS"
            )
        if len(rows) and vectors.shape[1] != meta.get("dim"):
            raise ValueError(f"dimension {vectors.shape[1]} but meta says {meta.get('dim')}")
    except IndexMissing:
        raise
    except Exception as exc:  # any unreadable part means the same thing to the user
        raise IndexMissing(f"the search index in {gen} is corrupt ({exc}): {FIX}") from exc
    return DenseIndex(
        path=gen,
        meta=meta,
        row_case=[r[0] for r in rows],
        row_field=[r[1] for r in rows],
        row_text_hash=[r[2] for r in rows],
        vectors=vectors,
        faiss_index=index,
    )
