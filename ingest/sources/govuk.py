"""UK: GOV.UK pages of the outcomes funds, watched through GOV.UK's Content API.

Which UK projects belong to which fund comes from INDIGO (its outcome funds); GOV.UK adds
the funds' own descriptions and their documents (guidance, evaluations). The publication
pages are read only through the Content API, `GET /api/content/<path>`, which answers
with the page as JSON: `title`, `description`, `public_updated_at` and `details.body`
(the HTML rendered from govspeak) and `details.attachments[]` (each with `title`, `url`,
`content_type` ...). That survives redesigns of the HTML pages, which is why no CSS class
is read here.

Each fund page and each of its attachments is watched (see `ingest.watch`): a fund page
whose text changed, and an attachment no curated case cites (a new evaluation report, say),
are marked for review; nothing is written into the cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from ingest.context import SourceContext
from ingest.fetch import JSON, FetchError
from ingest.runner import Reject
from ingest.sources.webpage import rejects_for
from ingest.watch import (
    PageSeen,
    check_options,
    curated_citations,
    html_text,
    normalise_text,
    page_key,
)

SOURCE = "govuk"
WATCH = True
DEFAULT_BASE_URL = "https://www.gov.uk"
PUBLIC_SITE = "https://www.gov.uk"
#: The hosts curated files cite for GOV.UK pages and their attachments.
SITES = ("www.gov.uk", "assets.publishing.service.gov.uk")
DEFAULT_FUNDS = (
    "/government/publications/life-chances-fund",
    "/government/publications/fair-chance-fund",
    "/government/publications/youth-engagement-fund",
    "/government/publications/refugee-transitions-outcomes-fund",
)


def _attachment(att: Any, cited: dict[str, list[str]], as_of: str | None) -> PageSeen | None:
    if not isinstance(att, dict) or not att.get("url"):
        return None
    url = urljoin(PUBLIC_SITE, str(att["url"]))
    title = normalise_text(str(att.get("title") or ""))
    # What identifies one version of a document: its title, address and type.
    text = normalise_text(f"{title} {url} {att.get('content_type') or ''}")
    return PageSeen(
        url=url,
        title=title,
        text=text,
        cases=tuple(cited.get(page_key(url), ())),
        curated_as_of=as_of,
        via="content-api",
    )


def items(ctx: SourceContext) -> Iterator[PageSeen | Reject]:
    """Each configured fund page (option `funds`: GOV.UK paths) and its attachments."""
    check_options(ctx, ("base_url", "funds", "curated_as_of"))
    base = str(ctx.option("base_url", DEFAULT_BASE_URL))
    funds = ctx.option("funds", DEFAULT_FUNDS)
    as_of = ctx.option("curated_as_of")
    as_of = str(as_of) if as_of is not None else None
    cited = curated_citations(SITES, ctx.store)
    for path in funds:
        path = "/" + str(path).strip("/")
        api = urljoin(base, "/api/content" + path)
        page_url = urljoin(PUBLIC_SITE, path)  # failures are kept against the page
        try:
            item = ctx.fetcher.get(api, accept=JSON).json()
        except FetchError as exc:
            yield from rejects_for(exc, where=page_url)
            continue
        details = item.get("details") if isinstance(item, dict) else None
        if not isinstance(details, dict):
            yield Reject(page_url, f"{api}: not a GOV.UK content item (no 'details' object)")
            continue
        title = normalise_text(str(item.get("title") or ""))
        body = html_text(str(details.get("body") or ""))[1]
        public = urljoin(PUBLIC_SITE, str(item.get("base_path") or path))
        yield PageSeen(
            url=public,
            title=title,
            text=normalise_text(f"{title} {item.get('description') or ''} {body}"),
            modified=item.get("public_updated_at"),
            cases=tuple(cited.get(page_key(public), ())),
            curated_as_of=as_of,
            via="content-api",
            index=True,  # a configured fund page: watched for changes, never "new"
        )
        for att in details.get("attachments") or []:
            seen = _attachment(att, cited, as_of)
            if seen is not None:
                yield seen
