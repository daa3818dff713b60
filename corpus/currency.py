"""Euro equivalents, only where a currency has a fixed, published rate to the euro.

A Danish municipality reads amounts from abroad in euro. An amount's euro value is only
exact at the rate of the day it was agreed, which the sources rarely give, so casebank
converts only what a published fixed rate converts well:

- DKK: Denmark takes part in ERM II at a central rate of 746.038 kroner per 100 euro,
  with a fluctuation band of +/- 2.25 % (Danmarks Nationalbank, "Foreign-exchange-rate
  policy and ERM 2", https://www.nationalbanken.dk/en/monetarypolicy/fixed_exchange_rate_and_ERM2/Pages/default.aspx).
  A kroner amount at that rate is within 2.25 % of its euro value on any day.

Floating currencies (SEK, NOK, GBP, USD, ...) get no euro figure unless the source gives
one (`Money.amount_eur`): a rate picked by casebank would misstate amounts agreed in
other years.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.model import Money


@dataclass(frozen=True)
class FixedRate:
    """Units of a currency per euro, with where the rate is published."""

    per_euro: float
    source: str
    source_url: str
    band_percent: float


FIXED_EUR_RATES: dict[str, FixedRate] = {
    "DKK": FixedRate(
        per_euro=7.46038,
        source="Danmarks Nationalbank: ERM II central rate (746.038 kroner per 100 euro)",
        source_url="https://www.nationalbanken.dk/en/monetarypolicy/fixed_exchange_rate_and_ERM2/Pages/default.aspx",
        band_percent=2.25,
    ),
}


@dataclass(frozen=True)
class EuroAmount:
    """An amount (or range) in euro; `rate` is None when the source gave the euro figure."""

    amount: float | None
    amount_min: float | None
    amount_max: float | None
    rate: FixedRate | None


def euro_equivalent(money: Money | None) -> EuroAmount | None:
    """The euro value of `money`: the source's own EUR figure, else a conversion at a
    fixed published rate, else None (an amount already in euro needs none)."""
    if money is None or money.is_empty() or money.currency == "EUR":
        return None
    if money.amount_eur is not None:
        return EuroAmount(money.amount_eur, None, None, None)
    rate = FIXED_EUR_RATES.get(money.currency or "")
    if rate is None:
        return None

    def convert(value: float | None) -> float | None:
        return None if value is None else value / rate.per_euro

    return EuroAmount(
        convert(money.amount), convert(money.amount_min), convert(money.amount_max), rate
    )
