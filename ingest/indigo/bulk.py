"""INDIGO online: the data store's bulk downloads, one request per dataset.

The data store (INDIGO-Initiative/database-app) serves its public data as ready-made
files under `/app/` (`djangoproject/urls.py` mounts `indigo.urls` there):
`all_public_data_file_per_data_type_csv.zip` (projects, organisations and funds: the same
files as the CSV export) and `pipeline_public_data_file_per_data_type_csv.zip`
(`pipelines.csv` and its lists), both built by `indigo/files.py` and sent by
`indigo/views_public.py` as `application/zip`, without ETag or Last-Modified.

So each run makes one request per zip (through `ingest.fetch.Fetcher`, its body limit
raised to `MAX_BYTES`), compares the body's sha256 with the one of the last imported
download (kept in the store's `source_state`, written in the run's transaction, so a
refused or failed import is tried again next time) and, when it is the same, raises
`SourceUnchanged`: the run is recorded as "unchanged" and nothing is touched. Otherwise
the zip goes through the same reader and mapping as `casebank ingest indigo-csv`.
The per-record JSON API (`ingest.indigo.api`) stays for diagnostics (`per_project`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from corpus.store import Store
from ingest.context import SourceContext
from ingest.fetch import Fetcher, Page
from ingest.indigo import api, csv_export, pipeline
from ingest.indigo.export import Export
from ingest.indigo.mapping import SOURCE
from ingest.runner import Checkpoint, Item, SourceUnchanged

__all__ = ["SOURCE", "COMPLETE", "allowed_hosts", "items", "pipeline_items", "zip_url"]

#: The zip holds every public project: a project missing from it is removed.
COMPLETE = True
ALL_PATH = "/app/all_public_data_file_per_data_type_csv.zip"
PIPELINE_PATH = "/app/pipeline_public_data_file_per_data_type_csv.zip"
#: What the server sends (`HttpResponse(..., content_type="application/zip")`) and what
#: file servers commonly send for a zip.
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
#: Largest download accepted: the real zip is a few megabytes.
MAX_BYTES = 200_000_000
#: The `source_state` key of the last imported download's sha256.
HASH_KEY = "download_sha256"

allowed_hosts = api.allowed_hosts


def zip_url(base_url: str, path: str = ALL_PATH) -> str:
    """URL of one of the bulk downloads."""
    return base_url.rstrip("/") + path


def _download(fetcher: Fetcher, store: Store, source: str, url: str) -> tuple[Page, str]:
    """The zip and its sha256; raises SourceUnchanged when it was imported already."""
    fetcher.max_bytes = max(fetcher.max_bytes, MAX_BYTES)
    page = fetcher.get(url, accept=ZIP_TYPES)  # a FetchError fails the run: nothing written
    digest = hashlib.sha256(page.content).hexdigest()
    if store.source_state(source, HASH_KEY) == digest:
        raise SourceUnchanged(
            f"{url}: the same download as the last import (sha256 {digest[:12]}…); not imported"
        )
    return page, digest


def project_items(fetcher: Fetcher, store: Store, base_url: str) -> Iterator[Item]:
    """Items of the all-data zip (projects), then the checkpoint of its hash."""
    url = zip_url(base_url, ALL_PATH)
    page, digest = _download(fetcher, store, SOURCE, url)
    with Export(page.content, label=url) as export:
        yield from csv_export.export_items(export, fetched_at=page.fetched_at)
    yield Checkpoint(HASH_KEY, digest)


def pipeline_items(fetcher: Fetcher, store: Store, base_url: str) -> Iterator[Item]:
    """Items of the pipeline zip, then the checkpoint of its hash."""
    url = zip_url(base_url, PIPELINE_PATH)
    page, digest = _download(fetcher, store, pipeline.SOURCE, url)
    with Export(page.content, label=url) as export:
        yield from pipeline.export_items(export, fetched_at=page.fetched_at)
    yield Checkpoint(HASH_KEY, digest)


#: The options `items(ctx)` reads from the sources file (the job refuses others).
OPTIONS = frozenset({"base_url", "per_project"})


def items(ctx: SourceContext) -> Iterator[Item]:
    """The job's INDIGO source: the all-data zip at `base_url` (default
    `Settings.indigo_base_url`); with the `per_project` option, the per-record JSON API."""
    base = ctx.option("base_url", ctx.settings.indigo_base_url)
    if ctx.option("per_project", False):
        return api.read_api(ctx.fetcher, base)
    return project_items(ctx.fetcher, ctx.store, base)
