"""The HTML pages: home, search results, case, compare, organisation, about, language switch.

Every page works without JavaScript: the search, facets, sorting, paging and the compare
selection are plain links and GET forms, so the URL always holds the whole state.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from corpus.errors import CasebankError, InvalidInput, NotFound
from corpus.model import Case
from corpus.store import org_key
from search.request import MAX_LIMIT, MAX_OFFSET, MAX_QUERY, optional_number
from web import present
from web.errors import PageError, PageNotFound
from web.i18n import COOKIE, LANGUAGES, Translator
from web.params import FILTER_KEYS, SearchQuery, check_filters, search_query
from web.resources import Resources, resources
from web.templating import case_url, language_of, query_url, render, templates

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
MAX_COMPARE = 4
#: Facet values in view, and at most in all (the rest stay reachable through URL and API).
FACET_SHOWN = 6
FACET_LIMIT = 40
#: The countries Danish municipalities compare themselves with first.
NORDIC = ("DK", "SE", "NO", "FI", "IS")
EXAMPLE_QUERIES = {
    "da": ["hjemløse unge housing first", "beskæftigelse for flygtninge", "anbragte børn"],
    "en": ["Housing First for young homeless people", "reducing reoffending", "diabetes"],
}


@router.get("/")
def home(request: Request, res: Resources = Depends(resources)) -> Response:
    """Search box, a short explanation and what the knowledge base holds."""
    store = res.store()
    lang = language_of(request)
    t = Translator(lang)
    try:
        overview = res.overview(SearchQuery(), t)
    except CasebankError:
        overview = None  # the search service cannot run: the counts below still show
    stats = res.stats()
    # The lists link to searches, which leave projects in design out: they count the same.
    searched = res.searched_stats()
    pipeline = stats["cases"] - searched["cases"]
    return render(
        request,
        "home.html",
        {
            "stats": stats,
            "by_country": searched["by_country"],
            "sectors": _sectors_by_label(searched["by_sector"], t),
            "last_success": store.last_success(),
            "source_status": store.source_status(),
            "examples": EXAMPLE_QUERIES[lang],
            "nordic_url": query_url("/search", [("country", c) for c in NORDIC]),
            "pipeline": pipeline,
            "visible": searched["cases"],
            "pipeline_url": query_url("/search", [("stage", "pipeline")]),
            "overview": overview,
            "alternate_json": "/index.json",
        },
    )


def _sectors_by_label(counts: dict[str, int], t: Translator) -> list[dict[str, Any]]:
    """Policy areas with their counts, INDIGO's two spellings of one area counted once."""
    out: dict[str, dict[str, Any]] = {}
    for sector, n in counts.items():
        if sector == "unknown":
            label, values = t("value.unknown"), []
        else:
            label, values = t.value("sector", present.sector_group(sector)), [sector]
        entry = out.setdefault(label, {"label": label, "n": 0, "values": []})
        entry["n"] += n
        entry["values"] += values
    for entry in out.values():
        entry["url"] = (
            query_url("/search", [("sector", v) for v in entry["values"]])
            if entry["values"]
            else None
        )
    return sorted(out.values(), key=lambda e: (-e["n"], e["label"]))


def _toggle(query: SearchQuery, key: str, value: str) -> str:
    """URL of the same search with one filter value switched on or off (back to page 1)."""
    filters = {k: list(v) for k, v in query.filters.items()}
    values = filters.setdefault(key, [])
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    return query_url("/search", query.params_with_filters(filters))


def _facet_names(facets: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The display names the search service sends for coded facet values (a fund's
    name for its id), by `(key, value)`."""
    return {
        (key, str(e["value"])): e["label"]
        for key, entries in (facets or {}).items()
        for e in entries
        if e.get("label")
    }


def _facet_label(
    t: Translator, key: str, value: str, names: dict[tuple[str, str], str] | None = None
) -> str:
    """A facet value as the reader sees it: the service's name for a coded value (a
    fund), else the translated codelist label, the country's name or the year."""
    if names and (key, value) in names:
        return t.fund_name(names[key, value]) if key == "fund" else names[key, value]
    if key == "country":
        return t.country(value)
    if key == "start_year":
        return str(value)
    return t.value(key, value)


def _merge_same_labels(items: list[dict], query: SearchQuery, key: str) -> list[dict]:
    """Values shown under one label (INDIGO's two spellings of a policy area) become one item.

    The merged item counts both and its link switches both values together.
    """
    by_label: dict[str, dict] = {}
    for item in items:
        first = by_label.get(item["label"])
        if first is None:
            by_label[item["label"]] = {**item, "values": [item["value"]]}
            continue
        first["values"].append(item["value"])
        if item["count"] is not None:
            first["count"] = (first["count"] or 0) + item["count"]
        first["active"] = first["active"] or item["active"]
    for item in by_label.values():
        if len(item["values"]) > 1:
            item["url"] = _toggle_many(query, key, item["values"], item["active"])
    return list(by_label.values())


def _toggle_many(query: SearchQuery, key: str, values: list[str], active: bool) -> str:
    filters = {k: list(v) for k, v in query.filters.items()}
    kept = [v for v in filters.get(key, []) if v not in values]
    filters[key] = kept if active else kept + values
    return query_url("/search", query.params_with_filters(filters))


def facet_groups(
    query: SearchQuery, facets: dict[str, Any], t: Translator, pipeline: int | None = None
) -> list[dict]:
    """Facets for the page: per key its values with label, count, state and toggle URL.

    `pipeline` is the number of projects in design, which searches leave out unless the
    stage filter asks for them: their facet item shows that count.
    """
    groups = []
    names = _facet_names(facets)
    for key in FILTER_KEYS:
        active = query.filters.get(key, [])
        items = []
        for entry in facets.get(key) or []:
            value = str(entry["value"])
            items.append(
                {
                    "value": value,
                    "label": _facet_label(t, key, value, names),
                    "count": entry["count"],
                    "active": value in active,
                    "url": _toggle(query, key, value),
                }
            )
        # Selected values stay visible (and removable) even when they match nothing now.
        shown = {i["value"] for i in items}
        for value in active:
            if value not in shown:
                items.append(
                    {
                        "value": value,
                        "label": _facet_label(t, key, value),
                        "count": 0,
                        "active": True,
                        "url": _toggle(query, key, value),
                    }
                )
        if key == "stage" and "pipeline" not in {i["value"] for i in items}:
            # Projects still in design are left out of searches unless asked for: offer them.
            items.append(
                {
                    "value": "pipeline",
                    "label": _facet_label(t, key, "pipeline"),
                    "count": pipeline,
                    "active": False,
                    "url": _toggle(query, key, "pipeline"),
                }
            )
        if key == "sector":
            items = _merge_same_labels(items, query, key)
        if key == "start_year":
            items.sort(key=lambda i: i["value"], reverse=True)
        selected = [i for i in items if i["active"]]
        rest = [i for i in items if not i["active"]]
        # Selected values first; a few more in view, the rest behind "More" (a <details>).
        visible = selected + rest[: max(FACET_SHOWN - len(selected), 0)]
        more = rest[len(visible) - len(selected) : FACET_LIMIT]
        if visible or more:
            groups.append({"key": key, "title": t("facet." + key), "items": visible, "more": more})
    return groups


def _page_url(base: list[tuple[str, str]], n: int) -> str:
    return query_url("/search", [*base, ("page", str(n))] if n > 1 else base)


def pager(base: list[tuple[str, str]], page: int, pages: int) -> list[dict[str, Any]]:
    """Page links: first, last and two either side of the current page, gaps as None."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[dict[str, Any]] = []
    for n in wanted:
        if out and n - out[-1]["n"] > 1:
            out.append({"n": None})
        out.append({"n": n, "url": _page_url(base, n), "current": n == page})
    return out


async def page_search_query(request: Request) -> SearchQuery:
    """`search_query` for the results page: a bad value is told in the reader's language.

    A query too long is the only thing wrong with a query alone; anything else is a filter
    or sort the page does not know (an old or cut link), and the error page's search form
    offers the reader's words again without them.
    """
    try:
        return await search_query(request)
    except InvalidInput as exc:
        words = _words(request)
        if words is None:
            raise PageError(
                str(exc), "error.long_query", status=exc.status, values={"max": MAX_QUERY}
            ) from None
        raise PageError(str(exc), "error.bad_filter", status=exc.status, query=words) from None


def _words(request: Request) -> SearchQuery | None:
    """The request's query alone, for the error page's search form; None when the query
    itself is what is wrong (too long)."""
    try:
        return SearchQuery(q=request.query_params.get("q", ""))
    except InvalidInput:
        return None


async def page_window(request: Request) -> tuple[int, int, int | None]:
    """The results page's `page`, `limit` and `offset` (None: not given), by the rules the
    API's numbers follow (`search.request.optional_number`; blank is not given); a bad
    one is told in the reader's language."""
    params = request.query_params
    try:
        page = optional_number("page", params.get("page"), 1, MAX_OFFSET) or 1
        limit = optional_number("limit", params.get("limit"), 1, MAX_LIMIT) or PAGE_SIZE
        offset = optional_number("offset", params.get("offset"), 0, MAX_OFFSET)
    except InvalidInput as exc:
        raise PageError(
            str(exc), "error.bad_page", status=exc.status, query=_words(request)
        ) from None
    return page, limit, offset


@router.get("/search")
def search_page(
    request: Request,
    query: SearchQuery = Depends(page_search_query),
    window: tuple[int, int, int | None] = Depends(page_window),
    res: Resources = Depends(resources),
) -> Response:
    """Results with count, facets, sorting, paging and the compare selection.

    Links page with `page`; `limit` and `offset` work as in the API (a shared API link
    opened in the browser shows the same results).
    """
    page, limit, offset = window
    t = Translator(language_of(request))
    if offset is None:
        offset = (page - 1) * limit
    else:
        page = offset // limit + 1
    # A page past every page the search pages (an old link, `page=9999`) is past the end
    # like any other page after the last: the reader is told which pages there are.
    found = res.run_search(query, limit=limit, offset=offset if offset <= MAX_OFFSET else 0)
    if offset > MAX_OFFSET:
        found["results"] = []
    total = found["total"]
    pages = max(1, math.ceil(total / limit))
    past_end = page > pages and total > 0
    base = query.params() + ([("limit", str(limit))] if limit != PAGE_SIZE else [])
    names = _facet_names(found.get("facets") or {})
    active = [
        {"label": f"{t('facet.' + k)}: {_facet_label(t, k, v, names)}", "url": _toggle(query, k, v)}
        for k in FILTER_KEYS
        for v in query.filters.get(k, [])
    ]
    pipeline = res.pipeline_count()
    cards = res.cards_of(r["id"] for r in found["results"])
    picked = [x for x in request.query_params.getlist("id") if x.strip()]
    compare_error = _compare_error(request, t)
    return render(
        request,
        "results.html",
        {
            "query": query,
            "results": found["results"],
            "views": [
                present.hit_view(r, cards.get(r["id"]), t, query.q) for r in found["results"]
            ],
            "picked": set(picked),
            "compare_error": compare_error,
            "back": query_url("/search", base + ([("page", str(page))] if page > 1 else [])),
            "overview": res.overview(query, t),
            "pipeline_hidden": (
                pipeline if "pipeline" not in query.filters.get("stage", []) else 0
            ),
            "pipeline_url": _toggle(query, "stage", "pipeline"),
            "total": total,
            "matched": found["matched"],
            "understood": found.get("understood") or [],
            "page": page,
            "pages": pages,
            "past_end": past_end,
            "last_url": _page_url(base, pages),
            "first": offset + 1,
            "facets": facet_groups(query, found.get("facets") or {}, t, pipeline),
            "active": active,
            "clear_url": query_url("/search", [("q", query.q)]),
            "sort_urls": {
                s: query_url("/search", query.replace(sort=s).params())
                for s in ("relevance", "date")
            },
            "pager": pager(base, page, pages),
            # Past the end, "previous" is the last page, not another empty one.
            "prev_url": _page_url(base, min(page - 1, pages)) if page > 1 else None,
            "next_url": _page_url(base, page + 1) if page < pages else None,
            "xlsx_url": query_url("/api/search.xlsx", query.params()),
            "csv_url": query_url("/api/search.csv", query.params()),
            "json_url": query_url("/api/search.json", query.params()),
            "jsonl_url": query_url("/api/search.jsonl", query.params()),
            "page_json_url": query_url("/search.json", [*base, ("offset", str(offset))]),
            "alternate_json": query_url("/search.json", [*base, ("offset", str(offset))]),
        },
    )


@router.get("/cases")
def all_cases(request: Request) -> Response:
    """Every case is the search without a query ("Alle sager" in the menu): a case's
    address with its id left off leads there, filters kept, instead of to a 404."""
    target = "/search" + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(target, status_code=307)


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: str,
    similar_in: str | None = Query(None, description="Similar cases only in this country."),
    res: Resources = Depends(resources),
) -> Response:
    """Everything known about one case (by id, alias or external id such as INDIGO-POJ-0077)."""
    try:
        case = res.store().get_case(case_id)
    except NotFound as exc:
        raise PageNotFound(str(exc), "error.no_case") from None
    t = Translator(language_of(request))
    country = (check_filters({"country": [similar_in or ""]}).get("country") or [None])[0]
    try:
        similar: list[dict] | None = res.similar(case.id, limit=5, country=country)
    except CasebankError:
        similar = None  # no index yet: the page still shows the case
    cards = res.cards_of(r["id"] for r in similar or [])
    url = res.settings.absolute(case_url(case.id))
    # Narrow similar cases to Denmark or to a country of the case (links, no script).
    choices = [None, *dict.fromkeys(["DK", *case.countries])]
    similar_links = [
        {
            "label": t.country(c) if c else t("case.similar_anywhere"),
            "url": query_url(case_url(case.id), [("similar_in", c)] if c else []) + "#similar",
            "current": c == country,
        }
        for c in choices
    ]
    return render(
        request,
        "case.html",
        {
            "case": case,
            "title": present.case_title(case, t.lang),
            "texts": {
                f: present.case_text(case, f, t.lang)
                for f in ("social_challenge", "target_population", "intervention")
            },
            "metric_text": present.metric_text,
            # Per result, the outcome metric it reports on and its number (or None).
            "result_metrics": [present.result_metric(case, r) for r in case.results],
            "metric_target": present.metric_target,
            "source_titles": present.source_titles,
            "party_name": present.party_name,
            "localized": present.localized,
            "other_names": present.other_names,
            "unverified": present.is_unverified,
            "parties": present.parties_by_role(case),
            "dates": present.ordered_dates(case),
            "years": present.years(case),
            "eur_rates": present.eur_rates(case),
            "summaries": present.summaries(case, t.lang),
            "documents": present.dedupe_links(present.links(case.documents)),
            "sources": present.dedupe_links(present.links(case.sources)),
            "safe_url": present.safe_url,
            "basis": present.basis,
            "is_indigo": present.is_indigo(case),
            "similar": similar,
            "similar_titles": {
                r["id"]: present.hit_view(r, cards.get(r["id"]), t)["title"] for r in similar or []
            },
            "picked": set(request.query_params.getlist("id")),
            "compare_error": _compare_error(request, t),
            "similar_links": similar_links,
            "cite": present.cite(case, url, t),
            "alternate_json": case_url(case.id) + ".json",
        },
    )


def _compare_error(request: Request, t: Translator) -> str | None:
    """The message for a compare sent back with too few or too many cases ticked."""
    problem = request.query_params.get("compare_error")
    picked = [x for x in request.query_params.getlist("id") if x.strip()]
    if problem == "same":
        return t("compare.error_same")
    if problem == "need":
        return t("compare.error_need", max=MAX_COMPARE, n=len(picked))
    return None


def compare_cases(res: Resources, ids: list[str]) -> list[Case]:
    """The distinct cases to compare; PageError when there are not 2 to MAX_COMPARE."""
    ids = list(dict.fromkeys(x.strip() for x in ids if x.strip()))
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise PageError(
            f"choose 2 to {MAX_COMPARE} cases to compare (got {len(ids)}); tick them in the "
            "search results or on a case page",
            "compare.need",
        )
    store = res.store()
    cases = list({c.id: c for c in (store.get_case(x) for x in ids)}.values())
    if len(cases) < 2:
        raise PageError(
            "these ids name the same case; choose at least two different cases", "compare.need"
        )
    return cases


@router.get("/compare")
def compare_page(
    request: Request,
    id: list[str] = Query([], max_length=MAX_COMPARE * 4),  # `id` is the URL's name
    back: str | None = Query(None, max_length=4000),
    res: Resources = Depends(resources),
) -> Response:
    """Two to four cases side by side, row by row.

    Sent from the results page (`back` is that page) with too few or too many ticks, the
    reader goes back there with a message and the ticks kept, instead of an error page.
    """
    if back is not None:
        ids = list(dict.fromkeys(x.strip() for x in id if x.strip()))
        same = 2 <= len(ids) <= MAX_COMPARE and len({_resolved(res, x) for x in ids}) < 2
        if not 2 <= len(ids) <= MAX_COMPARE or same:
            target = _local_path(back)
            if not target.startswith(("/search", "/cases/")):
                target = "/search"
            extra = urlencode(
                [("compare_error", "same" if same else "need")] + [("id", x) for x in ids]
            )
            sep = "&" if "?" in target else "?"
            return RedirectResponse(f"{target}{sep}{extra}#compare", status_code=303)
    try:
        cases = compare_cases(res, id)
    except NotFound as exc:
        raise PageNotFound(str(exc), "error.compare_missing") from None
    t = Translator(language_of(request))
    return render(
        request,
        "compare.html",
        {
            "cases": cases,
            "rows": present.compare_rows(cases, t),
            "lead_and_rest": present.lead_and_rest,
            "case_title": present.case_title,
            "json_url": query_url("/compare.json", [("id", c.id) for c in cases]),
            "xlsx_url": query_url("/compare.xlsx", [("id", c.id) for c in cases]),
        },
    )


def _resolved(res: Resources, key: str) -> str:
    """A case's id by any of its names (unknown names stay as given)."""
    return res.store().find_case_id(key) or key


def organisation_data(res: Resources, key: str) -> dict[str, Any]:
    """An organisation's name, types and cases with its roles; NotFound when unknown."""
    store = res.store()
    rows = store.organisation_cases(key)
    if not rows:
        raise NotFound(f"no organisation {key!r} in any case")
    cases: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["case_id"] not in cases:
            case = store.get_case(r["case_id"])
            cases[case.id] = {"case": case, "years": present.years(case), "roles": []}
        if r["role"] not in cases[r["case_id"]]["roles"]:
            cases[r["case_id"]]["roles"].append(r["role"])
    org_types = sorted({r["org_type"] for r in rows if r["org_type"] != "unknown"})
    # Named as its own key's parties name it (others of the same name may be listed too).
    own = {key, org_key(key)}
    name = next((r["name"] for r in rows if r["org_key"] in own), rows[0]["name"])
    return {"name": name, "org_types": org_types, "cases": list(cases.values())}


@router.get("/organisations/{key:path}")
def organisation_page(request: Request, key: str, res: Resources = Depends(resources)) -> Response:
    """The cases an organisation took part in, with its role in each."""
    try:
        data = organisation_data(res, key)
    except NotFound as exc:
        raise PageNotFound(str(exc), "error.no_organisation") from None
    return render(
        request,
        "organisation.html",
        {
            **data,
            "case_title": present.case_title,
            "json_url": query_url(f"/organisations/{quote(key, safe=':')}.json", []),
        },
    )


@router.get("/about")
def about_page(request: Request, res: Resources = Depends(resources)) -> Response:
    """Sources with credits, their last successful update, and what the fields mean."""
    store = res.store()
    last_success = store.last_success()
    by_source = res.stats()["by_source"]
    # INDIGO first (the main source, credited by name), then every source the store knows.
    sources = list(dict.fromkeys(["indigo", "corpus", *sorted({*by_source, *last_success})]))
    return render(
        request,
        "about.html",
        {
            "sources": sources,
            "last_success": last_success,
            "by_source": by_source,
            "source_status": store.source_status(),
            "review_items": store.review_items(),
        },
    )


@router.get("/docs")
def api_docs(request: Request) -> Response:
    """Interactive API documentation (Swagger UI from the fastapi-offline package's files)."""
    return templates.TemplateResponse(request, "docs.html")


def _local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else `/`: the switch never redirects away."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = Query(None, max_length=4000)) -> Response:
    """Keep the chosen language in a cookie for a year and go back to the page."""
    if code not in LANGUAGES:
        raise NotFound(f"no language {code!r}; choose one of {', '.join(LANGUAGES)}")
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
