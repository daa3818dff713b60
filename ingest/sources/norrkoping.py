"""Sweden: Norrköping's social investment fund, watched (the curated case is the record).

The municipality's current page `/organisation/ekonomi/social-investeringsfond` describes
the fund (40 million kronor set aside in 2012), the social investments it granted (seven
projects) and Sweden's first social outcomes contract; pages about single investments sit
below it. The watcher (see `ingest.watch`) keeps that page and the pages it links below
its path, and reports what changed or is new; the older step guide (`?step=N`) is gone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.context import SourceContext
from ingest.runner import Reject
from ingest.watch import PageSeen, plan_from, watch_site

SOURCE = "norrkoping"
WATCH = True
DEFAULTS = {
    "base_url": "https://www.norrkoping.se",
    "sites": ("www.norrkoping.se",),
    "prefixes": ("/organisation/ekonomi/social-investeringsfond/",),
    "index_paths": ("/organisation/ekonomi/social-investeringsfond",),
}


def items(ctx: SourceContext) -> Iterator[PageSeen | Reject]:
    """The Norrköping pages worth watching (options override `DEFAULTS`)."""
    return watch_site(ctx, plan_from(ctx, **DEFAULTS))
