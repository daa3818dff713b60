"""Finland: Sitra's SIB funds, watched for changes (the curated case files are the record).

Sitra's project page `/hankkeet/sib-rahastot/` lists the themed SIB funds (Koto-SIB,
Työhyvinvointi-SIB, Lasten ja perheiden SIB ...) and links each to an article under
`/artikkelit/`; the English pages live under `/en/`. The watcher (see `ingest.watch`)
keeps the list page and every article it links, and reports what changed or is new.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.context import SourceContext
from ingest.runner import Reject
from ingest.watch import PageSeen, plan_from, watch_site

SOURCE = "sitra"
WATCH = True
DEFAULTS = {
    "base_url": "https://www.sitra.fi",
    "sites": ("www.sitra.fi",),
    "prefixes": ("/artikkelit/", "/hankkeet/sib-rahastot/", "/en/cases/", "/en/news/"),
    "index_paths": ("/hankkeet/sib-rahastot/",),
}


def items(ctx: SourceContext) -> Iterator[PageSeen | Reject]:
    """The Sitra pages worth watching (options override `DEFAULTS`)."""
    return watch_site(ctx, plan_from(ctx, **DEFAULTS))
