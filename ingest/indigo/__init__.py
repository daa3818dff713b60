"""INDIGO (GO Lab's impact bond data store): one package for every way its data comes in.

- `export`: the one reader of the CSV export (a folder or a zip): regular files only,
  bounded sizes, rows streamed with line numbers.
- `mapping`: one project, in the JSON API's shape, to a `Case` (both paths use it).
- `csv_export`: the "all data, one file per data type" export -> project cases.
- `pipeline`: the pipeline dataset (projects in design) from its CSV or the JSON API.
- `bulk`: the online data store's bulk downloads (one zip per dataset, skipped when
  unchanged), imported through the CSV path.
- `api`: the per-record JSON API (`casebank ingest indigo-api --per-project`).
"""
