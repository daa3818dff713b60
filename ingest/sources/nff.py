"""USA: the Nonprofit Finance Fund's pay-for-success project profiles, watched.

`payforsuccess.org/projects` is an activity map built by script (projects, legislation and
opportunities mixed, no links in the HTML), so the profiles are found through the site's
`sitemap.xml` (with each page's `lastmod`): the pages below `/project/`. The watcher (see
`ingest.watch`) keeps each profile's text hash and reports what changed or is new; the
curated case files stay the record.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.context import SourceContext
from ingest.runner import Reject
from ingest.watch import PageSeen, plan_from, watch_site

SOURCE = "nff"
WATCH = True
DEFAULTS = {
    "base_url": "https://www.payforsuccess.org",
    "sites": ("www.payforsuccess.org",),
    "prefixes": ("/project/",),
    "sitemap_path": "/sitemap.xml",
}


def items(ctx: SourceContext) -> Iterator[PageSeen | Reject]:
    """The NFF profiles worth watching (options override `DEFAULTS`)."""
    return watch_site(ctx, plan_from(ctx, **DEFAULTS))
