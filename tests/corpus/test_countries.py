"""The one list of countries that the importers, the search filter and the pages share."""

from corpus.countries import NOT_COUNTRIES, country_codes, english_names
from ingest.normalise import parse_country
from search.request import COUNTRIES


def test_codes_are_iso_alpha2_countries_only() -> None:
    codes = country_codes()
    assert {"DK", "SE", "FI", "GB", "US"} <= codes
    assert not codes & NOT_COUNTRIES  # EU, UN, ZZ... are regions or placeholders
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in codes)


def test_importers_and_search_filter_accept_the_same_codes() -> None:
    assert country_codes() == COUNTRIES
    assert all(parse_country(code) == code for code in country_codes())


def test_english_names_are_what_sources_write() -> None:
    names = english_names()
    assert set(names) == country_codes()
    assert names["DK"] == "Denmark" and names["FI"] == "Finland"
    assert parse_country(names["SE"]) == "SE"
