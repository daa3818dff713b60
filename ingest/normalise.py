"""Normalise the values sources give into the forms the `Case` model fixes.

Currency words become ISO 4217 codes, country names ISO 3166 alpha-2 codes, amounts
floats, dates `PartialDate`s, free text tidy paragraphs, INDIGO organisation types and
role categories `OrgType`s. Every function is strict: text it cannot read with certainty
raises `ValueError` with a message naming the text, so the importer can report it (and
leave the field empty) instead of storing a guess.

The valid ISO currency codes and their English names come from Babel (the Unicode CLDR
data), the countries from `corpus.countries`; the few aliases below cover words seen in
INDIGO data.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale
from babel.numbers import get_currency_name, list_currencies

from corpus.countries import country_codes, english_names
from corpus.model import OrgType, PartialDate

# -- text ----------------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(value: object) -> str | None:
    """Tidy a (possibly multi-line) text cell; None when nothing is left.

    Unicode is NFC-normalised, line endings become `\\n`, runs of spaces (also
    non-breaking ones) one space, each line is stripped and more than one blank
    line in a row becomes one, so paragraphs survive but spreadsheet noise does not.
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = number_text(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text or None


# -- numbers -------------------------------------------------------------------------------


def number_text(value: int | float) -> str:
    """A JSON number as exact plain text: 5000000 and 5000000.0 -> "5000000", 0.25 -> "0.25".

    Never an exponent or a rounded form (`:g` made 5000000 "5e+06" and 1234567 "1.23457e+06"),
    so `parse_number` reads back the same value.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)  # the shortest text that reads back as the same float
        return text if "e" not in text else format(value, "f")
    return str(value)


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def parse_number(value: object) -> float | None:
    """A number from a JSON number or a text like `1500`, `1500.5` or `1,500,000`.

    Empty -> None. Anything else (`£2m`, `C$1.3M`, `about 300`, `=D41`) raises
    ValueError: a currency sign or a unit word is a guess we leave to a person.
    """
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"not a number: {value!r}")
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if _GROUPED_NUMBER.fullmatch(text):
        return float(text.replace(",", ""))
    raise ValueError(f"not a number: {text!r}")


# -- dates ---------------------------------------------------------------------------------


def parse_date(value: object) -> PartialDate | None:
    """A `PartialDate` from `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (or `/`); ValueError otherwise."""
    if value is None:
        return None
    return PartialDate.parse(str(value))


# -- currencies ----------------------------------------------------------------------------

#: Words for currencies seen in data that are not CLDR's English names.
_CURRENCY_ALIASES = {
    "swedish": "SEK",
    "swedish krona": "SEK",
    "danish": "DKK",
    "norwegian": "NOK",
    "nz dollar": "NZD",
    "nz dollars": "NZD",
    "us dollar": "USD",
    "us dollars": "USD",
    "pound sterling": "GBP",
    "pounds sterling": "GBP",
    "sterling": "GBP",
    "russian rouble": "RUB",
    "russian roubles": "RUB",
    "israeli shekel": "ILS",
    "israeli shekels": "ILS",
}


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def _currency_names() -> dict[str, str]:
    """Folded English names (singular and plural) of current ISO 4217 currencies -> code."""
    english = Locale("en")
    names: dict[str, set[str]] = {}
    for code in list_currencies():
        name = english.currencies.get(code)
        # Historic currencies carry their years in brackets ("Russian Ruble (1991–1998)").
        if not name or "(" in name:
            continue
        for form in (name, get_currency_name(code, count=2, locale=english)):
            names.setdefault(_fold(form), set()).add(code)
    table = {name: codes.pop() for name, codes in names.items() if len(codes) == 1}
    table.update(_CURRENCY_ALIASES)
    return table


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(value: object) -> str | None:
    """ISO 4217 code of a code (`gbp `) or an English currency word (`Swedish`, `Japanese Yen`).

    Empty -> None; an unknown code or word raises ValueError (never guessed).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 3 and text.isalpha():
        if text.upper() in _currency_codes():
            return text.upper()
        raise ValueError(f"unknown currency code: {text!r}")
    code = _currency_names().get(_fold(text))
    if code is None:
        raise ValueError(f"unknown currency word: {text!r}")
    return code


# -- countries -----------------------------------------------------------------------------

_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "united states of america": "US",
    "the netherlands": "NL",
    "holland": "NL",
    "south korea": "KR",
    "republic of korea": "KR",
    "czech republic": "CZ",
    "russian federation": "RU",
}


@cache
def _country_names() -> dict[str, str]:
    table = {_fold(name): code for code, name in english_names().items()}
    table.update(_COUNTRY_ALIASES)
    return table


def parse_country(value: object) -> str | None:
    """ISO 3166 alpha-2 code of a code (`gb`, `UK`) or an English country name (`Finland`).

    Empty -> None; anything else raises ValueError.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha() and text.upper() in country_codes():
        return text.upper()
    code = _country_names().get(_fold(text))
    if code is None:
        raise ValueError(f"unknown country: {text!r}")
    return code


# -- organisation types --------------------------------------------------------------------

#: INDIGO organisation `Type` codelist -> OrgType.
ORGANISATION_TYPES: dict[str, OrgType] = {
    "registered company, partnership or commercial association": "company",
    "registered non-profit organisation, charity or foundation": "nonprofit",
    "government body": "government",
    "multilateral, bilateral or intergovernmental body": "multilateral",
    "individual": "individual",
    "arrangement": "other",
    "crowdfunding": "other",
    "unregistered organisation": "other",
    "collective": "other",
}

#: INDIGO role categories of service providers, investors and outcome payers -> OrgType.
ROLE_CATEGORY_TYPES: dict[str, OrgType] = {
    "nonprofit/ngo": "nonprofit",
    "foundation/philanthropist": "foundation",
    "government/public sector/public bank": "government",
    "multilateral/bilateral/intergovernmental financial institution": "multilateral",
    "corporate giving": "company",
    "investment fund": "investment_fund",
    # Impact investors in INDIGO are funds and social banks (Bridges, BSC, ...).
    "impact investor": "investment_fund",
    "high net worth individual/family office/private bank": "individual",
    "commercial": "company",
    # The export truncates "Commercial" in some rows; the stem is unambiguous in this codelist.
    "commercia": "company",
    "for-profit": "company",
    "other": "other",
}


def organisation_type(value: object) -> OrgType | None:
    """OrgType of an INDIGO organisation `Type - (Value)`; None if empty, ValueError if unknown."""
    return _lookup(value, ORGANISATION_TYPES, "organisation type")


def role_category_type(value: object) -> OrgType | None:
    """OrgType of an INDIGO role category; None if empty, ValueError if not in the codelist."""
    return _lookup(value, ROLE_CATEGORY_TYPES, "role category")


def _lookup(value: object, table: dict[str, OrgType], what: str) -> OrgType | None:
    if value is None or not str(value).strip():
        return None
    found = table.get(_fold(str(value)))
    if found is None:
        raise ValueError(f"unknown {what}: {str(value).strip()!r}")
    return found
