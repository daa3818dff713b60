"""The per-case fields the charts, counts and result cards read (`web.briefs`), against
the parsed cases."""

from __future__ import annotations

import shutil
from pathlib import Path

from corpus.settings import Settings
from corpus.store import Store
from web.briefs import read_briefs, read_cards
from web.resources import Resources


def assert_same(read: object, case: object, *names: str) -> None:
    """The fields read without parsing the case have the parsed case's values."""
    assert [getattr(read, n) for n in names] == [getattr(case, n) for n in names], names


def test_briefs_hold_what_the_parsed_cases_say(web_settings: Settings) -> None:
    store = Store(web_settings.db_path)
    briefs = read_briefs(store)
    cases = list(store.iter_cases())
    assert list(briefs) == [c.id for c in cases]
    # The test cases have places with coordinates and a pipeline project without a date:
    # each must come out as the parsed case has it.
    assert any(c.places for c in cases)
    assert any(c.stage == "pipeline" and c.start_year is None for c in cases)
    for c in cases:
        b = briefs[c.id]
        assert_same(b, c, "stage", "sector", "provider_model", "start_year")
        assert list(b.countries) == c.countries
        assert [(s.name, s.country, s.lat, s.lng) for s in b.places] == [
            (p.name, p.country, p.lat, p.lng) for p in c.places
        ]


def test_cards_hold_what_the_parsed_cases_say(web_settings: Settings) -> None:
    store = Store(web_settings.db_path)
    cases = list(store.iter_cases())
    cards = read_cards(store, [c.id for c in cases] + ["no-such-case"])
    assert set(cards) == {c.id for c in cases}  # an id not in the store is left out
    # Cases with and without translated titles, summaries and another instrument: the
    # payload leaves a default out, and the card must still say what the case says.
    assert any(c.title_i18n for c in cases) and any(not c.title_i18n for c in cases)
    assert any(c.summary for c in cases) and any(not c.summary for c in cases)
    for c in cases:
        card = cards[c.id]
        assert_same(card, c, "title", "title_i18n", "summary", "instrument")
        assert_same(card, c, "intervention", "intervention_i18n")
        assert list(card.countries) == c.countries
    assert read_cards(store, []) == {}


def test_what_is_kept_per_store_version_is_read_again_after_a_change(
    web_settings: Settings, tmp_path: Path
) -> None:
    shutil.copy(web_settings.db_path, tmp_path / "casebank.db")
    res = Resources(Settings(data_dir=tmp_path))
    first, pipeline = res.briefs(), res.pipeline_count()
    assert res.briefs() is first  # kept while the store is unchanged
    case_id = next(i for i, b in first.items() if b.stage != "pipeline")
    # Written through another connection, as an ingest run in another process writes.
    other = Store(tmp_path / "casebank.db")
    other.db.execute("UPDATE cases SET stage = 'pipeline' WHERE id = ?", [case_id])
    other.db.conn.commit()
    assert res.briefs()[case_id].stage == "pipeline"
    assert res.pipeline_count() == pipeline + 1
