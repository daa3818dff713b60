"""Reading scraped HTML pages, and turning a page that failed into rejects.

Parsers call `soup_of(page)` (BeautifulSoup over the fetch layer's robust decoding, with
lxml, which repairs broken markup) and raise `StructureChanged` when the elements a page
is expected to have are missing. `rejects_for` is the one place a fetch failure or a
changed structure becomes `Reject`s for the run report, naming the records to keep.
"""

from __future__ import annotations

from collections.abc import Iterable

from bs4 import BeautifulSoup, Tag

from ingest.fetch import FetchError, Page
from ingest.runner import Reject


class StructureChanged(ValueError):
    """The page lacks the elements its parser relies on: the site was probably redesigned."""


#: What reading one page can fail with; `rejects_for` turns either into rejects.
PAGE_ERRORS = (FetchError, StructureChanged)


def soup_of(page: Page) -> BeautifulSoup:
    """The page parsed with lxml (which repairs unclosed and misnested tags)."""
    return BeautifulSoup(page.text, "lxml")


def require(node: Tag | None, what: str) -> Tag:
    """`node`, or StructureChanged saying which expected element is missing."""
    if node is None:
        raise StructureChanged(f"page structure changed: {what} not found")
    return node


def rejects_for(
    exc: FetchError | StructureChanged,
    *,
    where: str | None = None,
    record_ids: Iterable[str] = (),
    about: str | None = None,
) -> list[Reject]:
    """Rejects for a page that could not be used: one per record it stands for (so each
    record is kept as it was), or one for the page when it stands for none.

    `where` defaults to the failed URL; the reason is the fetch failure or the structure
    problem, said once in the fetch layer's words, after `about` (what was being read)
    when given.
    """
    reason = exc.reason if isinstance(exc, FetchError) else str(exc)
    if about:
        reason = f"{about}: {reason}"
    place = where or (exc.url if isinstance(exc, FetchError) else "page")
    ids = list(record_ids)
    if not ids:
        return [Reject(place, reason)]
    return [Reject(f"{place} (for {rid})", reason, record_id=rid) for rid in ids]
