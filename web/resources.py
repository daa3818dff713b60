"""What request handlers share: the settings, a store per thread, the search service, and
what the pages read once per store version (each case's `Brief`, the counts, the charts
of the last few searches) instead of every parsed case."""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request

from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store, StoreVersion
from search.request import SearchRequest
from search.results import SearchResponse
from web import charts
from web.briefs import Brief, Card, read_briefs, read_cards
from web.i18n import Translator

if TYPE_CHECKING:
    from search.service import SearchService

#: Chart sets kept (per language, search and its result): the home page, and another
#: page of a search or the same page again, draw the same charts.
OVERVIEW_CACHE = 32

#: Cases an export reads from the store in one query.
EXPORT_BATCH = 200

T = TypeVar("T")


class Resources:
    """Shared state of one app; handlers get it with `Depends(resources)`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._search: SearchService | None = None
        self._generation: tuple = ()
        #: The store's version: what is kept per version is made again after any change.
        self._store_version = StoreVersion(settings.db_path)
        #: What is read once per store version, by name: `(version, value)`.
        self._kept: dict[str, tuple[int, Any]] = {}
        self._overviews: OrderedDict[tuple, list[charts.Chart]] = OrderedDict()

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
                loaded = generation != self._generation
                if loaded:
                    # A new generation was swapped in, or a file of the live one changed
                    # under us: load (and so verify) again; a damaged file is then a 503
                    # naming it. Searches under way keep the generation they started with.
                    self._search.reload()
                    self._generation = generation
            if loaded:
                settle()
        return self._search

    def search_service(self) -> SearchService:
        """The search service (typed results)."""
        return self._service()

    def search(self, request: SearchRequest) -> SearchResponse:
        """Run a checked search: one page (every row's id: `result_ids`)."""
        return self._service().search(request)

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

    def result_ids(self, query: SearchRequest) -> list[str]:
        """The ids of every row of a checked search, in its order (no cap, no page): what
        the charts and the exports read (see `SearchService.result_ids`)."""
        return self._service().result_ids(query)

    def _per_version(self, name: str, make: Callable[[], T]) -> T:
        """`make()`, kept until the store changes (the store changes rarely). A change
        while it runs leaves the value under the older version: the next call makes it
        again."""
        version = self._store_version()
        with self._lock:
            kept = self._kept.get(name)
            if kept is not None and kept[0] == version:
                return kept[1]
        value = make()
        with self._lock:
            self._kept[name] = (version, value)
        settle()
        return value

    def briefs(self) -> dict[str, Brief]:
        """Every merged case's `Brief` (the fields the charts and counts read) by id, read
        once per store version: an ingest while the server runs shows on the next page."""
        return self._per_version("briefs", lambda: read_briefs(self.store()))

    def pipeline_count(self) -> int:
        """How many cases are projects in design (the pages say searches leave them out),
        counted once per store version."""
        return self._per_version(
            "pipeline", lambda: sum(1 for b in self.briefs().values() if b.stage == "pipeline")
        )

    def stats(self) -> dict[str, Any]:
        """The store's counts (`Store.stats`), read once per store version."""
        return self._per_version("stats", lambda: self.store().stats())

    def searched_stats(self) -> dict[str, Any]:
        """The counts of the cases a search finds unless asked for projects in design
        (`Store.stats` without the pipeline), read once per store version: what a count
        beside a link to a search shows."""
        return self._per_version(
            "searched_stats", lambda: self.store().stats(leave_out_stage="pipeline")
        )

    def overview(self, query: SearchRequest, t: Translator) -> list[charts.Chart]:
        """The charts and map of every case of a search (`charts.overview`), kept for the
        last few searches: the same language, search and result draw the same charts."""
        # The version first: cases changed meanwhile are then drawn under an older key.
        version = self._store_version()
        ids = self.result_ids(query)
        briefs = self.briefs()
        key = (t.lang, tuple(query.params()), tuple(ids), version)
        with self._lock:
            if key in self._overviews:
                self._overviews.move_to_end(key)
                return self._overviews[key]
        drawn = charts.overview(ids, briefs, t, query)
        with self._lock:
            self._overviews[key] = drawn
            while len(self._overviews) > OVERVIEW_CACHE:
                self._overviews.popitem(last=False)
        return drawn

    def iter_cases(self, ids: Iterable[str]) -> Iterator[Case]:
        """The cases of these ids, in their order, read from the store a batch at a time;
        an id no longer in the store (removed, or merged into another case since a
        search ran) is left out."""
        ids = list(ids)
        for i in range(0, len(ids), EXPORT_BATCH):
            chunk = ids[i : i + EXPORT_BATCH]
            # This thread's store each time: an export streams its rows from whichever
            # worker thread the server lends it for each batch.
            found = self.store().cases_by_id(chunk)
            yield from (found[case_id] for case_id in chunk if case_id in found)

    def cards_of(self, ids: Iterable[str]) -> dict[str, Card]:
        """The `Card` of each case a page lists, by id; an id no longer in the store is
        left out (its card then shows the search's own title)."""
        return read_cards(self.store(), list(ids))

    def similar(self, case_id: str, *, limit: int = 5, country: str | None = None) -> list[dict]:
        """Cases similar to one case (see SearchService.similar), as plain data."""
        hits = self._service().similar(case_id, limit=limit, country=country)
        return [h.model_dump(mode="json") for h in hits]

    def health(self) -> dict[str, Any]:
        """The search service's health report, with the index files' state and the build
        under way (see `web.index_state`)."""
        from web.index_state import with_index_state

        return with_index_state(lambda: self._service().health(), self.settings)


def settle() -> None:
    """Collect, then leave every object alive now to reference counting alone (`gc.freeze`).

    Called after long-lived data is loaded (an index generation, what is kept per store
    version). A full collection examines every tracked object: at 10,000 cases the
    index's case table alone makes some 100,000, and the full collections that the
    pages' allocations set off from time to time paused whichever page set them off for
    270-340 ms, growing with the store; over 150 pages there (results, a filter, page 2,
    a case, home) the longest fell to 110 ms and all collections together from 2.4 to
    1.9 s. A frozen object is still freed when its last reference goes (a generation
    swapped out); only what such an object holds in a reference cycle stays (an index
    is swapped rarely).
    """
    gc.collect()
    gc.freeze()


async def resources(request: Request) -> Resources:
    """FastAPI dependency: the app's shared resources (async: nothing here waits, and a
    sync dependency costs every request a hop to the thread pool)."""
    return request.app.state.resources
