"""Search parameters of the JSON API and the pages: the query string read into a
`search.request.SearchRequest`, which holds every limit and every filter rule.

The parameters are declared here (as plain strings) only so that /docs lists them; the
checking is `SearchRequest.from_query_params`, the same for the API, the results page,
the exports and the CLI.
"""

from __future__ import annotations

from fastapi import Query, Request

from corpus.model import INSTRUMENTS, INVESTOR_MODELS, PROVIDER_MODELS, STAGES
from search.request import FILTER_KEYS, MAX_LIMIT, MAX_QUERY, SORTS, SearchRequest

__all__ = ["FILTER_KEYS", "SearchQuery", "check_filters", "search_query", "search_request"]

#: The pages' name for the request (kept so templates and pages read the same).
SearchQuery = SearchRequest


def search_request(
    request: Request,
    q: str = Query(
        "", description=f"What to look for, in any language (at most {MAX_QUERY} characters)."
    ),
    limit: str = Query("10", description=f"Results per page (1-{MAX_LIMIT})."),
    offset: str = Query("0", description="Results to skip."),
    country: list[str] = Query([], description="ISO 3166 alpha-2 code, e.g. DK; repeatable."),
    sector: list[str] = Query([], description="INDIGO policy sector, e.g. Homelessness."),
    stage: list[str] = Query([], description="One of: " + ", ".join(STAGES) + "."),
    provider_model: list[str] = Query([], description="One of: " + ", ".join(PROVIDER_MODELS)),
    investor_model: list[str] = Query([], description="One of: " + ", ".join(INVESTOR_MODELS)),
    instrument: list[str] = Query([], description="One of: " + ", ".join(INSTRUMENTS)),
    fund: list[str] = Query([], description="Outcomes fund id, e.g. INDIGO-FUND-0012."),
    start_year: list[str] = Query([], description="Year the service started, e.g. 2019."),
    sort: str = Query("relevance", description="One of: " + ", ".join(SORTS) + "."),
) -> SearchRequest:
    """FastAPI dependency: the checked search of a request's query string."""
    return SearchRequest.from_query_params(request.query_params)


def search_query(request: Request) -> SearchRequest:
    """FastAPI dependency for pages: the checked search, ignoring the page's own
    `limit`/`offset` parameters (pages page with `page`)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    return SearchRequest.from_query_params(pairs)


def check_filters(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Checked, normalised filters without blank values; InvalidInput names a bad one."""
    return SearchRequest(**{k: v for k, v in raw.items() if k in FILTER_KEYS}).filters
