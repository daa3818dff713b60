"""The periodic ingest job: every configured source in turn, under one lock, one report.

The sources file (`ingest/sources.yaml`, or `Settings.sources_file`) lists the sources in
the order they run; see that file for the format. Each entry names a module whose
function (default `items`) yields the source's items (`Case`, `Reject`, `Gone`, ...; see
`ingest.runner`). The job passes the function only the arguments it declares, among:

- `settings` (`corpus.settings.Settings`) and `store` (`corpus.store.Store`),
- `fetcher`: an `ingest.fetch.Fetcher` for the source, allowed to reach the entry's
  `allowed_hosts`, else the hosts the module's `allowed_hosts(**options)` returns, else the
  hosts of the URL options; the entry's `fetch` mapping tunes it (`min_interval`, ...);
- the entry's `options` (after `${ENV}` / `${ENV:-default}` expansion).

The store name of the source is the module's `SOURCE` (or the entry's `source`); whether
the source lists everything it has (`complete`: records it no longer lists are removed)
is the module's `COMPLETE` (or the entry's `complete`). Each source runs in its own
transaction through `ingest.runner.run_source`; a source that fails is reported and the
others still run. A lock (`fcntl.flock` on `data_dir/ingest.lock`) keeps two runs from
overlapping: the second fails at once with `LockHeld`. Work that must happen under the
same lock after the sources (the search index update, wired in casebank.py because
ingest never imports search) is passed as `after`.
"""

from __future__ import annotations

import fcntl
import importlib
import inspect
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from corpus.errors import CasebankError, InvalidInput, LockHeld
from corpus.settings import Settings
from corpus.store import Store
from ingest.fetch import Fetcher
from ingest.runner import RunReport, run_source

log = logging.getLogger("casebank.ingest")

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class SourceEntry:
    """One source of the sources file."""

    name: str
    module: str
    function: str = "items"
    enabled: bool = True
    #: Options that must be non-empty for the source to run (else it is skipped).
    requires: tuple[str, ...] = ()
    #: Values (usually `${ENV}`) that, when any is non-empty, skip this source: the way to
    #: say "the API unless a CSV export is configured".
    unless: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    complete: bool | None = None
    allowed_hosts: tuple[str, ...] = ()
    #: Fetcher settings for this source (min_interval, max_bytes, retries, timeout ...).
    fetch: dict[str, Any] = field(default_factory=dict)


def _expand(value: Any) -> Any:
    """`${NAME}` and `${NAME:-default}` in strings, recursively, from the environment."""
    if isinstance(value, str):
        return _ENV.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def sources_file(settings: Settings) -> Path:
    """The sources file in use: `Settings.sources_file` or the packaged one."""
    if settings.sources_file is not None:
        return settings.sources_file
    return Path(str(resources.files("ingest").joinpath("sources.yaml")))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_sources(path: Path) -> list[SourceEntry]:
    """Read a sources file; InvalidInput naming the file and the entry if it is malformed."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        raise InvalidInput(f"sources file {path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"sources file {path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise InvalidInput(f"sources file {path}: expected a mapping under 'sources:'")
    known = {
        *("module", "function", "enabled", "requires", "options", "source", "complete"),
        *("allowed_hosts", "fetch", "unless"),
    }
    entries = []
    for name, spec in data["sources"].items():
        where = f"sources file {path}: source {name!r}"
        if not isinstance(spec, dict) or not isinstance(spec.get("module"), str):
            raise InvalidInput(f"{where}: needs at least 'module: <python module>'")
        unknown = set(spec) - known
        if unknown:
            raise InvalidInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        options = spec.get("options") or {}
        if not isinstance(options, dict):
            raise InvalidInput(f"{where}: 'options' must be a mapping")
        requires = _as_list(spec.get("requires"))
        fetch = spec.get("fetch") or {}
        if not isinstance(fetch, dict) or set(fetch) - _FETCH_KEYS:
            raise InvalidInput(f"{where}: 'fetch' takes only {', '.join(sorted(_FETCH_KEYS))}")
        if not isinstance(spec.get("enabled", True), bool):
            raise InvalidInput(f"{where}: 'enabled' must be true or false")
        entries.append(
            SourceEntry(
                name=str(name),
                module=spec["module"],
                function=spec.get("function", "items"),
                enabled=spec.get("enabled", True),
                requires=tuple(requires),
                options=_expand(options),
                source=spec.get("source"),
                complete=spec.get("complete"),
                allowed_hosts=tuple(spec.get("allowed_hosts") or ()),
                fetch=fetch,
                unless=tuple(str(v) for v in _expand(_as_list(spec.get("unless")))),
            )
        )
    return entries


_FETCH_KEYS = frozenset(
    {"min_interval", "max_bytes", "retries", "backoff", "max_wait", "respect_robots", "timeout"}
)


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
        return all(s["status"] in ("ok", "partial", "skipped", "disabled") for s in self.sources)

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


def _accepted(fn: Callable[..., Any], available: dict[str, Any]) -> dict[str, Any]:
    """The subset of `available` that `fn` declares (all of it if `fn` takes **kwargs)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(available)
    return {k: v for k, v in available.items() if k in params}


def _hosts(entry: SourceEntry, module: Any, settings: Settings) -> list[str]:
    """The hosts a source may reach: the entry's list, else the module's `allowed_hosts()`
    (given the options it declares), else the hosts of the URL options."""
    if entry.allowed_hosts:
        return list(entry.allowed_hosts)
    hook = getattr(module, "allowed_hosts", None)
    if callable(hook):
        return list(hook(**_accepted(hook, {**entry.options, "settings": settings})))
    urls = [v for v in entry.options.values() if isinstance(v, str) and "://" in v]
    return sorted({urlsplit(u).hostname or "" for u in urls} - {""})


def run_entry(entry: SourceEntry, settings: Settings, store: Store) -> dict[str, Any]:
    """Run one source and return its report; never raises for a failing source."""
    if not entry.enabled:
        return {
            "name": entry.name,
            "source": entry.name,
            "status": "disabled",
            "message": "disabled in the sources file",
        }
    if any(v.strip() for v in entry.unless):
        return {
            "name": entry.name,
            "source": entry.name,
            "status": "skipped",
            "message": "an alternative source is configured "
            f"({', '.join(v for v in entry.unless if v.strip())})",
        }
    missing = [o for o in entry.requires if not entry.options.get(o)]
    if missing:
        return {
            "name": entry.name,
            "source": entry.name,
            "status": "skipped",
            "message": f"not configured: {', '.join(missing)} not set",
        }
    source = entry.source or entry.name
    recorded = False  # run_source records its own runs, failed ones included
    try:
        with ExitStack() as stack:
            module, fn = _load(entry)
            source = entry.source or getattr(module, "SOURCE", None) or entry.name
            complete = entry.complete
            if complete is None:
                complete = bool(getattr(module, "COMPLETE", False))
            params = inspect.signature(fn).parameters
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
            unknown = [o for o in entry.options if o not in params and not takes_any]
            if unknown:
                raise InvalidInput(
                    f"source {entry.name!r}: {entry.module}.{entry.function}() has no "
                    f"option {', '.join(map(repr, unknown))}"
                )
            kwargs: dict[str, Any] = dict(entry.options)
            if "settings" in params:
                kwargs["settings"] = settings
            if "store" in params:
                kwargs["store"] = store
            if "fetcher" in params:
                hosts = _hosts(entry, module, settings)
                kwargs["fetcher"] = stack.enter_context(
                    Fetcher(settings, source=source, allowed_hosts=hosts, **entry.fetch)
                )
            produced = fn(**kwargs)
            recorded = True
            report = run_source(store, source, produced, complete=complete)
    except Exception as exc:  # one broken source must not stop the others
        message = str(exc) if isinstance(exc, CasebankError) else f"{type(exc).__name__}: {exc}"
        log.info("source %s failed: %s", entry.name, message)
        failed = RunReport(source=source, status="failed", message=message)
        failed.finished_at = _now()
        if not recorded:
            store.save_run(failed.as_dict())
        return {**failed.as_dict(), "name": entry.name}
    return {**report.as_dict(), "name": entry.name}


def run_job(
    settings: Settings,
    store: Store | None = None,
    *,
    only: list[str] | None = None,
    after: Callable[[Store], dict[str, Any]] | None = None,
    on_source: Callable[[dict[str, Any]], None] | None = None,
) -> JobReport:
    """Run every configured source (or those named in `only`) under the ingest lock.

    `after(store)` runs under the same lock once the sources are done (the index update);
    its result, or its error, goes into the report. The report is also written to
    `data_dir/ingest-report.json`. Raises LockHeld if another run is going on and
    InvalidInput for a malformed sources file or an unknown name in `only`.
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
                result = run_entry(entry, settings, store)
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


# -- schedule ------------------------------------------------------------------------------

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.I)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """Seconds in an interval like `30m`, `6h`, `24h` or `1d`; InvalidInput otherwise."""
    m = _EVERY.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise InvalidInput(
            f"--every {text!r}: expected a positive number with a unit s, m, h or d (e.g. 24h)"
        )
    return int(m.group(1)) * _UNIT[m.group(2).lower()]


def run_every(
    seconds: float,
    run_once: Callable[[], Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    runs: int | None = None,
) -> None:
    """Call `run_once` every `seconds` (start to start) until interrupted, or `runs` times.

    A run that raises is logged and the loop goes on; KeyboardInterrupt ends the loop and
    propagates so the caller can exit cleanly.
    """
    done = 0
    while runs is None or done < runs:
        started = clock()
        try:
            run_once()
        except LockHeld as exc:
            log.warning("run skipped: %s", exc)
        except Exception:
            log.exception("ingest run failed; trying again at the next interval")
        done += 1
        if runs is not None and done >= runs:
            return
        sleep(max(0.0, seconds - (clock() - started)))
