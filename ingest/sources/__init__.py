"""One module per source. Each yields `Case` records, `Reject`s and `Gone`s (see ingest.runner)."""
