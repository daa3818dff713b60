"""Apply one source's items to the store in a single transaction and report the run.

A source is an iterable of items:
- a `Case` (stored as that source's record, keyed by `record_id_of(case)`),
- a `Reject` (a row, page or file that could not be used: where and why),
- a `Gone` (a record the source says no longer exists, e.g. an INDIGO project made private),
- a `Targeted` (a `Case` whose case id a matcher already decided, see `ingest.merge`),
- a `Note` (a report entry that changes nothing: a merge, a near miss, or, with kind
  "warning", a field that could not be read and was left empty while the record was kept).

If the source is `complete` (it lists everything it has, like a full export), records of
that source that did not appear are removed at the end; records whose item was rejected
are kept as they were. Any exception rolls the whole run back, so the store never holds
half a run; the failed run is still reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from corpus.errors import CasebankError
from corpus.model import Case
from corpus.store import Store


@dataclass(frozen=True)
class Reject:
    """An input that could not be used: `where` (file:row, URL) and `reason`."""

    where: str
    reason: str
    #: The record it would have updated, if known: that record is kept, never removed.
    record_id: str | None = None


@dataclass(frozen=True)
class Gone:
    """A record the source reports as removed (not public, deleted)."""

    record_id: str
    reason: str = "removed at source"


@dataclass(frozen=True)
class Targeted:
    """A record with the case id it belongs to, as a matcher decided (see `ingest.merge`)."""

    case: Case
    case_id: str


@dataclass(frozen=True)
class Note:
    """A report entry that changes nothing; kind "warning" is counted under `warnings`."""

    where: str
    reason: str
    kind: str = "info"


Item = Case | Reject | Gone | Targeted | Note


@dataclass
class RunReport:
    """Outcome of one run of one source."""

    source: str
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    status: str = "ok"
    counts: Counter = field(default_factory=Counter)
    rejects: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as stored and printed."""
        counts = {k: self.counts.get(k, 0) for k in COUNT_KEYS}
        return {
            "source": self.source,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "counts": counts,
            "rejects": self.rejects,
            "notes": self.notes,
            "message": self.message,
        }


COUNT_KEYS = ("new", "changed", "unchanged", "removed", "rejected", "warnings")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_id_of(case: Case) -> str:
    """The id a source record is stored under: the INDIGO id when there is one, else the case id."""
    return case.external_ids.get("indigo") or case.id


def run_source(
    store: Store,
    source: str,
    items: Iterable[Item],
    *,
    complete: bool = False,
    on_item: Callable[[Item], None] | None = None,
) -> RunReport:
    """Apply `items` from `source` to `store` atomically; save and return the run report.

    Domain errors (an unreadable source) fail the run with their message; any other
    exception also rolls back and is re-raised after the failed run is recorded.
    """
    report = RunReport(source=source)
    try:
        with store.transaction():
            seen: set[str] = set()
            for item in items:
                if on_item:
                    on_item(item)
                if isinstance(item, Reject):
                    report.counts["rejected"] += 1
                    report.rejects.append({"where": item.where, "reason": item.reason})
                    if item.record_id:
                        seen.add(item.record_id)
                elif isinstance(item, Note):
                    if item.kind == "warning":
                        report.counts["warnings"] += 1
                    report.notes.append(
                        {"where": item.where, "kind": item.kind, "reason": item.reason}
                    )
                elif isinstance(item, Gone):
                    seen.discard(item.record_id)
                    if store.remove_record(source, item.record_id):
                        report.counts["removed"] += 1
                else:
                    target = item.case_id if isinstance(item, Targeted) else None
                    item = item.case if isinstance(item, Targeted) else item
                    rid = record_id_of(item)
                    if rid in seen:
                        report.counts["rejected"] += 1
                        report.rejects.append(
                            {"where": rid, "reason": "duplicate id in this run; first kept"}
                        )
                        continue
                    seen.add(rid)
                    report.counts[store.upsert_record(item, source, rid, case_id=target)] += 1
            if complete:
                for rid in sorted(store.record_ids(source) - seen):
                    store.remove_record(source, rid)
                    report.counts["removed"] += 1
        if report.counts["rejected"]:
            report.status = "partial"
    except CasebankError as exc:
        report.status = "failed"
        report.message = str(exc)
        report.counts = Counter()
    except BaseException as exc:
        report.status = "failed"
        report.message = f"{type(exc).__name__}: {exc}"
        report.finished_at = _now()
        store.save_run(report.as_dict())
        raise
    report.finished_at = _now()
    store.save_run(report.as_dict())
    return report
