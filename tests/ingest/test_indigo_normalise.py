"""Normalisation of the values INDIGO (and other sources) give: strict, never guessing."""

from __future__ import annotations

import pytest

from ingest.normalise import (
    clean_text,
    organisation_type,
    parse_country,
    parse_currency,
    parse_date,
    parse_number,
    role_category_type,
)


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Swedish", "SEK"),
        ("Russian Ruble", "RUB"),
        ("Russian rubles", "RUB"),
        ("Japanese Yen", "JPY"),
        ("NZ dollar", "NZD"),
        ("Swiss Francs", "CHF"),
        ("Israeli new shekels", "ILS"),
        ("South African Rand", "ZAR"),
        ("South Korean Won", "KRW"),
        ("Danish Krone", "DKK"),
        ("euros", "EUR"),
        ("AUD ", "AUD"),
        ("gbp", "GBP"),
    ],
)
def test_currency_words_become_iso_codes(word, code):
    assert parse_currency(word) == code


@pytest.mark.parametrize("word", ["Krone", "dollars", "XYZ", "£", "Russian"])
def test_unknown_or_ambiguous_currency_words_are_reported(word):
    with pytest.raises(ValueError, match="unknown currency"):
        parse_currency(word)


def test_empty_currency_is_none():
    assert parse_currency("  ") is None and parse_currency(None) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1500", 1500.0),
        ("1,000", 1000.0),
        ("2,500,000.50", 2500000.5),
        (" -3.25 ", -3.25),
        (7, 7.0),
    ],
)
def test_numbers(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text", ["£2m", "C$1.3M", "1,00", "12,3456", "about 300", "=D41", "$", True]
)
def test_numbers_with_units_or_signs_are_reported(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)


def test_partial_dates_keep_their_precision():
    assert parse_date("2016").precision == "year"
    assert parse_date("2016/07").value == "2016-07"
    assert parse_date("2016-07-01").precision == "day"
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("2018-13")
    with pytest.raises(ValueError):
        parse_date("July 2016")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GB", "GB"),
        ("dk", "DK"),
        ("UK", "GB"),
        ("Finland", "FI"),
        ("United States", "US"),
        ("India ", "IN"),
        ("USA", "US"),
        ("Sweden", "SE"),
    ],
)
def test_countries(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize("text", ["EU", "ZZ", "XX", "Washington DC, US", "Scandinavia"])
def test_unknown_countries_are_reported(text):
    with pytest.raises(ValueError, match="unknown country"):
        parse_country(text)


def test_clean_text_tidies_multi_line_cells():
    raw = "  First\u00a0 line  \r\nsecond\tline\r\n\r\n\r\n\r\nNew paragraph \n"
    assert clean_text(raw) == "First line\nsecond line\n\nNew paragraph"
    assert clean_text(" \n \r\n ") is None
    assert clean_text("Cafe\u0301") == "Café"  # NFC


def test_organisation_types_and_role_categories():
    assert organisation_type("Government body") == "government"
    assert (
        organisation_type("Registered company, partnership or commercial association") == "company"
    )
    assert organisation_type("") is None
    assert role_category_type("Foundation/Philanthropist") == "foundation"
    assert (
        role_category_type("High Net Worth Individual/Family Office/Private Bank") == "individual"
    )
    assert role_category_type("Impact Investor ") == "investment_fund"
    assert role_category_type("Commercia") == "company"  # truncated in the export
    with pytest.raises(ValueError, match="unknown role category: 'Commerce'"):
        role_category_type("Commerce")
    with pytest.raises(ValueError, match="unknown organisation type"):
        organisation_type("Club")


def test_country_codes_are_those_of_the_indigo_codelist(indigo_schema_dir):
    lines = (indigo_schema_dir / "codelists" / "countries.csv").read_text("utf-8").split()
    codelist = {line.strip() for line in lines[1:] if line.strip()}
    assert len(codelist) > 200
    assert {code for code in codelist if parse_country(code) == code} == codelist
    # And no other pair of letters passes as a country.
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    others = {a + b for a in letters for b in letters} - codelist
    accepted = set()
    for code in others:
        try:
            parse_country(code)
            accepted.add(code)
        except ValueError:
            pass
    # Two-letter words that are country aliases, not codes, are the only exceptions.
    assert accepted == {"UK"}
