"""Denmark: Den Sociale Investeringsfond (DSI), watched for changes to its investment pages.

The curated case files are the record of DSI's investments (they cite the pages they were
written from); this source only watches the site (see `ingest.watch`). dsi.dk runs
WordPress, so the pages are listed through its REST API (`/wp-json/wp/v2/pages`, with
each page's rendered content and `modified` date) before anything else; the overview
`/dsi/vores-investeringer/` is watched too, and every page it links below that path.
Current investment pages live at `/dsi/vores-investeringer/<slug>/` and show their parts
as tabs (Formål, Udfordring, Resultatmål, Indsats) with a panel each; older ones, at the
site's root, used Formål / Baggrund / Udviklingsmål. The watcher hashes the page's text,
so the tab layout, or its next redesign, changes nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.context import SourceContext
from ingest.runner import Reject
from ingest.watch import PageSeen, plan_from, watch_site

SOURCE = "dsi"
#: Watched, not scraped: the job records pages for review and writes no case.
WATCH = True
DEFAULTS = {
    "base_url": "https://dsi.dk",
    "sites": ("dsi.dk",),
    "prefixes": ("/dsi/vores-investeringer/",),
    "index_paths": ("/dsi/vores-investeringer/",),
    "wordpress_types": ("pages",),
}


def items(ctx: SourceContext) -> Iterator[PageSeen | Reject]:
    """The DSI pages worth watching (options override `DEFAULTS`, see `ingest.watch.Plan`)."""
    return watch_site(ctx, plan_from(ctx, **DEFAULTS))
