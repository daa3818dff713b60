"""What request handlers share: the settings, a store per thread and the search service."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from fastapi import Request

from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from search.request import SearchRequest
from search.results import SearchResponse

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
        self._generation: tuple = ()
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

        A newer index generation (built while the server runs) is swapped in on the next
        call; searches never wait for one another (see `search.service`).
        """
        from search.index_files import fingerprint
        from search.service import SearchService

        if self._search is None:
            with self._lock:
                if self._search is None:
                    self._search = SearchService(self.settings, warm=True)
        generation = fingerprint(self.settings.index_dir)
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    # A new generation was swapped in, or a file of the live one changed
                    # under us: load (and so verify) again; a damaged file is then a 503
                    # naming it. Searches under way keep the generation they started with.
                    self._search.reload()
                    self._generation = generation
        return self._search

    def search_service(self) -> SearchService:
        """The search service (typed results)."""
        return self._service()

    def search(self, request: SearchRequest, *, all_rows: bool = False) -> SearchResponse:
        """Run a checked search: a page, or every row (exports)."""
        return self._service().search(request, all_rows=all_rows)

    def search_at_once(self, request: SearchRequest) -> SearchResponse | None:
        """The answer if it needs neither the model nor an index pass nor a reload (see
        `SearchService.ranked_already`), else None: the API then runs `search` on a
        worker thread."""
        from search.index_files import fingerprint

        service = self._search
        if service is None or fingerprint(self.settings.index_dir) != self._generation:
            return None
        if not service.ranked_already(request):
            return None
        return service.search(request)

    def run_search(self, query: SearchRequest, *, limit: int, offset: int = 0) -> dict[str, Any]:
        """A page of a search as plain data (what the page templates read)."""
        found = self.search(query.replace(limit=limit, offset=offset))
        return found.model_dump(mode="json")

    def all_results(self, query: SearchRequest) -> dict[str, Any]:
        """Every result of a checked search (paged through the service, no cap).

        Returns the first page's `{query, total, facets, ...}` with `results` holding all
        rows (without snippets): exports and charts need the whole set, not one page of
        it. The last few searches are kept (per store version and index generation): the
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

    def _read_whole(self, query: SearchRequest) -> dict[str, Any]:
        return self.search(query.replace(offset=0), all_rows=True).model_dump(mode="json")

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
        version = self._store_version()
        with self._lock:
            cached = self._cases
            if cached is not None and cached[0] == version:
                return cached[1]
        loaded = {c.id: c for c in self.store().iter_cases()}
        with self._lock:
            self._cases = (version, loaded)
        return loaded

    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[dict]:
        """Cases similar to one case (see SearchService.similar), as plain data."""
        hits = self._service().similar(case_id, limit=limit, country=country)
        return [h.model_dump(mode="json") for h in hits]

    def health(self) -> dict[str, Any]:
        """The search service's health report, with the index files' state and the build
        under way (see `web.index_state`)."""
        from web.index_state import with_index_state

        return with_index_state(self._service().health(), self.settings)


async def resources(request: Request) -> Resources:
    """FastAPI dependency: the app's shared resources (async: nothing here waits, and a
    sync dependency costs every request a hop to the thread pool)."""
    return request.app.state.resources
