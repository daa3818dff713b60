"""SearchRequest: one limit and one rule per parameter, clear errors for bad input."""

from __future__ import annotations

import pytest

from corpus.errors import InvalidInput
from search.request import (
    MAX_EXPORT_ROWS,
    MAX_LIMIT,
    MAX_QUERY,
    OutOfRange,
    SearchRequest,
    export_window,
)


def test_keywords_and_query_string_give_the_same_request() -> None:
    by_keywords = SearchRequest(
        q="  housing   first ", country=["dk", "SE"], stage=["Complete"], fund=["indigo-fund-0012"]
    )
    by_params = SearchRequest.from_query_params(
        [("q", "housing first"), ("country", "DK"), ("country", "se"), ("stage", "complete"),
         ("fund", "INDIGO-FUND-0012"), ("page", "3"), ("lang", "da")]
    )  # fmt: skip
    assert by_keywords == by_params
    assert by_params.q == "housing first"
    assert by_params.filters == {
        "country": ["DK", "SE"],
        "stage": ["complete"],
        "fund": ["INDIGO-FUND-0012"],
    }
    assert SearchRequest.from_query_params({"country": ["DK", "FI"]}).country == ["DK", "FI"]


def test_blank_and_repeated_values_are_dropped() -> None:
    req = SearchRequest(country=["", "DK", " dk "], sector=["  ", "Health"])
    assert req.country == ["DK"] and req.sector == ["Health"]
    # A form's empty paging fields are the defaults, as its empty filters are none.
    blank = SearchRequest.from_query_params({"limit": "", "offset": " ", "sort": ""})
    assert (blank.limit, blank.offset, blank.sort) == (10, 0, "relevance")


def test_an_export_window_follows_the_page_rules() -> None:
    assert export_window(None, None) == (None, 0)
    assert export_window("", "") == (None, 0)
    assert export_window("250", "10") == (250, 10)
    with pytest.raises(InvalidInput, match=r"^limit: 'abc' is not a whole number"):
        export_window("abc", None)
    for limit, offset in (("0", None), (str(MAX_EXPORT_ROWS + 1), None), (None, "100001")):
        with pytest.raises(OutOfRange):
            export_window(limit, offset)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_year": "²⁰²⁰"}, "start_year"),  # superscript digits
        ({"start_year": "２０２０"}, "start_year"),  # fullwidth digits
        ({"start_year": "9" * 5000}, "start_year"),  # int() of this would raise
        ({"start_year": "20x1"}, "start_year"),
        ({"country": "ß"}, "country"),  # upper-cases to "SS"
        ({"country": "Denmark"}, "country"),
        ({"country": "XX"}, "country"),
        ({"country": "EU"}, "country"),  # a CLDR region, not a country the importers store
        ({"stage": "finished"}, "stage"),
        ({"provider_model": "ngo"}, "provider_model"),
        ({"investor_model": "bank"}, "investor_model"),
        ({"instrument": "bond"}, "instrument"),
        ({"fund": "fund 12; drop table"}, "fund"),
        ({"sort": "popularity"}, "sort"),
        ({"limit": "１０"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(params: dict, named: str) -> None:
    with pytest.raises(InvalidInput) as info:
        SearchRequest.from_query_params(params)
    message = str(info.value)
    assert message.startswith(named + ":")
    assert len(message) < 200  # a 5,000-digit value is not echoed whole


@pytest.mark.parametrize(
    "params",
    [
        {"start_year": "1850"},
        {"limit": "0"},
        {"limit": str(MAX_LIMIT + 1)},
        {"offset": "100001"},
        {"limit": "9" * 40},  # digits, too many of them: out of range, not "not a number"
        {"q": "x" * (MAX_QUERY + 1)},
        {"sector": "y" * 201},
    ],
)
def test_out_of_range_is_a_422(params: dict) -> None:
    with pytest.raises(OutOfRange) as info:
        SearchRequest.from_query_params(params)
    assert info.value.status == 422


def test_query_is_cleaned_before_it_is_measured() -> None:
    # Whitespace and zero-width characters do not count against the limit.
    req = SearchRequest(q="a" * MAX_QUERY + " \u200b  \t")
    assert req.q == "a" * MAX_QUERY
    assert SearchRequest(q="\x00\x1b[31mhomeless\u200b").q == "[31mhomeless"
    assert SearchRequest(q="ＴＵＢＡ").q == "TUBA"


def test_replace_and_params_round_trip() -> None:
    req = SearchRequest(q="rygestop", country=["DK"], sort="date", limit=20)
    page2 = req.replace(offset=20)
    assert page2.offset == 20 and page2.q == req.q
    with pytest.raises(OutOfRange):
        req.replace(limit=1000)
    assert req.params() == [("q", "rygestop"), ("country", "DK"), ("sort", "date")]
    assert SearchRequest.from_query_params(req.params()).filters == req.filters
    # Another filter set in the same order a checked request would give: q, the
    # filters in their fixed order, sort (a link's parameters decide its cache key).
    other = req.params_with_filters({"sector": ["Health"], "country": ["SE", "FI"]})
    assert other == [
        ("q", "rygestop"),
        ("country", "SE"),
        ("country", "FI"),
        ("sector", "Health"),
        ("sort", "date"),
    ]
    assert SearchRequest.from_query_params(other).params() == other
    assert SearchRequest(stage=["pipeline"]).include_pipeline
    assert not SearchRequest().include_pipeline
