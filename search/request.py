"""SearchRequest: one checked search, the same for the API, the pages, the exports and the CLI.

One set of limits and one rule per filter, so the JSON API, the results page, the CSV
export and `casebank search` cannot disagree about what a parameter means:

- `q`: NFKC-normalised, control characters removed, whitespace collapsed. At most
  `MAX_QUERY` (1,000) characters after that; a longer query is refused (422), never cut
  silently. The model reads about 512 tokens of it; the service cuts by tokens.
- `limit` 1-`MAX_LIMIT` (100), `offset` 0-`MAX_OFFSET`: a page; blank is the default
  (a form's empty field). Exports ask the service for the ids of every row instead
  (`SearchService.result_ids`), so no export is capped by the page size; their own
  optional window (`export_window`: `limit` 1-`MAX_EXPORT_ROWS`, `offset`) follows
  the same rules.
- `country`: ISO 3166 alpha-2, two ASCII letters (`dk` is read as `DK`; `ß`, which
  Python upper-cases to `SS`, is refused).
- `stage`, `provider_model`, `investor_model`, `instrument`: the model's codelists.
- `sector`: free text up to 200 characters (a sector nothing has simply matches nothing).
- `fund`: an outcomes-fund id such as `INDIGO-FUND-0012` (ASCII letters, digits, `-_.:`).
- `start_year`: four ASCII digits, 1900-2100. Superscript, fullwidth or other Unicode
  digits and 5,000-digit numbers are refused with a message, never a 500.
- `sort`: relevance, date or title.

Several values of one filter OR together, different filters AND. A bad value raises
`InvalidInput` (400) naming the parameter and the value; an out-of-range number or a
too-long query raises `OutOfRange` (422).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corpus.countries import country_codes
from corpus.errors import InvalidInput
from corpus.model import INSTRUMENTS, INVESTOR_MODELS, PROVIDER_MODELS, STAGES

MAX_QUERY = 1000
MAX_LIMIT = 100
MAX_OFFSET = 100_000
#: The most rows an export's `limit` may ask for (without one it has every row).
MAX_EXPORT_ROWS = 1_000_000
MAX_SECTOR = 200
SORTS: tuple[str, ...] = ("relevance", "date", "title")
#: Filter keys in the order facets are shown.
FILTER_KEYS: tuple[str, ...] = (
    "country",
    "sector",
    "stage",
    "provider_model",
    "investor_model",
    "instrument",
    "fund",
    "start_year",
)
CODELISTS: dict[str, tuple[str, ...]] = {
    "stage": STAGES,
    "provider_model": PROVIDER_MODELS,
    "investor_model": INVESTOR_MODELS,
    "instrument": INSTRUMENTS,
}
COUNTRIES = country_codes()
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)
#: An outcomes-fund id as a `fund` filter takes it (the API schema says the same).
FUND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", re.ASCII)


def _shown(value: str) -> str:
    """A bad value as an error message quotes it: at most 40 characters, then an ellipsis."""
    return value if len(value) <= 40 else value[:40] + "…"


class OutOfRange(InvalidInput):
    """A number or length outside its documented range (HTTP 422)."""

    status = 422


def clean_query(q: str | None) -> str:
    """The query as searched: NFKC-normalised, control and format characters (zero-width
    spaces, escapes) turned into spaces, whitespace collapsed. Not cut: see `MAX_QUERY`."""
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def _values(raw: Any) -> list[str]:
    """A parameter's values as stripped, distinct, non-empty strings, in order."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str | int) else list(raw)
    out: list[str] = []
    for item in items:
        value = str(item).strip()
        if value and value not in out:
            out.append(value)
    return out


def _country(value: str) -> str:
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise InvalidInput(
            f"country: {value!r} is not an ISO 3166 alpha-2 country code (two letters, like DK)"
        )
    code = value.upper()
    if code not in COUNTRIES:
        raise InvalidInput(f"country: {value!r} is not an ISO 3166 alpha-2 country code")
    return code


def _year(value: str) -> str:
    if not _YEAR.fullmatch(value):
        shown = value if len(value) <= 12 else value[:12] + "…"
        raise InvalidInput(
            f"start_year: {shown!r} is not a year written with four digits 0-9 (like 2019)"
        )
    if not 1900 <= int(value) <= 2100:
        raise OutOfRange(f"start_year: {value} is not between 1900 and 2100")
    return value


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    """A parameter's whole number, written with digits 0-9 and within `low`-`high`: the
    rule of every number a request carries (InvalidInput naming it, or OutOfRange)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if not _NUMBER.fullmatch(text):
            shown = text if len(text) <= 12 else text[:12] + "…"
            if text.isascii() and text.isdigit():  # digits, but too many to be in range
                raise OutOfRange(f"{name}: {shown} is outside {low}-{high}")
            raise InvalidInput(f"{name}: {shown!r} is not a whole number written with digits 0-9")
        number = int(text)
    if not low <= number <= high:
        raise OutOfRange(f"{name}: {number} is outside {low}-{high}")
    return number


class SearchRequest(BaseModel):
    """A checked search: the query, its filters, the page and the order.

    Build it with keywords (`SearchRequest(q="housing first", country=["DK"])`) or from a
    request's query string (`SearchRequest.from_query_params(request.query_params)`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str = ""
    limit: int = Field(10, description=f"Results per page (1-{MAX_LIMIT}).")
    offset: int = Field(0, description=f"Results to skip (0-{MAX_OFFSET}).")
    country: list[str] = Field(default_factory=list)
    sector: list[str] = Field(default_factory=list)
    stage: list[str] = Field(default_factory=list)
    provider_model: list[str] = Field(default_factory=list)
    investor_model: list[str] = Field(default_factory=list)
    instrument: list[str] = Field(default_factory=list)
    fund: list[str] = Field(default_factory=list)
    start_year: list[str] = Field(default_factory=list)
    sort: str = "relevance"

    def __init__(self, **data: Any) -> None:
        # Pydantic's own messages name internals; every rule here raises a domain error
        # with the parameter and value instead.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            causes = [e.get("ctx", {}).get("error") for e in exc.errors()]
            domain = next((c for c in causes if isinstance(c, InvalidInput)), None)
            if domain is not None:
                raise domain from None
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ())) or "request"
            raise InvalidInput(f"{where}: {first.get('msg', 'invalid value')}") from None

    @field_validator("q", mode="before")
    @classmethod
    def _q(cls, v: Any) -> str:
        text = clean_query(v if isinstance(v, str) else ("" if v is None else str(v)))
        if len(text) > MAX_QUERY:
            raise OutOfRange(
                f"q: the query has {len(text)} characters; at most {MAX_QUERY} are accepted"
            )
        return text

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> int:
        return whole_number("limit", v, 1, MAX_LIMIT)

    @field_validator("offset", mode="before")
    @classmethod
    def _offset(cls, v: Any) -> int:
        return whole_number("offset", v, 0, MAX_OFFSET)

    @field_validator("country", mode="before")
    @classmethod
    def _countries(cls, v: Any) -> list[str]:
        return list(dict.fromkeys(_country(x) for x in _values(v)))

    @field_validator("sector", mode="before")
    @classmethod
    def _sectors(cls, v: Any) -> list[str]:
        values = _values(v)
        for x in values:
            if len(x) > MAX_SECTOR:
                raise OutOfRange(f"sector: a policy sector name is at most {MAX_SECTOR} characters")
        return values

    @field_validator("stage", "provider_model", "investor_model", "instrument", mode="before")
    @classmethod
    def _coded(cls, v: Any, info: Any) -> list[str]:
        key = info.field_name
        out = []
        for x in _values(v):
            if x.lower() not in CODELISTS[key]:
                raise InvalidInput(
                    f"{key}: unknown value {_shown(x)!r}; use one of {', '.join(CODELISTS[key])}"
                )
            out.append(x.lower())
        return list(dict.fromkeys(out))

    @field_validator("fund", mode="before")
    @classmethod
    def _funds(cls, v: Any) -> list[str]:
        out = []
        for x in _values(v):
            if not FUND_ID.fullmatch(x):
                raise InvalidInput(
                    f"fund: {_shown(x)!r} is not an outcomes-fund id (like INDIGO-FUND-0012)"
                )
            out.append(x.upper())
        return list(dict.fromkeys(out))

    @field_validator("start_year", mode="before")
    @classmethod
    def _years(cls, v: Any) -> list[str]:
        return list(dict.fromkeys(_year(x) for x in _values(v)))

    @field_validator("sort", mode="before")
    @classmethod
    def _sort(cls, v: Any) -> str:
        value = str(v or "relevance").strip().lower()
        if value not in SORTS:
            raise InvalidInput(
                f"sort: unknown order {str(v)[:40]!r}; use one of {', '.join(SORTS)}"
            )
        return value

    # -- reading ----------------------------------------------------------------------------

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> SearchRequest:
        """The request of a URL query string (a Starlette `QueryParams`, a dict of lists or
        `(key, value)` pairs). Keys a search does not use (`page`, `lang`) are ignored."""
        if hasattr(params, "multi_items"):
            pairs = list(params.multi_items())  # type: ignore[union-attr]
        elif isinstance(params, Mapping):
            pairs = [(k, x) for k, v in params.items() for x in _as_list(v)]
        else:
            pairs = list(params)
        data: dict[str, Any] = {}
        for key, value in pairs:
            if key in FILTER_KEYS:
                data.setdefault(key, []).append(value)
            elif key in ("q", "sort"):
                data[key] = value
            elif key in ("limit", "offset") and str(value).strip():
                # Blank (a form's empty field) is the default, as a blank filter is none.
                data[key] = value
        return cls(**data)

    @property
    def filters(self) -> dict[str, list[str]]:
        """The filters that are set, by key (the service's and the facets' keys)."""
        return {k: list(getattr(self, k)) for k in FILTER_KEYS if getattr(self, k)}

    @property
    def include_pipeline(self) -> bool:
        """Projects still in design are shown only when the stage filter asks for them."""
        return "pipeline" in self.stage

    def replace(self, **changes: Any) -> SearchRequest:
        """A checked copy with some parameters changed (`req.replace(offset=20)`)."""
        data = self.model_dump()
        data.update(changes)
        return SearchRequest(**data)

    def params(self) -> list[tuple[str, str]]:
        """The search as URL parameters (what a shared link carries); the page is left out."""
        return self.params_with_filters({key: getattr(self, key) for key in FILTER_KEYS})

    def params_with_filters(self, filters: Mapping[str, list[str]]) -> list[tuple[str, str]]:
        """`params()` of the same search with these filters instead, not checked again:
        for the many links a results page builds from values its search reported (a
        facet's values), each of which a click checks on arrival. A checked copy of
        the request per link was a seventh of a results page's time."""
        out = [("q", self.q)] if self.q else []
        for key in FILTER_KEYS:
            out += [(key, v) for v in filters.get(key, ())]
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        return out


def optional_number(name: str, raw: str | None, low: int, high: int) -> int | None:
    """`whole_number` of a query-string value, or None when it is missing or blank (a
    form's empty field is no value, as a blank filter is none)."""
    return None if raw is None or not raw.strip() else whole_number(name, raw, low, high)


def export_window(limit: str | None, offset: str | None) -> tuple[int | None, int]:
    """An export's optional window, checked like a page's: `limit` rows (1-
    `MAX_EXPORT_ROWS`; None or blank: every row) after skipping `offset` (0-`MAX_OFFSET`)."""
    skip = optional_number("offset", offset, 0, MAX_OFFSET)
    return optional_number("limit", limit, 1, MAX_EXPORT_ROWS), skip or 0


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else [v]
