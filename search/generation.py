"""One generation: everything a search reads, loaded together and never changed.

A `Generation` holds the loaded dense index and its scorer, the store's case table and
the lexical index, with the caches that are valid only for them (rankings, each case's
result card and snippet texts, snippets). `SearchService` builds a new one on `reload()`
and swaps the reference, so no lock is held while searching; the old one is closed a
little later, once the searches that started on it are done.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import IndexMissing
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from search import index_files, lexical
from search.embedders import Embedder
from search.filters import CaseTable
from search.lexical import LexicalIndex
from search.ranking import DenseScorer, RankConfig
from search.results import Hit, Snippet
from search.snippets import Prepared, prepare
from search.texts import lexical_texts

#: Rankings kept per generation (same text and filters, another page or sort).
RANK_CACHE = 64
#: Cases whose result card and snippet texts are kept per generation (`Shown`): every
#: case of a store of up to this size. About 5-12 KB a case, a third to a fifth of
#: the parsed case it is made from, which is not kept: a result that has to parse its
#: case from the store costs about 0.35 ms more.
SHOWN_CACHE = 20_000
#: What a health report can say about the semantic index: none built yet, one that
#: exists but cannot be used (another model, files missing), one that fails to load, one
#: older than the store, and (added by the web server, `web.index_state`) one being built.
PROBLEM_KINDS = ("no_index", "unusable", "corrupt", "stale", "building")
#: Snippets kept per generation (a case shown again for the same terms: a facet click,
#: the page before, a query typed again).
SNIPPET_CACHE = 2048


class LRU:
    """A small thread-safe LRU map; the lock is held only for the dictionary operation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def has(self, key: Any) -> bool:
        """Whether `key` is kept (its place in the order left as it is)."""
        with self._lock:
            return key in self._data

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        """The value kept for `key`, else `make()`, kept (None included). Two threads
        missing together both make it; the values are equal, so the last one stays."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass(eq=False)
class Generation:
    """Everything one search reads, loaded together and never changed afterwards."""

    table: CaseTable
    lexical: LexicalIndex
    #: None while there is no semantic index (lexical-only search).
    dense: index_files.DenseIndex | None = None
    scorer: DenseScorer | None = None
    #: For each indexed case, its row in the case table (-1: no longer in the store).
    to_table: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Why the semantic index is not there (None when it is).
    problem: str | None = None
    #: What kind of problem that is (`PROBLEM_KINDS`), so readers need not parse it.
    problem_kind: str | None = None
    #: Set when an index exists but cannot be used (corrupt, another model): searches
    #: then fail with this message (503) instead of quietly losing their semantic side.
    fatal: str | None = None
    #: A keyword index built from the store for lexical-only search, removed on close.
    scratch: Path | None = None
    ranks: LRU = field(default_factory=lambda: LRU(RANK_CACHE))
    #: Per case of this generation's store state, what its results show (`Shown`).
    shown: LRU = field(default_factory=lambda: LRU(SHOWN_CACHE))
    snippets: LRU = field(default_factory=lambda: LRU(SNIPPET_CACHE))
    #: Per case, the target-group concepts similar cases compare (`search.similar`).
    groups: LRU = field(default_factory=lambda: LRU(SHOWN_CACHE))
    _lexical_rows: np.ndarray | None = None
    _neighbour_rows: dict[int, np.ndarray] = field(default_factory=dict)

    def neighbour_rows(self, config: RankConfig) -> np.ndarray | None:
        """Each case table row's `config.neighbours` nearest cases
        (`DenseScorer.neighbours`) as case table rows (-1: none); None when the ranking
        does not use them or there is no semantic index."""
        k = config.neighbours
        if self.scorer is None or k <= 0 or not config.neighbour_weight:
            return None
        rows = self._neighbour_rows.get(k)
        if rows is None:
            near = self.scorer.neighbours(k)
            mapped = np.where(near >= 0, self.to_table[np.maximum(near, 0)], -1)
            rows = np.full((len(self.table), k), -1, dtype=np.int64)
            indexed = self.to_table >= 0
            rows[self.to_table[indexed]] = mapped[indexed]
            self._neighbour_rows[k] = rows
        return rows

    def lexical_to_table(self) -> np.ndarray:
        """For each case of the lexical index, its row in the case table (-1: none)."""
        rows = self._lexical_rows
        if rows is None:
            rows = self.table.rows_of(self.lexical.case_ids)
            self._lexical_rows = rows
        return rows

    def close(self) -> None:
        """Release the lexical index (and a scratch one's folder)."""
        self.lexical.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def load_generation(settings: Settings, store: Store, embedder: Embedder | None) -> Generation:
    """The live index with the store's case table; lexical-only when no usable index."""
    table = CaseTable.from_store(store)
    fatal = None
    kind = "no_index"
    if embedder is not None:
        try:
            dense = index_files.load_dense(settings.index_dir, embedder.model_id)
            scorer = DenseScorer(dense)
            lex = LexicalIndex(dense.path / "lexical.db")
        except index_files.IndexCorrupt as exc:
            fatal, kind = str(exc), "corrupt"
        except IndexMissing as exc:
            # An index exists (else there is no embedder) but not for this model, or a
            # generation lacks files.
            fatal, kind = str(exc), "unusable"
        except Exception as exc:  # sqlite and numpy raise several kinds
            fatal, kind = f"the search index is corrupt ({exc}): {index_files.FIX}", "corrupt"
        else:
            to_table = table.rows_of(scorer.case_ids)
            return Generation(table, lex, dense, scorer, to_table)
    # No semantic index: a keyword index of the store, enough to search by words.
    scratch = Path(tempfile.mkdtemp(prefix="casebank-lexical-"))
    lexical.build(scratch / "lexical.db", ((c.id, lexical_texts(c)) for c in store.iter_cases()))
    problem = fatal or (
        "no semantic search index yet: search works by keywords until it is built "
        f"({index_files.FIX})"
    )
    gen = Generation(
        table,
        LexicalIndex(scratch / "lexical.db"),
        problem=problem,
        problem_kind=kind,
        fatal=fatal,
        scratch=scratch,
    )
    # A service dropped without reload() still leaves no folder behind.
    weakref.finalize(gen, shutil.rmtree, scratch, True)
    return gen


def keep_card(gen: Generation, n: int, case: Case) -> bool:
    """Keep the `Shown` of the store's `n`-th case in the generation; False from the
    `SHOWN_CACHE`-th on (more would push out the first)."""
    if n >= SHOWN_CACHE:
        return False
    gen.shown.get_or_make(case.id, lambda: shown_of(case))
    return True


@dataclass(frozen=True)
class Shown:
    """What the results show of one case whatever the query: its card (the `Hit` fields
    but score, match and snippet) and its snippet texts."""

    card: dict[str, Any]
    prepared: Prepared


#: The `Hit` fields a case's card holds: all but those that depend on the query.
CARD_FIELDS = tuple(f for f in Hit.model_fields if f not in ("score", "match", "snippet"))


def shown_of(case: Case) -> Shown:
    """A case's `Shown`."""
    card = {name: getattr(case, name) for name in CARD_FIELDS}
    return Shown(card, prepare(case))


def hit_of(card: dict[str, Any], score: float, match: bool, shown: Snippet | None) -> Hit:
    """One result as the API shows it (validated, so no two hits share a list)."""
    return Hit(**card, score=round(float(score), 4), match=match, snippet=shown)
