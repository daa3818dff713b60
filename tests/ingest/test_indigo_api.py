"""The INDIGO JSON API importer against a real HTTP server on 127.0.0.1.

The server speaks the API's shape (`/app/api1/project`, `/app/api1/project/<id>`) with
small projects written here, and, for the equivalence test, with the real CSV export
re-expressed as API JSON by a converter derived from the INDIGO JSON Schema (so the
importer's own column tables are checked against the standard, not against themselves).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from corpus.settings import Settings
from corpus.store import Store
from ingest.fetch import Fetcher
from ingest.indigo import api as indigo_api
from ingest.indigo.csv_export import read_export
from ingest.runner import run_source

LIST_PATH = "/app/api1/project"


def org_path(org_id: str) -> str:
    return f"/app/api1/organisation/{org_id}"


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


def org(org_id: str, name: str, **fields: str) -> dict[str, Any]:
    return {"id": org_id, "name": v(name), **{k: v(x) for k, x in fields.items()}}


def odense() -> dict[str, Any]:
    return {
        "id": "INDIGO-POJ-8001",
        "data": {
            "name": v("Odense Family Support Outcomes Contract"),
            "stage_development": v("Implementation"),
            "dates": {
                "outcomes_contract_signed": v("2021-02"),
                "start_date_of_service_provision": v("2021-04-15"),
            },
            "purpose_and_classifications": {
                "policy_sector": v("Child and family welfare"),
                "intervention": v("Family coaching\r\n\r\n\r\nat home"),
            },
            "overall_project_finance": {
                "total_investment_commitment": {
                    "currency": v("Danish"),
                    "amount": {"exact": v(4000000)},
                    "amount_usd": {"exact": v("600000")},
                }
            },
            "delivery_locations": [
                {
                    "location_name": v("Odense"),
                    "location_country": v("DK"),
                    "lat_lng": {"lat": v(55.4), "lng": v(10.39)},
                }
            ],
            "service_provisions": [
                {
                    "id": "serviceprovision1",
                    "organisation_id": v("INDIGO-ORG-8001"),
                    "organisation_role_category": v("Nonprofit/NGO"),
                }
            ],
            "investments": [
                {
                    "id": "investment1",
                    "organisation_id": v("INDIGO-ORG-8002"),
                    "organisation_role_category": v("Foundation/Philanthropist"),
                    "investment_commitment": {"currency": v("DKK"), "amount": {"exact": v(4e6)}},
                }
            ],
            "outcome_payment_commitments": [{"organisation_id": v("INDIGO-ORG-8003")}],
            "outcome_metrics": [
                {"id": "outcomemetric1", "definition": v("Child stays with the family 18 months")}
            ],
            "organisations": [
                org(
                    "INDIGO-ORG-8001",
                    "Familiehuset Fyn",
                    jurisdiction="DK",
                    type="Registered non-profit organisation, charity or foundation",
                ),
                org("INDIGO-ORG-8002", "Fyns Sociale Fond"),
                org("INDIGO-ORG-8003", "Odense Kommune", type="Government body", country="Denmark"),
            ],
        },
    }


def tampere() -> dict[str, Any]:
    return {
        "id": "INDIGO-POJ-8002",
        "data": {
            "name": v("Tampere Employment SIB"),
            "alternative_names": v("Työllisyyden SIB"),
            "stage_development": v("Complete"),
            "purpose_and_classifications": {"policy_sector": v("Employment and training")},
            "delivery_locations": [{"location_name": v("Tampere"), "location_country": v("FI")}],
            "results": [
                {
                    "result_type": v("Final"),
                    "period": {"start_date": v("2019"), "end_date": v("2022-06")},
                    "number_engaged_in_impact_bond": v(310),
                }
            ],
            "organisations": [],
        },
    }


def bergen() -> dict[str, Any]:
    return {
        "id": "INDIGO-POJ-8003",
        "data": {"name": v("Bergen Reoffending Pilot"), "jurisdiction": {"jurisdiction": v("NO")}},
    }


class FakeIndigo:
    """The two project endpoints of the INDIGO API, served by the local test server."""

    def __init__(self, server) -> None:
        self.server = server
        self.projects: dict[str, dict[str, Any]] = {}
        self.public: dict[str, bool] = {}
        server.handler(LIST_PATH, lambda _req: self._json(self._listing()))

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def _listing(self) -> dict[str, Any]:
        return {"projects": [{"id": pid, "public": self.public[pid]} for pid in self.projects]}

    @staticmethod
    def _json(data: Any, status: int = 200) -> dict[str, Any]:
        return {"status": status, "body": json.dumps(data), "content_type": "application/json"}

    #: What the real server copies from an organisation into the projects naming it.
    EMBEDDED = ("id", "name", "website", "country")

    def add(self, project: dict[str, Any], public: bool = True) -> None:
        """Serve a project written with full organisation records, as the real server does:
        the project embeds names and addresses, each organisation has its own endpoint."""
        pid = project["id"]
        for record in project["data"].get("organisations", []):
            self.add_org(record)
        project["data"]["organisations"] = [
            {k: x for k, x in record.items() if k in self.EMBEDDED}
            for record in project["data"].get("organisations", [])
        ]
        self.projects[pid] = project
        self.public[pid] = public

        def serve(_req):
            if not self.public[pid]:
                return self._json({"error": "Project does not exist"}, 404)
            return self._json({"project": self.projects[pid]})

        self.server.handler(f"{LIST_PATH}/{pid}", serve)

    def add_org(self, record: dict[str, Any]) -> None:
        """Serve an organisation's full record at its own endpoint."""
        data = {k: x for k, x in record.items() if k != "id"}
        body = {"organisation": {"id": record["id"], "data": data}}
        self.server.route(org_path(record["id"]), json.dumps(body), content_type="application/json")

    def reply(self, pid: str, **reply: Any) -> None:
        """Answer one project's URL with a canned reply instead (a fault)."""
        self.server.route(f"{LIST_PATH}/{pid}", **reply)


@pytest.fixture
def api(http_server) -> FakeIndigo:
    return FakeIndigo(http_server)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "data" / "casebank.db")
    yield s
    s.close()


def run(store: Store, api: FakeIndigo, tmp_path: Path, **fetcher_args: Any):
    settings = Settings(data_dir=tmp_path / "data", http_timeout=5)
    args = {"min_interval": 0, "backoff": 0, "sleep": lambda _s: None, "retries": 2}
    args.update(fetcher_args)
    with Fetcher(settings, source="indigo", allowed_hosts=["127.0.0.1"], **args) as fetcher:
        items = indigo_api.read_api(fetcher, api.base_url)
        return run_source(store, indigo_api.SOURCE, items, complete=indigo_api.COMPLETE)


def url(api: FakeIndigo, pid: str) -> str:
    return f"{api.base_url}{LIST_PATH}/{pid}"


# -- the happy path ---------------------------------------------------------------------------


def test_public_projects_are_imported_and_private_ones_skipped(api, store, tmp_path):
    api.add(odense())
    api.add(tampere())
    api.add(bergen(), public=False)
    report = run(store, api, tmp_path)
    assert report.status == "ok", report.rejects
    assert report.counts["new"] == 2 and store.count_cases() == 2
    assert store.find_case_id("INDIGO-POJ-8003") is None
    assert api.server.hits(f"{LIST_PATH}/INDIGO-POJ-8003") == 0  # a private one is not asked for

    case = store.get_case("INDIGO-POJ-8001")
    assert case.countries == ["DK"] and case.stage == "implementation"
    assert case.investment.currency == "DKK" and case.investment.amount == 4_000_000
    assert case.investment.amount_usd == 600_000  # a number sent as a string is read too
    assert case.intervention == "Family coaching\n\nat home"
    assert case.dates["service_start"].precision == "day"
    parties = {(p.name, p.role): p for p in case.parties}
    assert parties[("Familiehuset Fyn", "service_provider")].org_type == "nonprofit"
    assert parties[("Fyns Sociale Fond", "investor")].org_type == "foundation"
    assert parties[("Odense Kommune", "outcome_payer")].country == "DK"
    assert case.provenance[0].url == url(api, "INDIGO-POJ-8001")

    finnish = store.get_case("indigo-poj-8002")
    assert finnish.alt_names == ["Työllisyyden SIB"] and finnish.stage == "complete"
    assert finnish.results[0].engaged == 310 and finnish.results[0].period_end.value == "2022-06"


def test_a_second_run_changes_nothing(api, store, tmp_path):
    api.add(odense())
    api.add(tampere())
    run(store, api, tmp_path)
    before = store.case_hashes()
    again = run(store, api, tmp_path)
    assert again.counts["unchanged"] == 2 and again.counts["new"] == 0
    assert store.case_hashes() == before


def test_project_turned_private_is_removed(api, store, tmp_path):
    api.add(odense())
    api.add(bergen())
    run(store, api, tmp_path)
    assert store.get_case("INDIGO-POJ-8003").countries == ["NO"]  # from the jurisdiction
    api.public["INDIGO-POJ-8003"] = False
    report = run(store, api, tmp_path)
    assert report.counts["removed"] == 1 and report.counts["unchanged"] == 1
    assert store.find_case_id("INDIGO-POJ-8003") is None


def test_project_missing_from_the_list_is_removed(api, store, tmp_path):
    api.add(odense())
    api.add(bergen())
    run(store, api, tmp_path)
    del api.projects["INDIGO-POJ-8003"]
    report = run(store, api, tmp_path)
    assert report.counts["removed"] == 1
    assert store.find_case_id("INDIGO-POJ-8003") is None


def test_bad_field_is_a_warning_naming_the_url_and_path(api, store, tmp_path):
    bad = odense()
    bad["data"]["overall_project_finance"]["total_investment_commitment"]["currency"] = v("Kroner")
    bad["data"]["dates"]["outcomes_contract_signed"] = v("spring 2021")
    api.add(bad)
    report = run(store, api, tmp_path)
    assert report.status == "ok" and report.counts["warnings"] == 2
    where = {n["where"]: n["reason"] for n in report.notes if n["kind"] == "warning"}
    base = url(api, "INDIGO-POJ-8001")
    assert (
        "unknown currency word: 'Kroner'"
        in where[f"{base} data.overall_project_finance.total_investment_commitment.currency"]
    )
    assert "spring 2021" in where[f"{base} data.dates.outcomes_contract_signed"]
    case = store.get_case("INDIGO-POJ-8001")
    assert case.investment.currency is None and "contract_signed" not in case.dates


# -- faults of one project ------------------------------------------------------------------


def fault_run(api, store, tmp_path, **fetcher_args):
    """Import both projects, then break Odense's URL (set up by the caller) and run again."""
    report = run(store, api, tmp_path, **fetcher_args)
    by_pid = {r["where"].split()[0]: r["reason"] for r in report.rejects}
    return report, by_pid.get(url(api, "INDIGO-POJ-8001"))


@pytest.fixture
def imported(api, store, tmp_path) -> str:
    """Both projects imported once; returns the stored Odense case's hash."""
    changed = odense()
    api.add(changed)
    api.add(tampere())
    run(store, api, tmp_path)
    # The source changes Odense, so a failed fetch must visibly keep the old version.
    changed["data"]["name"] = v("Odense Family Support, second contract")
    return store.get_case("INDIGO-POJ-8001").content_hash()


def assert_kept(store, stored_hash, report):
    assert report.status == "partial" and report.counts["rejected"] == 1
    assert report.counts["removed"] == 0 and report.counts["unchanged"] == 1
    assert store.get_case("INDIGO-POJ-8001").content_hash() == stored_hash


def test_timeout_rejects_the_project_and_keeps_it(api, store, tmp_path, imported):
    api.reply("INDIGO-POJ-8001", body="{}", content_type="application/json", delay=1.0)
    report, reason = fault_run(api, store, tmp_path, timeout=0.2, retries=1)
    assert reason.startswith("timed out")
    assert_kept(store, imported, report)


def test_server_error_is_retried_then_rejected(api, store, tmp_path, imported):
    api.reply("INDIGO-POJ-8001", status=500, body="oops", content_type="text/plain")
    report, reason = fault_run(api, store, tmp_path, retries=2)
    assert "HTTP 500" in reason
    assert api.server.hits(f"{LIST_PATH}/INDIGO-POJ-8001") == 1 + 3  # first run, then 1 + 2
    assert_kept(store, imported, report)


def test_server_error_then_success_is_imported(api, store, tmp_path, imported):
    good = {
        "status": 200,
        "body": json.dumps({"project": api.projects["INDIGO-POJ-8001"]}),
        "content_type": "application/json",
    }
    api.server.sequence(f"{LIST_PATH}/INDIGO-POJ-8001", [{"status": 503, "body": ""}, good])
    report = run(store, api, tmp_path)
    assert report.status == "ok" and report.counts["changed"] == 1
    assert store.get_case("INDIGO-POJ-8001").title == "Odense Family Support, second contract"


def test_invalid_json_is_rejected(api, store, tmp_path, imported):
    api.reply("INDIGO-POJ-8001", body='{"project": {"id": ', content_type="application/json")
    report, reason = fault_run(api, store, tmp_path)
    assert "not valid JSON" in reason
    assert_kept(store, imported, report)


def test_unexpected_json_shape_is_rejected(api, store, tmp_path, imported):
    api.reply("INDIGO-POJ-8001", body='{"projects": []}', content_type="application/json")
    report, reason = fault_run(api, store, tmp_path)
    assert 'expected {"project": {...}}' in reason
    assert_kept(store, imported, report)


def test_vanished_project_is_rejected(api, store, tmp_path, imported):
    api.reply("INDIGO-POJ-8001", status=404, body="{}", content_type="application/json")
    report, reason = fault_run(api, store, tmp_path)
    assert "HTTP 404" in reason and "vanished" in reason
    assert_kept(store, imported, report)


def test_organisation_failure_rejects_the_project_naming_its_url(api, store, tmp_path, imported):
    api.server.route(org_path("INDIGO-ORG-8003"), status=502, body="bad gateway")
    report = run(store, api, tmp_path)
    (reject,) = report.rejects
    assert reject["where"] == f"{api.base_url}{org_path('INDIGO-ORG-8003')}"
    assert "HTTP 502" in reject["reason"] and "INDIGO-POJ-8001 not updated" in reject["reason"]
    assert_kept(store, imported, report)


def test_private_organisation_keeps_what_the_project_embeds(api, store, tmp_path):
    api.add(odense())
    api.server.route(org_path("INDIGO-ORG-8003"), status=404, body="{}")
    report = run(store, api, tmp_path)
    assert report.status == "ok"
    parties = {p.name: p for p in store.get_case("INDIGO-POJ-8001").parties}
    # Its type is only in its own record; the name and country the project embeds stay.
    assert parties["Odense Kommune"].org_type == "unknown"
    assert parties["Odense Kommune"].country == "DK"
    assert parties["Familiehuset Fyn"].country == "DK"


def test_each_organisation_is_fetched_once_per_run(api, store, tmp_path):
    api.add(odense())
    second = odense()
    second["id"] = "INDIGO-POJ-8004"
    api.add(second)
    report = run(store, api, tmp_path)
    assert report.counts["new"] == 2
    assert api.server.hits(org_path("INDIGO-ORG-8001")) == 1


# -- the list failing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"status": 500, "body": "down"}, "HTTP 500"),
        (
            {"body": "<html>maintenance</html>", "content_type": "application/json"},
            "not valid JSON",
        ),
        ({"body": '{"items": []}', "content_type": "application/json"}, 'expected {"projects"'),
    ],
)
def test_list_failure_fails_the_run_and_keeps_the_store(api, store, tmp_path, reply, message):
    api.add(odense())
    run(store, api, tmp_path)
    before = store.case_hashes()
    api.server.route(LIST_PATH, **reply)
    report = run(store, api, tmp_path, retries=1)
    assert report.status == "failed"
    assert message in report.message and f"{api.base_url}{LIST_PATH}" in report.message
    assert store.case_hashes() == before
    assert store.runs(limit=1)[0]["status"] == "failed"


def test_malformed_list_entries_are_rejected(api, store, tmp_path):
    api.add(odense())
    listing = {
        "projects": [
            {"id": "INDIGO-POJ-8001", "public": True},
            {"public": True},
            {"id": "INDIGO-POJ-8001", "public": True},
        ]
    }
    api.server.route(LIST_PATH, json.dumps(listing), content_type="application/json")
    report = run(store, api, tmp_path)
    assert report.counts["new"] == 1 and report.counts["rejected"] == 2
    reasons = " | ".join(r["reason"] for r in report.rejects)
    assert "entry without id" in reasons and "listed twice" in reasons


# -- the same projects through the CSV export and the API --------------------------------------


def _resolve(node: dict, defs: dict) -> dict:
    while "$ref" in node and "properties" not in node:
        ref = defs[node["$ref"].rsplit("/", 1)[1]]
        node = {**ref, **{k: x for k, x in node.items() if k != "$ref"}}
    return node


def _leaves(node: dict, defs: dict, titles: list[str], path: list[str]):
    """(CSV header, JSON path, is number, is organisation reference) of each leaf."""
    node = _resolve(node, defs)
    if node.get("type") == "array":
        return
    if "properties" in node:
        for key, child in node["properties"].items():
            child = _resolve(child, defs)
            yield from _leaves(child, defs, [*titles, child.get("title", key)], [*path, key])
    else:
        yield (
            " - ".join(titles),
            path,
            node.get("type") == "number",
            node.get("references-model") == "organisation",
        )


def schema_columns(schema: dict) -> dict[str | None, dict[str, tuple[list[str], bool, bool]]]:
    """CSV header -> JSON path per list (None: projects.csv), as the schema's titles say."""
    defs = schema["definitions"]
    out: dict[str | None, dict] = {None: {}}
    for key, prop in schema["properties"].items():
        prop = _resolve(prop, defs)
        if prop.get("type") == "array":
            out[key] = {h: (p, n, o) for h, p, n, o in _leaves(prop["items"], defs, [], [])}
        else:
            title = prop.get("title", key)
            out[None].update({h: (p, n, o) for h, p, n, o in _leaves(prop, defs, [title], [key])})
    return out


def _put(target: dict, path: list[str], cell: str, number: bool) -> None:
    value: Any = cell
    if number:
        with contextlib.suppress(ValueError):
            value = float(cell)  # the API stores numbers as JSON numbers
    node = target
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def export_as_api(csv_dir: Path, schema: dict) -> dict[str, dict[str, Any]]:
    """Every project of the CSV export in the API's shape, organisations added by the server."""
    columns = schema_columns(schema)
    projects: dict[str, dict[str, Any]] = {}
    refs: dict[str, set[str]] = {}
    with (csv_dir / "projects.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            data: dict[str, Any] = {}
            for header, (path, number, _ref) in columns[None].items():
                if (row.get(header) or "").strip():
                    _put(data, path, row[header], number)
            projects[row["ID"]] = {"id": row["ID"], "data": data}
            refs[row["ID"]] = set()
    for key, cols in columns.items():
        path_ = csv_dir / f"projects_{key}.csv"
        if key is None or not path_.exists():
            continue
        with path_.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                item: dict[str, Any] = {}
                for header, (path, number, ref) in cols.items():
                    cell = (row.get(header) or "").strip() and row[header]
                    if cell:
                        _put(item, path, cell, number)
                        if ref:
                            refs[row["Project ID"]].update(x.strip() for x in cell.split(","))
                projects[row["Project ID"]]["data"].setdefault(key, []).append(item)
    org_fields = {
        "Name": "name",
        "Type - (Value)": "type",
        "Jurisdiction": "jurisdiction",
        "Website": "website",
        "Country": "country",
    }
    with (csv_dir / "organisations.csv").open(encoding="utf-8", newline="") as fh:
        orgs = {
            row["ID"]: {
                "id": row["ID"],
                **{k: v(row[h]) for h, k in org_fields.items() if row[h].strip()},
            }
            for row in csv.DictReader(fh)
        }
    for pid, project in projects.items():
        project["data"]["organisations"] = [orgs[o] for o in sorted(refs[pid]) if o in orgs]
    return projects


def test_csv_export_and_api_give_the_same_cases(indigo_csv_dir, indigo_schema_dir, api, tmp_path):
    schema = json.loads((indigo_schema_dir / "project.json").read_text("utf-8"))
    for project in export_as_api(indigo_csv_dir, schema).values():
        api.add(copy.deepcopy(project))
    assert len(api.projects) == 319
    # Fund names come from /app/api1/fund/<id> ({"fund": {"id", "data"}}: API1FundIndex
    # in the data store's indigo/views_api1.py).
    with (indigo_csv_dir / "funds.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            body = {"fund": {"id": row["ID"], "data": {"name": v(row["Fund - Name"])}}}
            api.server.route(
                f"/app/api1/fund/{row['ID']}", json.dumps(body), content_type="application/json"
            )

    via_csv = Store(tmp_path / "csv" / "casebank.db")
    via_api = Store(tmp_path / "data" / "casebank.db")
    run_source(via_csv, "indigo", read_export(indigo_csv_dir), complete=True)
    report = run(via_api, api, tmp_path)
    assert report.counts["new"] == 319

    def hashes(store: Store) -> dict[str, str]:
        rows = store.db.execute(
            "SELECT record_id, content_hash FROM records WHERE source = 'indigo'"
        )
        return dict(rows.fetchall())

    csv_hashes, api_hashes = hashes(via_csv), hashes(via_api)
    differing = sorted(k for k in csv_hashes if csv_hashes[k] != api_hashes.get(k))
    assert differing == []
    assert csv_hashes.keys() == api_hashes.keys()
    # And the merged cases (what search and web read) agree too.
    assert via_csv.case_hashes() == via_api.case_hashes()
    norrkoping = via_api.get_case("INDIGO-POJ-0077")
    assert norrkoping.provenance[0].url.endswith("/app/api1/project/INDIGO-POJ-0077")
    via_csv.close()
    via_api.close()
