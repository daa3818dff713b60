"""The JSON API under /api: search, cases, similar cases, health, ingest runs.

Shapes follow the contract in DESIGN.md; every error is `{"error": {"status", "message"}}`
(rendered by `web.errors`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from corpus.errors import CasebankError
from corpus.model import Case
from web.params import SearchQuery, check_filters, search_query
from web.resources import Resources, resources


class ErrorDetail(BaseModel):
    """What went wrong: the HTTP status and a message naming the cause."""

    status: int
    message: str


class ErrorBody(BaseModel):
    """Every API error has this shape."""

    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Bad parameter value (unknown filter value, broken encoding)"),
        (404, "No such case"),
        (422, "Parameter out of range (limit, offset, query length)"),
        (503, "Search index missing: run `casebank index`"),
    )
}

router = APIRouter(prefix="/api", tags=["api"], responses=_ERRORS)


@router.get("/search", summary="Search cases")
def search(
    query: SearchQuery = Depends(search_query),
    limit: int = Query(10, ge=1, le=100, description="Results per page (1-100)."),
    offset: int = Query(0, ge=0, le=100_000, description="Results to skip."),
    res: Resources = Depends(resources),
) -> dict[str, Any]:
    """Semantic and keyword search over every case; an empty `q` lists all (filtered) cases.

    Returns `{"query", "total", "results", "facets"}`; each result carries `id`, `title`,
    `countries`, `sector`, `stage`, `provider_model`, `investor_model`, `start_year`,
    `score`, `snippet`, `external_ids` and `alt_names`.
    """
    return res.run_search(query, limit=limit, offset=offset)


@router.get("/cases/{case_id}", summary="One case", response_model=Case)
def get_case(case_id: str, res: Resources = Depends(resources)) -> Case:
    """A case by its id, an alias, or an external id such as `INDIGO-POJ-0077`."""
    return res.store().get_case(case_id)


@router.get("/cases/{case_id}/similar", summary="Cases similar to one case")
def similar(
    case_id: str,
    limit: int = Query(5, ge=1, le=50, description="How many (1-50)."),
    country: str | None = Query(None, description="Only cases in this country (ISO alpha-2)."),
    res: Resources = Depends(resources),
) -> dict[str, Any]:
    """The cases nearest to one case, `{"case_id", "results": [...]}` (results as in search)."""
    case = res.store().get_case(case_id)
    countries = check_filters({"country": [country] if country else []}).get("country")
    results = res.similar(case.id, limit=limit, country=countries[0] if countries else None)
    return {"case_id": case.id, "results": results}


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
