"""The JSON API under /api: search, cases, similar cases, health, ingest runs.

Shapes follow the contract in DESIGN.md; every error is `{"error": {"status", "message"}}`
(rendered by `web.errors`).
"""

from __future__ import annotations

import time
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from corpus.errors import CasebankError
from corpus.model import Case
from search.request import OutOfRange, SearchRequest
from search.results import SearchResponse, SimilarResponse
from web.params import SEARCH_PARAMETERS, search_request
from web.resources import Resources, resources


class ErrorDetail(BaseModel):
    """What went wrong: the HTTP status and a message naming the cause."""

    status: int
    message: str


class ErrorBody(BaseModel):
    """Every API error has this shape."""

    error: ErrorDetail


#: The error responses of every API route, for /docs (the exports' routes list them too).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Bad parameter value (unknown filter value, broken encoding)"),
        (404, "No such case"),
        (422, "Parameter out of range (limit, offset, start year, query length)"),
        (503, "Search index missing: run `casebank index`"),
    )
}

router = APIRouter(prefix="/api", tags=["api"], responses=ERROR_RESPONSES)


def as_json(model: BaseModel) -> Response:
    """A response model's JSON, written once. Returned as a model, it would be dumped,
    validated again as the route's `response_model` and dumped a second time (a third of
    a cached search's cost); the `response_model` still describes it for /docs."""
    return Response(model.model_dump_json(), media_type="application/json")


def similar_limit(raw: str) -> int:
    """The `limit` of similar cases: 1-50, digits 0-9 only."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= 50):
        raise OutOfRange(f"limit: {text[:12]!r} is not a whole number from 1 to 50")
    return int(text)


@router.get(
    "/search",
    summary="Search cases",
    response_model=SearchResponse,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
async def search(
    query: SearchRequest = Depends(search_request),
    res: Resources = Depends(resources),
) -> Response:
    """Semantic and keyword search over every case; an empty `q` lists all (filtered) cases.

    `total` counts the cases of the result, `matched` those that pass the relevance bar
    (0 when nothing matches well: the results are then the closest cases, each with
    `match: false`). A query longer than 1,000 characters is refused (422); the model
    reads its first 128 tokens.
    """
    # A facet click or another page of a search just made is a few ms of Python: with
    # no other request in a worker thread it is answered here, without the hop to one
    # (about 1 ms of such a request). With requests in flight it goes to a worker
    # thread like the rest: run here it held the GIL against them, and under 20
    # clients a case page waited 3-4x longer. A new text waits for the model, so it
    # always runs on a worker thread and the server keeps serving meanwhile.
    started = time.perf_counter()
    found = None
    if to_thread.current_default_thread_limiter().borrowed_tokens == 0:
        found = res.search_at_once(query)
    if found is None:
        found = await run_in_threadpool(res.search, query)
    response = as_json(found)
    # What the search itself took, beside what the client measures (W3C Server-Timing:
    # browsers' developer tools and the latency benchmark read it).
    response.headers["Server-Timing"] = f"search;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


@router.get("/cases/{case_id}", summary="One case", response_model=Case)
def get_case(case_id: str, res: Resources = Depends(resources)) -> Case:
    """A case by its id, an alias, or an external id such as `INDIGO-POJ-0077`."""
    return res.store().get_case(case_id)


@router.get(
    "/cases/{case_id}/similar", summary="Cases similar to one case", response_model=SimilarResponse
)
def similar(
    case_id: str,
    limit: str = Query("5", description="How many (1-50)."),
    country: str | None = Query(None, description="Only cases in this country (ISO alpha-2)."),
    res: Resources = Depends(resources),
) -> Response:
    """The cases that do what one case does (policy area, intervention, target group),
    `{"case_id", "results": [...]}` (results as in search)."""
    case = res.store().get_case(case_id)
    checked = SearchRequest(country=[country] if country else [])
    count = similar_limit(limit)
    hits = res.search_service().similar(
        case.id, limit=count, country=checked.country[0] if checked.country else None
    )
    return as_json(SimilarResponse(case_id=case.id, results=hits))


@router.get("/health", summary="Service health")
def health(res: Resources = Depends(resources)) -> dict[str, Any]:
    """`{"status": "ok"|"degraded", "cases": N, "index": {...}}`; degraded without an index."""
    try:
        return res.health()
    except CasebankError as exc:
        return {
            "status": "degraded",
            "cases": res.store().count_cases(),
            "index": None,
            "message": str(exc),
        }


@router.get("/ingest/runs", summary="Ingest run reports")
def ingest_runs(
    limit: int = Query(20, ge=1, le=500),
    source: str | None = Query(None, max_length=100, description="Only this source."),
    res: Resources = Depends(resources),
) -> dict[str, Any]:
    """The latest ingest runs, newest first, and each source's last successful update."""
    store = res.store()
    return {"runs": store.runs(limit=limit, source=source), "last_success": store.last_success()}
