"""Turn sources into `Case` records and write them through the store.

One module per source under `ingest/sources/`; `ingest.runner` applies a source's items to
the store in one transaction and keeps the run report.
"""
