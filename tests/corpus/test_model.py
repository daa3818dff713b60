"""The Case model: partial dates, ISO codes, content hashing."""

import pytest
from pydantic import ValidationError

from corpus.model import Case, Money, PartialDate, case_id_for_indigo


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2016", "2016", "year"),
        ("2016-07", "2016-07", "month"),
        ("2016-07-01", "2016-07-01", "day"),
        (" 2016/07 ", "2016-07", "month"),
        ("2016-07-01T00:00:00", "2016-07-01", "day"),
    ],
)
def test_partial_dates_keep_their_precision(text, value, precision):
    date = PartialDate.parse(text)
    assert (date.value, date.precision, date.year) == (value, precision, int(value[:4]))


@pytest.mark.parametrize("text", ["July 2016", "2016-13", "2016-02-40", "16"])
def test_bad_dates_are_refused_with_the_text(text):
    with pytest.raises(ValueError, match="2016|16|month|day"):
        PartialDate.parse(text)


def test_empty_date_is_none():
    assert PartialDate.parse("") is None
    assert PartialDate.parse(None) is None


def test_codes_must_be_iso():
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money(currency="Swedish", amount=1)
    with pytest.raises(ValidationError, match="alpha-2"):
        Case(id="x", title="X", countries=["Denmark"])


def test_content_hash_ignores_provenance_but_not_content():
    a = Case(id="x", title="X", provenance=[{"source": "s", "record_id": "1", "fetched_at": "1"}])
    b = Case(id="x", title="X", provenance=[{"source": "s", "record_id": "1", "fetched_at": "2"}])
    c = Case(id="x", title="Y")
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_start_year_prefers_service_start():
    case = Case(
        id="x",
        title="X",
        dates={
            "contract_signed": PartialDate.parse("2015"),
            "service_start": PartialDate.parse("2016-03"),
        },
    )
    assert case.start_year == 2016
    assert case_id_for_indigo(" INDIGO-POJ-0077") == "indigo-poj-0077"
