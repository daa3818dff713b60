"""What request handlers share: the settings, a store per thread and the search service."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from fastapi import Request

from corpus.settings import Settings
from corpus.store import Store
from web.params import SearchQuery

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
        from search.index_files import fingerprint
        from search.service import SearchService

        if self._search is None:
            self._search = SearchService(self.settings)
        generation = fingerprint(self.settings.index_dir)
        if generation != self._generation:
            # A new generation was swapped in, or a file of the live one changed under us:
            # load (and so verify) again; a damaged file is then a 503 naming it.
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

    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[dict]:
        """Cases nearest to one case (see SearchService.similar)."""
        with self._lock:
            return self._service().similar(case_id, limit=limit, country=country)

    def health(self) -> dict[str, Any]:
        """The search service's health report, with the index files' state and the build
        under way (see `web.index_state`)."""
        from web.index_state import with_index_state

        with self._lock:
            report = self._service().health()
        return with_index_state(report, self.settings)


def resources(request: Request) -> Resources:
    """FastAPI dependency: the app's shared resources."""
    return request.app.state.resources
