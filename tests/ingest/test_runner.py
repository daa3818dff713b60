"""The ingest runner: one transaction per run, reports with rejects, removals, rollback."""

import pytest

from corpus.model import Case
from corpus.store import Store
from ingest.runner import Gone, Note, Reject, run_source


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
