"""The one HTTP layer every scraper uses: polite, bounded and cached on disk.

A `Fetcher` belongs to one source and knows which hosts that source may reach::

    from ingest.fetch import Fetcher, FetchError, HTML

    with Fetcher(settings, source="sitra", allowed_hosts=["www.sitra.fi"]) as fetcher:
        try:
            page = fetcher.get("https://www.sitra.fi/en/projects/", accept=HTML)
        except FetchError as exc:          # exc.url, exc.reason
            yield Reject(exc.url, exc.reason)
            return
        # Parse only when the page changed; the parsed cases of an unchanged page are
        # kept next to its raw response and handed back as they were.
        cases = fetcher.parsed(page, parse_projects, version="1")

What it does on every `get`:

- sends `Settings.user_agent`, obeys robots.txt (fetched once per host and cached;
  4xx means "no rules", 5xx or unreachable means "keep out", as RFC 9309 says) and its
  Crawl-delay, and waits between requests to one host (`min_interval`);
- follows redirects itself, refusing any hop to a host outside `allowed_hosts`;
- times out (`Settings.http_timeout`), retries 429 (honouring Retry-After) and 5xx and
  network errors with exponential backoff;
- checks the content type against the types the caller accepts before reading the body,
  and streams the body, refusing it past `max_bytes`;
- sends If-None-Match / If-Modified-Since from the previous response and keeps every raw
  response under `Settings.cache_dir`; a 304 or a body with the same hash as last time
  comes back with `page.unchanged = True`. `Fetcher(..., offline=True)` serves only from
  that cache, so every page can be parsed again without the network.

Every failure is a `FetchError` (a `corpus.errors.SourceError`) carrying the URL and the
reason; a source turns it into a `Reject` (see `ingest.runner`).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from bs4.dammit import UnicodeDammit

from corpus.errors import SourceError
from corpus.model import Case
from corpus.settings import Settings

#: Content types callers usually accept (pass one of these, or your own tuple, as `accept`).
HTML: tuple[str, ...] = ("text/html", "application/xhtml+xml")
JSON: tuple[str, ...] = ("application/json", "application/ld+json")
CSV: tuple[str, ...] = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")
PDF: tuple[str, ...] = ("application/pdf",)
ANY: tuple[str, ...] = ("*/*",)

MAX_REDIRECTS = 5
#: Statuses worth asking again: rate limited, or the server's own trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(SourceError):
    """A URL could not be fetched as asked: `url` and a short `reason`."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class HostNotAllowed(FetchError):
    """The URL, or a redirect, points at a host this source may not reach."""


class RobotsDisallowed(FetchError):
    """robots.txt of the host asks crawlers to keep out of this URL."""


class TooLarge(FetchError):
    """The body is larger than the fetcher's `max_bytes`."""


class WrongContentType(FetchError):
    """The response's content type is not one the caller accepts."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, url: str, status: int, reason: str) -> None:
        super().__init__(url, reason)
        self.status = status


@dataclass(frozen=True)
class Page:
    """One fetched response (from the network or the on-disk cache)."""

    url: str
    #: The URL after redirects.
    final_url: str
    status: int
    content: bytes
    #: The media type without parameters, lower case ("text/html").
    content_type: str
    #: The charset the server declared, if any.
    charset: str | None
    fetched_at: str
    content_hash: str
    #: True when the server said 304 or the body hashes the same as the cached one.
    unchanged: bool = False
    #: True when the body came from the on-disk cache (304 or offline).
    from_cache: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The body as text, robust to a wrong or missing charset declaration."""
        return decode_body(self.content, self.charset, html=self.content_type in HTML)

    def json(self) -> Any:
        """The body parsed as JSON; a FetchError if it is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise FetchError(self.url, f"response is not valid JSON ({exc})") from None


def decode_body(content: bytes, declared: str | None, *, html: bool = False) -> str:
    """Decode bytes whose declared charset may be wrong.

    Servers mislabel pages both ways: Latin-1 bytes sent as UTF-8 (which fail to decode)
    and UTF-8 bytes sent as Latin-1 (which decode into mojibake like "Ã¸"). Valid UTF-8
    with non-ASCII bytes is almost never meant as Latin-1, so UTF-8 is tried first when
    the declaration is a single-byte Western charset; otherwise the declared charset is
    used strictly and, if it fails, BeautifulSoup's detector (meta tags, then guessing).
    """
    declared = (declared or "").strip().lower() or None
    if declared in {"latin-1", "latin1", "iso-8859-1", "iso-8859-15", "windows-1252", "cp1252"}:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return content.decode(
                "cp1252" if declared in {"windows-1252", "cp1252"} else declared, errors="replace"
            )
    if declared:
        try:
            return content.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    dammit = UnicodeDammit(content, ["utf-8", "windows-1252"], is_html=html)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return content.decode("utf-8", errors="replace")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media, _, params = header.partition(";")
    m = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.I)
    return media.strip().lower(), (m.group(1) if m else None)


def _accepts(media: str, accept: Sequence[str]) -> bool:
    for pattern in accept:
        pattern = pattern.lower()
        if pattern == "*/*" or pattern == media:
            return True
        if pattern.endswith("/*") and media.startswith(pattern[:-1]):
            return True
    return False


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class HostThrottle:
    """Spaces requests to one host at least `interval` seconds apart (thread-safe)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def wait(self, host: str, interval: float) -> None:
        """Block until a request to `host` is allowed, then claim the slot."""
        with self._lock:
            now = self._clock()
            due = self._last.get(host, float("-inf")) + interval
            delay = max(0.0, due - now)
            self._last[host] = now + delay
        if delay > 0:
            self._sleep(delay)


#: Shared by every fetcher of the process, so two sources on one host stay polite.
SHARED_THROTTLE = HostThrottle()


class ResponseCache:
    """Raw responses on disk: `<dir>/<host>/<sha256 of URL>.{json,body}`, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        folder = self.root / (_host(url) or "_")
        return folder / f"{key}.json", folder / f"{key}.body"

    def load(self, url: str) -> tuple[dict[str, Any], bytes] | None:
        """The stored meta and body of a URL, or None (also when the files are damaged)."""
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(body).hexdigest() != meta.get("content_hash"):
            return None  # a torn or edited cache entry is no cache entry
        return meta, body

    def save(self, url: str, meta: dict[str, Any], body: bytes) -> None:
        """Store body first, then meta, so meta never points at a missing body."""
        meta_path, body_path = self._paths(url)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(body_path, body)
        _atomic_write(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))

    def parsed_path(self, url: str) -> Path:
        """Where the parsed cases of a URL's current body are kept."""
        return self._paths(url)[0].with_suffix(".parsed.json")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Fetcher:
    """Polite, bounded, cached HTTP GETs for one source (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        source: str,
        allowed_hosts: Iterable[str],
        min_interval: float = 1.0,
        max_bytes: int = 10_000_000,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        respect_robots: bool = True,
        offline: bool = False,
        timeout: float | None = None,
        throttle: HostThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        if not self.allowed_hosts:
            raise ValueError("a Fetcher needs at least one allowed host")
        self.min_interval = min_interval
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        #: Longest wait this fetcher accepts from Retry-After; a longer one fails the URL.
        self.max_wait = max_wait
        self.respect_robots = respect_robots
        self.offline = offline
        self.cache = ResponseCache(settings.cache_dir / source)
        self._throttle = throttle or SHARED_THROTTLE
        self._sleep = sleep
        self._robots: dict[str, RobotFileParser | str] = {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout if timeout is not None else settings.http_timeout),
            headers={"User-Agent": settings.user_agent},
            follow_redirects=False,
            transport=transport,
        )

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        accept: Sequence[str] = HTML,
        params: dict[str, str] | None = None,
        conditional: bool = True,
    ) -> Page:
        """Fetch `url` (GET), following allowed redirects; raise FetchError on any failure.

        `accept` lists the media types the caller can parse ("text/*" and "*/*" work).
        With `conditional`, the previous response's validators are sent and a 304 returns
        the cached body with `unchanged=True`.
        """
        if params:
            url = str(httpx.URL(url, params=params))
        self._check_host(url, url)
        cached = self.cache.load(url)
        if self.offline:
            if cached is None:
                raise FetchError(url, "not in the cache (offline mode)")
            media = cached[0].get("content_type") or ""
            if not _accepts(media, accept):
                raise WrongContentType(
                    url, f"cached content type {media!r}, expected one of {', '.join(accept)}"
                )
            return self._page_from_cache(url, *cached, unchanged=True)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_host(url, current)
            self._check_robots(url, current)
            headers = {"Accept": ", ".join(accept)}
            if conditional and cached and current == url:
                meta = cached[0]
                if meta.get("etag"):
                    headers["If-None-Match"] = meta["etag"]
                if meta.get("last_modified"):
                    headers["If-Modified-Since"] = meta["last_modified"]
            result = self._request(url, current, headers, accept)
            if isinstance(result, str):  # a redirect: go round again with the new URL
                current = result
                continue
            status, resp_headers, body = result
            if status == 304:
                if cached is None:
                    raise FetchError(url, "server answered 304 but nothing is cached")
                return self._page_from_cache(url, *cached, unchanged=True)
            return self._store(url, current, status, resp_headers, body, cached)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def cached(self, url: str) -> Page | None:
        """The last response stored for `url`, without touching the network."""
        entry = self.cache.load(url)
        return self._page_from_cache(url, *entry, unchanged=True) if entry else None

    def parsed(
        self, page: Page, parse: Callable[[Page], list[Case]], *, version: str = "1"
    ) -> list[Case]:
        """Cases parsed from `page`, parsing only when its body or the parser changed.

        `parse` runs when the body hash or `version` differs from what was kept last time
        (bump `version` when the parser changes). Its exceptions propagate and nothing is
        kept, so a page that failed to parse is parsed again next time.
        """
        path = self.cache.parsed_path(page.url)
        try:
            kept = json.loads(path.read_text("utf-8"))
            if kept["content_hash"] == page.content_hash and kept["version"] == version:
                return [Case.model_validate(c) for c in kept["cases"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # nothing usable kept: parse
        cases = parse(page)
        blob = {
            "content_hash": page.content_hash,
            "version": version,
            "cases": [c.model_dump(mode="json", exclude_defaults=True) for c in cases],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(blob, ensure_ascii=False).encode("utf-8"))
        return cases

    # -- internals ------------------------------------------------------------------------

    def _check_host(self, url: str, current: str) -> None:
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https"):
            raise HostNotAllowed(url, f"only http(s) URLs are fetched, not {current!r}")
        host = _host(current)
        if host not in self.allowed_hosts:
            where = "redirected to" if current != url else "host"
            raise HostNotAllowed(
                url, f"{where} {host!r}, which source {self.source!r} may not reach"
            )

    def _check_robots(self, url: str, current: str) -> None:
        if not self.respect_robots:
            return
        origin = _origin(current)
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, str):
            raise RobotsDisallowed(url, rules)
        if not rules.can_fetch(self.settings.user_agent, current):
            raise RobotsDisallowed(url, f"robots.txt of {origin} disallows {current}")

    def _load_robots(self, origin: str) -> RobotFileParser | str:
        """Rules of one origin, or why to keep out of it (server error or unreachable)."""
        parser = RobotFileParser(origin + "/robots.txt")
        self._throttle.wait(_host(origin), self.min_interval)
        try:
            # RFC 9309: follow the robots.txt redirects (even to another host).
            resp = self._client.get(
                origin + "/robots.txt", headers={"Accept": "text/plain"}, follow_redirects=True
            )
        except httpx.HTTPError as exc:
            return f"cannot reach {origin} to read its robots.txt ({type(exc).__name__}: {exc})"
        if resp.status_code >= 500:
            return f"robots.txt of {origin} answered HTTP {resp.status_code}; keeping out"
        if resp.status_code >= 400 or len(resp.content) > 500_000:
            parser.parse([])  # no usable rules: everything allowed
        else:
            parser.parse(decode_body(resp.content, resp.charset_encoding).splitlines())
        return parser

    def _interval(self, current: str) -> float:
        rules = self._robots.get(_origin(current))
        delay = None
        if isinstance(rules, RobotFileParser):
            delay = rules.crawl_delay(self.settings.user_agent)
        return max(self.min_interval, float(delay or 0))

    def _request(
        self, url: str, current: str, headers: dict[str, str], accept: Sequence[str]
    ) -> str | tuple[int, dict[str, str], bytes]:
        """One GET with retries: a redirect target, or (status, headers, body) of a 2xx/304."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            wait = self.backoff * 2**attempt
            self._throttle.wait(_host(current), self._interval(current))
            try:
                with self._client.stream("GET", current, headers=headers) as resp:
                    status = resp.status_code
                    if status not in RETRY_STATUSES or last:
                        return self._answer(url, current, resp, accept)
                    if status == 429:
                        wait = max(wait, self._retry_after(url, resp))
            except httpx.TimeoutException:
                if last:
                    raise FetchError(url, "timed out") from None
            except httpx.TransportError as exc:
                if last:
                    raise FetchError(url, f"network error: {exc}") from None
            # Sleep outside the `with`, so no connection is held while waiting.
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_after(self, url: str, resp: httpx.Response) -> float:
        asked = retry_after_seconds(resp.headers.get("Retry-After"))
        if asked is not None and asked > self.max_wait:
            raise HTTPStatusError(
                url,
                resp.status_code,
                f"rate limited; Retry-After {asked:.0f}s is longer than the "
                f"{self.max_wait:.0f}s this fetcher waits",
            )
        return asked or 0.0

    def _answer(
        self, url: str, current: str, resp: httpx.Response, accept: Sequence[str]
    ) -> str | tuple[int, dict[str, str], bytes]:
        status = resp.status_code
        if status in (301, 302, 303, 307, 308):
            location = resp.headers.get("Location")
            if not location:
                raise FetchError(url, f"redirect {status} without a Location header")
            return urljoin(current, location)
        if status == 304:
            return 304, dict(resp.headers), b""
        if status >= 400:
            phrase = "rate limited" if status == 429 else resp.reason_phrase
            raise HTTPStatusError(url, status, f"HTTP {status} {phrase}".strip())
        media, _ = _media_type(resp.headers.get("Content-Type"))
        if not _accepts(media, accept):
            raise WrongContentType(
                url,
                f"content type {media or 'missing'!r}, expected one of {', '.join(accept)}",
            )
        return status, dict(resp.headers), self._read_bounded(url, resp)

    def _read_bounded(self, url: str, resp: httpx.Response) -> bytes:
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise TooLarge(url, f"body of {length} bytes exceeds the limit of {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(url, f"body exceeds the limit of {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _store(
        self,
        url: str,
        final_url: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
        cached: tuple[dict[str, Any], bytes] | None,
    ) -> Page:
        digest = hashlib.sha256(body).hexdigest()
        media, charset = _media_type(headers.get("content-type"))
        meta = {
            "url": url,
            "final_url": final_url,
            "status": status,
            "content_type": media,
            "charset": charset,
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "fetched_at": _now(),
            "content_hash": digest,
        }
        self.cache.save(url, meta, body)
        unchanged = cached is not None and cached[0].get("content_hash") == digest
        return self._page(url, meta, body, unchanged=unchanged, from_cache=False)

    def _page_from_cache(
        self, url: str, meta: dict[str, Any], body: bytes, *, unchanged: bool
    ) -> Page:
        return self._page(url, meta, body, unchanged=unchanged, from_cache=True)

    @staticmethod
    def _page(
        url: str, meta: dict[str, Any], body: bytes, *, unchanged: bool, from_cache: bool
    ) -> Page:
        headers = {k: meta[k] for k in ("etag", "last_modified") if meta.get(k)}
        return Page(
            url=url,
            final_url=meta.get("final_url") or url,
            status=int(meta.get("status") or 200),
            content=body,
            content_type=meta.get("content_type") or "",
            charset=meta.get("charset"),
            fetched_at=meta.get("fetched_at") or _now(),
            content_hash=meta["content_hash"],
            unchanged=unchanged,
            from_cache=from_cache,
            headers=headers,
        )
