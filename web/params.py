"""Search parameters of the JSON API and the pages: the query string read into a
`search.request.SearchRequest`, which holds every limit and every filter rule.

The parameters are described here (`SEARCH_PARAMETERS`) only so that /docs lists them; the
checking is `SearchRequest.from_query_params`, the same for the API, the results page,
the exports and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from corpus.model import INSTRUMENTS, INVESTOR_MODELS, PROVIDER_MODELS, STAGES
from search.request import (
    COUNTRIES,
    FILTER_KEYS,
    FUND_ID,
    MAX_EXPORT_ROWS,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY,
    MAX_SECTOR,
    SORTS,
    SearchRequest,
)

__all__ = [
    "EXPORT_PARAMETERS",
    "FILTER_KEYS",
    "SEARCH_PARAMETERS",
    "SearchQuery",
    "check_filters",
    "search_query",
    "search_request",
]

#: The pages' name for the request (kept so templates and pages read the same).
SearchQuery = SearchRequest


def _parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One query parameter as OpenAPI describes it."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _values(**items: Any) -> dict[str, Any]:
    """A repeatable parameter: an array of strings, each as `items` says."""
    return {"type": "array", "items": {"type": "string", **items}}


def _one_of(values: list[str]) -> list[str]:
    """The values of a choice, and blank: a form's empty field, which is no filter (or the
    default order), as `SearchRequest` reads it."""
    return ["", *values]


#: What every filter's description ends with.
BLANK = " Blank: no filter."


def _choice(name: str, values: Iterable[str]) -> dict[str, Any]:
    """A repeatable filter of one codelist: its values, or blank."""
    values = list(values)
    return _parameter(
        name, "One of: " + ", ".join(values) + "." + BLANK, _values(enum=_one_of(values))
    )


#: The search's query-string parameters for /docs (`openapi_extra` of the routes that read
#: them), with the ranges and values `SearchRequest` accepts, so the schema refuses what
#: the API refuses. Declared as OpenAPI, not as FastAPI parameters: FastAPI would parse and
#: check each of them for every request only for `SearchRequest` to do it again, and that
#: parsing cost more than a cached search.
SEARCH_PARAMETERS: list[dict[str, Any]] = [
    _parameter(
        "q",
        f"What to look for, in any language (at most {MAX_QUERY} characters).",
        {"type": "string", "default": "", "maxLength": MAX_QUERY},
    ),
    _parameter(
        "limit",
        f"Results per page (1-{MAX_LIMIT}).",
        {
            "type": "integer",
            "default": SearchRequest.model_fields["limit"].default,
            "minimum": 1,
            "maximum": MAX_LIMIT,
        },
    ),
    _parameter(
        "offset",
        f"Results to skip (0-{MAX_OFFSET}).",
        {"type": "integer", "default": 0, "minimum": 0, "maximum": MAX_OFFSET},
    ),
    _parameter(
        "country",
        "ISO 3166 alpha-2 code, e.g. DK; repeatable." + BLANK,
        _values(enum=_one_of(sorted(COUNTRIES))),
    ),
    _parameter(
        "sector",
        "INDIGO policy sector, e.g. Homelessness." + BLANK,
        _values(maxLength=MAX_SECTOR),
    ),
    _choice("stage", STAGES),
    _choice("provider_model", PROVIDER_MODELS),
    _choice("investor_model", INVESTOR_MODELS),
    _choice("instrument", INSTRUMENTS),
    _parameter(
        "fund",
        "Outcomes fund id, e.g. INDIGO-FUND-0012." + BLANK,
        _values(pattern=f"^(?:{FUND_ID.pattern})?$"),
    ),
    _parameter(
        "start_year",
        "Year the service started, e.g. 2019 (1900-2100)." + BLANK,
        _values(pattern="^(19[0-9]{2}|20[0-9]{2}|2100)?$"),
    ),
    _parameter(
        "sort",
        "One of: " + ", ".join(SORTS) + ". Blank: relevance.",
        {"type": "string", "default": "relevance", "enum": _one_of(list(SORTS))},
    ),
]
#: The exports' parameters: the same search, every row unless their own window asks for
#: fewer (`search.request.export_window`).
EXPORT_PARAMETERS = [p for p in SEARCH_PARAMETERS if p["name"] not in ("limit", "offset")] + [
    _parameter(
        "limit",
        f"At most this many rows (1-{MAX_EXPORT_ROWS}; default: every row of the search).",
        {"type": "integer", "minimum": 1, "maximum": MAX_EXPORT_ROWS},
    ),
    _parameter(
        "offset",
        f"Rows to skip (0-{MAX_OFFSET}).",
        {"type": "integer", "default": 0, "minimum": 0, "maximum": MAX_OFFSET},
    ),
]


async def search_request(request: Request) -> SearchRequest:
    """FastAPI dependency: the checked search of a request's query string (async: it
    only reads the query string, and a sync dependency costs a hop to the thread pool)."""
    return SearchRequest.from_query_params(request.query_params)


async def search_query(request: Request) -> SearchRequest:
    """FastAPI dependency for pages: the checked search, ignoring the page's own
    `limit`/`offset` parameters (pages page with `page`)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    return SearchRequest.from_query_params(pairs)


def check_filters(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Checked, normalised filters without blank values; InvalidInput names a bad one."""
    return SearchRequest(**{k: v for k, v in raw.items() if k in FILTER_KEYS}).filters
