"""HTTP hygiene on every response: security headers, HEAD wherever GET, Cache-Control.

Pages load only this site's CSS and no script, so the policy allows `'self'` and nothing
inline. The one page with scripts, /docs, loads Swagger UI from packaged files on this
site and starts it from a file, so the same policy holds there too.

`HeadAsGet` answers HEAD on every GET route (FastAPI registers GET only, so HEAD was a
405 everywhere); `CacheControl` lets browsers keep static files for a day and tells them
to revalidate exports, whose rows change with every ingest.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = {"content-security-policy": CSP, **HEADERS}
                headers += [
                    (k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """ASGI middleware: a HEAD request runs as GET and its body is dropped (headers kept,
    Content-Length included), as RFC 9110 asks of HEAD."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


#: Static files (CSS, Swagger UI): versioned with the package, safe to keep for a day.
STATIC_CACHE = "public, max-age=86400"
#: Exports (CSV/JSON of a search, case JSON): fresh data after every ingest.
EXPORT_CACHE = "no-cache"
STATIC_PREFIXES = ("/static/", "/docs-assets/")


def is_export(path: str) -> bool:
    """Whether a path is a download of data (CSV or JSON of a search or case)."""
    return path.endswith((".csv", ".json")) and not path.startswith(STATIC_PREFIXES)


class CacheControl:
    """ASGI middleware: Cache-Control on static files and exports (unless a route set one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(STATIC_PREFIXES):
            value = STATIC_CACHE
        elif is_export(path):
            value = EXPORT_CACHE
        else:
            await self.app(scope, receive, send)
            return

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status", 500) < 400:
                headers = list(message.get("headers", []))
                if b"cache-control" not in {k.lower() for k, _ in headers}:
                    headers.append((b"cache-control", value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cache)
