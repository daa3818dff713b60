"""Apply one source's items to the store in a single transaction and report the run.

A source is an iterable of items:
- a `Case` (stored as that source's record, keyed by `record_id_of(case)`),
- a `Reject` (a row, page or file that could not be used: where and why),
- a `Gone` (a record the source says no longer exists, e.g. an INDIGO project made private),
- a `Targeted` (a `Case` whose case id a matcher already decided, see `ingest.match`),
- a `Note` (a report entry that changes nothing: a merge, a near miss, or, with kind
  "warning", a field that could not be read and was left empty while the record was kept),
- a `Checkpoint` (a value the source keeps between runs, e.g. the hash of the last
  imported download; written with the data, so it is only kept when the data is).

If the source is `complete` (it lists everything it has, like a full export), records of
that source that did not appear are removed at the end; records whose item was rejected
are kept as they were. A complete source is guarded, because a broken export looks like
a source that shrank: the whole run is refused (nothing written, status "failed", a
one-line reason starting "refused:") when it no longer lists more than
`Limits.removal_limit` of the records it had stored (unless `allow_removals`; a `Gone`,
the source's explicit word about one record, does not count), or when its rejects pass
`Limits.max_rejects` (checked as they come, so a file of garbage stops early) or
`Limits.max_reject_share` of what it read.

Any exception rolls the whole run back, so the store never holds half a run. The run's
report row is written in the same transaction as the data, so a kill at any moment
leaves either both or neither; a failed run is recorded after the rollback. A report
keeps the first `Limits.keep_entries` rejects and notes and counts the rest (`left_off`).
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
    """A record with the case id it belongs to, as a matcher decided (see `ingest.match`)."""

    case: Case
    case_id: str


@dataclass(frozen=True)
class Note:
    """A report entry that changes nothing; kind "warning" is counted under `warnings`."""

    where: str
    reason: str
    kind: str = "info"


@dataclass(frozen=True)
class Checkpoint:
    """A value the source keeps between runs (`Store.source_state`), saved with the data."""

    key: str
    value: str


Item = Case | Reject | Gone | Targeted | Note | Checkpoint


class Refused(CasebankError):
    """A complete source's run that would do more harm than good; nothing was written."""


class SourceUnchanged(CasebankError):  # noqa: N818 (a signal, not a failure)
    """Raised by a source that found nothing new (same download as last time): the run
    is recorded as "unchanged" and nothing is removed."""


@dataclass(frozen=True)
class Limits:
    """The guards of a complete source's run (see the module docstring)."""

    #: Removals allowed without `allow_removals`: at most this many records...
    max_removals: int = 20
    #: ... and at most this share of the records stored before the run (at least one).
    max_removal_share: float = 0.10
    #: More rejects than this refuse the run (checked as they come).
    max_rejects: int = 100
    #: A share of rejects over this (of rejects plus records read) refuses the run, once
    #: there are more than `min_rejects_for_share` rejects.
    max_reject_share: float = 0.10
    min_rejects_for_share: int = 10
    #: Rejects and notes kept in the report; the rest are only counted.
    keep_entries: int = 100

    def removal_limit(self, stored: int) -> int:
        """How many of `stored` records one run may remove without `allow_removals`."""
        return max(1, min(self.max_removals, int(stored * self.max_removal_share)))


DEFAULT_LIMITS = Limits()


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
    #: Entries counted but not kept: `{"rejects": n, "notes": m}`.
    left_off: Counter = field(default_factory=Counter)
    keep_entries: int = DEFAULT_LIMITS.keep_entries

    def add(self, kind: str, entry: dict[str, str]) -> None:
        """Keep a reject or note (kind "rejects" / "notes") unless the report is full."""
        kept = self.rejects if kind == "rejects" else self.notes
        if len(kept) < self.keep_entries:
            kept.append(entry)
        else:
            self.left_off[kind] += 1

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
            "left_off": {k: self.left_off.get(k, 0) for k in ("rejects", "notes")},
            "message": self.message,
        }


COUNT_KEYS = ("new", "changed", "unchanged", "removed", "rejected", "warnings")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_id_of(case: Case) -> str:
    """The id a source record is stored under: the INDIGO id when there is one, else the case id."""
    return case.external_ids.get("indigo") or case.id


class _Run:
    """The state of one run while its items are applied."""

    def __init__(self, store: Store, report: RunReport, complete: bool, limits: Limits) -> None:
        self.store = store
        self.report = report
        self.complete = complete
        self.limits = limits
        self.seen: set[str] = set()
        self.read = 0

    def reject(self, where: str, reason: str) -> None:
        self.report.counts["rejected"] += 1
        self.report.add("rejects", {"where": where, "reason": reason})
        rejected = self.report.counts["rejected"]
        if self.complete and rejected > self.limits.max_rejects:
            raise Refused(
                f"refused: more than {self.limits.max_rejects} rejected inputs "
                f"(the latest: {where}: {reason}); nothing was changed"
            )

    def apply(self, item: Item) -> None:
        report, store = self.report, self.store
        if isinstance(item, Reject):
            if item.record_id:
                self.seen.add(item.record_id)
            self.reject(item.where, item.reason)
        elif isinstance(item, Note):
            if item.kind == "warning":
                report.counts["warnings"] += 1
            report.add("notes", {"where": item.where, "kind": item.kind, "reason": item.reason})
        elif isinstance(item, Checkpoint):
            store.set_source_state(report.source, item.key, item.value)
        elif isinstance(item, Gone):
            self.seen.discard(item.record_id)
            if store.remove_record(report.source, item.record_id):
                report.counts["removed"] += 1
        else:
            target = item.case_id if isinstance(item, Targeted) else None
            case = item.case if isinstance(item, Targeted) else item
            rid = record_id_of(case)
            self.read += 1
            if rid in self.seen:
                self.reject(rid, "duplicate id in this run; first kept")
                return
            self.seen.add(rid)
            report.counts[store.upsert_record(case, report.source, rid, case_id=target)] += 1

    def finish(self, stored: set[str], allow_removals: bool) -> None:
        """Remove what a complete source no longer lists, unless a guard refuses the run."""
        report, limits = self.report, self.limits
        if not self.complete:
            return
        # Only what the source stopped listing counts: a `Gone` is the source's explicit
        # word about one record (INDIGO asks that a project made private be dropped).
        missing = sorted(self.store.record_ids(report.source) - self.seen)
        limit = limits.removal_limit(len(stored))
        if len(missing) > limit and not allow_removals:
            raise Refused(
                f"refused: would remove {len(missing)} of the {len(stored)} records stored "
                f"(more than {limit}); nothing was changed. If the source really shrank, "
                "run again with --allow-removals"
            )
        rejected = report.counts["rejected"]
        total = rejected + self.read
        if (
            rejected > limits.min_rejects_for_share
            and total
            and rejected / total > limits.max_reject_share
        ):
            raise Refused(
                f"refused: {rejected} of {total} inputs rejected "
                f"(more than {limits.max_reject_share:.0%}); nothing was changed"
            )
        for rid in missing:
            self.store.remove_record(report.source, rid)
            report.counts["removed"] += 1


def run_source(
    store: Store,
    source: str,
    items: Iterable[Item],
    *,
    complete: bool = False,
    allow_removals: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    on_item: Callable[[Item], None] | None = None,
) -> RunReport:
    """Apply `items` from `source` to `store` atomically; save and return the run report.

    A refused run (see the module docstring) and a domain error (an unreadable source)
    fail the run with their message; any other exception also rolls back and is
    re-raised after the failed run is recorded.
    """
    report = RunReport(source=source, keep_entries=limits.keep_entries)
    try:
        with store.transaction():
            stored = store.record_ids(source)
            run = _Run(store, report, complete, limits)
            for item in items:
                if on_item:
                    on_item(item)
                run.apply(item)
            run.finish(stored, allow_removals)
            if report.counts["rejected"]:
                report.status = "partial"
            report.finished_at = _now()
            # Inside the transaction: the data and the report of it commit together.
            store.save_run(report.as_dict())
        return report
    except SourceUnchanged as exc:
        report.status = "unchanged"
        report.message = str(exc)
        report.counts = Counter()
    except CasebankError as exc:
        report.status = "failed"
        report.message = str(exc)
        report.counts = Counter()
    except BaseException as exc:
        report.status = "failed"
        report.message = f"{type(exc).__name__}: {exc}"
        report.counts = Counter()
        report.finished_at = _now()
        store.save_run(report.as_dict())
        raise
    finally:
        close = getattr(items, "close", None)
        if close:  # stop a generator that was left mid-way (its files are closed now)
            close()
    report.finished_at = _now()
    store.save_run(report.as_dict())
    return report
