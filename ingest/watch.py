"""Watching national sites whose curated case files are the record of truth.

For DSI, Sitra, Norrköping, NFF and GOV.UK the cases are written by hand in
`corpus/cases/` from the sites' pages; scraping those pages into cases broke with every
redesign. Instead the job *watches* each site: it lists the site's pages through the
sturdiest route it has (a WordPress REST API, a sitemap.xml, a JSON content API; an index
page's links last), fetches them politely through the source's `Fetcher` (robots.txt,
rate limits, cache), keeps a hash of each page's normalised text in the store, and marks
for review:

- **changed**: a page a curated case cites whose text differs from the text last reviewed
  (the text seen when it was first watched), or, on the first sighting, whose own date
  (WordPress `modified`, sitemap `lastmod`, GOV.UK `public_updated_at`) is after the day
  the curated records were last checked against the site (`curated_as_of`);
- **new**: a page listed or linked from an index page that no curated case cites;
- **unreachable** / **gone**: a cited page that failed to fetch, or is no longer listed.

Nothing here writes a case: curated fields are never overwritten. `casebank sources
review` lists the marks; `--done` accepts a page's current text as reviewed.

A watched source module sets `WATCH = True` and its `items(ctx)` yields `PageSeen` and
`ingest.runner.Reject` items (`watch_site` does it from a `Plan`); the job hands them to
`apply`, which records the pages and the run in one transaction.
"""

from __future__ import annotations

import hashlib
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from corpus.errors import CasebankError, InvalidInput, SourceError
from corpus.store import Store
from ingest.context import SourceContext
from ingest.fetch import HTML, JSON, FetchError
from ingest.runner import Reject, RunReport
from ingest.sources.webpage import rejects_for

#: Elements whose text is not the page's content (menus, scripts, cookie banners ...).
_CHROME = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "form")
XML = ("application/xml", "text/xml")
#: At most this many pages of a WordPress listing (100 entries each) are read.
MAX_LISTING_PAGES = 20
#: At most this many child sitemaps of a sitemap index are read.
MAX_SITEMAPS = 20


@dataclass(frozen=True)
class PageSeen:
    """One watched page as fetched now: its address, title and normalised text."""

    url: str
    title: str
    text: str
    #: The page's own last-modified date, when a structured route says it.
    modified: str | None = None
    #: Curated case ids whose files cite this page.
    cases: tuple[str, ...] = ()
    #: The day the curated records were last checked against the site (YYYY-MM-DD).
    curated_as_of: str | None = None
    #: How the page was found: "wordpress", "sitemap", "content-api", "index", "cited"
    #: (a page the curated files cite) or "configured".
    via: str = "index"
    #: An index page (the list of investments ...): watched for changes, never "new".
    index: bool = False

    @property
    def text_hash(self) -> str:
        """SHA-256 of the normalised text: what tells a changed page from an unchanged one."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def normalise_text(text: str) -> str:
    """Text with Unicode composed and all whitespace runs as one space, so re-wrapped or
    re-indented markup does not count as a change."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def html_text(html: str) -> tuple[str, str]:
    """(title, normalised visible text) of an HTML page or fragment, without its chrome."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_CHROME):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = root.find("h1")
    title = normalise_text(h1.get_text(" ")) if h1 else ""
    if not title and soup.title:
        title = normalise_text(soup.title.get_text(" "))
    return title, normalise_text(root.get_text(" "))


def page_key(url: str) -> str:
    """How a page is known across hosts: its path, lower case, without a trailing slash
    (so the curated files' `https://dsi.dk/x/` and a test server's `/x` are one page)."""
    return urlsplit(url).path.rstrip("/").lower() or "/"


def _bare(host: str) -> str:
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


#: The store source of the curated case files (`ingest.sources.corpus_files`).
CURATED_SOURCE = "corpus"


def curated_citations(sites: Iterable[str], store: Store) -> dict[str, list[str]]:
    """`{page key: [curated case ids]}` of the sources and documents the curated records
    in the store cite on the given hosts (`www.` or not)."""
    return _citations(sites, curated_links(store))[0]


def curated_links(store: Store) -> list[tuple[str, str]]:
    """(case id, URL) of every source and document the curated records cite. They are
    read from the store (the job runs the curated files first), not from the files, so
    what is watched is what the store holds."""
    out = []
    for case in store.source_records(CURATED_SOURCE):
        out.extend((case.id, link.url) for link in [*case.sources, *case.documents])
    return [(case_id, url) for case_id, url in out if url]


def _citations(
    sites: Iterable[str], links: list[tuple[str, str]]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The curated citations on `sites` by page key, and the path each key was cited with."""
    hosts = {_bare(s) for s in sites}
    ids_by_key: dict[str, list[str]] = {}
    paths: dict[str, str] = {}
    for case_id, url in links:
        if _bare(urlsplit(url).hostname or "") in hosts:
            key = page_key(url)
            ids = ids_by_key.setdefault(key, [])
            paths.setdefault(key, urlsplit(url).path or "/")
            if case_id not in ids:
                ids.append(case_id)
    return ids_by_key, paths


@dataclass(frozen=True)
class Plan:
    """How to watch one site."""

    #: Where pages are fetched from (the real site, or a test server).
    base_url: str
    #: The hosts the curated files cite for this site.
    sites: tuple[str, ...]
    #: Path prefixes of the pages worth watching (investment pages, fund articles ...).
    prefixes: tuple[str, ...]
    #: Index pages: watched themselves, and their links below `prefixes` are watched.
    index_paths: tuple[str, ...] = ()
    #: Read `/wp-json/wp/v2/<type>` first (the site runs WordPress).
    wordpress_types: tuple[str, ...] = ()
    #: Read this sitemap (and its children) first.
    sitemap_path: str | None = None
    curated_as_of: str | None = None
    #: Pages always watched, wherever they are linked from.
    pages: tuple[str, ...] = field(default=())


def check_options(ctx: SourceContext, known: Iterable[str]) -> None:
    """InvalidInput naming the source and the option when the sources file gives one this
    source does not read (a typo, or an option of the scrapers these watchers replaced)."""
    unknown = sorted(set(ctx.options) - set(known))
    if unknown:
        raise InvalidInput(
            f"source {ctx.name!r}: unknown option(s) {', '.join(map(repr, unknown))}; "
            f"it reads {', '.join(sorted(known))}"
        )


def plan_from(ctx: SourceContext, **defaults: Any) -> Plan:
    """A `Plan` from the module's defaults overridden by the sources file's options."""
    check_options(ctx, Plan.__dataclass_fields__)
    values = {**defaults}
    for name in Plan.__dataclass_fields__:
        if ctx.option(name) is not None:
            values[name] = ctx.option(name)
    for name in ("sites", "prefixes", "index_paths", "wordpress_types", "pages"):
        raw = values.get(name) or ()
        values[name] = (raw,) if isinstance(raw, str) else tuple(raw)
    if values.get("curated_as_of") is not None:
        values["curated_as_of"] = str(values["curated_as_of"])
    return Plan(**values)


def _under(url: str, plan: Plan) -> bool:
    base = urlsplit(plan.base_url)
    parts = urlsplit(url)
    if parts.netloc != base.netloc:
        return False
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return any(
        path.startswith("/" + p.strip("/") + "/") and path != "/" + p.strip("/") + "/"
        for p in plan.prefixes
    )


def wordpress_listing(ctx: SourceContext, plan: Plan, kind: str) -> list[dict[str, Any]]:
    """Every entry of `/wp-json/wp/v2/<kind>` (100 a request), or FetchError.

    The WordPress REST API answers `?per_page=100&page=N` with a JSON list; a page past the
    last is an error 400, so a short page ends the listing.
    """
    url = urljoin(plan.base_url, f"/wp-json/wp/v2/{kind}")
    entries: list[dict[str, Any]] = []
    for number in range(1, MAX_LISTING_PAGES + 1):
        page = ctx.fetcher.get(url, accept=JSON, params={"per_page": "100", "page": str(number)})
        batch = page.json()
        if not isinstance(batch, list):
            raise FetchError(page.url, f"expected a JSON list, got {type(batch).__name__}")
        entries.extend(e for e in batch if isinstance(e, dict))
        if len(batch) < 100:
            break
    return entries


def _rendered(value: Any) -> str:
    return value.get("rendered", "") if isinstance(value, dict) else str(value or "")


def sitemap_entries(ctx: SourceContext, plan: Plan) -> list[tuple[str, str | None]]:
    """(URL, lastmod) of every `<url>` of the sitemap and its child sitemaps, or FetchError."""
    assert plan.sitemap_path
    queue = [urljoin(plan.base_url, plan.sitemap_path)]
    out: list[tuple[str, str | None]] = []
    read = 0
    while queue and read < MAX_SITEMAPS:
        url = queue.pop(0)
        read += 1
        page = ctx.fetcher.get(url, accept=XML)
        try:
            root = ET.fromstring(page.content)
        except ET.ParseError as exc:
            raise FetchError(url, f"sitemap is not valid XML ({exc})") from None
        for node in root:
            tag = node.tag.rsplit("}", 1)[-1]
            loc = next((c.text for c in node if c.tag.endswith("loc")), None)
            lastmod = next((c.text for c in node if c.tag.endswith("lastmod")), None)
            if not loc:
                continue
            # A sitemap names the public host; fetch from the configured base instead.
            parts = urlsplit(loc.strip())
            local = urljoin(plan.base_url, parts.path + (f"?{parts.query}" if parts.query else ""))
            if tag == "sitemap":
                queue.append(local)
            elif tag == "url":
                out.append((local, lastmod.strip() if lastmod else None))
    return out


def index_links(html: str, page_url: str, plan: Plan) -> list[str]:
    """Links of an index page's content (menus left out) to pages below `plan.prefixes`."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_CHROME):
        tag.decompose()
    root = soup.find("main") or soup.body or soup
    links: dict[str, None] = {}
    for a in root.find_all("a", href=True):
        url = urljoin(page_url, a["href"]).split("#")[0]
        if _under(url, plan):
            links.setdefault(url, None)
    return list(links)


def watch_site(ctx: SourceContext, plan: Plan) -> Iterator[PageSeen | Reject]:
    """Every page of the site worth watching, as `PageSeen`, and a `Reject` for each page
    or route that failed. Structured routes first; index pages add the pages they link;
    the pages the curated files cite on the site itself are always watched (not files
    such as PDFs: they are documents, not pages)."""
    links = curated_links(ctx.store)
    cited = _citations(plan.sites, links)[0]
    own = _citations(plan.sites[:1], links)[1]

    def seen(
        url: str, title: str, text: str, modified: str | None, via: str, index: bool = False
    ) -> PageSeen:
        return PageSeen(
            url=url,
            title=title,
            text=text,
            modified=modified,
            cases=tuple(cited.get(page_key(url), ())),
            curated_as_of=plan.curated_as_of,
            via=via,
            index=index,
        )

    done: set[str] = set()
    to_fetch: dict[str, tuple[str | None, str]] = {}  # url -> (modified, how it was found)
    for kind in plan.wordpress_types:
        try:
            entries = wordpress_listing(ctx, plan, kind)
        except FetchError as exc:
            yield from rejects_for(exc, about="WordPress listing")
            continue
        for entry in entries:
            link = urljoin(plan.base_url, urlsplit(str(entry.get("link", ""))).path)
            if not _under(link, plan) or page_key(link) in done:
                continue
            title, text = html_text(_rendered(entry.get("content")))
            title = html_text(_rendered(entry.get("title")))[1] or title
            done.add(page_key(link))
            modified = entry.get("modified_gmt") or entry.get("modified")
            yield seen(link, title, normalise_text(f"{title} {text}"), modified, "wordpress")
    if plan.sitemap_path:
        try:
            for url, lastmod in sitemap_entries(ctx, plan):
                if _under(url, plan) and page_key(url) not in done:
                    to_fetch.setdefault(url, (lastmod, "sitemap"))
        except FetchError as exc:
            yield from rejects_for(exc, about="sitemap")
    for path in plan.index_paths:
        url = urljoin(plan.base_url, path)
        try:
            page = ctx.fetcher.get(url, accept=HTML)
        except FetchError as exc:
            yield from rejects_for(exc)
            continue
        title, text = html_text(page.text)
        done.add(page_key(url))
        yield seen(url, title, text, None, "index", index=True)
        for link in index_links(page.text, page.final_url, plan):
            to_fetch.setdefault(link, (None, "index"))
    for path in plan.pages:
        to_fetch.setdefault(urljoin(plan.base_url, path), (None, "configured"))
    for path in own.values():
        if "." not in path.rstrip("/").rsplit("/", 1)[-1]:
            to_fetch.setdefault(urljoin(plan.base_url, path), (None, "cited"))
    for url, (modified, via) in to_fetch.items():
        if page_key(url) in done:
            continue
        done.add(page_key(url))
        try:
            page = ctx.fetcher.get(url, accept=HTML)
        except FetchError as exc:
            yield from rejects_for(exc)
            continue
        title, text = html_text(page.text)
        yield seen(url, title, text, modified, via)


# -- recording what was seen -----------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _after(modified: str | None, as_of: str | None) -> bool:
    """Is the page's own date after the day the curated records were checked?"""
    if not modified or not as_of:
        return False
    return modified.strip()[:10] > as_of.strip()[:10]


def _review(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The review mark of a page row and why (None when nothing needs a look)."""
    if row["status"] == "failed":
        if row["cases"]:
            return "unreachable", f"could not be fetched: {row['error']}"
        return None, None
    if row["status"] == "gone":
        if row["cases"]:
            return "gone", "no longer listed by the site"
        return None, None
    if row["baseline_hash"] is None:
        if not row["cases"]:
            return "new", "a page the site lists that no curated case cites"
        return "changed", (
            f"updated {str(row['modified'])[:10]}, after the curated records were checked "
            f"({row['curated_as_of']})"
        )
    if row["baseline_hash"] != row["text_hash"]:
        since = row.get("reviewed_at") or row["first_seen"]
        return "changed", f"text changed since {since[:10]}"
    return None, None


def apply(store: Store, source: str, items: Iterable[PageSeen | Reject]) -> RunReport:
    """Record the pages a watched source saw, mark them for review, and report the run.

    Counts: `new` pages first seen, `changed` pages whose text changed since the last
    run, `unchanged`, `removed` cited pages no longer listed, `rejected` pages or routes
    that failed. A run in which no page could be fetched fails (the stored pages stay as
    they were), so a site that is down never shows as updated.
    """
    report = RunReport(source=source)
    now = _now()
    try:
        with store.transaction():
            known = store.watched_pages(source)
            touched: set[str] = set()
            fetched = 0
            for item in items:
                if isinstance(item, Reject):
                    report.counts["rejected"] += 1
                    report.rejects.append({"where": item.where, "reason": item.reason})
                    row = known.get(item.where)
                    if row is not None:
                        row = {**row, "status": "failed", "error": item.reason, "checked_at": now}
                        row["review"], row["review_reason"] = _review(row)
                        store.save_watched_page(row)
                        touched.add(item.where)
                    continue
                if not isinstance(item, PageSeen):
                    raise SourceError(f"a watched source yielded {type(item).__name__}")
                fetched += 1
                touched.add(item.url)
                row = known.get(item.url)
                if row is None:
                    report.counts["new"] += 1
                    known_page = bool(item.cases) or item.index
                    late = known_page and _after(item.modified, item.curated_as_of)
                    row = {
                        "source": source,
                        "url": item.url,
                        "first_seen": now,
                        "changed_at": None,
                        "reviewed_at": None,
                        # A cited page as first seen is what its curated record says, unless
                        # its own date shows it changed after the records were checked.
                        "baseline_hash": item.text_hash if known_page and not late else None,
                    }
                elif row["text_hash"] != item.text_hash:
                    report.counts["changed"] += 1
                    row = {**row, "changed_at": now}
                else:
                    report.counts["unchanged"] += 1
                row = {
                    **row,
                    "title": item.title,
                    "text_hash": item.text_hash,
                    "modified": item.modified,
                    "cases": list(item.cases),
                    "curated_as_of": item.curated_as_of,
                    "via": item.via,
                    "status": "ok",
                    "error": None,
                    "checked_at": now,
                }
                row["review"], row["review_reason"] = _review(row)
                store.save_watched_page(row)
            if fetched == 0:
                raise SourceError(
                    f"no page of {source} could be fetched"
                    + (f" ({report.rejects[0]['reason']})" if report.rejects else "")
                )
            for url, row in known.items():
                if url not in touched and row["status"] != "gone":
                    row = {**row, "status": "gone", "checked_at": now}
                    row["review"], row["review_reason"] = _review(row)
                    if row["cases"]:
                        report.counts["removed"] += 1
                    store.save_watched_page(row)
            # Cases an earlier scraper of this source stored are dropped: the curated files
            # are the record now, and a scraped copy would go stale beside them.
            stale = sorted(store.record_ids(source))
            for rid in stale:
                store.remove_record(source, rid)
            if stale:
                report.counts["removed"] += len(stale)
                report.notes.append(
                    {
                        "where": source,
                        "kind": "info",
                        "reason": f"removed {len(stale)} case record(s) an earlier scraper "
                        "stored; the curated case files are the record of this source",
                    }
                )
            if report.counts["rejected"]:
                report.status = "partial"
            report.finished_at = _now()
            store.save_run(report.as_dict())
    except CasebankError as exc:
        report.status = "failed"
        report.message = str(exc)
        report.finished_at = _now()
        store.save_run(report.as_dict())
    except BaseException as exc:
        report.status = "failed"
        report.message = f"{type(exc).__name__}: {exc}"
        report.finished_at = _now()
        store.save_run(report.as_dict())
        raise
    return report


def mark_reviewed(store: Store, *, urls: Iterable[str] = (), source: str | None = None) -> int:
    """Accept the current text of the given pages (or of every marked page of `source`, or
    of every marked page) as reviewed; returns how many pages were marked done."""
    wanted = set(urls)
    done = 0
    now = _now()
    with store.transaction():
        for item in store.review_items():
            if wanted and item["url"] not in wanted:
                continue
            if source and item["source"] != source:
                continue
            row = {**item, "baseline_hash": item["text_hash"], "reviewed_at": now}
            # A failed or vanished page is marked again by the next run that still misses it.
            row["review"], row["review_reason"] = (
                (None, None) if row["status"] in ("failed", "gone") else _review(row)
            )
            store.save_watched_page(row)
            done += 1
    return done
