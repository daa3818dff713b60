"""Search parameters shared by the JSON API and the results page, checked in one place.

Filter keys are the search service's: country, sector, stage, provider_model,
investor_model, start_year. Several values of one key OR together, different keys AND.
A value that cannot match anything (a stage that does not exist, a country code that is
not a country) is refused with a 400 naming the parameter, instead of an empty result the
user cannot explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from babel import Locale
from fastapi import Query

from corpus.errors import InvalidInput
from corpus.model import INVESTOR_MODELS, PROVIDER_MODELS, STAGES

#: Longest query accepted: a long paragraph. Longer input is refused, not silently cut.
MAX_QUERY = 1000
FILTER_KEYS: tuple[str, ...] = (
    "country",
    "sector",
    "stage",
    "provider_model",
    "investor_model",
    "start_year",
)
_CODED = {"stage": STAGES, "provider_model": PROVIDER_MODELS, "investor_model": INVESTOR_MODELS}
_COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code != "ZZ"  # ZZ is CLDR's "unknown region"
)


@dataclass(frozen=True)
class SearchQuery:
    """A checked search: query text, filters by key, and sort order."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"

    def params(self) -> list[tuple[str, str]]:
        """The query as URL parameters (what a shared link carries)."""
        out = [("q", self.q)] if self.q else []
        for key in FILTER_KEYS:
            out += [(key, v) for v in self.filters.get(key, [])]
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        return out


def _clean(values: list[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        v = v.strip()
        if v and v not in seen:
            seen.append(v)
    return seen


def check_filters(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Checked, normalised filters without blank values; InvalidInput names a bad one."""
    out: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        values = _clean(raw.get(key, []))
        if key == "country":
            values = [v.upper() for v in values]
            bad = [v for v in values if v not in _COUNTRIES]
            if bad:
                raise InvalidInput(
                    f"country: {bad[0]!r} is not an ISO 3166 alpha-2 country code (like DK, GB)"
                )
        elif key in _CODED:
            bad = [v for v in values if v not in _CODED[key]]
            if bad:
                raise InvalidInput(
                    f"{key}: unknown value {bad[0]!r}; expected one of {', '.join(_CODED[key])}"
                )
        elif key == "start_year":
            bad = [v for v in values if not (v.isdigit() and 1900 <= int(v) <= 2100)]
            if bad:
                raise InvalidInput(f"start_year: {bad[0]!r} is not a year between 1900 and 2100")
        elif key == "sector":
            bad = [v for v in values if len(v) > 200]
            if bad:
                raise InvalidInput("sector: a policy sector name is at most 200 characters")
        if values:
            out[key] = values
    return out


def search_query(
    q: str = Query("", max_length=MAX_QUERY, description="What to look for, in any language."),
    country: list[str] = Query([], description="ISO 3166 alpha-2 code, e.g. DK; repeatable."),
    sector: list[str] = Query([], description="INDIGO policy sector, e.g. Homelessness."),
    stage: list[str] = Query([], description="One of: " + ", ".join(STAGES) + "."),
    provider_model: list[str] = Query([], description="One of: " + ", ".join(PROVIDER_MODELS)),
    investor_model: list[str] = Query([], description="One of: " + ", ".join(INVESTOR_MODELS)),
    start_year: list[str] = Query([], description="Year the service started, e.g. 2019."),
    sort: Literal["relevance", "date"] = Query("relevance", description="relevance or date."),
) -> SearchQuery:
    """FastAPI dependency: the checked search of a request's query parameters."""
    filters = check_filters(
        {
            "country": country,
            "sector": sector,
            "stage": stage,
            "provider_model": provider_model,
            "investor_model": investor_model,
            "start_year": start_year,
        }
    )
    return SearchQuery(q=q.strip(), filters=filters, sort=sort)
