"""The ingest runner: one transaction per run, reports with rejects, removals, rollback."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.errors import SourceError
from corpus.model import Case
from corpus.store import Store
from ingest.runner import Checkpoint, Gone, Limits, Note, Reject, SourceUnchanged, run_source


def case(n, title=None):
    ident = f"INDIGO-POJ-{n:04d}"
    return Case(
        id=ident, external_ids={"indigo": ident}, title=title or f"Case {n}", countries=["GB"]
    )


def test_report_counts_new_unchanged_changed_rejected_and_keeps_them(tmp_path):
    store = Store(tmp_path / "s.db")
    first = run_source(
        store,
        "indigo",
        [
            case(1),
            case(2),
            Reject("projects.csv:4", "no name"),
            Note("projects.csv:5", "bad date", "warning"),
        ],
    )
    assert first.as_dict()["counts"] == {
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
        "rejected": 1,
        "warnings": 1,
    }
    assert first.status == "partial"
    second = run_source(store, "indigo", [case(1), case(2, "Renamed")])
    assert (second.counts["unchanged"], second.counts["changed"]) == (1, 1)
    runs = store.runs()
    assert [r["status"] for r in runs] == ["ok", "partial"]
    assert runs[1]["rejects"] == [{"where": "projects.csv:4", "reason": "no name"}]
    assert runs[1]["notes"] == [
        {"where": "projects.csv:5", "kind": "warning", "reason": "bad date"}
    ]


def test_complete_source_removes_what_it_no_longer_lists_but_keeps_rejected(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(1), case(2), case(3)], complete=True)
    report = run_source(
        store,
        "indigo",
        [case(1), Reject("projects.csv:3", "bad", record_id="INDIGO-POJ-0002")],
        complete=True,
    )
    assert report.counts["removed"] == 1
    assert store.record_ids("indigo") == {"INDIGO-POJ-0001", "INDIGO-POJ-0002"}


def test_gone_removes_and_duplicates_are_rejected(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(1), case(2)])
    report = run_source(store, "indigo", [Gone("INDIGO-POJ-0002", "not public"), case(1), case(1)])
    assert report.counts["removed"] == 1
    assert report.counts["rejected"] == 1
    assert "duplicate" in report.rejects[0]["reason"]


def test_a_crash_mid_run_rolls_back_everything_and_is_reported(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(1)])

    def items():
        yield case(1, "Changed")
        yield case(2)
        raise OSError("disk vanished")

    with pytest.raises(OSError):
        run_source(store, "indigo", items())
    assert store.count_cases() == 1
    assert store.get_case("indigo-poj-0001").title == "Case 1"
    assert store.runs()[0]["status"] == "failed"
    assert "disk vanished" in store.runs()[0]["message"]


# -- guards of complete sources --------------------------------------------------------------


def test_complete_source_that_stops_listing_many_records_is_refused_unless_allowed(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(n) for n in range(1, 31)], complete=True)
    before = store.case_hashes()
    report = run_source(store, "indigo", [case(n) for n in range(1, 4)], complete=True)
    assert report.status == "failed"
    assert report.message.startswith("refused: would remove 27 of the 30 records stored")
    assert store.case_hashes() == before
    # A small shrink (at most 10%, at most 20) goes through; so does a big one when allowed.
    assert (
        run_source(store, "indigo", [case(n) for n in range(1, 28)], complete=True).counts[
            "removed"
        ]
        == 3
    )
    allowed = run_source(
        store, "indigo", [case(n) for n in range(1, 4)], complete=True, allow_removals=True
    )
    assert allowed.counts["removed"] == 24 and store.count_cases() == 3


def test_reject_bound_stops_reading_at_once(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(1)], complete=True)
    read = []

    def garbage():
        for n in range(1_000_000):
            read.append(n)
            yield Reject(f"projects.csv:{n + 2}", "has 2 cells, the header has 40 columns")

    report = run_source(store, "indigo", garbage(), complete=True, limits=Limits(max_rejects=50))
    assert report.status == "failed" and report.message.startswith("refused: more than 50")
    assert len(read) == 51  # the generator was not asked for more
    assert store.record_ids("indigo") == {"INDIGO-POJ-0001"}


def test_reject_share_refuses_a_mostly_rejected_run(tmp_path):
    store = Store(tmp_path / "s.db")
    items = [case(1), *(Reject(f"x:{n}", "bad", f"INDIGO-POJ-{n:04d}") for n in range(2, 20))]
    report = run_source(store, "indigo", items, complete=True)
    assert report.status == "failed" and "18 of 19 inputs rejected" in report.message
    assert store.count_cases() == 0
    # Not complete (a scraper): rejects only make the run partial.
    assert run_source(store, "web", items).status == "partial"


def test_checkpoint_is_kept_only_with_the_data_and_unchanged_is_a_success(tmp_path):
    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", [case(1), Checkpoint("download_sha256", "aaa")], complete=True)
    assert store.source_state("indigo", "download_sha256") == "aaa"

    def broken():
        yield Checkpoint("download_sha256", "bbb")
        raise SourceError("projects.csv: broken CSV")

    assert run_source(store, "indigo", broken(), complete=True).status == "failed"
    assert store.source_state("indigo", "download_sha256") == "aaa"

    def same():
        raise SourceUnchanged("same download as last time")
        yield  # a generator

    report = run_source(store, "indigo", same(), complete=True)
    assert report.status == "unchanged" and store.count_cases() == 1
    assert "indigo" in store.last_success()


KILL_SCRIPT = """
import sys, time
from corpus.model import Case
from corpus.store import Store
from ingest.runner import run_source

def items():
    for n in range(1, 201):
        ident = f"INDIGO-POJ-{n:04d}"
        yield Case(id=ident, external_ids={"indigo": ident}, title=f"Run {sys.argv[2]} {n}")
    open(sys.argv[3], "w").close()  # every item handed over: the commit is next

run_source(Store(sys.argv[1]), "indigo", items(), complete=True)
"""


@pytest.mark.slow
def test_kill_at_any_moment_leaves_data_and_run_rows_in_step(tmp_path):
    """SIGKILL a real process running a source, right as it finishes handing over items
    (the moment of removals, the commit and the run row), and at other moments: the
    store holds a run's data exactly when it holds that run's report."""
    db = tmp_path / "s.db"
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    repo = Path(__file__).resolve().parents[2]
    ok_before, previous = 0, set()
    for attempt, delay in enumerate([None, 0.0, 0.001, 0.005, 0.02, 0.3, None, 0.01]):
        marker = tmp_path / f"done{attempt}"
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db), str(attempt), str(marker)], cwd=repo
        )
        if delay is None:
            proc.wait(timeout=120)  # let it finish
        else:
            deadline = time.monotonic() + 120
            while not marker.exists() and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.0005)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        store = Store(db)
        titles = {c.title.rsplit(" ", 1)[0] for c in store.iter_cases()}
        ok_runs = sum(1 for r in store.runs(limit=100) if r["status"] == "ok")
        store.close()
        committed = titles == {f"Run {attempt}"}
        if delay is None:
            assert committed
        if committed:
            ok_before += 1
        else:
            assert titles == previous  # nothing of the killed run is left
        # A run's data is in the store exactly when its report is.
        assert ok_runs == ok_before, (attempt, delay, titles)
        previous = titles
