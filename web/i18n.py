"""Languages of the site: Danish and English labels, chosen by cookie or Accept-Language.

Labels live in `web/locales/<lang>.json` (flat keys, `str.format` placeholders). The
language of a request is the `lang` cookie when it names a supported language, else the
best match in the browser's Accept-Language header, else Danish (the site is built for
Danish municipalities). Country names and money come from Babel's CLDR data.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal

from corpus.countries import english_names
from corpus.currency import euro_equivalent
from corpus.model import Money, PartialDate

LANGUAGES: tuple[str, ...] = ("da", "en")
DEFAULT_LANGUAGE = "da"
COOKIE = "lang"
#: The clock moments are shown on: the site is built for Danish municipalities.
READERS_TIME = ZoneInfo("Europe/Copenhagen")
_LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def labels(lang: str) -> dict[str, str]:
    """Every label of one language."""
    return json.loads((_LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def negotiate(accept_language: str | None) -> str:
    """The supported language the browser prefers most (`da-DK,da;q=0.9,en;q=0.8` -> `da`)."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        # Norwegian and Swedish readers understand Danish better than English.
        base = {"nb": "da", "nn": "da", "no": "da", "sv": "da"}.get(base, base)
        if base not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        # Strictly greater: on a tie the earlier entry (the browser's own order) wins.
        if q > best_q:
            best, best_q = base, q
    return best


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: a valid cookie first, then Accept-Language."""
    if cookie in LANGUAGES:
        return cookie
    return negotiate(accept_language)


def _significant(value: float, digits: int) -> float:
    """`value` rounded to `digits` significant digits (3,109,785 -> 3,110,000)."""
    if value == 0:
        return 0.0
    return float(f"{value:.{digits}g}")


@cache
def _code_of_english_name() -> dict[str, str]:
    """Each country's code by its English name (`Denmark` -> `DK`)."""
    return {name: code for code, name in english_names().items()}


class Translator:
    """Labels and formatting for one language; templates call it as `t("key")`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._labels = labels(self.lang)
        self._fallback = labels("en")
        self._locale = Locale.parse(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        text = self._labels.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether a label exists (so raw source text can be shown when it does not)."""
        return key in self._labels

    def value(self, kind: str, value: str | None) -> str:
        """The label of a coded value (`stage`, `provider_model`, `sector`...), else the value."""
        if value is None or value == "":
            return self("value.unknown")
        key = f"{kind}.{value}"
        return self(key) if self.has(key) else str(value)

    def country(self, code: str | None) -> str:
        """A country's name in this language (`DK` -> `Danmark`), else the code."""
        if not code:
            return self("value.unknown")
        return self._locale.territories.get(code.upper(), code)

    def places(self, places: Iterable[object]) -> list[str]:
        """The places of a case (each with `name`, `admin_area`, `country`) as `place`
        says them, each once: a store merged before the merge knew a name may end in
        its country (`corpus.merge`) still holds both names of one place. A described
        place says its name in this language where it has one (`Place.name_i18n`)."""
        said = (self.place(self.name_of(p), p.admin_area, p.country) for p in places)
        return list(dict.fromkeys(p for p in said if p))

    def name_of(self, place: object) -> str | None:
        """A place's name in this language where its record gives one, else its name."""
        return (getattr(place, "name_i18n", None) or {}).get(self.lang) or place.name

    def place(self, name: str | None, admin_area: str | None, country: str | None) -> str:
        """A place as the case page lists it: its name (`place_name`), area and country,
        the country in this language."""
        said = self.country(country) if country else None
        return ", ".join(p for p in (self.place_name(name, country), admin_area, said) if p)

    def place_name(self, name: str | None, country: str | None = None) -> str:
        """A source's name of a place without the country it may end in ("Viborg
        Municipality, Denmark": the page says the country itself), and its English
        "<town> Municipality" as the reader's language says it ("Viborg Kommune")."""
        if not name:
            return ""
        english = english_names().get(country.upper(), "") if country else ""
        if english and name.endswith(f", {english}"):
            name = name[: -len(english) - 2]
        suffix = self._labels.get("place.municipality")
        if suffix and name.endswith(" Municipality"):
            name = name.removesuffix(" Municipality") + " " + suffix
        return name

    def fund_name(self, name: str) -> str:
        """An outcomes fund's name with the country INDIGO ends it in ("Life Chances Fund
        - United Kingdom") said in this language ("... - Storbritannien"); the country
        stays, since it tells apart funds of one name."""
        head, sep, country = name.rpartition(" - ")
        code = _code_of_english_name().get(country) if sep else None
        return f"{head} - {self.country(code)}" if code else name

    def party_name(self, name: str, org_type: str | None, country: str | None = None) -> str:
        """A party's name as this language says it: a public body named for its place
        the way a place is ("Brøndby Municipality" is "Brøndby Kommune" on the Danish
        pages, `place_name`); every other name as its source writes it."""
        return self.place_name(name, country) if org_type == "government" else name

    def language_name(self, code: str) -> str:
        """A language's name in this language (`fi` -> `finsk`)."""
        return self._locale.languages.get(code, code)

    def date(self, value: PartialDate | None) -> str:
        """A partial date as people write it: `2019`, `nov. 2019`, `5. nov. 2019` (Danish)."""
        if value is None:
            return ""
        parts = [int(x) for x in value.value.split("-")]
        if value.precision == "year" or len(parts) < 2:
            return str(parts[0])
        try:
            day = datetime.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)
        except ValueError:  # a day the calendar does not have (2019-02-30): show as given
            return value.value
        skeleton = "yMMMd" if value.precision == "day" else "yMMM"
        return format_skeleton(skeleton, day, locale=self._locale)

    def moment(self, iso: str | None, *, with_time: bool = True) -> str:
        """A stored moment (ISO 8601, UTC) on the clock of the site's readers, Danish
        time: "2. dec. 2026 05.58" (Danish), "Dec 2, 2026 05:58" (English). The store
        keeps UTC; shown raw, an update at 23:30 Danish time read as the day before."""
        if not iso:
            return ""
        try:
            moment = datetime.datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        local = moment.astimezone(READERS_TIME)
        day = format_skeleton("yMMMd", local.date(), locale=self._locale)
        if not with_time:
            return day
        return f"{day} {format_skeleton('Hm', local.time(), locale=self._locale)}"

    def number(self, value: float | None) -> str:
        """A number with this language's grouping (`1.200` in Danish)."""
        if value is None:
            return ""
        return format_decimal(value, locale=self.lang, decimal_quantization=False)

    def money(self, money: Money | None) -> str:
        """A `Money` as text: exact amount or a min-max range in its currency, plus USD
        and euro where known (`corpus.currency`: a fixed-rate conversion shows as "≈")."""
        if money is None or money.is_empty():
            return ""
        cur = money.currency

        def fmt(amount: float, currency: str | None) -> str:
            if currency is None:
                return self.number(amount)
            # Whole amounts without decimals (15.000.000 kr.), others with two.
            pattern = copy.copy(self._locale.currency_formats["standard"])
            digits = 0 if float(amount).is_integer() else 2
            pattern.frac_prec = (digits, digits)
            text = pattern.apply(amount, self._locale, currency=currency, currency_digits=False)
            # CLDR's English pattern puts a code straight before the digits ("DKK3,200,000");
            # a no-break space keeps code and number apart and together.
            return re.sub(r"^([A-Z]{2,3})(?=[\d-])", "\\1\u00a0", text)

        if money.amount is not None:
            text = fmt(money.amount, cur)
        else:
            text = " – ".join(
                fmt(a, cur) for a in (money.amount_min, money.amount_max) if a is not None
            )
        extra = []
        if cur is None and text:
            # A number with no unit reads as the case's other amounts' currency, which the
            # source did not say (58 of INDIGO's 351 party amounts).
            extra.append(self("money.no_currency"))
        if money.amount_usd is not None and cur != "USD":
            # INDIGO's conversion, to the cent of its exchange rate ($6,003,750.02 for
            # £4.5 million): cents are noise on such an amount; a price per unit keeps them.
            usd = money.amount_usd
            extra.append(fmt(round(usd) if abs(usd) >= 1000 else usd, "USD"))
        eur = euro_equivalent(money)
        if eur is not None:
            # A conversion at a fixed rate is close, not exact: three significant digits.
            shown = [
                fmt(a if eur.rate is None else _significant(a, 3), "EUR")
                for a in (
                    (eur.amount,) if eur.amount is not None else (eur.amount_min, eur.amount_max)
                )
                if a is not None
            ]
            extra.append(("" if eur.rate is None else "≈ ") + " – ".join(shown))
        if extra:
            text = f"{text} ({'; '.join(extra)})" if text else "; ".join(extra)
        return text
