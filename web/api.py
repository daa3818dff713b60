"""The JSON API under /api: search (JSON and CSV), cases, similar cases, health, ingest runs.

Shapes follow the contract in DESIGN.md; every error is `{"error": {"status", "message"}}`
(rendered by `web.errors`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from corpus.errors import CasebankError
from corpus.model import Case
from web.params import SearchQuery, check_filters, search_query
from web.resources import Resources, resources
from web.templating import case_url


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


CSV_COLUMNS = (
    "id",
    "title",
    "countries",
    "sector",
    "stage",
    "provider_model",
    "investor_model",
    "start_year",
    "score",
    "indigo_id",
    "url",
    "snippet",
)


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with `'`."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get(
    "/search.csv",
    summary="Export a search as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
def search_csv(
    request: Request,
    query: SearchQuery = Depends(search_query),
    limit: int = Query(1000, ge=1, le=1000, description="Rows (1-1000)."),
    offset: int = Query(0, ge=0, le=100_000),
    res: Resources = Depends(resources),
) -> Response:
    """The same search as `/api/search` (same parameters), one row per case."""
    found = res.run_search(query, limit=limit, offset=offset)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in found["results"]:
        writer.writerow(
            [
                r["id"],
                _cell(r.get("title")),
                ";".join(r.get("countries") or []),
                _cell(r.get("sector")),
                r.get("stage"),
                r.get("provider_model"),
                r.get("investor_model"),
                r.get("start_year") or "",
                f"{r['score']:.4f}" if r.get("score") is not None else "",
                (r.get("external_ids") or {}).get("indigo", ""),
                res.settings.absolute(case_url(r["id"])),
                _cell(r.get("snippet")),
            ]
        )
    # The BOM makes spreadsheet programs read the file as UTF-8 (æøå, ä, ö).
    return Response(
        buf.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="casebank-search.csv"'},
    )


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
