"""Language choice and formatting of numbers, money, dates and countries."""

from __future__ import annotations

import pytest

from corpus.model import Money, PartialDate
from web.i18n import Translator, negotiate, pick_language


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", "da"),
        ("en-GB,en;q=0.9,da;q=0.8", "en"),
        ("en;q=0.5,da;q=0.9", "da"),
        ("sv-SE,sv;q=0.9", "da"),  # Scandinavian readers get Danish
        ("de-DE,fr;q=0.8", "da"),  # nothing supported: the default
        ("fr, en-US;q=0.7", "en"),
        ("en;q=nonsense, da;q=0.1", "da"),
        ("", "da"),
        (None, "da"),
    ],
)
def test_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_a_valid_cookie_wins_and_a_bad_one_is_ignored() -> None:
    assert pick_language("en", "da") == "en"
    assert pick_language("xx", "en") == "en"


def plain(text: str) -> str:
    """CLDR puts no-break spaces between amount and currency; compare with plain spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_money_in_each_language() -> None:
    da, en = Translator("da"), Translator("en")
    exact = Money(currency="DKK", amount=15_000_000)
    assert plain(da.money(exact)) == "15.000.000 kr. (≈ 2.010.000 €)"  # ERM II central rate
    assert plain(en.money(Money(currency="GBP", amount=1234.5))) == "£1,234.50"
    ranged = Money(currency="EUR", amount_min=1_000_000, amount_max=2_000_000)
    assert plain(da.money(ranged)) == "1.000.000 € – 2.000.000 €"
    with_usd = Money(currency="SEK", amount=10_000_000, amount_usd=950_000)
    assert plain(en.money(with_usd)) == "SEK 10,000,000 ($950,000)"
    assert plain(en.money(Money(amount_usd=5))) == "$5"
    # A conversion's cents are noise on a large amount; a small price keeps them.
    assert plain(da.money(Money(currency="GBP", amount=4_500_000, amount_usd=6_003_750.02))) == (
        "4.500.000 £ (6.003.750 USD)"
    )
    assert plain(en.money(Money(currency="GBP", amount=150, amount_usd=196.43))) == (
        "£150 ($196.43)"
    )
    assert plain(da.money(None)) == "" and da.money(Money()) == ""
    # No currency given: the number says so, rather than pass for the case's others.
    assert plain(da.money(Money(amount=7))) == "7 (valuta ikke oplyst)"
    assert plain(en.money(Money(amount=7, amount_usd=9))) == "7 (currency not given; $9)"


def test_partial_dates_read_naturally() -> None:
    da, en = Translator("da"), Translator("en")
    assert da.date(PartialDate.parse("2019")) == "2019"
    assert plain(da.date(PartialDate.parse("2019-11"))) == "nov. 2019"
    assert plain(en.date(PartialDate.parse("2019-11-05"))) == "Nov 5, 2019"
    assert da.date(PartialDate.parse("2019-02-30")) == "2019-02-30"  # kept as given
    assert da.date(None) == ""


def test_names_and_coded_values() -> None:
    da = Translator("da")
    assert da.country("DK") == "Danmark" and da.country("gb") == "Storbritannien"
    assert da.country(None) == "Ukendt"
    assert da.value("stage", "complete") == "Afsluttet"
    assert da.value("sector", "A sector INDIGO may add") == "A sector INDIGO may add"
    assert da.value("sector", None) == "Ukendt"
    assert da("no.such.label") == "no.such.label"
    assert Translator("xx").lang == "da"


def test_moments_are_shown_on_the_danish_clock() -> None:
    da, en = Translator("da"), Translator("en")
    assert da.moment("2026-12-02T04:58:10+00:00") == "2. dec. 2026 05.58"
    assert en.moment("2026-12-02T04:58:10+00:00") == "Dec 2, 2026 05:58"
    # Late in the evening in Denmark is the next day there, in summer time too.
    assert da.moment("2026-12-01T23:30:00+00:00", with_time=False) == "2. dec. 2026"
    assert da.moment("2026-07-01T22:30:00") == "2. jul. 2026 00.30"  # naive: UTC
    assert da.moment(None) == "" and da.moment("not a time") == "not a time"


def test_a_public_body_named_for_its_place_is_said_as_the_place() -> None:
    da, en = Translator("da"), Translator("en")
    assert da.party_name("Brøndby Municipality", "government", "DK") == "Brøndby Kommune"
    assert en.party_name("Brøndby Municipality", "government", "DK") == "Brøndby Municipality"
    # Only public bodies: a company's or charity's name is its own.
    assert da.party_name("Acme Municipality", "company", "DK") == "Acme Municipality"


def test_a_fund_named_with_its_country_says_the_country_in_the_readers_language() -> None:
    """INDIGO ends most fund names in the English name of their country; the country
    stays (it tells apart funds of one name), said as the page says countries."""
    da, en = Translator("da"), Translator("en")
    assert (
        da.fund_name("Life Chances Fund - United Kingdom") == "Life Chances Fund - Storbritannien"
    )
    assert (
        en.fund_name("Life Chances Fund - United Kingdom") == "Life Chances Fund - United Kingdom"
    )
    assert (
        da.fund_name("Brabant Outcomes Fund - Netherlands")
        == "Brabant Outcomes Fund - Nederlandene"
    )
    assert da.fund_name("LOGRA Colombian Outcomes Fund") == "LOGRA Colombian Outcomes Fund"
    assert da.fund_name("Fund - not a country") == "Fund - not a country"


def test_places_say_the_country_once_and_a_municipality_in_the_readers_language() -> None:
    da, en = Translator("da"), Translator("en")
    assert da.place("Viborg Municipality, Denmark", None, "DK") == "Viborg Kommune, Danmark"
    assert da.place("Norrköping Municipality", None, "SE") == "Norrköping Kommune, Sverige"
    assert en.place("Viborg Municipality, Denmark", None, "DK") == "Viborg Municipality, Denmark"
    assert da.place("Helsinki", "Uusimaa", "FI") == "Helsinki, Uusimaa, Finland"
    assert da.place("Denmark (16 municipalities)", None, "DK") == (
        "Denmark (16 municipalities), Danmark"
    )
    assert da.place(None, None, None) == ""
    # The map's labels say the name alone.
    assert da.place_name("Aarhus Municipality", "DK") == "Aarhus Kommune"
    # Two sources' names of one place are one place.
    from corpus.model import Place

    two = [Place(name="Holbæk Municipality"), Place(name="Holbæk Municipality, Denmark")]
    assert da.places([Place(name=p.name, country="DK") for p in two]) == ["Holbæk Kommune, Danmark"]
    # A place its source describes says so in the reader's language where the file
    # gives it (the country is added by the page): "Denmark (16 municipalities),
    # Danmark" had stood on the Danish pages.
    group = Place(name="Denmark (16 municipalities)", country="DK",
                  name_i18n={"da": "16 kommuner", "en": "16 municipalities"})  # fmt: skip
    assert da.places([group]) == ["16 kommuner, Danmark"]
    assert en.places([group]) == ["16 municipalities, Denmark"]
