"""The INDIGO CSV export ("all data, one file per data type"), from a folder or a .zip of it.

Each project row of `projects.csv` and its rows in the `projects_<list>.csv` files are
re-expressed in the JSON API's shape (wrapped leaves, one list per tab, the referenced
organisations from `organisations.csv` added), then mapped by the one mapper both INDIGO
paths share (`ingest.indigo_mapping`), so a project gives the same case either way.

What goes wrong, and what happens (each reported as a `Reject` naming `file:line` and
why; line numbers are physical lines, a record with a multi-line cell starts on its line):

- The export cannot be read at all (no `projects.csv` or `organisations.csv`, a broken
  zip, a file without its id column): `SourceError`, nothing is written.
- A row that cannot be trusted (bytes that are not UTF-8, a row of a list file without
  a project id or for a project not in `projects.csv`, a second row with a project id
  already seen, a project without a name): that row is rejected; when it belongs to a
  project, that project is not updated (what the store had for it stays) and the other
  projects are imported.
- One field that cannot be read (a bad date, an unknown currency word or codelist value,
  a number that is not one) or a column missing from a list file: a warning (a `Note` of
  kind "warning" in the run report); the project is imported with that field left empty.
"""

# The column tables quote the export's headers verbatim, which are longer than a line.
# ruff: noqa: E501

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from corpus.errors import SourceError
from ingest.indigo_mapping import ProjectError, project_to_case
from ingest.runner import Item, Note, Reject

#: Columns of projects.csv used, and where they go in a project's `data`.
PROJECT_COLUMNS: dict[str, str] = {
    "Impact Bond Name - (Value)": "name",
    "Alternative Names - (Value)": "alternative_names",
    "Stage of Development - (Value)": "stage_development",
    "Dates - Date outcomes contract signed - (Value)": "dates.outcomes_contract_signed",
    "Dates - Date contracts between all parties signed - (Value)": "dates.contracts_between_all_parties_signed",
    "Dates - Anticipated completion date - (Value)": "dates.anticipated_completion_date",
    "Dates - Actual completion date - (Value)": "dates.actual_completion_date",
    "Dates - Start date of service provision - (Value)": "dates.start_date_of_service_provision",
    "Dates - Anticipated end date of service provision - (Value)": "dates.anticipated_end_date_of_service_provision",
    "Dates - Actual end date of service provision - (Value)": "dates.actual_end_date_of_service_provision",
    "Jurisdiction - Jurisdiction - (Value)": "jurisdiction.jurisdiction",
    "Purpose and classifications - Social challenge - (Value)": "purpose_and_classifications.social_challenge",
    "Purpose and classifications - Intervention - (Value)": "purpose_and_classifications.intervention",
    "Purpose and classifications - Policy sector - (Value)": "purpose_and_classifications.policy_sector",
    "Service and beneficiaries - Target population - (Value)": "service_and_beneficiaries.target_population",
    "Service and beneficiaries - Targeted number of unique service users or beneficiaries "
    "(total) - (Value)": "service_and_beneficiaries.targeted_number_service_users_or_beneficiaries_total",
    "Service and beneficiaries - Actual number of unique service users or beneficiaries "
    "engaged (total) - (Value)": "service_and_beneficiaries.actual_number_service_users_or_beneficiaries_total",
    "Notes - (Value)": "notes",
}
_TIC = "Overall project finance - Total investment commitment - "
for _part, _path in (
    ("Currency", "currency"),
    ("Amount - Min", "amount.min"),
    ("Amount - Exact", "amount.exact"),
    ("Amount - Max", "amount.max"),
    ("Amount USD - Min", "amount_usd.min"),
    ("Amount USD - Exact", "amount_usd.exact"),
    ("Amount USD - Max", "amount_usd.max"),
):
    PROJECT_COLUMNS[f"{_TIC}{_part} - (Value)"] = (
        f"overall_project_finance.total_investment_commitment.{_path}"
    )
for _title, _key in (
    ("Maximum potential outcome payment", "maximum_potential_outcome_payment_v2"),
    ("Total outcome payments made", "total_outcome_payments_made"),
):
    for _part, _path in (
        ("Currency", "currency"),
        ("Amount", "amount"),
        ("Amount USD", "amount_usd"),
    ):
        PROJECT_COLUMNS[f"Overall project finance - {_title} - {_part} - (Value)"] = (
            f"overall_project_finance.{_key}.{_path}"
        )

_ORG = {
    "Organisation ID - (Value)": "organisation_id",
    "Organisation Role Category - (Value)": "organisation_role_category",
}

#: List files used: file name -> (list key in `data`, {column: path inside an item}).
#: A path ending in `!` is a plain string in the API (ids), not a `{"value": ...}` leaf.
LIST_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "projects_delivery_locations.csv": (
        "delivery_locations",
        {
            "Service Provision ID - (Value)": "service_provision_id",
            "Location - Name - (Value)": "location_name",
            "Location - Country - (Value)": "location_country",
            "Lat/Lng - Lat - (Value)": "lat_lng.lat",
            "Lat/Lng - Lng - (Value)": "lat_lng.lng",
            "Adminstrative geography - Name - (Value)": "adminstrative_geography_name",
        },
    ),
    "projects_service_provisions.csv": (
        "service_provisions",
        {
            "Id": "id!",
            **_ORG,
            "Intervention - (Value)": "intervention",
        },
    ),
    "projects_investments.csv": (
        "investments",
        {
            "Id": "id!",
            **_ORG,
            "Investment Commitment - Currency - (Value)": "investment_commitment.currency",
            "Investment Commitment - Amount - Min - (Value)": "investment_commitment.amount.min",
            "Investment Commitment - Amount - Exact - (Value)": "investment_commitment.amount.exact",
            "Investment Commitment - Amount - Max - (Value)": "investment_commitment.amount.max",
            "Investment Commitment - Amount USD - Exact - (Value)": "investment_commitment.amount_usd.exact",
        },
    ),
    "projects_outcome_payment_commitments.csv": (
        "outcome_payment_commitments",
        {
            **_ORG,
            "Maximum potential Outcome payment - Currency - (Value)": "maximum_potential_outcome_payment.currency",
            "Maximum potential Outcome payment - Amount - (Value)": "maximum_potential_outcome_payment.amount",
            "Maximum potential Outcome payment - Amount USD - (Value)": "maximum_potential_outcome_payment.amount_usd",
        },
    ),
    "projects_intermediary_services.csv": (
        "intermediary_services",
        {
            **_ORG,
            "Other Role Description - (Value)": "other_role_description",
        },
    ),
    "projects_outcome_metrics.csv": (
        "outcome_metrics",
        {
            "Id": "id!",
            "Outcome Definition - (Value)": "definition",
            "Target Population - (Value)": "target_population",
            "Outcome metric target - (Value)": "outcome_metric_target",
            "Other target for Meeting outcome metric target - (Value)": "other_target_for_meeting_outcome_metric_target",
            "Outcome validation Method - (Value)": "outcome_validation_method",
            "Data source for Outcome validation - (Value)": "data_source_for_outcome_validation",
        },
    ),
    "projects_outcome_pricings.csv": (
        "outcome_pricings",
        {
            "Outcome Metric Id - (Value)": "outcome_metric_id",
            "Currency - (Value)": "currency",
            "Price Per Unit - Amount - (Value)": "price_per_unit.amount",
            "Price Per Unit - Amount USD - (Value)": "price_per_unit.amount_usd",
            "Maximum Price if all targets achieved - Amount - (Value)": "maximum_price_if_all_targets_achieved.amount",
            "Price Description - (Value)": "price_description",
        },
    ),
    "projects_results.csv": (
        "results",
        {
            "Outcome Metric Id - (Value)": "outcome_metric_id",
            "Result level - (Value)": "result_level",
            "Result type - (Value)": "result_type",
            "Period - Start - (Value)": "period.start_date",
            "Period - End - (Value)": "period.end_date",
            "Outcomes achieved - (Value)": "outcomes_achieved",
            "Number engaged In impact bond - (Value)": "number_engaged_in_impact_bond",
            "Number with Positive social outcomes - (Value)": "number_with_positive_social_outcomes",
            "Other Description of result - (Value)": "other_description_of_result",
            "Outcomes validator(s) - (Value)": "outcomes_validator_organisation_ids",
        },
    ),
    "projects_outcome_payments.csv": (
        "outcome_payments",
        {
            "Outcome Metric Id - (Value)": "outcome_metric_id",
            "Period - Start - (Value)": "period.start_date",
            "Period - End - (Value)": "period.end_date",
            "Payer Organisation ID - (Value)": "payer_organisation_id",
            "Recipient Organisation ID - (Value)": "recipient_organisation_id",
            "Type - (Value)": "type",
            "Payments - Currency - (Value)": "money.currency",
            "Payments - Amount - (Value)": "money.amount",
            "Payments - Amount USD - (Value)": "money.amount_usd",
        },
    ),
    "projects_documents.csv": (
        "documents",
        {
            "Title - (Value)": "title",
            "URL - (Value)": "url",
        },
    ),
    "projects_sources.csv": (
        "sources",
        {
            "Id": "id!",
            "Name - (Value)": "name",
            "Type - (Value)": "type",
            "Publishing Organisations - (Value)": "publishing_organisation_ids",
            "URL - (Value)": "url",
            "Archive URL - (Value)": "archive_url",
            "Publication Date - (Value)": "publication_date",
        },
    ),
}

#: Organisation columns used (as the API's `organisations` items carry them).
ORGANISATION_COLUMNS: dict[str, str] = {
    "Name": "name",
    "Trading Name": "trading_name",
    "Translated Official Name - English": "translated_official_name.english",
    "Jurisdiction": "jurisdiction",
    "Type - (Value)": "type",
    "Website": "website",
    "Country": "country",
}

#: Item fields that hold organisation ids (comma-separated in results' validators): the
#: organisations the API server adds to a project are those these fields name.
ORG_REFERENCES: dict[str, tuple[str, ...]] = {
    "service_provisions": ("organisation_id",),
    "investments": ("organisation_id",),
    "outcome_payment_commitments": ("organisation_id",),
    "intermediary_services": ("organisation_id",),
    "outcome_payments": ("payer_organisation_id", "recipient_organisation_id"),
    "results": ("outcomes_validator_organisation_ids",),
}

PROJECTS = "projects.csv"
ORGANISATIONS = "organisations.csv"
_BAD_BYTES = re.compile("[\udc80-\udcff]")


@dataclass
class _Row:
    file: str
    line: int
    cells: dict[str, str]


@dataclass
class _Table:
    file: str
    columns: list[str]
    rows: list[_Row]
    rejects: list[tuple[_Row, str]] = field(default_factory=list)


def _open_export(path: Path) -> dict[str, Callable[[], bytes]]:
    """`{file name: reader of its bytes}` for the CSV files of a folder or a zip.

    A path to the export's projects.csv stands for the folder it is in.
    """
    if path.is_file() and path.name.lower() == PROJECTS:
        path = path.parent
    if path.is_dir():
        return {p.name: _file_reader(p) for p in sorted(path.glob("*.csv"))}
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path}: not a readable zip file ({exc})") from exc
    files: dict[str, Callable[[], bytes]] = {}
    # Shallowest first, so a copy in a subfolder never shadows the export's own file.
    infos = sorted(
        (i for i in archive.infolist() if i.filename.lower().endswith(".csv")),
        key=lambda i: (i.filename.count("/"), i.filename),
    )
    for info in infos:
        name = PurePosixPath(info.filename).name
        if name not in files:
            files[name] = _zip_reader(archive, info, path)
    return files


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc

    return read


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{path}: cannot read {info.filename} from the zip ({exc})") from exc

    return read


def _read_table(name: str, data: bytes, required: tuple[str, ...]) -> _Table:
    """Parse one CSV file; rows holding bytes that are not UTF-8 are set aside as rejects."""
    # surrogateescape keeps undecodable bytes visible per cell, so only the rows that
    # hold them are rejected instead of the whole file.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise SourceError(f"{name}:1: cannot read the header ({exc})") from exc
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(
            f"{name}: required column {', '.join(repr(c) for c in missing)} missing "
            f"(the file has {len(header)} columns); is this the INDIGO CSV export?"
        )
    table = _Table(file=name, columns=header, rows=[])
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SourceError(f"{name}:{start}: broken CSV ({exc})") from exc
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = _Row(name, start, dict(zip(header, cells, strict=False)))
        bad = [h for h, c in row.cells.items() if _BAD_BYTES.search(c)]
        if bad:
            byte = _BAD_BYTES.search(row.cells[bad[0]]).group()  # type: ignore[union-attr]
            table.rejects.append(
                (
                    row,
                    f"not valid UTF-8 (byte 0x{ord(byte) - 0xDC00:02X} in column {bad[0]!r}); "
                    "save the file as UTF-8",
                )
            )
            continue
        if len(cells) != len(header):
            table.rejects.append(
                (row, f"has {len(cells)} cells, the header has {len(header)} columns")
            )
            continue
        table.rows.append(row)
    return table


def _set(target: dict[str, Any], path: str, value: str) -> None:
    """Put a cell at a dotted path; a trailing `!` stores the plain string, not `{"value": ...}`."""
    raw = path.endswith("!")
    keys = path.rstrip("!").split(".")
    node = target
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value if raw else {"value": value}


def _item(cells: dict[str, str], columns: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for column, path in columns.items():
        value = cells.get(column, "")
        # The export writes an empty cell for a field the API would leave out.
        if value.strip():
            _set(item, path, value)
    return item


@dataclass
class _Project:
    id: str
    row: _Row
    data: dict[str, Any]
    #: (list key, index) -> the row it came from, to name file:line in messages.
    rows: dict[tuple[str, int], _Row] = field(default_factory=dict)
    broken: list[Reject] = field(default_factory=list)


def _column_names() -> dict[str | None, dict[tuple[str, ...], str]]:
    """Reverse of the column tables: item path -> column, per list key (None: projects.csv)."""

    def reverse(columns: dict[str, str]) -> dict[tuple[str, ...], str]:
        return {tuple(p.rstrip("!").split(".")): c for c, p in columns.items()}

    names: dict[str | None, dict[tuple[str, ...], str]] = {None: reverse(PROJECT_COLUMNS)}
    for key, columns in LIST_FILES.values():
        names[key] = reverse(columns)
    names["organisations"] = reverse({"ID": "id!", **ORGANISATION_COLUMNS})
    return names


_COLUMN_NAMES = _column_names()


def _locate(project: _Project, path: tuple[str | int, ...]) -> str:
    if len(path) >= 2 and isinstance(path[1], int) and (path[0], path[1]) in project.rows:
        row = project.rows[(path[0], path[1])]  # type: ignore[index]
        column = _COLUMN_NAMES.get(path[0], {}).get(tuple(str(p) for p in path[2:]))  # type: ignore[arg-type]
    else:
        row = project.row
        column = _COLUMN_NAMES[None].get(tuple(str(p) for p in path))
    where = f"{row.file}:{row.line}"
    return f"{where} column {column!r}" if column else where


def _warning(where: str, reason: str) -> Note:
    return Note(where=where, reason=reason, kind="warning")


def read_export(path: Path | str, on_total: Callable[[int], None] | None = None) -> Iterator[Item]:
    """Items (`Case`s and `Reject`s) of an INDIGO CSV export: a folder or a .zip of one.

    The whole export is read before the first item is yielded, so a broken export raises
    SourceError before anything is written; `on_total` then learns how many items follow.
    """
    items = _items(Path(path))
    if on_total:
        on_total(len(items))
    yield from items


def _items(path: Path) -> list[Item]:
    files = _open_export(path)
    for needed in (PROJECTS, ORGANISATIONS):
        if needed not in files:
            raise SourceError(
                f"{path}: {needed} not found; expected the INDIGO CSV export "
                "(a folder or zip with projects.csv, projects_*.csv and organisations.csv)"
            )
    fetched_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    out: list[Item] = []

    organisations: dict[str, dict[str, Any]] = {}
    org_rows: dict[str, _Row] = {}
    org_table = _read_table(ORGANISATIONS, files[ORGANISATIONS](), ("ID", "Name"))
    for row, reason in org_table.rejects:
        out.append(Reject(f"{row.file}:{row.line}", f"{reason}; organisation left out"))
    for row in org_table.rows:
        org_id = row.cells["ID"].strip()
        if not org_id:
            out.append(Reject(f"{row.file}:{row.line}", "no organisation ID; row ignored"))
            continue
        if org_id in organisations:
            out.append(
                Reject(
                    f"{row.file}:{row.line}",
                    f"duplicate organisation ID {org_id} (first at line {org_rows[org_id].line}); "
                    "row ignored",
                )
            )
            continue
        organisations[org_id] = {"id": org_id, **_item(row.cells, ORGANISATION_COLUMNS)}
        org_rows[org_id] = row

    table = _read_table(PROJECTS, files[PROJECTS](), ("ID", "Impact Bond Name - (Value)"))
    for column in PROJECT_COLUMNS:
        if column not in table.columns:
            out.append(
                _warning(PROJECTS, f"column {column!r} missing; left empty for every project")
            )
    projects: dict[str, _Project] = {}
    for row, reason in table.rejects:
        pid = row.cells.get("ID", "").strip()
        # A project whose row is unreadable keeps what the store has for it.
        out.append(Reject(f"{row.file}:{row.line}", f"{reason}; project not updated", pid or None))
    rejected_ids = {r.record_id for r in out if isinstance(r, Reject) and r.record_id}
    for row in table.rows:
        pid = row.cells["ID"].strip()
        if not pid:
            out.append(Reject(f"{row.file}:{row.line}", "no project ID; row ignored"))
            continue
        if pid in projects:
            out.append(
                Reject(
                    f"{row.file}:{row.line}",
                    f"duplicate project ID {pid} (first at line {projects[pid].row.line}); "
                    "this row ignored, the first imported",
                )
            )
            continue
        projects[pid] = _Project(pid, row, {**_item(row.cells, PROJECT_COLUMNS)})

    for name, (key, columns) in LIST_FILES.items():
        if name not in files:
            out.append(
                _warning(name, "file missing from the export; that list is empty for every project")
            )
            continue
        lst = _read_table(name, files[name](), ("Project ID",))
        for column in columns:
            if column not in lst.columns:
                out.append(
                    _warning(name, f"column {column!r} missing; left empty for every project")
                )
        for row, reason in lst.rejects:
            pid = row.cells.get("Project ID", "").strip()
            if pid in projects:
                projects[pid].broken.append(
                    Reject(f"{row.file}:{row.line}", f"{reason}; project {pid} not updated", pid)
                )
            else:
                out.append(Reject(f"{row.file}:{row.line}", f"{reason}; row ignored"))
        for row in lst.rows:
            pid = row.cells["Project ID"].strip()
            project = projects.get(pid)
            if project is None:
                why = "no Project ID" if not pid else f"project {pid} is not in {PROJECTS}"
                if pid in rejected_ids:
                    continue  # its project row was rejected already
                out.append(Reject(f"{row.file}:{row.line}", f"{why}; row ignored"))
                continue
            items = project.data.setdefault(key, [])
            project.rows[(key, len(items))] = row
            items.append(_item(row.cells, columns))

    seen_warnings: set[tuple[str, str]] = set()
    for project in projects.values():
        if project.broken:
            # Only the first reject carries the id: the runner keeps the stored record.
            first, *rest = project.broken
            out.append(first)
            out.extend(Reject(r.where, r.reason) for r in rest)
            continue
        org_ids = sorted(_referenced_orgs(project.data) & organisations.keys())
        project.data["organisations"] = [organisations[o] for o in org_ids]
        for i, org_id in enumerate(org_ids):
            project.rows[("organisations", i)] = org_rows[org_id]
        try:
            case, problems = project_to_case(
                {"id": project.id, "data": project.data}, fetched_at=fetched_at
            )
        except ProjectError as exc:
            out.append(
                Reject(_locate(project, exc.path), f"{exc.reason}; project not updated", project.id)
            )
            continue
        for problem in problems:
            key = (_locate(project, problem.path), problem.reason)
            # An organisation's bad field shows up in every project that names it: once is enough.
            if key not in seen_warnings:
                seen_warnings.add(key)
                out.append(_warning(*key))
        out.append(case)
    return out


def _referenced_orgs(data: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key, fields in ORG_REFERENCES.items():
        for item in data.get(key, []):
            for name in fields:
                value = (item.get(name) or {}).get("value", "")
                found.update(v.strip() for v in value.split(",") if v.strip())
    return found
