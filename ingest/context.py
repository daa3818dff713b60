"""What the job hands a source: `items(ctx)` is the one signature every source has.

A source module exposes `items(ctx: SourceContext) -> Iterable[Item]`. Its options come
from the sources file (already expanded), the fetcher is opened on first use with the
hosts and limits the job allowed for that source, and the store is there for reading
(sources that attach to cases already stored); writes go through the runner only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus.settings import Settings
from corpus.store import Store
from ingest.fetch import Fetcher


@dataclass
class SourceContext:
    """One source run's inputs: its options, the settings, the store and a lazy fetcher."""

    name: str
    settings: Settings
    store: Store
    options: dict[str, Any] = field(default_factory=dict)
    #: Opens the fetcher; the job passes one bound to the source's hosts and limits.
    open_fetcher: Callable[[], Fetcher] | None = None
    _fetcher: Fetcher | None = field(default=None, init=False, repr=False)

    @property
    def fetcher(self) -> Fetcher:
        """The source's HTTP fetcher, opened on first use."""
        if self._fetcher is None:
            if self.open_fetcher is None:
                raise RuntimeError(f"source {self.name!r} was given no fetcher")
            self._fetcher = self.open_fetcher()
        return self._fetcher

    def option(self, name: str, default: Any = None) -> Any:
        """An option from the sources file, or `default` when it is unset or empty."""
        value = self.options.get(name)
        return default if value in (None, "") else value
