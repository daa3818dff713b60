"""The one place where errors become responses: JSON under /api, a friendly page elsewhere.

Domain errors (`corpus.errors.CasebankError` and subclasses) carry their HTTP status;
FastAPI's parameter validation gives 422 with the offending parameter named; unknown paths
and methods keep their 404/405; anything unexpected is a 500 with a plain message and no
traceback (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus.errors import CasebankError, InvalidInput, NotFound
from web.templating import render

log = logging.getLogger("casebank.web")


class PageError(InvalidInput):
    """Bad input on a page, with the label (`web/locales`) that tells the reader what to do.

    `status` keeps the status of the error it stands for (422 for an out-of-range value);
    `values` fill the label's placeholders; `query` is the search the error page's form
    offers again (the reader's words without what was wrong)."""

    def __init__(
        self,
        message: str,
        label: str,
        *,
        status: int | None = None,
        values: dict[str, object] | None = None,
        query: object | None = None,
    ) -> None:
        super().__init__(message)
        self.label = label
        self.values = values or {}
        self.query = query
        if status is not None:
            self.status = status


class PageNotFound(NotFound):
    """A case or organisation a page's address names that does not exist, with the label
    that tells the reader, in their language, what to do instead."""

    def __init__(self, message: str, label: str) -> None:
        super().__init__(message)
        self.label = label


def is_api(request: Request) -> bool:
    """Whether a request is for JSON (and so gets a JSON error): the API, and the `.json`
    beside every page, which programs read as they read the API."""
    path = request.url.path
    return path == "/api" or path.startswith("/api/") or path.endswith(".json")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid value')}")
    return "bad parameter " + "; ".join(parts)


def describe(exc: Exception) -> tuple[int, str]:
    """`(status, message)` for any exception a request handler let through."""
    if isinstance(exc, CasebankError):
        return exc.status, str(exc)
    if isinstance(exc, RequestValidationError):
        return 422, _validation_message(exc)
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, str(exc.detail)
    return 500, "internal error; the server log has the details"


def without_server_paths(request: Request, message: str) -> str:
    """The message with the data folder's location taken out: a client learns which file
    (`index/gen-.../vectors.npy` within the data folder), never where the server keeps it."""
    resources = getattr(request.app.state, "resources", None)
    if resources is None:
        return message
    data_dir = resources.settings.data_dir
    for prefix in {str(data_dir.resolve()), str(data_dir.absolute()), str(data_dir)}:
        if prefix not in (".", ""):
            message = message.replace(prefix + "/", "").replace(prefix, "the data folder")
    return message


async def handle_error(request: Request, exc: Exception) -> Response:
    """Render an error as `{"error": {"status", "message"}}` for the API, else as a page."""
    status, message = describe(exc)
    message = without_server_paths(request, message)
    if status >= 500 and not isinstance(exc, CasebankError):
        log.error("unhandled error on %s", request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) or None
    if is_api(request):
        return JSONResponse(
            {"error": {"status": status, "message": message}}, status_code=status, headers=headers
        )
    context = {
        "status": status,
        # A bare status phrase ("Not Found") says nothing the page's own lead does not,
        # and would be the one English line on a Danish page.
        "message": None if message == _phrase(status) else message,
        "label": getattr(exc, "label", None),
        "label_values": getattr(exc, "values", None) or {},
        "query": getattr(exc, "query", None),
    }
    response = render(request, "error.html", context, status_code=status)
    if headers:
        response.headers.update(headers)
    return response


def _phrase(status: int) -> str | None:
    """HTTP's own phrase for a status ("Not Found"), None for a status it does not know."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through `handle_error`."""
    for exc_type in (CasebankError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_type, handle_error)


async def require_utf8(request: Request) -> None:
    """Refuse a path or query string whose percent-escapes are not UTF-8 (`%ff%fe`).

    Starlette would silently turn such bytes into U+FFFD and search for that; a clear 400
    tells the caller what is wrong instead. Async because it only reads the request: a
    sync dependency of the whole app cost every request a hop to the thread pool (about
    1 ms of a cached search).
    """
    for part, raw in (
        ("query string", request.scope.get("query_string") or b""),
        ("path", request.scope.get("raw_path") or b""),
    ):
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                f"the {part} is not valid UTF-8 (it has percent-escapes such as %ff that "
                "do not form characters)"
            ) from None
