"""Exports: a search as CSV, JSON or JSON Lines, every page as `.json`, the whole dataset.

Search exports hold every row of the search (no cap, no hidden bound): the search is run
whole before the response starts, so a bad parameter is still a clean 400, and the rows
are then streamed case by case. Cells a spreadsheet would run as formulas are prefixed
with `'`. Links are absolute only when `CASEBANK_BASE_URL` is set (never taken from the
request's Host header), else relative to the site.

The whole dataset is offered as a zip of CSV files and as one SQLite file; both carry the
GO Lab INDIGO credit (a README in the zip, a `metadata` table in the SQLite copy).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from corpus.currency import euro_equivalent
from corpus.model import Case, Money
from search.request import MAX_LIMIT, MAX_OFFSET, optional_number
from search.request import export_window as window_of
from web import pages, present
from web.api import ERROR_RESPONSES
from web.i18n import Translator
from web.params import EXPORT_PARAMETERS, SearchQuery, search_query
from web.resources import Resources, resources
from web.templating import case_url, language_of

router = APIRouter()

# Exports follow the store, which an ingest run may change at any time: revalidate.
CACHE_CONTROL = "no-cache"

CREDIT = (
    "Case data from GO Lab INDIGO (International Network for Data on Impact and Government "
    "Outcomes), Government Outcomes Lab, Blavatnik School of Government, University of "
    'Oxford. Credit "GO Lab INDIGO" wherever this data is shown. Curated cases and '
    "national sources: casebank, each case names its own sources."
)

#: The columns of a search export and of `cases.csv` in the dataset download.
COLUMNS = (
    "id",
    "title",
    "title_da",
    "countries",
    "sector",
    "stage",
    "instrument",
    "provider_model",
    "investor_model",
    "outcome_payers",
    "investors",
    "service_providers",
    "investment",
    "investment_currency",
    "investment_eur",
    "max_outcome_payment",
    "max_outcome_payment_currency",
    "max_outcome_payment_eur",
    "outcome_payments_made",
    "outcome_payments_made_currency",
    "outcome_payments_made_eur",
    "outcome_funds",
    "outcome_metric_count",
    "start_date",
    "end_date",
    "indigo_id",
    "sources",
    "url",
)


def base_url(res: Resources) -> str:
    """The site's public address without a trailing slash, or `` (links stay relative)."""
    return (getattr(res.settings, "base_url", None) or "").rstrip("/")


def _amount(money: Money | None) -> float | str | None:
    """An exact amount, or `min-max` for a range, or None."""
    if money is None:
        return None
    if money.amount is not None:
        return money.amount
    if money.amount_min is not None or money.amount_max is not None:
        lo, hi = money.amount_min, money.amount_max
        return f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}"
    return None


def _euro(money: Money | None) -> float | str | None:
    """The amount in euro, as the case page says it: the amount itself in euro, else the
    source's own euro figure, else kroner at the ERM II central rate (`corpus.currency`),
    to the cent; None when none of these is known."""
    if money is None or money.is_empty():
        return None
    if money.currency == "EUR":
        return _amount(money)
    euro = euro_equivalent(money)
    if euro is None:
        return None

    def cents(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return _amount(
        Money(
            amount=cents(euro.amount),
            amount_min=cents(euro.amount_min),
            amount_max=cents(euro.amount_max),
        )
    )


def _party(p, t: Translator | None = None) -> str:
    """A party for an export: its name, or that it is undisclosed, with its type (its
    code, or with `t` as a reader of that language says it)."""
    undisclosed = t("party.undisclosed") if t else "undisclosed organisation"
    name = undisclosed if p.undisclosed else p.name
    if p.org_type == "unknown":
        return name
    return f"{name} ({t(f'org_type.{p.org_type}') if t else p.org_type})"


def export_row(case: Case, base: str = "", t: Translator | None = None) -> dict[str, Any]:
    """One case as an export row: lists stay lists (JSON); CSV joins them with `; `.
    With `t`, the parties' types are in its language (the workbook)."""
    # The same start as `Case.start_year`: the service start, else the contract.
    start = case.dates.get("service_start") or case.dates.get("contract_signed")
    end = next(
        (case.dates[k] for k in ("completed", "service_end", "anticipated_end") if k in case.dates),
        None,
    )
    row: dict[str, Any] = {
        "id": case.id,
        "title": case.title,
        "title_da": case.title_i18n.get("da"),
        "countries": list(case.countries),
        "sector": case.sector,
        "stage": case.stage,
        "instrument": case.instrument,
        "provider_model": case.provider_model,
        "investor_model": case.investor_model,
        "outcome_payers": [_party(p, t) for p in case.parties_by_role("outcome_payer")],
        "investors": [_party(p, t) for p in case.parties_by_role("investor")],
        "service_providers": [_party(p, t) for p in case.parties_by_role("service_provider")],
    }
    for key in ("investment", "max_outcome_payment", "outcome_payments_made"):
        money: Money | None = getattr(case, key)
        row[key] = _amount(money)
        row[f"{key}_currency"] = money.currency if money else None
        row[f"{key}_eur"] = _euro(money)
    row.update(
        outcome_funds=[f.name or f.id for f in case.outcome_funds],
        outcome_metric_count=len(case.outcome_metrics),
        start_date=start.value if start else None,
        end_date=end.value if end else None,
        indigo_id=case.external_ids.get("indigo") or case.external_ids.get("indigo_pipeline"),
        sources=[x.url for x in present.dedupe_links(case.sources) if present.safe_url(x.url)],
        url=base + case_url(case.id),
    )
    return row


def cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with `'`."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """UTF-8 CSV, header first, one encoded line per row (with a BOM for spreadsheets)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    # The BOM makes spreadsheet programs read the file as UTF-8 (æøå, ä, ö).
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([cell(row.get(c)) for c in COLUMNS])
        yield buf.getvalue().encode("utf-8")


async def export_window(request: Request) -> tuple[int | None, int]:
    """FastAPI dependency: an export's optional window (none by default: every row),
    checked by the rules a page's `limit` and `offset` follow
    (`search.request.export_window`)."""
    params = request.query_params
    return window_of(params.get("limit"), params.get("offset"))


def _search_rows(
    res: Resources,
    query: SearchQuery,
    window: tuple[int | None, int] = (None, 0),
    t: Translator | None = None,
) -> tuple[dict[str, Any], Iterator[dict]]:
    """The whole search (run now, so errors surface before streaming) as `{query, total}`
    and its rows, each case read from the store as its row is written (`export_row`)."""
    every = res.result_ids(query)
    limit, offset = window
    ids = every[offset : None if limit is None else offset + limit]
    base = base_url(res)
    rows = (export_row(case, base, t) for case in res.iter_cases(ids))
    return {"query": query.q, "total": len(every)}, rows


def _headers(filename: str, total: int) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": CACHE_CONTROL,
        "X-Total-Count": str(total),
    }


def _export(
    path: str,
    summary: str,
    media_type: str,
    description: str,
    response_class: type[Response] = StreamingResponse,
):
    """The route of one search export: its media type and the API's error bodies in
    /docs, and the search's parameters."""
    return router.get(
        path,
        tags=["exports"],
        summary=summary,
        response_class=response_class,
        responses={
            200: {"content": {media_type: {}}, "description": description},
            **ERROR_RESPONSES,
        },
        openapi_extra={"parameters": EXPORT_PARAMETERS},
    )


@_export(
    "/api/search.csv",
    "Export a search as CSV (all rows)",
    "text/csv",
    "UTF-8 CSV with a BOM",
)
def search_csv(
    query: SearchQuery = Depends(search_query),
    window: tuple[int | None, int] = Depends(export_window),
    res: Resources = Depends(resources),
) -> StreamingResponse:
    """One row per case of the search, with parties, amounts, funds, dates and sources.

    Same parameters as `/api/search`, without paging: every row of the search.
    """
    found, rows = _search_rows(res, query, window)
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers=_headers("casebank-search.csv", found["total"]),
    )


def _json_stream(head: dict[str, Any], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """`{...head, "results": [rows]}` written row by row."""
    start = json.dumps(head, ensure_ascii=False)[:-1]
    yield (start + (', "results": [' if head else '{"results": [')).encode("utf-8")
    for i, row in enumerate(rows):
        yield ((", " if i else "") + json.dumps(row, ensure_ascii=False)).encode("utf-8")
    yield b"]}\n"


@_export(
    "/api/search.json",
    "Export a search as JSON (all rows)",
    "application/json",
    "The search and its rows",
)
def search_json(
    query: SearchQuery = Depends(search_query),
    window: tuple[int | None, int] = Depends(export_window),
    res: Resources = Depends(resources),
) -> StreamingResponse:
    """`{"query", "total", "columns", "results": [...]}` with every row of the search."""
    found, rows = _search_rows(res, query, window)
    head = {"query": found["query"], "total": found["total"], "columns": list(COLUMNS)}
    return StreamingResponse(
        _json_stream(head, rows),
        media_type="application/json",
        headers=_headers("casebank-search.json", found["total"]),
    )


@_export(
    "/api/search.jsonl",
    "Export a search as JSON Lines",
    "application/x-ndjson",
    "One case per line",
)
def search_jsonl(
    query: SearchQuery = Depends(search_query),
    window: tuple[int | None, int] = Depends(export_window),
    res: Resources = Depends(resources),
) -> StreamingResponse:
    """One JSON object per line and case, every row of the search."""
    found, rows = _search_rows(res, query, window)
    lines = (json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in rows)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers=_headers("casebank-search.jsonl", found["total"]),
    )


#: The spreadsheet's media type (Office Open XML).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: Columns of coded values, which the workbook says in the reader's language.
_CODED = ("sector", "stage", "instrument", "provider_model", "investor_model")


def xlsx_bytes(rows: Iterable[dict[str, Any]], t: Translator) -> bytes:
    """An Excel workbook of the rows (`COLUMNS`, one row per case) for a person to read:
    the headings, countries and coded values in the reader's language, amounts as
    numbers; a second sheet has the credit the data asks for and each heading's column
    name in the CSV and JSON exports.

    A spreadsheet rather than CSV for Danish Excel, which reads a CSV's commas as text
    (its list separator is `;`) and shows each row in one cell. Text that Excel would
    run as a formula is stored as text; characters a workbook cannot hold (control
    characters) are dropped.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("casebank")
    headings = [t(f"export.col.{c}") for c in COLUMNS]
    sheet.append(headings)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, _readable(c, row.get(c), t)) for c in COLUMNS])
    about = book.create_sheet(t("export.sheet_about"))
    about.append([CREDIT])
    about.append([])
    about.append([t("export.columns")])
    for heading, column in zip(headings, COLUMNS, strict=True):
        about.append([heading, column])
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    """A workbook's file."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _readable(column: str, value: object, t: Translator) -> object:
    """A cell's value as a reader of `t`'s language says it (codes and countries)."""
    if value is None or value == "":
        return value
    if column == "countries" and isinstance(value, list):
        return [t.country(code) for code in value]
    if column in _CODED:
        return t.value(column, str(value))
    return value


def _xlsx_cell(sheet: Any, value: object) -> object:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never a formula, whatever the text begins with
    return cell


@_export(
    "/api/search.xlsx",
    "Export a search as an Excel workbook (all rows)",
    XLSX,
    "One row per case; the credit on a sheet",
    Response,
)
def search_xlsx(
    request: Request,
    query: SearchQuery = Depends(search_query),
    window: tuple[int | None, int] = Depends(export_window),
    res: Resources = Depends(resources),
) -> Response:
    """The CSV export's rows and columns as a workbook in the reader's language (the
    site's language cookie, else Accept-Language), which opens in Excel whatever its
    language (a CSV opens in one column in Danish Excel)."""
    t = Translator(language_of(request))
    found, rows = _search_rows(res, query, window, t)
    return Response(
        xlsx_bytes(rows, t),
        media_type=XLSX,
        headers=_headers("casebank-search.xlsx", found["total"]),
    )


# -- `.json` beside every page ------------------------------------------------------------


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data, headers={"Cache-Control": CACHE_CONTROL})


@router.get("/cases/{case_id}.json", include_in_schema=False)
def case_json(case_id: str, res: Resources = Depends(resources)) -> JSONResponse:
    """The case page's data: the merged case record."""
    return _json(res.store().get_case(case_id).model_dump(mode="json"))


@router.get("/organisations/{key:path}.json", include_in_schema=False)
def organisation_json(key: str, res: Resources = Depends(resources)) -> JSONResponse:
    """The organisation page's data: name, types and its cases with roles."""
    data = pages.organisation_data(res, key)
    return _json(
        {
            "name": data["name"],
            "org_types": data["org_types"],
            "cases": [
                {
                    "id": c["case"].id,
                    "title": c["case"].title,
                    "roles": c["roles"],
                    "countries": c["case"].countries,
                    "years": c["years"],
                    "stage": c["case"].stage,
                    "url": base_url(res) + case_url(c["case"].id),
                }
                for c in data["cases"]
            ],
        }
    )


def compared(
    request: Request,
    id: list[str] = Query([], max_length=pages.MAX_COMPARE * 4),  # `id`: the URL's name
    res: Resources = Depends(resources),
) -> tuple[list[Case], Translator]:
    """FastAPI dependency: the cases a compare address names, and the page's language."""
    return pages.compare_cases(res, id), Translator(language_of(request))


@router.get("/compare.json", include_in_schema=False)
def compare_json(
    compare: tuple[list[Case], Translator] = Depends(compared),
    res: Resources = Depends(resources),
) -> JSONResponse:
    """The compare page's data: the cases and the table's rows (labels in the page's language)."""
    cases, t = compare
    rows = present.compare_rows(cases, t)
    return _json(
        {
            "cases": [export_row(c, base_url(res)) for c in cases],
            "rows": [
                {"label": r.label, "cells": [[str(x) for x in c] for c in r.cells]} for r in rows
            ],
        }
    )


@router.get("/compare.xlsx", include_in_schema=False)
def compare_xlsx(
    compare: tuple[list[Case], Translator] = Depends(compared),
    res: Resources = Depends(resources),
) -> Response:
    """The compare page's table as a workbook: a row per fact, a column per case, in the
    page's language (for a note or a report; the page's own table does not copy well)."""
    cases, t = compare
    book = Workbook(write_only=True)
    sheet = book.create_sheet("casebank")
    sheet.append([""] + [present.case_title(c, t.lang).text for c in cases])
    for row in present.compare_rows(cases, t):
        cells = ["\n".join(str(x) for x in cell) for cell in row.cells]
        sheet.append([_xlsx_cell(sheet, v) for v in [row.label, *cells]])
    links = [base_url(res) + case_url(c.id) for c in cases]
    sheet.append([_xlsx_cell(sheet, v) for v in [t("export.col.url"), *links]])
    about = book.create_sheet(t("export.sheet_about"))
    about.append([CREDIT])
    headers = _headers("casebank-compare.xlsx", len(cases))
    return Response(_saved(book), media_type=XLSX, headers=headers)


@router.get("/search.json", include_in_schema=False)
def search_page_json(
    request: Request,
    query: SearchQuery = Depends(search_query),
    res: Resources = Depends(resources),
) -> JSONResponse:
    """The results page's data: the same page of results, facets and totals (`limit`, by
    default the page's size, and `offset` checked as the API checks them)."""
    params = request.query_params
    limit = optional_number("limit", params.get("limit"), 1, MAX_LIMIT) or pages.PAGE_SIZE
    offset = optional_number("offset", params.get("offset"), 0, MAX_OFFSET) or 0
    return _json(res.run_search(query, limit=limit, offset=offset))


@router.get("/index.json", include_in_schema=False)
@router.get("/.json", include_in_schema=False)
def home_json(res: Resources = Depends(resources)) -> JSONResponse:
    """The home page's data: counts by country, source and sector, and last updates."""
    store = res.store()
    return _json({"stats": store.stats(), "last_success": store.last_success()})


# -- the whole dataset --------------------------------------------------------------------

_PARTY_COLUMNS = ("case_id", "role", "name", "undisclosed", "org_type", "organisation_id")
_METRIC_COLUMNS = (
    "case_id",
    "metric_id",
    "definition",
    "definition_da",
    "target",
    "target_da",
    "price",
    "price_description",
    "price_description_da",
)


def _party_rows(cases: Iterable[Case]) -> Iterator[dict[str, Any]]:
    for c in cases:
        for p in c.parties:
            yield {
                "case_id": c.id,
                "role": p.role,
                "name": "undisclosed organisation" if p.undisclosed else p.name,
                "undisclosed": int(p.undisclosed),
                "org_type": p.org_type,
                "organisation_id": p.organisation_id,
            }


def _metric_rows(cases: Iterable[Case]) -> Iterator[dict[str, Any]]:
    for c in cases:
        for m in c.outcome_metrics:
            yield {
                "case_id": c.id,
                "metric_id": m.id,
                "definition": m.definition,
                "definition_da": m.definition_i18n.get("da"),
                "target": m.target,
                "target_da": m.target_i18n.get("da"),
                "price": _amount(m.price),
                "price_description": m.price_description,
                "price_description_da": m.price_description_i18n.get("da"),
            }


def _csv_text(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return "\ufeff" + buf.getvalue()


def _readme(n: int) -> str:
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    return (
        f"casebank dataset, {n} cases, exported {stamp}.\n\n"
        f"Credit and licence\n------------------\n{CREDIT}\n\n"
        "Files\n-----\n"
        "cases.csv            one row per case (columns as in /api/search.csv)\n"
        "parties.csv          one row per organisation and role in a case\n"
        "outcome_metrics.csv  one row per outcome metric paid for\n"
        "cases.jsonl          the full case records, one JSON object per line\n"
    )


def _download(path: str, summary: str, media_type: str, description: str):
    """The route of one whole-dataset download, with its media type in /docs."""
    return router.get(
        path,
        tags=["exports"],
        summary=summary,
        response_class=Response,
        responses={200: {"content": {media_type: {}}, "description": description}},
    )


@_download(
    "/download/casebank-csv.zip",
    "Whole dataset as CSV zip",
    "application/zip",
    "A zip of CSV files, a README and JSON Lines",
)
def dataset_zip(res: Resources = Depends(resources)) -> Response:
    """Every case (including projects in design) as CSV files with a README and credit."""
    cases = list(res.store().iter_cases())
    base = base_url(res)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", _readme(len(cases)))
        z.writestr("cases.csv", b"".join(csv_lines(export_row(c, base) for c in cases)))
        z.writestr("parties.csv", _csv_text(_PARTY_COLUMNS, _party_rows(cases)))
        z.writestr("outcome_metrics.csv", _csv_text(_METRIC_COLUMNS, _metric_rows(cases)))
        z.writestr(
            "cases.jsonl",
            "".join(c.model_dump_json() + "\n" for c in cases),
        )
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers=_headers("casebank-csv.zip", len(cases)),
    )


def _sql_value(value: Any) -> Any:
    return "; ".join(map(str, value)) if isinstance(value, list) else value


@_download(
    "/download/casebank.sqlite",
    "Whole dataset as SQLite",
    "application/vnd.sqlite3",
    "One SQLite database file",
)
def dataset_sqlite(res: Resources = Depends(resources)) -> Response:
    """Every case in one SQLite file: `cases`, `parties`, `outcome_metrics`, `metadata`."""
    cases = list(res.store().iter_cases())
    base = base_url(res)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "casebank.sqlite"
        db = sqlite3.connect(path)
        try:
            cols = (*COLUMNS, "record")
            db.execute(f"CREATE TABLE cases ({', '.join(cols)}, PRIMARY KEY (id))")
            db.executemany(
                f"INSERT INTO cases VALUES ({', '.join('?' * len(cols))})",
                (
                    [_sql_value(v) for v in export_row(c, base).values()] + [c.model_dump_json()]
                    for c in cases
                ),
            )
            for table, columns, rows in (
                ("parties", _PARTY_COLUMNS, _party_rows(cases)),
                ("outcome_metrics", _METRIC_COLUMNS, _metric_rows(cases)),
            ):
                db.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
                db.executemany(
                    f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})",
                    ([r[c] for c in columns] for r in rows),
                )
            db.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT)")
            db.executemany(
                "INSERT INTO metadata VALUES (?, ?)",
                [
                    ("credit", CREDIT),
                    ("source", "GO Lab INDIGO and the sources each case names"),
                    ("cases", str(len(cases))),
                    ("exported", datetime.now(UTC).replace(microsecond=0).isoformat()),
                ],
            )
            db.commit()
        finally:
            db.close()
        body = path.read_bytes()
    return Response(
        body,
        media_type="application/vnd.sqlite3",
        headers=_headers("casebank.sqlite", len(cases)),
    )
