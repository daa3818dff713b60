"""The SQLite store: migrations, idempotent upserts, merging records, lookups, stats."""

import sqlite3

import pytest

from corpus.errors import NotFound
from corpus.model import Case, Party
from corpus.store import MIGRATIONS, Store


def indigo_record(**kw):
    base = dict(
        id="INDIGO-POJ-0001",
        external_ids={"indigo": "INDIGO-POJ-0001"},
        title="Youth substance abuse SIB",
        countries=["DK"],
        sector="Health",
        stage="implementation",
        parties=[Party(name="Brøndby Kommune", role="outcome_payer", org_type="government")],
    )
    base.update(kw)
    return Case(**base)


def test_migrations_run_once_and_record_the_version(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert {"cases", "records", "runs", "external_ids"} <= set(store.db.table_names())


def test_upsert_is_idempotent_and_writes_nothing_when_unchanged(tmp_path):
    store = Store(tmp_path / "s.db")
    assert store.upsert_record(indigo_record(), "indigo") == "new"
    before = store.db.execute("SELECT updated_at, content_hash FROM cases").fetchall()
    changes = store.db.conn.total_changes
    assert store.upsert_record(indigo_record(), "indigo") == "unchanged"
    assert store.db.conn.total_changes == changes
    assert store.db.execute("SELECT updated_at, content_hash FROM cases").fetchall() == before
    assert store.upsert_record(indigo_record(title="Renamed"), "indigo") == "changed"
    assert store.get_case("indigo-poj-0001").title == "Renamed"


def test_records_of_one_case_merge_with_curated_text_first(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(), "indigo")
    curated = Case(
        id="dk-broendby-tuba",
        external_ids={"indigo": "INDIGO-POJ-0001"},
        title="Rusmiddelbehandling for unge i Brøndby",
        summary={"da": "Kort dansk resumé.", "en": "Short English summary."},
        parties=[Party(name="TUBA", role="service_provider", org_type="nonprofit")],
        provider_model="nonprofit",
        provider_model_basis="curated",
    )
    store.upsert_record(curated, "corpus")
    assert store.count_cases() == 1
    case = store.get_case("dk-broendby-tuba")
    assert case.id == "indigo-poj-0001"
    assert case.title == "Rusmiddelbehandling for unge i Brøndby"
    assert "Youth substance abuse SIB" in case.alt_names
    assert {p.name for p in case.parties} == {"Brøndby Kommune", "TUBA"}
    assert (case.provider_model, case.provider_model_basis) == ("nonprofit", "curated")
    assert case.sector == "Health" and case.countries == ["DK"]
    assert store.get_case("INDIGO-POJ-0001").id == case.id
    assert store.records_of_case(case.id) == [
        ("corpus", "dk-broendby-tuba"),
        ("indigo", "INDIGO-POJ-0001"),
    ]


def test_removing_the_last_record_removes_the_case(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(), "indigo", "INDIGO-POJ-0001")
    assert store.remove_record("indigo", "INDIGO-POJ-0001")
    assert store.count_cases() == 0
    assert store.db.execute("SELECT count(*) FROM case_countries").fetchone()[0] == 0
    with pytest.raises(NotFound):
        store.get_case("INDIGO-POJ-0001")
    assert not store.remove_record("indigo", "INDIGO-POJ-0001")


def test_stats_count_a_case_under_each_country(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(countries=["DK", "SE"]), "indigo")
    store.upsert_record(
        indigo_record(
            id="INDIGO-POJ-0002", external_ids={"indigo": "INDIGO-POJ-0002"}, countries=["DK"]
        ),
        "indigo",
    )
    stats = store.stats()
    assert stats["cases"] == 2
    assert stats["by_country"] == {"DK": 2, "SE": 1}
    assert stats["by_source"] == {"indigo": 2}
    assert stats["by_sector"] == {"Health": 2}


def test_stats_can_leave_a_stage_out(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(countries=["DK", "SE"]), "indigo")
    store.upsert_record(
        indigo_record(
            id="INDIGO-POJ-0002",
            external_ids={"indigo": "INDIGO-POJ-0002"},
            countries=["DK"],
            stage="pipeline",
            sector="Employment and training",
        ),
        "indigo",
    )
    assert store.stats()["by_country"] == {"DK": 2, "SE": 1}
    stats = store.stats(leave_out_stage="pipeline")
    assert stats["cases"] == 1
    assert stats["by_country"] == {"DK": 1, "SE": 1}
    assert stats["by_source"] == {"indigo": 1}
    assert stats["by_sector"] == {"Health": 1}


def test_a_failed_transaction_leaves_the_store_as_it_was(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(), "indigo")
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_record(indigo_record(title="Half written"), "indigo")
        raise RuntimeError("crash in the middle")
    assert store.get_case("indigo-poj-0001").title == "Youth substance abuse SIB"
    # A second connection sees the same committed state.
    other = sqlite3.connect(tmp_path / "s.db")
    assert other.execute("SELECT title FROM cases").fetchall() == [("Youth substance abuse SIB",)]


def test_organisation_cases_by_name(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(indigo_record(), "indigo")
    rows = store.organisation_cases("brøndby  kommune")
    assert [(r["case_id"], r["role"]) for r in rows] == [("indigo-poj-0001", "outcome_payer")]


def test_an_organisation_is_its_key_and_the_names_it_has_under_it(tmp_path):
    """INDIGO names Aarhus Municipality with its id; a curated case of its own names it
    with none: one organisation, from either page."""
    store = Store(tmp_path / "s.db")
    with_id = Party(
        name="Aarhus Municipality", role="outcome_payer", organisation_id="INDIGO-ORG-1410"
    )
    store.upsert_record(indigo_record(parties=[with_id]), "indigo")
    store.upsert_record(
        Case(
            id="dk-y",
            title="Y",
            parties=[Party(name="Aarhus Municipality", role="service_provider")],
        ),
        "corpus",
    )
    store.upsert_record(
        Case(id="dk-z", title="Z", parties=[Party(name="Aarhus Kommune", role="investor")]),
        "corpus",
    )
    for key in ("INDIGO-ORG-1410", "aarhus municipality"):
        rows = store.organisation_cases(key)
        assert [(r["case_id"], r["role"]) for r in rows] == [
            ("dk-y", "service_provider"),
            ("indigo-poj-0001", "outcome_payer"),
        ], key
    assert store.organisation_cases("INDIGO-ORG-9") == []


def test_a_curated_role_list_replaces_the_other_sources_list_for_that_role(tmp_path):
    store = Store(tmp_path / "s.db")
    store.upsert_record(
        indigo_record(
            parties=[
                Party(name="Steno", role="service_provider"),
                Party(name="DSI", role="investor", organisation_id="INDIGO-ORG-1"),
            ]
        ),
        "indigo",
    )
    curated = Case(
        id="dk-x",
        external_ids={"indigo": "INDIGO-POJ-0001"},
        title="X",
        parties=[
            Party(name="Aarhus Kommune", role="service_provider", org_type="government"),
            Party(name="aarhus  kommune", role="service_provider"),
        ],
    )
    store.upsert_record(curated, "corpus")
    parties = [(p.name, p.role) for p in store.get_case("dk-x").parties]
    assert parties == [("DSI", "investor"), ("Aarhus Kommune", "service_provider")]


def test_source_state_and_bounded_run_rows_survive_a_reopen(tmp_path):
    store = Store(tmp_path / "s.db")
    assert store.source_state("indigo", "download_sha256") is None
    with store.transaction():
        store.set_source_state("indigo", "download_sha256", "abc")
        store.save_run(
            {"source": "indigo", "status": "ok", "counts": {}, "left_off": {"rejects": 7}}
        )
    store.close()
    again = Store(tmp_path / "s.db")
    assert again.source_state("indigo", "download_sha256") == "abc"
    assert again.runs(limit=1)[0]["left_off"] == {"rejects": 7}
    again.close()


def test_a_store_of_the_previous_schema_is_migrated(tmp_path):
    """A store written before `left_off` and `source_state` existed opens and reads."""
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "old.db")
    for migration in MIGRATIONS[:2]:
        migration(db)
    db.execute("PRAGMA user_version = 2")
    db["runs"].insert({"source": "indigo", "status": "ok", "counts": "{}", "rejects": "[]"})
    db.close()
    store = Store(tmp_path / "old.db")
    assert store.schema_version == len(MIGRATIONS)
    assert store.runs()[0]["left_off"] == {}
    store.close()


def test_cases_by_id_reads_many_ids_in_batches_and_leaves_out_unknown_ones(tmp_path):
    store = Store(tmp_path / "s.db")
    for n in (1, 2, 3):
        store.upsert_record(
            indigo_record(id=f"INDIGO-POJ-000{n}", external_ids={"indigo": f"INDIGO-POJ-000{n}"}),
            "indigo",
        )
    real = [c.id for c in store.iter_cases()]
    # More ids than one query takes (500), the real ones spread over three batches.
    ids = [f"missing-{i}" for i in range(1001)]
    ids[0], ids[600], ids[1000] = real
    found = store.cases_by_id(ids)
    assert sorted(found) == sorted(real)
    assert all(found[i].id == i for i in real)
    # Case ids only: an external id is not resolved here (get_case does that).
    assert real[0] == "indigo-poj-0001"
    assert store.cases_by_id(["INDIGO-POJ-0001"]) == {}
