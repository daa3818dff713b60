"""INDIGO's CSV export ("all data, one file per data type"), from a folder or a .zip of it.

Each project row of `projects.csv` and its rows in the `projects_<list>.csv` files are
re-expressed in the JSON API's shape (wrapped leaves, one list per tab, the referenced
organisations from `organisations.csv` and the funds from `funds.csv` added), then mapped
by the one mapper every INDIGO path shares (`ingest.indigo.mapping`), so a project gives
the same case either way. Files are read through `ingest.indigo.export` (regular files
only, bounded, streamed): each file is read once, row by row, and only the per-project
data the mapping needs is held.

What goes wrong, and what happens (each reported as a `Reject` naming `file:line` and
why; line numbers are physical lines, a record with a multi-line cell starts on its line):

- The export cannot be read at all (a file the mapping needs is missing, a broken zip, a
  file without its id column, a FIFO, a device, a link out of the export, a file too big):
  `SourceError`, nothing is written. The data store always writes every list file, even
  header-only ones, so a missing file is a broken export, not an empty list.
- A row that cannot be trusted (bytes that are not UTF-8, a row of a list file without
  a project id or for a project not in `projects.csv`, a second row with a project id
  already seen, a project without a name): that row is rejected; when it belongs to a
  project, that project is not updated (what the store had for it stays) and the other
  projects are imported. A rejected `organisations.csv` row does the same to every
  project naming that organisation.
- One field that cannot be read (a bad date, an unknown currency word or codelist value,
  a number that is not one): a warning (a `Note` of kind "warning" in the run report);
  the project is imported with that field left empty.

The runner's guards (`ingest.runner`) then refuse a run that rejects too much or would
remove too many stored projects.
"""

# The column tables quote the export's headers verbatim, which are longer than a line.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.errors import SourceError
from ingest.context import SourceContext
from ingest.indigo.export import BadRow, Export, Row
from ingest.indigo.mapping import SOURCE, ProjectError, project_to_case
from ingest.runner import Item, Note, Reject

__all__ = ["SOURCE", "COMPLETE", "REQUIRED_FILES", "export_items", "items", "read_export"]

#: The export lists every public project: a project missing from it is removed.
COMPLETE = True

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
FUNDS = "funds.csv"
OUTCOME_FUNDS = "projects_outcome_funds.csv"
#: Most projects read: INDIGO has about 320; a projects.csv of many more is not its export.
MAX_PROJECTS = 20_000
#: Every file the mapping reads; a genuine export always has them all.
REQUIRED_FILES = (PROJECTS, ORGANISATIONS, FUNDS, OUTCOME_FUNDS, *LIST_FILES)


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
    row: Row
    data: dict[str, Any]
    #: (list key, index) -> the row it came from, to name file:line in messages.
    rows: dict[tuple[str, int], Row] = field(default_factory=dict)
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
    """Items (`Case`s, `Reject`s, warnings) of an INDIGO CSV export: a folder or a .zip of one.

    Raises SourceError (before any project is yielded) when the export cannot be read.
    `on_total` learns the number of projects once `projects.csv` is read.
    """
    with Export(path) as export:
        yield from export_items(export, on_total=on_total)


def project_ids(path: Path | str) -> set[str]:
    """The project ids of an export (folder, zip or its projects.csv), read with the
    export reader's bounds: what `casebank corpus check --indigo-csv` checks the curated
    files' INDIGO ids against. SourceError names an unreadable export."""
    with Export(path) as export:
        return {
            item.cells["ID"].strip()
            for item in export.rows("projects.csv", ("ID",))
            if isinstance(item, Row) and (item.cells.get("ID") or "").strip()
        }


#: The options `items(ctx)` reads from the sources file (the job refuses others).
OPTIONS = frozenset({"path"})


def items(ctx: SourceContext) -> Iterator[Item]:
    """The job's entry point: the export at the `path` option."""
    path = ctx.option("path")
    if not path:
        raise SourceError("indigo-csv: no `path` option (set CASEBANK_INDIGO_CSV)")
    return read_export(path)


def export_items(
    export: Export,
    *,
    fetched_at: str | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Items of an open export (shared by the CSV command and the bulk download)."""
    missing = export.missing(REQUIRED_FILES)
    if missing:
        raise SourceError(
            f"{export.label}: {', '.join(missing)} missing; a genuine INDIGO export has every "
            "file (even header-only ones), so this one is incomplete and was not imported"
        )
    fetched_at = fetched_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    organisations: dict[str, dict[str, Any]] = {}
    org_rows: dict[str, Row] = {}
    rejected_orgs: dict[str, str] = {}
    yield from _organisations(export, organisations, org_rows, rejected_orgs)
    funds = yield from _funds(export)

    project_header = export.header(PROJECTS)
    for column in PROJECT_COLUMNS:
        if column not in project_header:
            yield _warning(PROJECTS, f"column {column!r} missing; left empty for every project")
    projects: dict[str, _Project] = {}
    rejected_ids: set[str] = set()
    for row in export.rows(PROJECTS, ("ID", "Impact Bond Name - (Value)"), max_rows=MAX_PROJECTS):
        pid = row.cells.get("ID", "").strip()
        if isinstance(row, BadRow):
            # A project whose row is unreadable keeps what the store has for it.
            rejected_ids.add(pid)
            yield Reject(row.where, f"{row.reason}; project not updated", pid or None)
        elif not pid:
            yield Reject(row.where, "no project ID; row ignored")
        elif pid in projects:
            yield Reject(
                row.where,
                f"duplicate project ID {pid} (first at line {projects[pid].row.line}); "
                "this row ignored, the first imported",
            )
        else:
            # Only where the row was is kept with the project, not its cells.
            projects[pid] = _Project(pid, _at(row), {**_item(row.cells, PROJECT_COLUMNS)})
    if on_total:
        on_total(len(projects))

    for name, (key, columns) in LIST_FILES.items():
        yield from _list_file(export, name, key, columns, projects, rejected_ids)
    yield from _fund_lists(export, projects, rejected_ids)
    _check_organisations(export, projects, organisations, rejected_orgs)

    seen_warnings: set[tuple[str, str]] = set()
    for project in projects.values():
        if project.broken:
            # Only the first reject carries the id: the runner keeps the stored record.
            first, *rest = project.broken
            yield first
            for r in rest:
                yield Reject(r.where, r.reason)
            continue
        referenced = _referenced_orgs(project.data)
        bad_orgs = sorted(referenced & rejected_orgs.keys())
        if bad_orgs:
            yield Reject(
                project.row.where,
                f"names organisation {bad_orgs[0]} whose row was rejected "
                f"({rejected_orgs[bad_orgs[0]]}); project {project.id} not updated",
                project.id,
            )
            continue
        org_ids = sorted(referenced & organisations.keys())
        project.data["organisations"] = [organisations[o] for o in org_ids]
        for i, org_id in enumerate(org_ids):
            project.rows[("organisations", i)] = org_rows[org_id]
        try:
            case, problems = project_to_case(
                {"id": project.id, "data": project.data}, fetched_at=fetched_at, funds=funds
            )
        except ProjectError as exc:
            yield Reject(
                _locate(project, exc.path), f"{exc.reason}; project not updated", project.id
            )
            continue
        for problem in problems:
            key = (_locate(project, problem.path), problem.reason)
            # An organisation's bad field shows up in every project that names it: once is enough.
            if key not in seen_warnings:
                seen_warnings.add(key)
                yield _warning(*key)
        yield case


def _organisations(
    export: Export,
    organisations: dict[str, dict[str, Any]],
    org_rows: dict[str, Row],
    rejected: dict[str, str],
) -> Iterator[Item]:
    """Read organisations.csv into `organisations`; rejected rows' ids go to `rejected`."""
    for row in export.rows(ORGANISATIONS, ("ID", "Name")):
        org_id = row.cells.get("ID", "").strip()
        if isinstance(row, BadRow):
            if org_id:
                rejected[org_id] = f"{row.where}: {row.reason}"
            yield Reject(row.where, f"{row.reason}; projects naming it are not updated")
        elif not org_id:
            yield Reject(row.where, "no organisation ID; row ignored")
        elif org_id in organisations:
            yield Reject(
                row.where,
                f"duplicate organisation ID {org_id} (first at line {org_rows[org_id].line}); "
                "row ignored",
            )
        else:
            organisations[org_id] = {"id": org_id, **_item(row.cells, ORGANISATION_COLUMNS)}
            org_rows[org_id] = row


def _funds(export: Export) -> Iterator[Item]:
    """Read funds.csv; returns (as the generator's value) `{fund id: name}`."""
    funds: dict[str, str] = {}
    for row in export.rows(FUNDS, ("ID", "Fund - Name")):
        fund_id = row.cells.get("ID", "").strip()
        name = row.cells.get("Fund - Name", "").strip()
        if isinstance(row, BadRow) or not fund_id:
            yield Reject(row.where, f"{getattr(row, 'reason', 'no fund ID')}; fund name left out")
        elif name:
            funds.setdefault(fund_id, name)
    return funds


def _list_file(
    export: Export,
    name: str,
    key: str,
    columns: dict[str, str],
    projects: dict[str, _Project],
    rejected_ids: set[str],
) -> Iterator[Item]:
    header = export.header(name)
    for column in columns:
        if column not in header:
            yield _warning(name, f"column {column!r} missing; left empty for every project")
    strays = _Strays(name)
    for row in export.rows(name, ("Project ID",)):
        pid = row.cells.get("Project ID", "").strip()
        project = projects.get(pid)
        if project is None:
            if pid not in rejected_ids:  # else its project row was rejected already
                strays.add(row, pid)
            continue
        if isinstance(row, BadRow):
            project.broken.append(
                Reject(row.where, f"{row.reason}; project {pid} not updated", pid)
            )
            continue
        entries = project.data.setdefault(key, [])
        project.rows[(key, len(entries))] = _at(row)
        entries.append(_item(row.cells, columns))
    yield from strays.rejects()


class _Strays:
    """Rows of a list file naming no project of projects.csv: one reject per file.

    A genuine export never has them; a truncated projects.csv gives thousands, and one
    entry saying so (then the runner's removal guard) tells more than a reject per row.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.first: Row | BadRow | None = None
        self.first_pid = ""
        self.count = 0

    def add(self, row: Row | BadRow, pid: str) -> None:
        self.count += 1
        if self.first is None:
            self.first, self.first_pid = row, pid

    def rejects(self) -> Iterator[Reject]:
        if self.first is None:
            return
        why = (
            "no Project ID"
            if not self.first_pid
            else f"project {self.first_pid} is not in {PROJECTS}"
        )
        more = f" (and {self.count - 1} more rows of projects not in it)" if self.count > 1 else ""
        yield Reject(self.first.where, f"{why}{more}; row ignored")


def _fund_lists(
    export: Export, projects: dict[str, _Project], rejected_ids: set[str]
) -> Iterator[Item]:
    """projects_outcome_funds.csv: the funds each project belongs to (`outcome_funds[].id`)."""
    strays = _Strays(OUTCOME_FUNDS)
    for row in export.rows(OUTCOME_FUNDS, ("Project ID", "Id")):
        pid = row.cells.get("Project ID", "").strip()
        project = projects.get(pid)
        if project is None:
            if pid not in rejected_ids:
                strays.add(row, pid)
            continue
        if isinstance(row, BadRow):
            project.broken.append(
                Reject(row.where, f"{row.reason}; project {pid} not updated", pid)
            )
            continue
        # One id in the real export carries a trailing tab ("INDIGO-FUND-0007\t").
        fund_id = row.cells.get("Id", "").strip()
        if fund_id:
            project.data.setdefault("outcome_funds", []).append({"id": fund_id})
    yield from strays.rejects()


#: Organisations named by projects but absent from organisations.csv tolerated: the real
#: export names 21 private ones among 1,509; many more means a truncated file, and the
#: projects would be rewritten with "undisclosed" parties in place of named ones.
MAX_UNKNOWN_ORGS, MAX_UNKNOWN_ORG_SHARE = 50, 0.10


def _check_organisations(
    export: Export,
    projects: dict[str, _Project],
    organisations: dict[str, dict[str, Any]],
    rejected: dict[str, str],
) -> None:
    named: set[str] = set()
    for project in projects.values():
        named |= _referenced_orgs(project.data)
    unknown = named - organisations.keys() - rejected.keys()
    if len(unknown) > max(MAX_UNKNOWN_ORGS, MAX_UNKNOWN_ORG_SHARE * len(named)):
        raise SourceError(
            f"{export.label}: {ORGANISATIONS} lacks {len(unknown)} of the {len(named)} "
            "organisations the projects name (is it truncated?); not imported"
        )


def _at(row: Row) -> Row:
    """The row's place without its cells (what messages need), to hold less per project."""
    return Row(row.file, row.line, {})


def _referenced_orgs(data: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key, fields in ORG_REFERENCES.items():
        for item in data.get(key, []):
            for name in fields:
                value = (item.get(name) or {}).get("value", "")
                found.update(v.strip() for v in value.split(",") if v.strip())
    return found
