"""Filters and facets over the cases in the store.

The columns search filters on are read once from the store's `cases` and
`case_countries` tables (instrument and outcome funds from the case payload) into
arrays, so a filter is a boolean mask and a facet a count over the cases the current
query matched. The values are checked before they get here (`search.request`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from corpus.store import Store
from search.request import FILTER_KEYS


@dataclass
class CaseTable:
    """Filterable columns of every case, in one order (`ids[i]` is row i)."""

    ids: list[str]
    titles: list[str]
    values: dict[str, list[list[str]]]  # facet key -> per case, its values (countries: many)
    start_year: np.ndarray  # int, 0 when unknown
    #: Display names of coded values where the store has them (fund id -> fund name).
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: Store) -> CaseTable:
        """Read the columns from the store (cheap: no case payloads are parsed)."""
        rows = store.db.execute(
            "SELECT id, title, sector, stage, provider_model, investor_model, start_year, "
            "json_extract(payload, '$.instrument') FROM cases ORDER BY id"
        ).fetchall()
        funds: dict[str, list[str]] = {}
        # Fund ids compare in upper case, as SearchRequest writes them.
        fund_names: dict[str, str] = {}
        for case_id, fund, name in store.db.execute(
            "SELECT cases.id, upper(json_extract(f.value, '$.id')), "
            "json_extract(f.value, '$.name') FROM cases, "
            "json_each(cases.payload, '$.outcome_funds') AS f ORDER BY cases.id"
        ):
            if fund and fund not in funds.setdefault(case_id, []):
                funds[case_id].append(fund)
            if fund and name:
                fund_names.setdefault(fund, name)
        countries: dict[str, list[str]] = {}
        for case_id, country in store.db.execute(
            "SELECT case_id, country FROM case_countries ORDER BY case_id, country"
        ):
            countries.setdefault(case_id, []).append(country)
        values: dict[str, list[list[str]]] = {k: [] for k in FILTER_KEYS}
        for r in rows:
            values["country"].append(countries.get(r[0], []))
            values["sector"].append([r[2]] if r[2] else [])
            values["stage"].append([r[3] or "unknown"])
            values["provider_model"].append([r[4] or "unknown"])
            values["investor_model"].append([r[5] or "unknown"])
            # A default is left out of the payload: no instrument means an impact bond.
            values["instrument"].append([r[7] or "impact_bond"])
            values["fund"].append(funds.get(r[0], []))
            values["start_year"].append([str(r[6])] if r[6] else [])
        return cls(
            ids=[r[0] for r in rows],
            titles=[r[1] or "" for r in rows],
            values=values,
            start_year=np.array([r[6] or 0 for r in rows], dtype=np.int32),
            labels={"fund": fund_names},
        )

    def __post_init__(self) -> None:
        self.pos = {cid: i for i, cid in enumerate(self.ids)}
        # Per key, every (case, value) pair as integer arrays: `codes[j]` is a value's
        # number in `vocab[key]`, `owner[j]` its case. Masks and facet counts are then
        # numpy operations, fast at 100k cases.
        self.vocab: dict[str, list[str]] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.owner: dict[str, np.ndarray] = {}
        for key in FILTER_KEYS:
            numbers: dict[str, int] = {}
            codes, owner = [], []
            for i, vals in enumerate(self.values[key]):
                for v in vals:
                    codes.append(numbers.setdefault(v, len(numbers)))
                    owner.append(i)
            self.vocab[key] = list(numbers)
            self.codes[key] = np.array(codes, dtype=np.int64)
            self.owner[key] = np.array(owner, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """Each id's row in this table (-1 where the table has no such case)."""
        return np.array([self.pos.get(c, -1) for c in ids], dtype=np.int64)

    @staticmethod
    def through(mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """`mask` (over this table's rows) read through `rows` (`rows_of` some ids): per
        id, whether the table has it and `mask` holds for its row."""
        known = rows >= 0
        return known & mask[np.where(known, rows, 0)]

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each row's place when the cases are sorted by id (ties of a sort by score)."""
        rank = np.empty(len(self.ids), dtype=np.int64)
        rank[sorted(range(len(self.ids)), key=self.ids.__getitem__)] = np.arange(len(self.ids))
        return rank

    @cached_property
    def title_order(self) -> np.ndarray:
        """Every row, sorted by title (case-folded), then id: a browse sorts only once."""
        key = [(t.casefold(), i) for t, i in zip(self.titles, self.ids, strict=True)]
        return np.array(sorted(range(len(key)), key=key.__getitem__), dtype=np.int64)

    @cached_property
    def date_order(self) -> np.ndarray:
        """Every row, newest start year first, then by title (case-folded); rows that tie
        keep their order, as a stable sort of any subset of them does."""
        key = [(-int(y), t.casefold()) for y, t in zip(self.start_year, self.titles, strict=True)]
        return np.array(sorted(range(len(key)), key=key.__getitem__), dtype=np.int64)

    def ordered(self, order: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The rows selected by a boolean mask `rows`, in the given full `order`."""
        return order[rows[order]]

    def mask(self, key: str, wanted: set[str]) -> np.ndarray:
        """Cases with any of the wanted values of one key."""
        out = np.zeros(len(self.ids), dtype=bool)
        numbers = [i for i, v in enumerate(self.vocab[key]) if v in wanted]
        if numbers:
            # A look-up table over the key's values: one pass, where np.isin sorts.
            hit = np.zeros(len(self.vocab[key]), dtype=bool)
            hit[numbers] = True
            out[self.owner[key][hit[self.codes[key]]]] = True
        return out

    def masks(self, filters: dict[str, set[str]]) -> dict[str, np.ndarray]:
        """One mask per filtered key."""
        return {key: self.mask(key, wanted) for key, wanted in filters.items()}

    def facets(self, matched: np.ndarray, masks: dict[str, np.ndarray]) -> dict[str, list[dict]]:
        """Value counts per key over the matched cases, each key ignoring its own filter."""
        out: dict[str, list[dict]] = {}
        for key in FILTER_KEYS:
            sel = matched.copy()
            for other, m in masks.items():
                if other != key:
                    sel &= m
            counts = np.bincount(
                self.codes[key][sel[self.owner[key]]], minlength=len(self.vocab[key])
            )
            pairs = [(self.vocab[key][i], int(n)) for i, n in enumerate(counts) if n]
            if key == "start_year":
                pairs.sort(key=lambda kv: kv[0], reverse=True)
            else:
                pairs.sort(key=lambda kv: (-kv[1], kv[0]))
            names = self.labels.get(key, {})
            out[key] = [
                {"value": v, "count": n, **({"label": names[v]} if v in names else {})}
                for v, n in pairs
            ]
        return out
