"""The `casebank` command: the one module that wires corpus, ingest, search and web together.

Domain errors raised anywhere inside become a one-line message and exit code 1 here, in
`main()`, and nowhere else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from corpus import curated
from corpus.errors import CasebankError
from corpus.settings import Settings
from corpus.store import Store
from ingest.runner import run_source
from ingest.sources import corpus_files

app = typer.Typer(
    help="Knowledge base and search of social-impact-bond cases.", no_args_is_help=True
)
ingest_app = typer.Typer(help="Collect cases from sources into the store.")
app.add_typer(ingest_app, name="ingest")

console = Console(stderr=True)
_state: dict[str, Settings] = {}


def settings() -> Settings:
    """The settings of this invocation (environment, then --data-dir)."""
    return _state.setdefault("settings", Settings.from_env())


def open_store() -> Store:
    """The store in the configured data folder."""
    return Store(settings().db_path)


@app.callback()
def _root(
    data_dir: Path = typer.Option(
        None, "--data-dir", envvar="CASEBANK_DATA_DIR", help="Folder of the store and indexes."
    ),
) -> None:
    _state["settings"] = Settings.from_env(data_dir=data_dir)


def print_json(data: object) -> None:
    """Print a JSON document to stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- curated corpus ---------------------------------------------------------------------

corpus_app = typer.Typer(help="The curated case files under corpus/cases/.")
app.add_typer(corpus_app, name="corpus")


def print_run_report(report: dict) -> None:
    """Print one ingest run's report: status, counts and every rejected input with why."""
    out = Console(soft_wrap=True)
    counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items())
    colour = {"ok": "green", "unchanged": "green", "partial": "yellow"}.get(report["status"], "red")
    out.print(f"{report['source']}: [{colour}]{report['status']}[/{colour}] ({counts})")
    if report.get("message"):
        out.print(f"  {report['message']}", markup=False)
    for reject in report.get("rejects", []):
        out.print(f"  rejected {reject['where']}: {reject['reason']}", markup=False)
    for note in report.get("notes", []):  # cross-source merges and near misses
        out.print(f"  {note['kind']} {note['where']}: {note['reason']}", markup=False)
    left_off = {k: n for k, n in (report.get("left_off") or {}).items() if n}
    if left_off:  # a report keeps the first entries and counts the rest
        out.print("  and " + ", ".join(f"{n} more {k}" for k, n in left_off.items()))


_CASES_DIR_OPTION = typer.Option(
    None, "--cases-dir", help="Folder of case files (default: the packaged corpus/cases)."
)


@ingest_app.command("corpus")
def ingest_corpus(cases_dir: Path = _CASES_DIR_OPTION) -> None:
    """Load the curated case files into the store (files with problems are rejected)."""
    items = corpus_files.read(cases_dir)
    report = run_source(open_store(), corpus_files.SOURCE, items, complete=corpus_files.COMPLETE)
    print_run_report(report.as_dict())
    if report.status == "failed":
        raise typer.Exit(1)


def run_with_progress(
    source: str, label: str, read, *, allow_removals: bool = False, store: Store | None = None
) -> None:
    """Run one complete source with a progress bar, print its report; exit 1 if it failed
    (a refused run fails: nothing was written).

    `read(on_total)` returns the source's items and may call `on_total(n)` once it knows n.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    store = store or open_store()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        report = run_source(
            store,
            source,
            read(lambda n: bar.update(task, total=n)),
            complete=True,
            allow_removals=allow_removals,
            on_item=lambda _item: bar.advance(task),
        )
    print_run_report(report.as_dict())
    if report.status == "failed":
        raise typer.Exit(1)


_ALLOW_REMOVALS = typer.Option(
    False,
    "--allow-removals",
    help="Accept a run that removes many stored records (the source really shrank).",
)


@ingest_app.command("indigo-csv")
def ingest_indigo_csv(
    path: Path = typer.Argument(..., help="The INDIGO CSV export: a folder or a .zip of it."),
    allow_removals: bool = _ALLOW_REMOVALS,
) -> None:
    """Import the INDIGO CSV export (projects.csv, projects_*.csv, organisations.csv, funds).

    An export that lacks a file, has too many bad rows, or would remove many stored
    projects is refused whole (exit 1, nothing changed); --allow-removals accepts the
    last when the export really shrank.
    """
    from ingest.indigo import csv_export

    run_with_progress(
        csv_export.SOURCE,
        f"reading {path}",
        lambda on_total: csv_export.read_export(path, on_total),
        allow_removals=allow_removals,
    )


@ingest_app.command("indigo-api")
def ingest_indigo_api(
    base_url: str = typer.Option(
        None, "--base-url", help="INDIGO data store base URL (default: CASEBANK_INDIGO_BASE_URL)."
    ),
    per_project: bool = typer.Option(
        False,
        "--per-project",
        help="Fetch every project and organisation from the JSON API (slow; diagnostics).",
    ),
    interval: float = typer.Option(
        0.5, "--interval", min=0, help="Seconds to wait between requests to the server."
    ),
    allow_removals: bool = _ALLOW_REMOVALS,
) -> None:
    """Import INDIGO online: the bulk CSV zips of projects and of the pipeline (one request
    each, skipped when unchanged); with --per-project, the per-record JSON API."""
    from ingest.fetch import Fetcher
    from ingest.indigo import api, bulk, pipeline

    base = base_url or settings().indigo_base_url
    hosts = api.allowed_hosts(base)
    store = open_store()
    with Fetcher(
        settings(),
        source="indigo",
        allowed_hosts=hosts,
        min_interval=interval,
        max_bytes=bulk.MAX_BYTES,
    ) as f:
        if per_project:
            run_with_progress(
                api.SOURCE,
                f"fetching {base}",
                lambda on_total: api.read_api(f, base, on_total=on_total),
                allow_removals=allow_removals,
                store=store,
            )
            return
        failed = False
        for source, read in (
            (bulk.SOURCE, lambda _t: bulk.project_items(f, store, base)),
            (pipeline.SOURCE, lambda _t: bulk.pipeline_items(f, store, base)),
        ):
            try:
                run_with_progress(
                    source,
                    f"downloading {base}",
                    read,
                    allow_removals=allow_removals,
                    store=store,
                )
            except typer.Exit:
                failed = True  # still try the pipeline; exit 1 at the end
        if failed:
            raise typer.Exit(1)


@corpus_app.command("check")
def corpus_check(
    files: list[str] = typer.Argument(
        None, help="Only report these files (names or paths); the whole folder is still read."
    ),
    indigo_csv: Path = typer.Option(
        None,
        "--indigo-csv",
        help="INDIGO CSV export (folder, zip or projects.csv) to check INDIGO ids against.",
    ),
    cases_dir: Path = _CASES_DIR_OPTION,
) -> None:
    """Validate the curated case files and their sources; list the unverified facts.

    Exits 1 with the list of problems (file: field: message), among them every fact
    stated without a source.
    """
    ids: set[str] | None = None
    if indigo_csv is not None:
        from ingest.indigo.csv_export import project_ids

        ids, against = project_ids(indigo_csv), str(indigo_csv)
    else:
        against = "the INDIGO records in the store"
        if settings().db_path.exists():  # checking must not create an empty store
            ids = open_store().record_ids("indigo") or None
    report = curated.check(cases_dir, indigo_ids=ids, indigo_checked_against=against)
    if files:
        report = report.only({Path(f).name for f in files})
    out = Console(soft_wrap=True)
    unverified = report.unverified
    if report.problems:
        for problem in report.problems:
            out.print(str(problem), markup=False, highlight=False)
        out.print(f"[red]{len(report.problems)} problem(s)[/red] in {len(report.files)} files")
        raise typer.Exit(1)
    s = report.summary()
    out.print(f"[green]ok[/green]: {s['files']} files, {s['cases']} cases")
    out.print("  by country: " + ", ".join(f"{k} {v}" for k, v in s["by_country"].items()))
    out.print("  by sector: " + ", ".join(f"{k} {v}" for k, v in s["by_sector"].items()))
    if s["indigo_checked_against"]:
        out.print(f"  {s['with_indigo_id']} INDIGO ids checked against {against}")
    else:
        out.print(
            f"  {s['with_indigo_id']} INDIGO ids not checked: no INDIGO data in the store "
            "(ingest it or pass --indigo-csv)"
        )
    out.print(f"  0 facts without a source; {len(unverified)} unverified fact(s)")
    for fact in unverified:
        out.print(f"    {fact}", markup=False, highlight=False)


glossary_app = typer.Typer(help="The Nordic social-policy glossary under search/glossary/.")
app.add_typer(glossary_app, name="glossary")


@glossary_app.command("check")
def glossary_check(
    path: Path = typer.Option(None, "--path", help="A glossary file or folder (default: shipped)."),
) -> None:
    """Validate the glossary files; print each problem (file: entry: message), exit 1 on any."""
    from search.glossary import check, load_glossary

    problems = check(path)
    out = Console(soft_wrap=True)
    if problems:
        for problem in problems:
            out.print(str(problem), markup=False, highlight=False)
        out.print(f"[red]{len(problems)} problem(s)[/red]")
        raise typer.Exit(1)
    out.print(f"[green]ok[/green]: {len(load_glossary(path))} concepts")


# -- stats ------------------------------------------------------------------------------


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How many cases the store holds, by country, source, sector and instrument."""
    store = open_store()
    data = store.stats()
    if "by_instrument" not in data:
        # The store's counts predate the instrument field; counted here until it has them.
        counts: dict[str, int] = {}
        for case in store.iter_cases():
            counts[case.instrument] = counts.get(case.instrument, 0) + 1
        data["by_instrument"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if as_json:
        print_json(data)
        return
    out = Console()
    out.print(f"[bold]{data['cases']}[/bold] cases")
    for key, title in (
        ("by_country", "Country"),
        ("by_source", "Source"),
        ("by_sector", "Sector"),
        ("by_instrument", "Instrument"),
    ):
        table = Table(title=title)
        table.add_column(title)
        table.add_column("Cases", justify="right")
        for name, n in data[key].items():
            table.add_row(str(name), str(n))
        out.print(table)


# -- index and search -------------------------------------------------------------------
# search/ is imported inside the commands so other commands start without loading FAISS.


@app.command()
def index() -> None:
    """Build or update the search index (only new or changed cases are embedded)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from search.indexer import build_index

    columns = (
        TextColumn("search index"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("embedding", total=None)
        counts = build_index(
            settings(),
            open_store(),
            progress=lambda done, n: bar.update(task, completed=done, total=n),
        )
    console.print(
        f"index: {counts['total']} cases ({counts['embedded']} embedded, {counts['reused']} "
        f"reused, {counts['removed']} removed; {counts['texts_embedded']} texts embedded) "
        f"in {counts['seconds']:.1f} s"
    )


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in any language."),
    limit: int = typer.Option(10, "--limit", help="How many results."),
    as_json: bool = typer.Option(False, "--json", help="Print the /api/search JSON document."),
    country: list[str] = typer.Option(None, "--country", help="ISO country code (repeatable)."),
) -> None:
    """Search the cases; `--json` prints the same document as /api/search."""
    from search.request import SearchRequest
    from search.service import SearchService

    request = SearchRequest(q=query, limit=limit, country=country or [])
    data = SearchService(settings(), open_store()).search(request).model_dump(mode="json")
    if not data["semantic"]:
        console.print("no semantic search index yet: keyword search only (run `casebank index`)")
    if as_json:
        print_json(data)
        return
    out = Console()
    noun = "case" if data["matched"] == 1 else "cases"
    out.print(f"[bold]{data['matched']}[/bold] matching {noun} for {data['query']!r}")
    if data["understood"]:
        said = "; ".join(f"{u['typed']} ({', '.join(u['terms'])})" for u in data["understood"])
        out.print(f"Also searched with the English terms: {said}", highlight=False)
    if not data["matched"] and data["results"]:
        out.print("No case matches well; these are the closest:")
    for n, r in enumerate(data["results"], start=1):
        where = ", ".join(r["countries"]) or "?"
        weak = "" if r["match"] else "; weak"
        out.print(f"{n:>2}. [bold]{r['title']}[/bold] ({where}; {r['id']}; {r['score']:.2f}{weak})")
        if r["snippet"]:
            out.print(f"    {r['snippet']['text']}", highlight=False)


# -- the ingest job and its schedule ----------------------------------------------------


def _index_after(store: Store) -> dict:
    """The search index update that follows an ingest run (under the same lock)."""
    from search.indexer import build_index

    return build_index(settings(), store)


def _print_job_source(result: dict) -> None:
    if result["status"] in ("skipped", "disabled"):
        Console(soft_wrap=True).print(
            f"{result['name']}: [dim]{result['status']}[/dim] ({result['message']})"
        )
    else:
        print_run_report(result)


def run_ingest_job(
    only: list[str] | None, index: bool, strict: bool = False, allow_removals: bool = False
) -> bool:
    """Run the ingest job (and the index update), printing as it goes.

    False when the index update failed or, with `strict`, when a source failed; a failed
    source alone is reported but not fatal (a site being down must not stop the rest).
    """
    from ingest.job import run_job

    report = run_job(
        settings(),
        only=only or None,
        after=_index_after if index else None,
        on_source=_print_job_source,
        allow_removals=allow_removals,
    )
    after = report.after
    if after is not None:
        if after["status"] == "ok":
            console.print(
                f"index: {after['total']} cases ({after['embedded']} embedded, "
                f"{after['reused']} reused, {after['removed']} removed)"
            )
        else:
            console.print(f"[red]index update failed:[/red] {after['message']}")
    if not report.ok:
        failed = [r["name"] for r in report.sources if r["status"] == "failed"]
        console.print(f"[yellow]failed sources:[/yellow] {', '.join(failed)}")
    return (report.ok or not strict) and (after is None or after["status"] == "ok")


def print_latest_runs(as_json: bool) -> None:
    """The latest run report of each source, newest first, and the last job's summary."""
    from ingest.job import last_report

    latest: dict[str, dict] = {}
    for run in open_store().runs(limit=500):
        latest.setdefault(run["source"], run)
    job = last_report(settings())
    status = open_store().source_status()
    if as_json:
        print_json({"job": job, "runs": list(latest.values()), "status": status})
        return
    out = Console(soft_wrap=True)
    if not latest:
        out.print("no ingest runs yet: run `casebank ingest`")
        return
    if job:
        state = "[green]ok[/green]" if job["ok"] else "[red]with failures[/red]"
        out.print(f"last job: {job['started_at']} .. {job['finished_at']} {state}")
    table = Table(title="Latest run of each source")
    table.add_column("Source", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for col in ("New", "Changed", "Unchanged", "Removed", "Errors"):
        table.add_column(col, justify="right", no_wrap=True)
    for run in latest.values():
        c = run["counts"]
        table.add_row(
            run["source"],
            f"[red]{run['status']}[/red]" if run["status"] == "failed" else run["status"],
            *(str(c.get(k, 0)) for k in ("new", "changed", "unchanged", "removed", "rejected")),
        )
    out.print(table)
    for run in latest.values():
        if run["status"] == "failed":  # never shown as updated when nothing was fetched
            success = status.get(run["source"], {}).get("last_success")
            when = success.replace("T", " ")[:16] if success else "never"
            out.print(f"[red]{run['source']}: failed[/red]; last success: {when}")
        if job and run["finished_at"] and run["finished_at"] < job["started_at"]:
            out.print(f"{run['source']}: last ran {run['finished_at']} (not in the last job)")
        if run.get("message"):
            out.print(f"{run['source']}: {run['message']}", markup=False)
        for reject in run["rejects"][:20]:
            out.print(f"  {run['source']}: {reject['where']}: {reject['reason']}", markup=False)
        if len(run["rejects"]) > 20:
            out.print(f"  {run['source']}: ... and {len(run['rejects']) - 20} more")
        for note in run.get("notes", []):  # cross-source merges and near misses
            out.print(
                f"  {run['source']}: {note['kind']} {note['where']}: {note['reason']}",
                markup=False,
            )
    review = open_store().review_items()
    if review:  # the watched national pages are the other half of a source's status
        out.print(f"{len(review)} watched page(s) to review: run `casebank sources review`")


_ONLY_OPTION = typer.Option(None, "--only", help="Run only this configured source (repeatable).")
_NO_INDEX_OPTION = typer.Option(
    False, "--no-index", help="Leave the search index as it is (update it later with `index`)."
)
_STRICT_OPTION = typer.Option(
    False, "--strict", help="Exit with status 1 when any source failed (for monitoring)."
)


@ingest_app.callback(invoke_without_command=True)
def ingest(
    ctx: typer.Context,
    report: bool = typer.Option(
        False, "--report", help="Show the latest run report of each source instead of running."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --report: print JSON."),
    only: list[str] = _ONLY_OPTION,
    no_index: bool = _NO_INDEX_OPTION,
    strict: bool = _STRICT_OPTION,
    allow_removals: bool = typer.Option(
        False, "--allow-removals", help="Accept complete sources that shrink a lot."
    ),
) -> None:
    """Run every configured source (see the sources file), then update the search index.

    Without a subcommand this is the periodic job: one source after another, each in its
    own transaction, under a lock so two runs cannot overlap.
    """
    if ctx.invoked_subcommand is not None:
        # A one-source import (`ingest corpus`, `ingest indigo-csv` ...) takes the job's
        # lock too, held until the subcommand is done, so it never overlaps a job run.
        from ingest.job import job_lock

        ctx.with_resource(job_lock(settings()))
        return
    if report:
        print_latest_runs(as_json)
        return
    if not run_ingest_job(only, index=not no_index, strict=strict, allow_removals=allow_removals):
        raise typer.Exit(1)


@app.command()
def schedule(
    every: str = typer.Option("24h", "--every", help="Interval: 30m, 6h, 24h, 1d ..."),
    only: list[str] = _ONLY_OPTION,
    no_index: bool = _NO_INDEX_OPTION,
) -> None:
    """Run `casebank ingest` every interval in the foreground (for a container); Ctrl-C stops."""
    import logging

    from ingest.schedule import parse_every, run_every

    seconds = parse_every(every)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    console.print(f"ingest every {every}; Ctrl-C stops")
    try:
        run_every(seconds, lambda: run_ingest_job(only, index=not no_index))
    except KeyboardInterrupt:
        console.print("stopped")


# -- watched sources ----------------------------------------------------------------------

sources_app = typer.Typer(help="The watched national sources (their curated cases are the record).")
app.add_typer(sources_app, name="sources")


@sources_app.command("review")
def sources_review(
    done: list[str] = typer.Option(
        None, "--done", help="Accept this page's current text as reviewed (repeatable)."
    ),
    done_all: bool = typer.Option(False, "--all-done", help="Accept every listed page."),
    source: str = typer.Option(None, "--source", help="Only this source."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List watched pages that changed since their curated records were checked, or that
    no curated case cites yet; `--done URL` marks one as reviewed (update the case file
    first). Nothing here changes a case."""
    from ingest.job import job_lock
    from ingest.watch import mark_reviewed

    store = open_store()
    if done or done_all:
        listed = {i["url"] for i in store.review_items()}
        unknown = [u for u in done or () if u not in listed]
        if unknown:
            console.print(f"[red]error:[/red] not a page to review: {', '.join(unknown)}")
            raise typer.Exit(1)
        with job_lock(settings()):  # never while a job is recording pages
            n = mark_reviewed(store, urls=done or (), source=source)
        console.print(f"{n} page(s) marked as reviewed")
        return
    items = [i for i in store.review_items() if not source or i["source"] == source]
    if as_json:
        print_json({"items": items})
        return
    out = Console(soft_wrap=True)
    if not items:
        out.print("nothing to review: no watched page changed or appeared")
        return
    for item in items:
        cases = f" (curated: {', '.join(item['cases'])})" if item["cases"] else ""
        out.print(
            f"{item['source']}: [bold]{item['review']}[/bold] {item['url']}{cases}",
            highlight=False,
        )
        out.print(f"  {item['title'] or '(no title)'}: {item['review_reason']}", markup=False)
    out.print(f"{len(items)} page(s) to review; `--done URL` once a case file is up to date")


# -- web --------------------------------------------------------------------------------


def ingest_is_recent(max_age_hours: float) -> bool:
    """Whether the ingest job last ran to its end less than `max_age_hours` ago.

    A job whose sources partly failed counts: failed sources are retried by the next
    scheduled run, they never hold up serving.
    """
    from datetime import UTC, datetime

    from ingest.job import last_report

    report = last_report(settings())
    try:
        finished = datetime.fromisoformat(report["finished_at"])
    except (TypeError, KeyError, ValueError):
        return False
    age = (datetime.now(UTC) - finished).total_seconds() / 3600
    return 0 <= age < max_age_hours


def start_behind(args: list[str]) -> subprocess.Popen:
    """Run `casebank ARGS` as a child process at lower priority (serving comes first).

    It shares the terminal, so its progress bar shows there; it takes the index's build
    lock itself, so web workers never build.
    """
    import time

    from search import index_files

    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(settings().data_dir), *args]
    child = subprocess.Popen(cmd, preexec_fn=lambda: os.nice(10))
    if "--no-index" not in args:
        # The build shows from now on (pages, health), not only once the child holds the lock.
        index_files.write_progress(settings().index_dir, 0, 0, time.time(), pid=child.pid)
    return child


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Web server processes (default: CASEBANK_WORKERS or 2)."
    ),
    refresh: bool = typer.Option(
        False,
        "--refresh",
        help="Run the ingest job first when its last run is older than CASEBANK_INGEST_MAX_AGE "
        "hours (24): in the foreground for an empty store, else behind the server.",
    ),
    build: bool = typer.Option(
        True, "--build/--no-build", help="Build or update the search index behind the server."
    ),
) -> None:
    """Serve the website and the JSON API at once (http://HOST:PORT, API docs at /docs).

    The search index is built behind, in a child process: until it is ready, the pages
    and /api/health say how far it is, and the server picks it up without a restart.
    """
    from corpus.errors import LockHeld
    from search.embedders import set_model_threads
    from search.glossary import lemma_dictionaries_ready, prepare_lemmas
    from web import serving

    conf = settings()
    workers = workers or conf.workers
    conf.data_dir.mkdir(parents=True, exist_ok=True)
    behind: list[str] | None = ["index"] if build else None
    if refresh and not ingest_is_recent(conf.ingest_max_age):
        if open_store().count_cases() == 0:
            console.print("casebank: empty store, running the ingest job first")
            try:
                run_ingest_job(None, index=False)
            except LockHeld as exc:
                console.print(f"[yellow]ingest skipped:[/yellow] {exc}")
        else:
            # Stale but not empty: serve what there is; the job updates the index after.
            behind = ["ingest"] if build else ["ingest", "--no-index"]
    child = start_behind(behind) if behind and open_store().count_cases() else None
    # Every worker process builds its own app from the environment (an import string).
    os.environ["CASEBANK_DATA_DIR"] = str(conf.data_dir.resolve())
    # Model threads per worker: the cores shared out (search/embedders/__init__.py).
    set_model_threads(workers)
    if not lemma_dictionaries_ready():
        # Once per machine (`make setup` does it already): else the first search of
        # every worker would wait for it.
        console.print("casebank: building the glossary's lemma dictionaries (once, ~20 s)")
        prepare_lemmas()
    console.print(f"casebank: serving http://{host}:{port} with {workers} worker(s) (Ctrl-C stops)")
    try:
        # uvicorn's own run(), with the workers' socket marked TCP (see web/serving.py).
        serving.run("web.app:app_from_env", host=host, port=port, workers=workers)
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(timeout=30)


def operational_message(exc: BaseException) -> str | None:
    """One line for an operational failure (disk full, read-only, permissions): what
    happened, which path, what to do. None for anything else (a bug: traceback)."""
    import errno
    import sqlite3

    after = "the store and the live search index are as they were"
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        path = settings().db_path
        if "disk is full" in text:
            return f"disk full while writing {path}: free some space and run it again; {after}"
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            # SQLite does not say why; the folder does.
            return _unwritable(path.parent, path) or (
                f"cannot open {path}: check that the data folder exists and is writable"
            )
        return None
    if not isinstance(exc, OSError) or exc.errno is None:
        return None
    path = exc.filename or settings().data_dir
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"disk full while writing {path}: free some space and run it again; {after}"
    if exc.errno == errno.EROFS:
        return (
            f"{path} is on a read-only file system: use a writable data folder "
            f"(--data-dir or CASEBANK_DATA_DIR); {after}"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {path}: run as a user who may write there, or use another "
            f"data folder (--data-dir); {after}"
        )
    if exc.errno in (errno.EIO, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EMFILE):
        return f"{exc.strerror} on {path}: check the data folder; {after}"
    return None


def _unwritable(folder: Path, path: Path) -> str | None:
    """Why `folder` cannot be written (read-only file system, permissions), if it cannot."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return (
                f"{path} is on a read-only file system: use a writable data folder "
                "(--data-dir or CASEBANK_DATA_DIR); the store is as it was"
            )
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return (
            f"permission denied on {path}: run as a user who may write there, or use another "
            "data folder (--data-dir); the store is as it was"
        )
    return None


def main() -> None:
    """Entry point: run the app; domain errors and operational failures (disk full,
    read-only, permission denied) become one line on stderr and exit status 1."""
    try:
        app()
    except CasebankError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except Exception as exc:
        message = operational_message(exc)
        if message is None:
            raise
        console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
