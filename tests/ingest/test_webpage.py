"""The page toolkit the national scrapers share: facts, sections, names, money, dates."""

import pytest
from bs4 import BeautifulSoup

from ingest.sources.webpage import (
    StructureChanged,
    facts,
    indigo_id,
    parse_loose_date,
    parse_money,
    require,
    section_items,
    section_text,
    sections,
    slug_of,
    split_names,
)


def soup(html):
    return BeautifulSoup(html, "lxml")


def test_facts_in_every_shape_sites_use():
    page = soup(
        """<main>
        <dl><dt>Investeringssum</dt><dd>23,2 mio. kr.</dd></dl>
        <table><tr><th>Location</th><td>Boston, MA</td></tr></table>
        <p><strong>DSI’s andel:</strong><br>11,6 mio. kr.</p>
        <ul><li><b>Sijoittajat:</b> Sitra ja Eläkeyhtiö</li></ul>
        <h4>Varighed:</h4><p>Fem år</p>
        <p><strong>Not a label</strong> because it has no colon</p>
        </main>"""
    )
    assert facts(page) == {
        "investeringssum": "23,2 mio. kr.",
        "location": "Boston, MA",
        "dsi's andel": "11,6 mio. kr.",
        "sijoittajat": "Sitra ja Eläkeyhtiö",
        "varighed": "Fem år",
    }


def test_sections_stop_at_the_next_heading_of_the_same_level():
    page = soup(
        "<main><h2>Formål</h2><p>A</p><h3>Detalje</h3><p>B</p><h2>Indsats</h2>"
        "<ul><li>x</li><li>y</li></ul></main>"
    )
    heads = sections(page)
    assert section_text(heads["formål"]) == "A\n\nDetalje\n\nB"
    assert section_items(heads["indsats"]) == ["x", "y"]
    assert section_text(None) is None


def test_require_names_what_is_missing():
    with pytest.raises(StructureChanged, match="the title \\(h1\\) not found"):
        require(soup("<p>x</p>").find("h1"), "the title (h1)")


def test_names_are_split_but_compound_names_kept():
    assert split_names("Aarhus Kommune, Bikubenfonden og Hjem til Alle") == [
        "Aarhus Kommune",
        "Bikubenfonden",
        "Hjem til Alle",
    ]
    assert split_names("Social- og Boligministeriet; Työ- ja elinkeinoministeriö") == [
        "Social- og Boligministeriet",
        "Työ- ja elinkeinoministeriö",
    ]
    assert split_names(None) == []


@pytest.mark.parametrize(
    ("text", "default", "currency", "amount"),
    [
        ("23,2 mio. kr.", "DKK", "DKK", 23_200_000),
        ("1.500.000 kr", "DKK", "DKK", 1_500_000),
        ("10 miljoner kronor", "SEK", "SEK", 10_000_000),
        ("ca. 10 mkr", "SEK", "SEK", 10_000_000),
        ("0,6 miljoonaa euroa", None, "EUR", 600_000),
        ("£1,181,570", None, "GBP", 1_181_570),
        ("£1.8m", None, "GBP", 1_800_000),
        ("$21.76 million", None, "USD", 21_760_000),
        ("DKK 23 million", None, "DKK", 23_000_000),
    ],
)
def test_money_in_nordic_and_english_writing(text, default, currency, amount):
    money = parse_money(text, default)
    assert (money.currency, money.amount) == (currency, amount)


def test_no_number_no_money():
    assert parse_money("ikke oplyst", "DKK") is None
    assert parse_money(None) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("October 2014", "2014-10"),
        ("2016-04-01", "2016-04-01"),
        ("10/2014", "2014-10"),
        ("toukokuu 2017", "2017-05"),
        ("hösten 2016", "2016"),
        ("n/a", None),
    ],
)
def test_loose_dates_keep_what_is_certain(text, value):
    parsed = parse_loose_date(text)
    assert (parsed.value if parsed else None) == value


def test_slugs_and_indigo_ids():
    assert slug_of("https://dsi.dk/vores-investeringer/Ung-Hjemløshed/") == "ung-hjemloshed"
    assert slug_of("https://x.se/fond?step=6") == "fond-step-6"
    assert indigo_id("see INDIGO-POJ-0077 for data") == {"indigo": "INDIGO-POJ-0077"}
    assert indigo_id("no id here") == {}
