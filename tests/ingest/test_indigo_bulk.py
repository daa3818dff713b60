"""INDIGO online through the bulk downloads, against a server on 127.0.0.1 serving only them.

The real data store (INDIGO-Initiative/database-app) mounts `indigo.urls` under `/app/`
(`djangoproject/urls.py`); `indigo/urls.py` routes `all_public_data_file_per_data_type_csv.zip`
and `pipeline_public_data_file_per_data_type_csv.zip` to `indigo/views_public.py`, which
sends the stored zip as `application/zip` (no ETag, no Last-Modified). `indigo/files.py`
builds them: the first with `projects*.csv`, `organisations*.csv` and `funds*.csv` at the
zip's root (the same files as ../shared/data/indigo/csv), the second with `pipelines.csv`
(records "pipelines") and its list files. The zips here are built from the real export
into the test's temporary folder (never committed); the pipeline file is named
`pipelines.csv` as the server names it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casebank import app
from corpus.settings import Settings
from corpus.store import Store
from ingest.context import SourceContext
from ingest.fetch import Fetcher
from ingest.indigo import bulk
from ingest.runner import run_source

ZIP = "application/zip"
runner = CliRunner()


def build_zips(csv_dir: Path, folder: Path) -> tuple[bytes, bytes]:
    folder.mkdir()
    all_zip, pipeline_zip = folder / "all.zip", folder / "pipeline.zip"
    with zipfile.ZipFile(all_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(csv_dir.glob("*.csv")):
            if not f.name.startswith("pipeline"):
                zf.write(f, f.name)
    with zipfile.ZipFile(pipeline_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_dir / "pipeline.csv", "pipelines.csv")
    return all_zip.read_bytes(), pipeline_zip.read_bytes()


@pytest.fixture
def zips(indigo_csv_dir, tmp_path, http_server):
    """The server answers only the two zips (every other path, robots.txt too, is 404)."""
    all_zip, pipeline_zip = build_zips(indigo_csv_dir, tmp_path / "zips")
    http_server.route(bulk.ALL_PATH, all_zip, content_type=ZIP)
    http_server.route(bulk.PIPELINE_PATH, pipeline_zip, content_type=ZIP)
    return http_server


def cli(data_dir: Path, *args: str):
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_indigo_api_imports_both_zips_in_four_requests_then_skips(zips, tmp_path):
    data_dir = tmp_path / "data"
    first = cli(data_dir, "ingest", "indigo-api", "--base-url", zips.base_url, "--interval", "0")
    assert first.exit_code == 0, first.output
    assert len(zips.requests) <= 4, [r.path for r in zips.requests]
    store = Store(data_dir / "casebank.db")
    runs = {r["source"]: r for r in store.runs()}
    assert runs["indigo"]["status"] == "ok" and runs["indigo"]["counts"]["new"] == 319
    assert runs["indigo-pipeline"]["counts"]["new"] == 132
    stats = json.loads(cli(data_dir, "stats", "--json").stdout)
    assert stats["by_source"] == {"indigo": 319, "indigo-pipeline": 132}
    assert store.get_case("INDIGO-POJ-0167").outcome_funds[0].id == "INDIGO-FUND-0012"

    seen = len(zips.requests)
    again = cli(data_dir, "ingest", "indigo-api", "--base-url", zips.base_url, "--interval", "0")
    assert again.exit_code == 0, again.output
    assert len(zips.requests) - seen <= 4
    latest = store.runs(limit=2)
    assert [r["status"] for r in latest] == ["unchanged", "unchanged"]
    assert "same download" in latest[0]["message"]
    assert json.loads(cli(data_dir, "stats", "--json").stdout) == stats
    store.close()


def test_changed_zip_is_imported_and_a_refused_one_is_tried_again(zips, tmp_path, indigo_csv_dir):
    """The hash is kept only with the data: a refused download is not marked as imported."""
    settings = Settings(data_dir=tmp_path / "data")
    store = Store(settings.db_path)

    def fetcher() -> Fetcher:
        return Fetcher(settings, source="indigo", allowed_hosts=["127.0.0.1"], min_interval=0)

    ctx = SourceContext(
        "indigo-api", settings, store, {"base_url": zips.base_url}, open_fetcher=fetcher
    )
    assert run_source(store, bulk.SOURCE, bulk.items(ctx), complete=True).counts["new"] == 319
    digest = store.source_state(bulk.SOURCE, bulk.HASH_KEY)
    # The server now serves an export with only its header in projects.csv.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        for f in sorted(indigo_csv_dir.glob("*.csv")):
            if f.name == "projects.csv":
                zf.writestr(f.name, f.read_text("utf-8").splitlines()[0] + "\n")
            elif not f.name.startswith("pipeline"):
                zf.write(f, f.name)
    zips.route(bulk.ALL_PATH, broken.read_bytes(), content_type=ZIP)
    ctx = SourceContext(
        "indigo-api", settings, store, {"base_url": zips.base_url}, open_fetcher=fetcher
    )
    report = run_source(store, bulk.SOURCE, bulk.items(ctx), complete=True)
    assert report.status == "failed" and "would remove 319" in report.message
    assert store.source_state(bulk.SOURCE, bulk.HASH_KEY) == digest
    assert store.count_cases() == 319
    store.close()


def test_a_download_that_is_not_a_zip_fails_the_run(http_server, tmp_path):
    http_server.route(bulk.ALL_PATH, b"<html>maintenance</html>", content_type=ZIP)
    settings = Settings(data_dir=tmp_path / "data")
    store = Store(settings.db_path)
    with Fetcher(settings, source="indigo", allowed_hosts=["127.0.0.1"], min_interval=0) as f:
        report = run_source(
            store, bulk.SOURCE, bulk.project_items(f, store, http_server.base_url), complete=True
        )
    assert report.status == "failed" and "not a readable zip" in report.message
    store.close()
