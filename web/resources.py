"""What request handlers share: the settings, a store per thread and the search service."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from web.params import SearchQuery

#: Rows fetched per call when a search is read whole (the service's page limit).
EXPORT_PAGE = 100
#: Whole searches kept for charts and exports (a few MB at most).
WHOLE_CACHE = 16

if TYPE_CHECKING:
    from search.service import SearchService


class Resources:
    """Shared state of one app; handlers get it with `Depends(resources)`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._search: SearchService | None = None
        self._generation: Path | None = None
        self._cases: tuple[tuple, dict[str, Case]] | None = None
        self._whole: OrderedDict[tuple, dict[str, Any]] = OrderedDict()

    def store(self) -> Store:
        """This thread's store: a sqlite3 connection must not be used by two threads at once."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.settings.db_path)
        return store

    def _service(self) -> SearchService:
        """The search service, created on first use (it loads the embedding model and index).

        A newer index generation (built while the server runs) is picked up on the next call.
        """
        from search.index_files import current_generation
        from search.service import SearchService

        if self._search is None:
            self._search = SearchService(self.settings)
        generation = current_generation(self.settings.index_dir)
        if generation != self._generation:
            # `casebank index` swapped in a new generation: drop the loaded one.
            self._search.reload()
            self._generation = generation
        return self._search

    # The service keeps one SQLite connection and loads its index lazily; requests run in
    # a thread pool, so calls into it take turns (they are short and CPU-bound anyway).

    def run_search(self, query: SearchQuery, *, limit: int, offset: int = 0) -> dict[str, Any]:
        """Run a checked search; pipeline projects are included only when asked for by stage."""
        with self._lock:
            return self._service().search(
                query.q,
                filters=query.filters,
                limit=limit,
                offset=offset,
                sort=query.sort,
                include_pipeline="pipeline" in query.filters.get("stage", []),
            )

    def all_results(self, query: SearchQuery) -> dict[str, Any]:
        """Every result of a checked search (paged through the service, no cap).

        Returns the first page's `{query, total, facets, ...}` with `results` holding all
        rows: exports and charts need the whole set, not one page of it. The last few
        searches are kept (per store version and index generation): the search service
        builds a snippet for every row, about a second for all 320 visible cases, and the
        home page and the pages of one search ask for the same set again and again.
        """
        from search.index_files import current_generation

        generation = current_generation(self.settings.index_dir)
        key = (tuple(query.params()), self._store_version(), generation)
        with self._lock:
            if key in self._whole:
                self._whole.move_to_end(key)
                return self._whole[key]
        found = self._read_whole(query)
        with self._lock:
            self._whole[key] = found
            while len(self._whole) > WHOLE_CACHE:
                self._whole.popitem(last=False)
        return found

    def _read_whole(self, query: SearchQuery) -> dict[str, Any]:
        first = self.run_search(query, limit=EXPORT_PAGE)
        rows = list(first["results"])
        while len(rows) < first["total"]:
            more = self.run_search(query, limit=EXPORT_PAGE, offset=len(rows))["results"]
            if not more:  # the store changed under us: stop rather than loop
                break
            rows += more
        return {**first, "results": rows}

    def _store_version(self) -> tuple:
        """What changes when the cases do: their count and latest update."""
        return tuple(
            self.store().db.execute("SELECT count(*), max(updated_at) FROM cases").fetchone()
        )

    def cases(self) -> dict[str, Case]:
        """Every merged case by id, read once per store version (the store changes rarely).

        The version is the count and latest update of the cases table, so an ingest run
        while the server runs is picked up on the next call.
        """
        store = self.store()
        version = tuple(store.db.execute("SELECT count(*), max(updated_at) FROM cases").fetchone())
        with self._lock:
            cached = self._cases
            if cached is not None and cached[0] == version:
                return cached[1]
        loaded = {c.id: c for c in store.iter_cases()}
        with self._lock:
            self._cases = (version, loaded)
        return loaded

    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[dict]:
        """Cases nearest to one case (see SearchService.similar)."""
        with self._lock:
            return self._service().similar(case_id, limit=limit, country=country)

    def health(self) -> dict[str, Any]:
        """The search service's health report."""
        with self._lock:
            return self._service().health()


def resources(request: Request) -> Resources:
    """FastAPI dependency: the app's shared resources."""
    return request.app.state.resources
