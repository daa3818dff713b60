"""The periodic ingest job: every configured source in turn, under one lock, one report.

`ingest.job` owns running sources, nothing else. The sources file (`ingest/sources.yaml`,
or `Settings.sources_file`) lists them in the order they run; it is read into
`SourcesFile` (pydantic, unknown keys refused) and a mistake is an `InvalidInput` naming
the file, the source, the field and the value. Each entry names a module whose `items(ctx)`
yields the source's items; `ctx` is an `ingest.context.SourceContext` carrying the entry's
options (after `${ENV}` / `${ENV:-default}` expansion), the settings, the store (for
reading) and a fetcher opened on first use, allowed to reach the entry's `allowed_hosts`
(else the hosts of its URL options) and tuned by its `fetch` settings.

What happens to the items depends on the module:

- a watched source (`WATCH = True`: the national sites whose curated case files are the
  record of truth) yields `ingest.watch.PageSeen` items: `ingest.watch.apply` keeps a text
  hash per page and marks changed and new pages for review; no case is written;
- any other source yields `Case`, `Reject`, `Gone` ... items for `ingest.runner.run_source`.
  When the entry (or the module's `MATCH`) says `match: true`, each `Case` first goes
  through `ingest.match`, the one place that decides which stored case a record joins.

The store name of a source is the module's `SOURCE` (or the entry's `source`); whether it
lists everything it has (`complete`) is the module's `COMPLETE` (or the entry's). Each
source runs in its own transaction; a source that fails is reported and the others still
run. A lock (`fcntl.flock` on `data_dir/ingest.lock`) keeps two runs from overlapping: the
second fails at once with `LockHeld`. Work that must happen under the same lock after the
sources (the search index update, wired in casebank.py because ingest never imports
search) is passed as `after`. The schedule loop lives in `ingest.schedule`.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from corpus import yaml_keys
from corpus.errors import CasebankError, InvalidInput, LockHeld
from corpus.settings import Settings
from corpus.store import Store
from ingest import watch
from ingest.context import SourceContext
from ingest.fetch import Fetcher
from ingest.match import Matcher, route
from ingest.runner import RunReport, run_source

log = logging.getLogger("casebank.ingest")

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


# -- the sources file ------------------------------------------------------------------------


class FetchSettings(BaseModel):
    """The fetcher settings a source may tune (see `ingest.fetch.Fetcher`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_interval: float | None = Field(None, ge=0)
    max_bytes: int | None = Field(None, gt=0)
    retries: int | None = Field(None, ge=0)
    backoff: float | None = Field(None, ge=0)
    max_wait: float | None = Field(None, ge=0)
    timeout: float | None = Field(None, gt=0)
    respect_robots: StrictBool | None = None

    def kwargs(self) -> dict[str, Any]:
        """The settings given, as `Fetcher` keyword arguments."""
        return self.model_dump(exclude_none=True)


class SourceEntry(BaseModel):
    """One source of the sources file (its key is the name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    #: The Python module of the source (it has `items(ctx)`).
    module: str = Field(min_length=1)
    #: The function yielding the items, if not `items`.
    function: str = "items"
    enabled: StrictBool = True
    #: Options that must be non-empty for the source to run (else it is skipped).
    requires: list[str] = Field(default_factory=list)
    #: Values (usually `${ENV}`) that, when any is non-empty, skip this source: the way to
    #: say "the API unless a CSV export is configured".
    unless: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    #: Store source name, if the module does not say (its SOURCE).
    source: str | None = None
    #: The source lists everything it has: records it no longer lists are removed.
    complete: StrictBool | None = None
    #: Decide each record's case through `ingest.match` (default: the module's MATCH).
    match: StrictBool | None = None
    #: Accept a complete source that shrinks a lot (passed to the runner when it takes it).
    allow_removals: StrictBool = False
    allowed_hosts: list[str] = Field(default_factory=list)
    fetch: FetchSettings = Field(default_factory=FetchSettings)

    @field_validator("requires", "unless", "allowed_hosts", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """`requires: path` reads as `requires: [path]`; an empty key as no values."""
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator("options", "fetch", mode="before")
    @classmethod
    def _empty_mapping(cls, value: Any) -> Any:
        return {} if value is None else value


class SourcesFile(BaseModel):
    """The whole sources file: `sources:` mapping each name to its entry, in run order."""

    model_config = ConfigDict(extra="forbid")

    sources: dict[str, SourceEntry]


def _expand(value: Any) -> Any:
    """`${NAME}` and `${NAME:-default}` in strings, recursively, from the environment."""
    if isinstance(value, str):
        return _ENV.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def sources_file(settings: Settings) -> Path:
    """The sources file in use: `Settings.sources_file` or the packaged one."""
    if settings.sources_file is not None:
        return settings.sources_file
    return Path(str(resources.files("ingest").joinpath("sources.yaml")))


def _problem(path: Path, error: dict[str, Any]) -> str:
    """One validation error as `sources file F: source 'x': field: what (got V)`."""
    loc = [str(p) for p in error["loc"]]
    where = f"sources file {path}"
    if len(loc) >= 2 and loc[0] == "sources":
        where += f": source {loc[1]!r}"
        loc = loc[2:]
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key {'.'.join(loc)!r}"
    value = error.get("input")
    shown = "" if isinstance(value, dict) or value is None else f" (got {value!r})"
    return f"{where}: {'.'.join(loc) or 'entry'}: {error['msg']}{shown}"


def load_sources(path: Path) -> list[SourceEntry]:
    """Read a sources file; InvalidInput naming the file, source, field and value if wrong."""
    try:
        data = yaml_keys.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"sources file {path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"sources file {path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise InvalidInput(f"sources file {path}: expected a mapping under 'sources:'")
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(path, e) for e in exc.errors()]
        raise InvalidInput("; ".join(problems)) from None
    return [
        entry.model_copy(
            update={
                "name": str(name),
                "options": _expand(entry.options),
                "unless": [str(v) for v in _expand(entry.unless)],
            }
        )
        for name, entry in parsed.sources.items()
    ]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@contextmanager
def job_lock(settings: Settings) -> Iterator[Path]:
    """Hold `data_dir/ingest.lock` for the duration; LockHeld at once if another run has it.

    `flock` is released by the kernel when the holder dies, so a killed run never leaves
    a stale lock behind.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "ingest.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise LockHeld(f"another ingest run holds {path}{who}; wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass
class JobReport:
    """What one run of the job did: one entry per configured source, then the `after` step."""

    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    after: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when no source failed (rejected items alone do not fail a run)."""
        return all(
            s["status"] in ("ok", "partial", "unchanged", "skipped", "disabled")
            for s in self.sources
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as stored in `data_dir/ingest-report.json` and printed."""
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "ok": self.ok,
            "sources": self.sources,
            "after": self.after,
        }


def report_path(settings: Settings) -> Path:
    """Where the latest job report is kept."""
    return settings.data_dir / "ingest-report.json"


def last_report(settings: Settings) -> dict[str, Any] | None:
    """The latest job report, or None if the job never ran here."""
    try:
        return json.loads(report_path(settings).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _load(entry: SourceEntry) -> tuple[Any, Callable[..., Any]]:
    try:
        module = importlib.import_module(entry.module)
    except ImportError as exc:
        raise InvalidInput(f"source {entry.name!r}: cannot import {entry.module}: {exc}") from exc
    fn = getattr(module, entry.function, None)
    if not callable(fn):
        raise InvalidInput(f"source {entry.name!r}: {entry.module} has no {entry.function}()")
    return module, fn


def _hosts(entry: SourceEntry, module: Any, settings: Settings) -> list[str]:
    """The hosts a source may reach: the entry's list, else the module's `allowed_hosts()`
    hook, else the hosts of the URL options (lists of URLs included), else the host of the
    module's default address."""
    if entry.allowed_hosts:
        return list(entry.allowed_hosts)
    hook = getattr(module, "allowed_hosts", None)
    if callable(hook):
        # The hook's one signature: the source's base URL option (if any) and the settings.
        return list(hook(base_url=entry.options.get("base_url") or None, settings=settings))
    urls = [
        v
        for value in entry.options.values()
        for v in (value if isinstance(value, list) else [value])
        if isinstance(v, str) and "://" in v
    ]
    if not urls:  # the module's own default address
        defaults = getattr(module, "DEFAULTS", {})
        urls = [defaults.get("base_url") or getattr(module, "DEFAULT_BASE_URL", "")]
    return sorted({urlsplit(u).hostname or "" for u in urls if u} - {""})


def _skip(entry: SourceEntry) -> dict[str, Any] | None:
    """The report of a source that does not run (disabled, replaced, not configured)."""
    base = {"name": entry.name, "source": entry.name}
    if not entry.enabled:
        return {**base, "status": "disabled", "message": "disabled in the sources file"}
    replaced = [v for v in entry.unless if v.strip()]
    if replaced:
        return {
            **base,
            "status": "skipped",
            "message": f"an alternative source is configured ({', '.join(replaced)})",
        }
    missing = [o for o in entry.requires if not entry.options.get(o)]
    if missing:
        return {
            **base,
            "status": "skipped",
            "message": f"not configured: {', '.join(missing)} not set",
        }
    return None


def run_entry(
    entry: SourceEntry, settings: Settings, store: Store, *, allow_removals: bool = False
) -> dict[str, Any]:
    """Run one source and return its report; never raises for a failing source."""
    skipped = _skip(entry)
    if skipped is not None:
        return skipped
    source = entry.source or entry.name
    recorded = False  # run_source and watch.apply record their own runs, failed ones too
    try:
        with ExitStack() as stack:
            module, fn = _load(entry)
            source = entry.source or getattr(module, "SOURCE", None) or entry.name
            hosts = _hosts(entry, module, settings)

            def open_fetcher() -> Fetcher:
                if not hosts:
                    raise InvalidInput(f"source {entry.name!r}: no host to fetch from")
                return stack.enter_context(
                    Fetcher(settings, source=source, allowed_hosts=hosts, **entry.fetch.kwargs())
                )

            ctx = SourceContext(
                name=entry.name,
                settings=settings,
                store=store,
                options=dict(entry.options),
                open_fetcher=open_fetcher,
            )
            known = getattr(module, "OPTIONS", None)
            unknown = sorted(set(entry.options) - set(known)) if known is not None else []
            if unknown:  # a typo in the sources file must not silently fall back to a default
                raise InvalidInput(
                    f"source {entry.name!r}: {entry.module} has no option "
                    f"{', '.join(map(repr, unknown))} (it reads {', '.join(sorted(known))})"
                )
            produced = fn(ctx)
            recorded = True
            if getattr(module, "WATCH", False):
                report = watch.apply(store, source, produced)
            else:
                report = _run_records(entry, module, store, source, produced, allow_removals)
    except Exception as exc:  # one broken source must not stop the others
        message = str(exc) if isinstance(exc, CasebankError) else f"{type(exc).__name__}: {exc}"
        log.info("source %s failed: %s", entry.name, message)
        failed = RunReport(source=source, status="failed", message=message)
        failed.finished_at = _now()
        if not recorded:
            store.save_run(failed.as_dict())
        return {**failed.as_dict(), "name": entry.name}
    return {**report.as_dict(), "name": entry.name}


def _run_records(
    entry: SourceEntry,
    module: Any,
    store: Store,
    source: str,
    produced: Iterable[Any],
    allow_removals: bool,
) -> RunReport:
    """Apply a record source's items through the runner, matched first if it says so."""
    complete = entry.complete
    if complete is None:
        complete = bool(getattr(module, "COMPLETE", False))
    match = entry.match if entry.match is not None else bool(getattr(module, "MATCH", False))
    if match:
        produced = route(produced, Matcher(store), source)
    return run_source(
        store,
        source,
        produced,
        complete=complete,
        allow_removals=allow_removals or entry.allow_removals,
    )


def run_job(
    settings: Settings,
    store: Store | None = None,
    *,
    only: list[str] | None = None,
    after: Callable[[Store], dict[str, Any]] | None = None,
    on_source: Callable[[dict[str, Any]], None] | None = None,
    allow_removals: bool = False,
) -> JobReport:
    """Run every configured source (or those named in `only`) under the ingest lock.

    `after(store)` runs under the same lock once the sources are done (the index update);
    its result, or its error, goes into the report. The report is also written to
    `data_dir/ingest-report.json`. `allow_removals` lets complete sources shrink (the
    runner's guard). Raises LockHeld if another run is going on and InvalidInput for a
    malformed sources file or an unknown name in `only`.
    """
    entries = load_sources(sources_file(settings))
    if only:
        names = {e.name for e in entries}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise InvalidInput(
                f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(sorted(names))}"
            )
        entries = [e for e in entries if e.name in only]
    with job_lock(settings):
        own_store = store is None
        store = store or Store(settings.db_path)
        try:
            report = JobReport()
            for entry in entries:
                result = run_entry(entry, settings, store, allow_removals=allow_removals)
                report.sources.append(result)
                if on_source:
                    on_source(result)
            if after is not None:
                try:
                    report.after = {"status": "ok", **after(store)}
                except Exception as exc:
                    log.exception("after-ingest step failed")
                    report.after = {"status": "failed", "message": str(exc)}
            report.finished_at = _now()
            _save_report(settings, report)
            return report
        finally:
            if own_store:
                store.close()


def _save_report(settings: Settings, report: JobReport) -> None:
    path = report_path(settings)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, path)
