"""Euro beside kroner at the ERM II central rate (cited on the page), never a guessed rate
for floating currencies, and the source's own euro figure where it gives one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.currency import FIXED_EUR_RATES, euro_equivalent
from corpus.model import Case, Money, Provenance
from corpus.settings import Settings
from corpus.store import Store
from web.app import create_app
from web.i18n import Translator


def test_kroner_convert_at_the_central_rate_and_floating_currencies_do_not() -> None:
    eur = euro_equivalent(Money(currency="DKK", amount=23_200_000))
    assert eur is not None and eur.rate is FIXED_EUR_RATES["DKK"]
    assert eur.amount == pytest.approx(23_200_000 / 7.46038)
    assert euro_equivalent(Money(currency="SEK", amount=10_000_000)) is None
    assert euro_equivalent(Money(currency="EUR", amount=1_000)) is None  # already euro
    given = euro_equivalent(Money(currency="GBP", amount=5e6, amount_eur=5.8e6))
    assert given is not None and given.amount == 5.8e6 and given.rate is None


def _money(lang: str, money: Money) -> str:
    return Translator(lang).money(money).replace("\u00a0", " ")  # no-break spaces as spaces


def test_money_text_shows_an_approximate_euro_figure_in_each_language() -> None:
    dkk = Money(currency="DKK", amount=23_200_000)
    assert _money("da", dkk) == "23.200.000 kr. (≈ 3.110.000 €)"
    assert _money("en", dkk) == "DKK 23,200,000 (≈ €3,110,000)"
    assert _money("en", Money(currency="SEK", amount=10_000_000)) == "SEK 10,000,000"
    ranged = Money(currency="DKK", amount_min=1_000_000, amount_max=2_500_000)
    assert _money("en", ranged).endswith("(≈ €134,000 – €335,000)")
    exact = Money(currency="GBP", amount=5e6, amount_eur=5.8e6)
    assert _money("en", exact) == "£5,000,000 (€5,800,000)"  # no "≈": the source's own


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("eur") / "data")
    store = Store(settings.db_path)
    for cid, currency in (("dk-eur-test", "DKK"), ("se-eur-test", "SEK")):
        store.upsert_record(
            Case(
                id=cid,
                title=f"Outcomes contract paid in {currency}",
                countries=[cid[:2].upper()],
                investment=Money(currency=currency, amount=7_460_380),
                provenance=[Provenance(source="test", record_id=cid)],
            ),
            "test",
        )
    store.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _text(client: TestClient, cid: str, lang: str) -> str:
    r = client.get(f"/cases/{cid}", headers={"accept-language": lang})
    assert r.status_code == 200
    text = BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)
    return " ".join(text.replace("\u00a0", " ").split())


def test_the_case_page_names_the_rate_and_its_source(client: TestClient) -> None:
    da = _text(client, "dk-eur-test", "da")
    assert "7.460.380 kr. (≈ 1.000.000 €)" in da
    assert "centralkurs 7,46038 kr. pr. euro" in da and "Danmarks Nationalbank" in da
    en = _text(client, "dk-eur-test", "en")
    assert "central rate of 7.46038 kroner per euro" in en
    se = _text(client, "se-eur-test", "en")
    assert "SEK 7,460,380" in se and "€" not in se and "central rate" not in se
