"""A real HTTP server on 127.0.0.1 for fetcher and scraper tests.

    def test_something(http_server):
        http_server.route("/page", body="<html>...</html>")             # 200 text/html
        http_server.route("/data", body=b"{}", content_type="application/json",
                          etag='"v1"')                                  # 304 on If-None-Match
        http_server.sequence("/busy", [{"status": 429, "headers": {"Retry-After": "1"}}, {}])
        http_server.handler("/echo", lambda req: {"body": req.headers["User-Agent"]})
        url = http_server.url("/page")              # http://127.0.0.1:PORT/page
        other = http_server.url("/page", host="localhost")   # same server, another host name
        http_server.requests                        # every request seen: Request(path, headers)

Replies are `Reply` objects (also reachable as `http_server.Reply`) or dicts of its fields.
Unknown paths answer 404. A `Reply` can wait (`delay`, for timeouts), leave out
Content-Length (`omit_length`, for streamed bodies), and carry an ETag / Last-Modified
that the server honours with 304 Not Modified.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from corpus.settings import Settings
from corpus.store import Store
from ingest import watch
from ingest.context import SourceContext
from ingest.fetch import Fetcher
from ingest.runner import RunReport, run_source


@dataclass
class Reply:
    """One canned response."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    omit_length: bool = False

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]


ReplyLike = Reply | dict


def _reply(value: ReplyLike) -> Reply:
    return value if isinstance(value, Reply) else Reply(**value)


class LocalServer:
    """Routes, canned replies and the log of requests of one threaded server."""

    Reply = Reply

    def __init__(self) -> None:
        self._routes: dict[str, Callable[[Request], ReplyLike]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server._serve(self)

            def log_message(self, *args: object) -> None:
                pass  # keep test output quiet

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # -- configuring ----------------------------------------------------------------------

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """Absolute URL of `path` on this server under the host name `host`."""
        return f"http://{host}:{self.port}{path}"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` without a trailing slash."""
        return self.url("")

    def handler(self, path: str, fn: Callable[[Request], ReplyLike]) -> None:
        """Answer `path` (with or without its query string) by calling `fn(request)`."""
        with self._lock:
            self._routes[path] = fn

    def route(self, path: str, body: bytes | str = b"", **reply: object) -> None:
        """Always answer `path` with one `Reply(body=body, **reply)`."""
        fixed = Reply(body=body, **reply)  # type: ignore[arg-type]
        self.handler(path, lambda _req: fixed)

    def sequence(self, path: str, replies: list[ReplyLike]) -> None:
        """Answer `path` with `replies` in turn; the last one repeats."""
        pending = list(replies)

        def next_reply(_req: Request) -> ReplyLike:
            with self._lock:
                return pending.pop(0) if len(pending) > 1 else pending[0]

        self.handler(path, next_reply)

    def hits(self, path: str) -> int:
        """How many requests asked for `path` (query string ignored)."""
        return sum(1 for r in self.requests if urlsplit(r.path).path == path)

    # -- serving --------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        req = Request("GET", h.path, {k: v for k, v in h.headers.items()})
        with self._lock:
            self.requests.append(req)
            fn = self._routes.get(h.path) or self._routes.get(urlsplit(h.path).path)
        reply = _reply(fn(req)) if fn else Reply(404, "<html><body>Not found</body></html>")
        if reply.delay:
            time.sleep(reply.delay)
        if _not_modified(reply, req):
            h.send_response(304)
            h.end_headers()
            return
        body = reply.payload()
        try:
            h.send_response(reply.status)
            if reply.content_type:
                h.send_header("Content-Type", reply.content_type)
            if reply.etag:
                h.send_header("ETag", reply.etag)
            if reply.last_modified:
                h.send_header("Last-Modified", reply.last_modified)
            for name, value in reply.headers.items():
                h.send_header(name, value)
            if not reply.omit_length:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size limit): that is what some tests want

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def _not_modified(reply: Reply, req: Request) -> bool:
    if reply.status != 200:
        return False
    if reply.etag and req.headers.get("If-None-Match") == reply.etag:
        return True
    return bool(
        reply.last_modified
        and not reply.etag
        and req.headers.get("If-Modified-Since") == reply.last_modified
    )


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A fresh local HTTP server for one test (see the module docstring)."""
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


# -- national-source scrapers ----------------------------------------------------------------

#: Test pages written for the scrapers, one folder per source, following the real sites.
PAGES = Path(__file__).parent / "pages"


class NationalSite:
    """Serves a source's test pages on 127.0.0.1 and runs the source against a real store."""

    def __init__(self, server: LocalServer, data_dir: Path) -> None:
        self.server = server
        self.settings = Settings(data_dir=data_dir)
        self.store = Store(self.settings.db_path)

    def serve(self, source: str, routes: dict[str, str], **reply: object) -> None:
        """Answer each path with the bytes of `pages/<source>/<file>`."""
        for path, name in routes.items():
            self.server.route(path, (PAGES / source / name).read_bytes(), **reply)

    def fetcher(self, source: str) -> Fetcher:
        """A fetcher for the local server: no waiting between requests or before retries."""
        return Fetcher(
            self.settings,
            source=source,
            allowed_hosts=["127.0.0.1"],
            min_interval=0,
            backoff=0,
            sleep=lambda _s: None,
        )

    def with_curated(self) -> NationalSite:
        """Store the packaged curated case files, as the job's first source does (their
        citations decide which watched pages are curated)."""
        run_source(self.store, "corpus", _curated_items(), complete=True)
        return self

    def context(self, module: object, **options: object) -> SourceContext:
        """The `SourceContext` the job would give the module, bound to the local server."""
        source = module.SOURCE  # type: ignore[attr-defined]
        return SourceContext(
            name=source,
            settings=self.settings,
            store=self.store,
            options=dict(options),
            open_fetcher=lambda: self.fetcher(source),
        )

    def run(self, module: object, **options: object) -> RunReport:
        """One run of a source module as the job runs it: `items(ctx)`, then the watch
        recorder for a watched source, else the runner."""
        source = module.SOURCE  # type: ignore[attr-defined]
        ctx = self.context(module, **options)
        try:
            produced = module.items(ctx)  # type: ignore[attr-defined]
            if getattr(module, "WATCH", False):
                return watch.apply(self.store, source, produced)
            return run_source(
                self.store,
                source,
                produced,
                complete=module.COMPLETE,  # type: ignore[attr-defined]
            )
        finally:
            if ctx._fetcher is not None:
                ctx._fetcher.close()


@functools.cache
def _curated_items() -> tuple:
    """The packaged curated files, read once per test session (YAML reading is slow)."""
    from ingest.sources import corpus_files

    return tuple(corpus_files.read())


@pytest.fixture
def national(http_server, tmp_path) -> Iterator[NationalSite]:
    """A local site and a fresh store for a scraper test (see `NationalSite`)."""
    site = NationalSite(http_server, tmp_path / "data")
    try:
        yield site
    finally:
        site.store.close()
