"""The SQLite store: the single source of truth for cases, their source records and runs.

Layout (see `MIGRATIONS`):
- `records`: one row per (source, record_id): the `Case` as that source gave it.
- `cases`: the merged case per stable id (JSON) with the columns search filters on.
- `case_countries`, `case_parties`: derived rows for facets and organisation pages.
- `external_ids`, `aliases`: other names of a case id (`indigo:INDIGO-POJ-0077`, curated ids).
- `runs`: each ingest run's report.
- `source_state`: small values a source keeps between runs (the hash of the last
  imported download), written in the run's transaction like its data.

Every write goes through `upsert_record` / `remove_record` inside `transaction()`, so an
ingest run commits whole or not at all (sqlite-utils nests its own writes as savepoints).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from corpus.errors import NotFound
from corpus.merge import merge_records
from corpus.model import Case, case_id_for_indigo
from corpus.provider_models import apply_models

Change = Literal["new", "changed", "unchanged"]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _m1(db: sqlite_utils.Database) -> None:
    db["records"].create(
        {
            "source": str,
            "record_id": str,
            "case_id": str,
            "payload": str,
            "content_hash": str,
            "fetched_at": str,
            "updated_at": str,
        },
        pk=("source", "record_id"),
    )
    db["records"].create_index(["case_id"])
    db["cases"].create(
        {
            "id": str,
            "title": str,
            "sector": str,
            "stage": str,
            "provider_model": str,
            "investor_model": str,
            "start_year": int,
            "payload": str,
            "content_hash": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["case_countries"].create({"case_id": str, "country": str}, pk=("case_id", "country"))
    db["case_countries"].create_index(["country"])
    db["case_parties"].create(
        {"case_id": str, "org_key": str, "name": str, "role": str, "org_type": str},
        pk=("case_id", "org_key", "role"),
    )
    db["case_parties"].create_index(["org_key"])
    db["external_ids"].create({"scheme": str, "value": str, "case_id": str}, pk=("scheme", "value"))
    db["aliases"].create({"alias": str, "case_id": str}, pk="alias")
    db["runs"].create(
        {
            "id": int,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "counts": str,
            "rejects": str,
            "message": str,
        },
        pk="id",
    )


def _m2(db: sqlite_utils.Database) -> None:
    # Informational entries of a run (cross-source merges, near misses), kept apart from
    # rejects so they are never counted or shown as errors.
    db["runs"].add_column("notes", str)


def _m3(db: sqlite_utils.Database) -> None:
    # How many rejects and notes a run's report counted but did not keep (a report is
    # bounded, so a broken export cannot make a run row of a hundred megabytes).
    db["runs"].add_column("left_off", str)
    db["source_state"].create({"source": str, "key": str, "value": str}, pk=("source", "key"))


#: Schema migrations in order; the store records how many have run in `PRAGMA user_version`.
MIGRATIONS = [_m1, _m2, _m3]


def org_key(name: str, organisation_id: str | None = None) -> str:
    """Stable key of an organisation: its source id when known, else its folded name."""
    return organisation_id or "name:" + " ".join(name.casefold().split())


class Store:
    """Read and write cases in one SQLite file. Create with `Store(path)`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        self.db = sqlite_utils.Database(conn)
        self._migrate()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # -- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        """How many migrations have been applied."""
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or, on any exception, not at all."""
        with self.db.atomic():
            yield self

    # -- writing --------------------------------------------------------------------------

    def resolve_case_id(self, record: Case) -> str:
        """The stable case id a source record belongs to.

        An INDIGO id decides (so every path to an INDIGO project gives one id); then any
        known external id or alias; else the record's own id.
        """
        if "indigo" in record.external_ids:
            return case_id_for_indigo(record.external_ids["indigo"])
        for scheme, value in sorted(record.external_ids.items()):
            row = self.db.execute(
                "SELECT case_id FROM external_ids WHERE scheme = ? AND value = ?", [scheme, value]
            ).fetchone()
            if row:
                return row[0]
        row = self.db.execute("SELECT case_id FROM aliases WHERE alias = ?", [record.id]).fetchone()
        return row[0] if row else record.id

    def upsert_record(
        self, record: Case, source: str, record_id: str | None = None, case_id: str | None = None
    ) -> Change:
        """Store one source's version of a case and refresh the merged case.

        Returns whether the record was new, changed or unchanged; an unchanged record
        writes nothing.
        """
        record_id = record_id or record.id
        digest = record.content_hash()
        old = self.db.execute(
            "SELECT content_hash, case_id FROM records WHERE source = ? AND record_id = ?",
            [source, record_id],
        ).fetchone()
        target = case_id or self.resolve_case_id(record)
        if old and old[0] == digest and old[1] == target:
            return "unchanged"
        fetched = next((p.fetched_at for p in record.provenance if p.source == source), None)
        self.db["records"].upsert(
            {
                "source": source,
                "record_id": record_id,
                "case_id": target,
                "payload": record.model_dump_json(exclude_defaults=True),
                "content_hash": digest,
                "fetched_at": fetched or _now(),
                "updated_at": _now(),
            },
            pk=("source", "record_id"),
        )
        if record.id != target:
            self.db["aliases"].upsert({"alias": record.id, "case_id": target}, pk="alias")
        self._refresh_case(target)
        if old and old[1] != target:
            self._refresh_case(old[1])
        return "changed" if old else "new"

    def remove_record(self, source: str, record_id: str) -> bool:
        """Drop one source's record; the case goes when no source has it any more."""
        row = self.db.execute(
            "SELECT case_id FROM records WHERE source = ? AND record_id = ?", [source, record_id]
        ).fetchone()
        if not row:
            return False
        self.db.execute(
            "DELETE FROM records WHERE source = ? AND record_id = ?", [source, record_id]
        )
        self._refresh_case(row[0])
        return True

    def _refresh_case(self, case_id: str) -> None:
        rows = self.db.execute(
            "SELECT source, payload FROM records WHERE case_id = ?", [case_id]
        ).fetchall()
        if not rows:
            self._delete_case(case_id)
            return
        merged = merge_records(case_id, [(s, Case.model_validate_json(p)) for s, p in rows])
        merged = apply_models(merged)
        digest = merged.content_hash()
        old = self.db.execute("SELECT content_hash FROM cases WHERE id = ?", [case_id]).fetchone()
        if old and old[0] == digest:
            return
        self._delete_derived(case_id)
        self.db["cases"].upsert(
            {
                "id": case_id,
                "title": merged.title,
                "sector": merged.sector,
                "stage": merged.stage,
                "provider_model": merged.provider_model,
                "investor_model": merged.investor_model,
                "start_year": merged.start_year,
                "payload": merged.model_dump_json(exclude_defaults=True),
                "content_hash": digest,
                "updated_at": _now(),
            },
            pk="id",
        )
        self.db["case_countries"].insert_all(
            [{"case_id": case_id, "country": c} for c in merged.countries], ignore=True
        )
        self.db["case_parties"].insert_all(
            [
                {
                    "case_id": case_id,
                    "org_key": org_key(p.name, p.organisation_id),
                    "name": p.name,
                    "role": p.role,
                    "org_type": p.org_type,
                }
                for p in merged.parties
            ],
            ignore=True,
        )
        self.db["external_ids"].insert_all(
            [{"scheme": k, "value": v, "case_id": case_id} for k, v in merged.external_ids.items()],
            replace=True,
        )

    def _delete_derived(self, case_id: str) -> None:
        for table in ("case_countries", "case_parties", "external_ids"):
            self.db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])

    def _delete_case(self, case_id: str) -> None:
        self._delete_derived(case_id)
        self.db.execute("DELETE FROM aliases WHERE case_id = ?", [case_id])
        self.db.execute("DELETE FROM cases WHERE id = ?", [case_id])

    # -- reading --------------------------------------------------------------------------

    def record_ids(self, source: str) -> set[str]:
        """Ids of every record a source has in the store."""
        rows = self.db.execute("SELECT record_id FROM records WHERE source = ?", [source])
        return {r[0] for r in rows}

    def find_case_id(self, key: str) -> str | None:
        """The case id for a case id, an alias or an external id value (`INDIGO-POJ-0077`)."""
        key = key.strip()
        for sql, arg in (
            ("SELECT id FROM cases WHERE id = ?", key),
            ("SELECT id FROM cases WHERE id = ?", key.lower()),
            ("SELECT case_id FROM aliases WHERE alias = ?", key),
            ("SELECT case_id FROM external_ids WHERE value = ? COLLATE NOCASE", key),
        ):
            row = self.db.execute(sql, [arg]).fetchone()
            if row:
                return row[0]
        return None

    def get_case(self, key: str) -> Case:
        """A merged case by id, alias or external id; raises NotFound."""
        case_id = self.find_case_id(key)
        if case_id is None:
            raise NotFound(f"no case with id {key!r}")
        row = self.db.execute("SELECT payload FROM cases WHERE id = ?", [case_id]).fetchone()
        return Case.model_validate_json(row[0])

    def cases_by_id(self, ids: list[str]) -> dict[str, Case]:
        """The merged cases of these case ids (not aliases), by id; an id not in the store
        is left out. One query per 500 ids (under SQLite's oldest bound on parameters)."""
        found: dict[str, Case] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, payload FROM cases WHERE id IN ({marks})"
            for case_id, payload in self.db.execute(sql, chunk):
                found[case_id] = Case.model_validate_json(payload)
        return found

    def iter_cases(self) -> Iterator[Case]:
        """Every merged case, ordered by id."""
        for (payload,) in self.db.execute("SELECT payload FROM cases ORDER BY id"):
            yield Case.model_validate_json(payload)

    def case_hashes(self) -> dict[str, str]:
        """`{case_id: content_hash}` for every case: what derived indexes compare against."""
        return dict(self.db.execute("SELECT id, content_hash FROM cases").fetchall())

    def count_cases(self) -> int:
        """Number of merged cases."""
        return self.db.execute("SELECT count(*) FROM cases").fetchone()[0]

    def records_of_case(self, case_id: str) -> list[tuple[str, str]]:
        """`(source, record_id)` pairs merged into one case."""
        rows = self.db.execute(
            "SELECT source, record_id FROM records WHERE case_id = ? ORDER BY source", [case_id]
        )
        return [tuple(r) for r in rows]

    def stats(self, *, leave_out_stage: str | None = None) -> dict[str, Any]:
        """Counts of cases: total, by country (a case counts under each), source and sector.

        `leave_out_stage` counts only the cases of other stages: what a search finds
        when it leaves projects in design ("pipeline") out, so a count shown beside a
        link to that search is the number the link finds."""
        where, params = "", []
        if leave_out_stage:
            where, params = "WHERE coalesce(c.stage, '') != ?", [leave_out_stage]
        by_country = dict(
            self.db.execute(
                "SELECT cc.country, count(*) FROM case_countries cc "
                f"JOIN cases c ON c.id = cc.case_id {where} GROUP BY cc.country "
                "ORDER BY count(*) DESC, cc.country",
                params,
            ).fetchall()
        )
        by_source = dict(
            self.db.execute(
                "SELECT r.source, count(DISTINCT r.case_id) FROM records r "
                f"JOIN cases c ON c.id = r.case_id {where} GROUP BY r.source ORDER BY r.source",
                params,
            ).fetchall()
        )
        by_sector = Counter(
            row[0] or "unknown"
            for row in self.db.execute(f"SELECT c.sector FROM cases c {where}", params)
        )
        return {
            "cases": sum(by_sector.values()),
            "by_country": by_country,
            "by_source": by_source,
            "by_sector": dict(by_sector.most_common()),
        }

    def organisation_cases(self, key: str) -> list[dict[str, Any]]:
        """Cases an organisation (by org key or exact name) took part in, with its roles.

        A party is the organisation when it has its key, or the name the organisation
        has under that key: a curated case names "Aarhus Municipality" with no source id
        where INDIGO's cases give it INDIGO-ORG-1410, and both are one organisation."""
        cols = ("case_id", "title", "role", "name", "org_type", "org_key")
        select = (
            "SELECT p.case_id, c.title, p.role, p.name, p.org_type, p.org_key "
            "FROM case_parties p JOIN cases c ON c.id = p.case_id "
        )
        keys = [key, org_key(key)]
        names = [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT name FROM case_parties WHERE org_key IN (?, ?)", keys
            )
        ]
        if not names:
            return []
        also = [*keys, *(org_key(n) for n in names)]
        rows = self.db.execute(
            f"{select} WHERE p.org_key IN ({', '.join('?' * len(also))}) "
            f"OR p.name IN ({', '.join('?' * len(names))}) ORDER BY c.title, p.case_id",
            [*also, *names],
        ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # -- runs -----------------------------------------------------------------------------

    def save_run(self, report: dict[str, Any]) -> int:
        """Keep one ingest run's report; returns its id.

        The runner calls it inside the run's transaction, so the report commits with the
        data it describes (a failed run's report is saved after the rollback).
        """
        row = {
            "source": report["source"],
            "started_at": report.get("started_at"),
            "finished_at": report.get("finished_at") or _now(),
            "status": report.get("status", "ok"),
            "counts": json.dumps(report.get("counts", {})),
            "rejects": json.dumps(report.get("rejects", []), ensure_ascii=False),
            "notes": json.dumps(report.get("notes", []), ensure_ascii=False),
            "message": report.get("message"),
            "left_off": json.dumps(report.get("left_off", {})),
        }
        return self.db["runs"].insert(row).last_pk

    def runs(self, limit: int = 20, source: str | None = None) -> list[dict[str, Any]]:
        """The latest run reports, newest first."""
        where, args = ("WHERE source = ?", [source]) if source else ("", [])
        rows = self.db.execute(
            f"SELECT id, source, started_at, finished_at, status, counts, rejects, message, "
            f"notes, left_off "
            f"FROM runs {where} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
        out = []
        for r in rows:
            out.append(
                {
                    "id": r[0],
                    "source": r[1],
                    "started_at": r[2],
                    "finished_at": r[3],
                    "status": r[4],
                    "counts": json.loads(r[5] or "{}"),
                    "rejects": json.loads(r[6] or "[]"),
                    "message": r[7],
                    "notes": json.loads(r[8] or "[]"),
                    "left_off": json.loads(r[9] or "{}"),
                }
            )
        return out

    def source_state(self, source: str, key: str) -> str | None:
        """A value `source` kept between runs (see `set_source_state`), or None."""
        row = self.db.execute(
            "SELECT value FROM source_state WHERE source = ? AND key = ?", [source, key]
        ).fetchone()
        return row[0] if row else None

    def set_source_state(self, source: str, key: str, value: str) -> None:
        """Keep `value` for `source` under `key` (inside a run: committed with its data)."""
        self.db["source_state"].upsert(
            {"source": source, "key": key, "value": value}, pk=("source", "key")
        )

    def last_success(self) -> dict[str, str]:
        """`{source: finished_at}` of each source's latest successful run."""
        rows = self.db.execute(
            "SELECT source, max(finished_at) FROM runs "
            "WHERE status IN ('ok', 'partial', 'unchanged') "
            "GROUP BY source"
        ).fetchall()
        return dict(rows)

    # -- watched pages and source status (ingest.watch; additive, no migration step) --------

    _WATCH_COLUMNS = {
        "source": str,
        "url": str,
        "title": str,
        "text_hash": str,
        "baseline_hash": str,
        "modified": str,
        "cases": str,
        "curated_as_of": str,
        "via": str,
        "status": str,
        "error": str,
        "first_seen": str,
        "checked_at": str,
        "changed_at": str,
        "reviewed_at": str,
        "review": str,
        "review_reason": str,
    }

    def _watch_table(self) -> sqlite_utils.db.Table:
        # Created on first use so this block needs no migration step of its own.
        table = self.db["watched_pages"]
        if not table.exists():
            table.create(self._WATCH_COLUMNS, pk=("source", "url"), not_null={"source", "url"})
        return table  # type: ignore[return-value]

    def _watch_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "cases": json.loads(row.get("cases") or "[]")}

    def watched_pages(self, source: str | None = None) -> dict[str, dict[str, Any]]:
        """`{url: page row}` of the pages a watched source keeps (all sources if None)."""
        table = self._watch_table()
        rows = table.rows_where("source = ?", [source]) if source else table.rows
        return {r["url"]: self._watch_row(r) for r in rows}

    def save_watched_page(self, row: dict[str, Any]) -> None:
        """Insert or replace one watched page (keyed by source and URL)."""
        data = {k: row.get(k) for k in self._WATCH_COLUMNS}
        data["cases"] = json.dumps(list(row.get("cases") or []), ensure_ascii=False)
        self._watch_table().upsert(data, pk=("source", "url"))

    def source_records(self, source: str) -> list[Case]:
        """The records one source stored (as it gave them, before merging)."""
        rows = self.db["records"].rows_where("source = ?", [source], order_by="record_id")
        return [Case.model_validate_json(r["payload"]) for r in rows]

    def review_items(self) -> list[dict[str, Any]]:
        """Watched pages marked for review (changed, new, unreachable, gone), by source."""
        rows = self._watch_table().rows_where("review IS NOT NULL", order_by="source, review, url")
        return [self._watch_row(r) for r in rows]

    def source_status(self) -> dict[str, dict[str, Any]]:
        """`{source: {"status", "finished_at", "message", "last_success"}}` of each source's
        latest run, so a failed source shows as failed with its last success (or None)."""
        rows = self.db.execute(
            "SELECT source, status, finished_at, message FROM runs WHERE id IN "
            "(SELECT max(id) FROM runs GROUP BY source) ORDER BY source"
        ).fetchall()
        success = self.last_success()
        return {
            r[0]: {
                "status": r[1],
                "finished_at": r[2],
                "message": r[3],
                "last_success": success.get(r[0]),
            }
            for r in rows
        }


class StoreVersion:
    """A number that changes whenever any connection (a thread, an ingest run in another
    process) commits a change to the store: SQLite's `PRAGMA data_version` on a
    connection of its own that never writes. Asking costs microseconds at any size (a
    `count(*), max(updated_at)` scan of the cases cost 35 ms at 10,000), so what is
    derived from the whole store can be kept until it changes."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._store: Store | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int:
        """The current version."""
        with self._lock:
            if self._store is None:
                self._store = Store(self._path)
            return self._store.db.execute("PRAGMA data_version").fetchone()[0]
