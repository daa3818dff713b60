"""The few fields of every case that the pages count and chart, read without parsing cases.

The home and results pages count the projects in design and draw their charts and map
(`web.charts`) over every case of a search: by start year and first country, policy
area, provider model and places. Those fields are read here in one SQL pass over the
store (columns, and two small JSON paths of the payload), a few hundred bytes a case,
instead of parsing every case into a `Case` (about 17 KB each in memory). A `Brief`
has the same attribute names as `Case` (and a `Spot` as `Place`), so the charts read
either.

Briefs and spots are named tuples of strings and numbers: the garbage collector stops
tracking such tuples, so a big store's briefs add nothing to the collections that every
page's allocations set off.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from corpus.store import Store


class Spot(NamedTuple):
    """A place of a case, as the map reads it (names as on `Place`)."""

    name: str | None
    country: str | None
    lat: float | None
    lng: float | None


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
                Spot(p.get("name"), p.get("country"), p.get("lat"), p.get("lng"))
                for p in (json.loads(r[6]) if r[6] else [])
            ),
        )
        for r in rows
    }
