"""Countries: the ISO 3166-1 alpha-2 codes casebank knows, and their English names.

One place for both, from Babel's copy of the Unicode CLDR: the importers read a
source's country through it (`ingest.normalise.parse_country`), the search request
checks a country filter against it, and the merge and the case page recognise a
country named at the end of a place ("Holbæk Municipality, Denmark").
"""

from __future__ import annotations

from functools import cache

from babel import Locale

#: CLDR territory codes that are not ISO 3166-1 alpha-2 countries (regions, placeholders,
#: exceptionally reserved codes), so the valid set matches INDIGO's countries codelist.
NOT_COUNTRIES = frozenset(
    {
        *("EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"),
        *("AC", "CP", "CQ", "DG", "EA", "IC", "TA"),
    }
)


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code (upper case)."""
    territories = Locale("en").territories
    return (
        frozenset(code for code in territories if len(code) == 2 and code.isalpha()) - NOT_COUNTRIES
    )


@cache
def english_names() -> dict[str, str]:
    """Each country code's English name as CLDR writes it (`DK` -> `Denmark`)."""
    territories = Locale("en").territories
    return {code: territories[code] for code in sorted(country_codes())}
