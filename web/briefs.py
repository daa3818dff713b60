"""The few fields of a case that the pages count, chart and show on a card, read without
parsing cases.

The home and results pages count the projects in design and draw their charts and map
(`web.charts`) over every case of a search: by start year and first country, policy
area, provider model and places. Those fields are read here in one SQL pass over the
store (columns, and two small JSON paths of the payload), a few hundred bytes a case,
instead of parsing every case into a `Case` (about 17 KB each in memory). A `Brief`
has the same attribute names as `Case` (and a `Spot` as `Place`), so the charts read
either.

A result card (`Card`) reads the texts of the cases a page lists in the same way: at
348 cases, parsing the 20 cases of a results page was 9-10 ms of its 34 ms.

Briefs and spots are named tuples of strings and numbers: the garbage collector stops
tracking such tuples, so a big store's briefs add nothing to the collections that every
page's allocations set off.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from corpus.model import Case
from corpus.store import Store


class Spot(NamedTuple):
    """A place of a case, as the map reads it (names as on `Place`)."""

    name: str | None
    country: str | None
    lat: float | None
    lng: float | None
    name_i18n: dict[str, str]


class Brief(NamedTuple):
    """What the charts and the pipeline count read of one case (names as on `Case`)."""

    id: str
    stage: str
    sector: str | None
    provider_model: str
    start_year: int | None
    #: In the case's own order: the charts count a case under its first country.
    countries: tuple[str, ...]
    places: tuple[Spot, ...]


def read_briefs(store: Store) -> dict[str, Brief]:
    """Every merged case's `Brief` by id, ordered by id (one query, no case parsed).

    The columns are those the store writes from the merged case; countries and places
    come from the payload, which leaves out defaults (an empty list, a missing name or
    coordinate is absent).
    """
    rows = store.db.execute(
        "SELECT id, stage, sector, provider_model, start_year, "
        "json_extract(payload, '$.countries'), json_extract(payload, '$.places') "
        "FROM cases ORDER BY id"
    )
    return {
        r[0]: Brief(
            id=r[0],
            stage=r[1],
            sector=r[2],
            provider_model=r[3],
            start_year=r[4],
            countries=tuple(json.loads(r[5])) if r[5] else (),
            places=tuple(
                Spot(
                    p.get("name"),
                    p.get("country"),
                    p.get("lat"),
                    p.get("lng"),
                    p.get("name_i18n") or {},
                )
                for p in (json.loads(r[6]) if r[6] else [])
            ),
        )
        for r in rows
    }


class Card(NamedTuple):
    """What a result card shows of its case (names as on `Case`, so `web.present` reads
    either): the name, the summaries, the intervention text, the countries, the
    instrument."""

    id: str
    title: str
    title_i18n: dict[str, str]
    summary: dict[str, str]
    intervention: str | None
    intervention_i18n: dict[str, str]
    countries: tuple[str, ...]
    instrument: str


#: The payload leaves out a field at its default: a card takes the model's.
_INSTRUMENT = Case.model_fields["instrument"].default


def read_cards(store: Store, ids: list[str]) -> dict[str, Card]:
    """The `Card` of each of these case ids that the store has, by id (one query; each
    payload's JSON parsed once, by SQLite, for all the paths a card reads)."""
    if not ids:
        return {}
    rows = store.db.execute(
        "SELECT id, title, json_extract(payload, '$.title_i18n', '$.summary', "
        "'$.intervention', '$.intervention_i18n', '$.countries', '$.instrument') "
        f"FROM cases WHERE id IN ({', '.join('?' * len(ids))})",
        ids,
    )
    cards = {}
    for case_id, title, fields in rows:
        title_i18n, summary, intervention, intervention_i18n, countries, instrument = json.loads(
            fields
        )
        cards[case_id] = Card(
            id=case_id,
            title=title,
            title_i18n=title_i18n or {},
            summary=summary or {},
            intervention=intervention,
            intervention_i18n=intervention_i18n or {},
            countries=tuple(countries or ()),
            instrument=instrument or _INSTRUMENT,
        )
    return cards
