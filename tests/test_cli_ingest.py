"""`casebank ingest indigo-csv` and `casebank ingest indigo-api` end to end, on a real store."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from casebank import app

runner = CliRunner()


def cli(data_dir, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_indigo_csv_imports_the_real_export_and_reports(indigo_csv_dir, tmp_path):
    first = cli(tmp_path, "ingest", "indigo-csv", str(indigo_csv_dir))
    assert first.exit_code == 0, first.output
    assert "new 319" in first.output
    # Field-level problems of the real export are listed with file, line and column.
    assert "warning projects_outcome_metrics.csv:" in first.output
    assert "column 'Outcome Definition - (Value)'" in first.output

    stats = cli(tmp_path, "stats", "--json")
    data = json.loads(stats.stdout)
    assert data["cases"] == 319
    assert {c: data["by_country"][c] for c in ("GB", "US", "DK", "FI", "SE")} == {
        "GB": 100,
        "US": 28,
        "DK": 13,
        "FI": 4,
        "SE": 1,
    }
    assert data["by_source"] == {"indigo": 319}

    again = cli(tmp_path, "ingest", "indigo-csv", str(indigo_csv_dir))
    assert again.exit_code == 0
    assert "new 0, changed 0, unchanged 319, removed 0" in again.output


def test_indigo_csv_broken_zip_exits_1_with_the_reason(tmp_path):
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"not a zip at all")
    result = cli(tmp_path / "data", "ingest", "indigo-csv", str(broken))
    assert result.exit_code == 1
    assert "failed" in result.output and "not a readable zip" in result.output


def test_indigo_csv_missing_path_exits_1(tmp_path):
    result = cli(tmp_path / "data", "ingest", "indigo-csv", str(tmp_path / "nowhere.zip"))
    assert result.exit_code == 1 and "no such file or folder" in result.output


class _Api(BaseHTTPRequestHandler):
    """A two-endpoint INDIGO API: `routes` maps a path to (status, JSON body)."""

    routes: dict[str, tuple[int, object]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = self.routes.get(self.path, (404, {"error": "not found"}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, dict]]:
    routes: dict[str, tuple[int, object]] = {}
    handler = type("Handler", (_Api,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


def test_indigo_api_imports_public_projects(api, tmp_path):
    base, routes = api
    routes["/app/api1/project"] = (
        200,
        {
            "projects": [
                {"id": "INDIGO-POJ-7001", "public": True},
                {"id": "INDIGO-POJ-7002", "public": False},
            ]
        },
    )
    routes["/app/api1/project/INDIGO-POJ-7001"] = (
        200,
        {
            "project": {
                "id": "INDIGO-POJ-7001",
                "data": {
                    "name": {"value": "Malmö Youth Outcomes Pilot"},
                    "delivery_locations": [{"location_country": {"value": "SE"}}],
                    "overall_project_finance": {
                        "total_investment_commitment": {
                            "currency": {"value": "Swedish"},
                            "amount": {"exact": {"value": 2500000}},
                        }
                    },
                },
            }
        },
    )
    result = cli(
        tmp_path, "ingest", "indigo-api", "--per-project", "--base-url", base, "--interval", "0"
    )
    assert result.exit_code == 0, result.output
    assert "new 1" in result.output
    stats = json.loads(cli(tmp_path, "stats", "--json").stdout)
    assert stats["by_country"] == {"SE": 1}


def test_indigo_api_list_failure_exits_1(api, tmp_path):
    base, routes = api
    routes["/app/api1/project"] = (404, {"error": "gone"})
    result = cli(
        tmp_path, "ingest", "indigo-api", "--per-project", "--base-url", base, "--interval", "0"
    )
    assert result.exit_code == 1
    assert "failed" in result.output and "HTTP 404" in result.output
