"""INDIGO's pipeline dataset: impact bonds still being designed, as cases with stage "pipeline".

Three paths give the same cases (source "indigo-pipeline", external id scheme
"indigo_pipeline", case id = the lower-cased pipeline id, e.g. `indigo-pl-0026`):

- the pipeline CSV (`pipelines.csv` of the data store's pipeline zip, `pipeline.csv` of
  older exports; a folder, a .zip, or the file itself), read by `ingest.indigo.export`:
  each row is re-expressed in the API's shape and mapped like an API record;
- the pipeline zip downloaded from the data store (`ingest.indigo.bulk`), through the
  same CSV path, skipped when unchanged;
- the per-record JSON API: `GET <base>/app/api1/pipeline` lists `{"pipelines": [{"id", "public"}]}`
  and `GET <base>/app/api1/pipeline/<id>` serves `{"pipeline": {"id", "data"}}`, whose
  leaves are wrapped as `{"value": ...}`. A pipeline listed as not public (or gone by the
  time it is asked for: 404) is removed from the store.

What a record says of its service providers (the domestic government as a service provider;
providers chosen by request for proposals, direct contracting or a provider-led deal; the
record's own words) becomes `Case.provider_selection`, from which `corpus.provider_models`
settles a public provider or the "not yet chosen or named" state; no provider is made up.

The source is complete: a pipeline that no longer appears is removed. Pipeline data is
thin and often "TBD": JSON numbers are read exactly (5000000 stays 5000000), texts
that are not numbers (a target of "TBD", an amount "ranging
from $500k to $20m") are kept in the case's notes, never guessed into numbers. A value
that cannot be used (an unknown country code) is a warning (a `Note` of kind
"warning" in the run report), the field is left empty and the case is still imported; a row or
record without an id or a name, or with bytes that are not UTF-8, is rejected and the
stored version of that pipeline, if any, is kept. Search leaves stage "pipeline" out
unless asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from corpus.errors import SourceError
from corpus.model import (
    Case,
    Link,
    Money,
    OutcomeMetric,
    Party,
    Place,
    Provenance,
    ProviderSelection,
    Role,
)
from corpus.settings import Settings
from ingest.context import SourceContext
from ingest.fetch import JSON, Fetcher, FetchError, HTTPStatusError
from ingest.indigo import api as indigo_api
from ingest.indigo.export import BadRow, Export
from ingest.normalise import (
    clean_text,
    parse_country,
    parse_currency,
    parse_number,
    role_category_type,
)
from ingest.runner import Gone, Item, Note, Reject

SOURCE = "indigo-pipeline"
COMPLETE = True
SCHEME = "indigo_pipeline"
#: The pipeline file: `pipelines.csv` in the data store's pipeline zip (indigo/files.py
#: writes `<records>.csv` with records "pipelines"), `pipeline.csv` in older exports.
CSV_NAMES = ("pipelines.csv", "pipeline.csv")
LIST_PATH = "/app/api1/pipeline"

#: Policy sector flags of the pipeline standard -> the sector's name.
SECTORS = {
    "employment_and_private_sector_development": "Employment and private sector development",
    "education": "Education",
    "social_protection": "Social protection",
    "criminal_justice": "Criminal justice",
    "health": "Health",
    "agriculture": "Agriculture",
    "environment_and_climate_change": "Environment and climate change",
    "water_sanitation_hygiene": "Water, sanitation and hygiene",
    "energy": "Energy",
    "humanitarian": "Humanitarian",
    "early_childhood_education": "Early childhood education",
}

#: Instrument flags -> what the notes call them.
INSTRUMENTS = {
    "impact_bond": "impact bond",
    "outcomes_fund": "outcomes fund",
    "social_impact_incentives_siinc": "social impact incentives (SIINC)",
    "social_impact_guarantee": "social impact guarantee",
    "payment_by_results_no_prefinancing": "payment by results (no pre-financing)",
    "technical_assistance_and_market_building_programme_with_dedicated_grant": (
        "technical assistance and market-building programme"
    ),
}

#: Lists of organisations in a role (API records only; the CSV has no organisation columns).
ROLE_LISTS: dict[str, Role] = {
    "outcome_payment_commitments": "outcome_payer",
    "investments": "investor",
    "service_provisions": "service_provider",
    "intermediary_services": "intermediary",
}

# pipeline.csv column -> path in the API's `data` (a leaf ending in "value" is wrapped).
_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "Project Name - (Value)": ("name", "value"),
    "Alternative Names - (Value)": ("alternative_names", "value"),
    "State of Development - (Value)": ("state_development", "state", "value"),
    "State of Development - Reason for abandoned - (Value)": (
        "state_development",
        "reason_abandoned",
        "value",
    ),
    "Stage of Development - (Value)": ("stage_development", "stage", "value"),
    "Stage of Development - (Notes)": ("stage_development", "notes"),
    "Type of instrument and project - Impact Bond - (Value)": (
        "misc1",
        "type_instrument_project",
        "impact_bond",
        "value",
    ),
    "Type of instrument and project - Outcomes Fund - (Value)": (
        "misc1",
        "type_instrument_project",
        "outcomes_fund",
        "value",
    ),
    "Type of instrument and project - Social Impact Incentives (SIINC) - (Value)": (
        "misc1",
        "type_instrument_project",
        "social_impact_incentives_siinc",
        "value",
    ),
    "Type of instrument and project - Social Impact Guarantee - (Value)": (
        "misc1",
        "type_instrument_project",
        "social_impact_guarantee",
        "value",
    ),
    "Type of instrument and project - Payment-by-results (no pre-financing) - (Value)": (
        "misc1",
        "type_instrument_project",
        "payment_by_results_no_prefinancing",
        "value",
    ),
    "Type of instrument and project - Technical Assistance and Market-building program "
    "(Must involve dedicated grant resources) - (Value)": (
        "misc1",
        "type_instrument_project",
        "technical_assistance_and_market_building_programme_with_dedicated_grant",
        "value",
    ),
    "Type of instrument and project - Other - (Value)": (
        "misc1",
        "type_instrument_project",
        "other",
        "value",
    ),
    "Part of a larger outcomes-based financing program? - Details - (Value)": (
        "part_larger_program",
        "details",
        "value",
    ),
    "Dates - Expected Launch Date - (Value)": ("dates", "expected_launch_date", "value"),
    "Dates - Total expected project development time - (Value)": (
        "dates",
        "expected_development_time",
        "value",
    ),
    "Dates - Expected length of project (years) - (Value)": ("dates", "expected_length", "value"),
    "Dates - Project design process began - (Value)": ("dates", "design_process_began", "value"),
    "Rationale for using outcome based finance - (Value)": (
        "misc2",
        "rationale_outcomes_based_financing",
        "value",
    ),
    "Key challenges to launch - (Value)": ("misc3", "key_challenges_launch", "value"),
    "Feasibility study - (Value)": ("misc6", "feasibility_study", "value"),
    "Role of the domestic government - Service provider - (Value)": (
        "misc4",
        "role_domestic_government",
        "service_provider",
        "value",
    ),
    "Overall project finance - Estimated Maximum potential outcome payment - Currency - (Value)": (
        "overall_project_finance",
        "maximum_potential_outcome_payment_v2",
        "currency",
        "value",
    ),
    "Overall project finance - Estimated Maximum potential outcome payment - Amount - (Value)": (
        "overall_project_finance",
        "maximum_potential_outcome_payment_v2",
        "amount",
        "value",
    ),
    "Overall project finance - (Notes)": ("overall_project_finance", "notes"),
    "Purpose and classifications - Social/Developmental challenge - (Value)": (
        "purpose_and_classifications",
        "social_challenge",
        "value",
    ),
    "Purpose and classifications - Expected intervention model - (Value)": (
        "purpose_and_classifications",
        "intervention",
        "value",
    ),
    "Purpose and classifications - Policy sector - Other - (Value)": (
        "purpose_and_classifications",
        "policy_sector",
        "other",
        "value",
    ),
    "Service users and beneficiaries - Target population - (Value)": (
        "service_and_beneficiaries",
        "target_population",
        "value",
    ),
    "Service users and beneficiaries - Targeted number of unique service users or "
    "beneficiaries (total) - (Value)": (
        "service_and_beneficiaries",
        "targeted_number_service_users_or_beneficiaries_total",
        "value",
    ),
    "Notes - (Value)": ("notes", "value"),
}
for _key, _label in SECTORS.items():
    _CSV_COLUMNS[f"Purpose and classifications - Policy sector - {_label} - (Value)"] = (
        "purpose_and_classifications",
        "policy_sector",
        _key,
        "value",
    )
# The export spells two sector columns differently from the names shown.
_CSV_COLUMNS[
    "Purpose and classifications - Policy sector - Water, Sanitation and Hygiene - (Value)"
] = (  # noqa: E501
    "purpose_and_classifications",
    "policy_sector",
    "water_sanitation_hygiene",
    "value",
)
_CSV_COLUMNS[
    "Purpose and classifications - Policy sector - Early Childhood Education - (Value)"
] = (  # noqa: E501
    "purpose_and_classifications",
    "policy_sector",
    "early_childhood_education",
    "value",
)
# "Service providers identified and selected" flags: the CSV's column label -> the API key
# (the data standard's schema/pipeline.json, misc5.service_providers_identified_selected)
# -> `corpus.model.SelectionMethod`.
SELECTION_METHODS = {
    "Request-for-proposals": ("request_for_proposals", "request_for_proposals"),
    "Direct contracting by outcome funder/investor/intermediary": (
        "direct_contracting",
        "direct_contracting",
    ),
    "Provider-led deal development": ("provider_led_development", "provider_led"),
    "Other": ("other", None),
}
for _label, (_key, _) in SELECTION_METHODS.items():
    _CSV_COLUMNS[f"Service providers identified and selected - {_label} - (Value)"] = (
        "misc5",
        "service_providers_identified_selected",
        _key,
        "value",
    )
_CSV_LOCATION = {
    "Delivery Locations - Name": "location_name",
    "Delivery Locations - Country": "location_country",
}
_REQUIRED_COLUMNS = ("ID", "Project Name - (Value)")


class PipelineError(ValueError):
    """A pipeline record that cannot be a case at all (no id or no name)."""


@dataclass
class Mapped:
    """A mapped pipeline: the case and the warnings about fields left empty."""

    case: Case
    warnings: list[str] = field(default_factory=list)


def case_id(pipeline_id: str) -> str:
    """Case id (and record id) of a pipeline id: `INDIGO-PL-0026` -> `indigo-pl-0026`."""
    return pipeline_id.strip().lower()


# -- mapping one record ----------------------------------------------------------------------


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(data: Any, *path: str) -> str | None:
    """A leaf as tidy text: wrapped (`{"value": ...}`) or plain."""
    leaf = _get(data, *path)
    if isinstance(leaf, dict):
        leaf = leaf.get("value")
    # clean_text writes a JSON number exactly (`normalise.number_text`), never as 5e+06.
    if isinstance(leaf, bool):
        return None
    return clean_text(leaf) if isinstance(leaf, str | int | float) else None


def _yes(text: str | None) -> bool:
    return (text or "").strip().casefold() == "yes"


def _named_other(text: str | None) -> str | None:
    """The text of an "Other" cell, unless it is only a yes/no flag."""
    if not text or text.strip().casefold() in {"yes", "no"}:
        return None
    return text.removeprefix("Other:").strip() or None


def _number_or_note(text: str | None) -> tuple[float | None, str | None]:
    if not text:
        return None, None
    try:
        return parse_number(text), None
    except ValueError:
        return None, text


def _sectors(data: dict[str, Any]) -> list[str]:
    flags = _get(data, "purpose_and_classifications", "policy_sector") or {}
    out = [label for key, label in SECTORS.items() if _yes(_text(flags, key))]
    other = _named_other(_text(flags, "other"))
    if other:
        out.append(other)
    return out


def _places(data: dict[str, Any], warnings: list[str]) -> tuple[list[Place], list[str]]:
    """Places and countries; a cell may list several countries ("KE, TZ, UG")."""
    places: list[Place] = []
    countries: list[str] = []
    for n, loc in enumerate(_get(data, "delivery_locations") or []):
        found: list[str] = []
        for part in re.split(r"\s*[,;/]\s*", _text(loc, "location_country") or ""):
            if not part:
                continue
            try:
                code = parse_country(part)
            except ValueError as exc:
                warnings.append(f"delivery_locations[{n}].location_country: {exc}")
                continue
            if code and code not in found:
                found.append(code)
        name = _text(loc, "location_name")
        if name or found:
            places.append(Place(name=name, country=found[0] if len(found) == 1 else None))
        countries.extend(c for c in found if c not in countries)
    return places, countries


def _max_payment(data: dict[str, Any], notes: list[str]) -> Money | None:
    finance = _get(data, "overall_project_finance", "maximum_potential_outcome_payment_v2")
    amount_text = _text(finance, "amount")
    currency_text = _text(finance, "currency")
    amount, amount_note = _number_or_note(amount_text)
    try:
        currency = parse_currency(currency_text)
    except ValueError:
        currency = None  # "TBD", "USD or HTG": said in the note below, not guessed
    if amount is not None and currency:
        return Money(currency=currency, amount=amount)
    said = " ".join(t for t in (amount_note or amount_text, currency_text) if t)
    if said and said.casefold() not in {"tbd", "tbd tbd"}:
        notes.append(f"Estimated maximum outcome payment: {said}")
    return None


def _provider_selection(data: dict[str, Any]) -> ProviderSelection | None:
    """What the record says about its service providers: the stage of development, whether
    the domestic government provides, how providers are (to be) chosen. None if it says
    nothing of them (then the stage alone is kept, for the "not yet selected" basis)."""
    stage = _text(data, "stage_development", "stage")
    gov = _text(data, "misc4", "role_domestic_government", "service_provider")
    flags = _get(data, "misc5", "service_providers_identified_selected") or {}
    methods = [m for key, m in SELECTION_METHODS.values() if m and _yes(_text(flags, key))]
    other = _named_other(_text(flags, "other"))
    if other and other.casefold() in {"n/a", "na", "-"}:
        other = None
    said_gov = (gov or "").strip().casefold() in {"yes", "no"}
    if not (stage or said_gov or methods or other):
        return None
    return ProviderSelection(
        development_stage=stage,
        government_provides=_yes(gov) if said_gov else None,
        methods=methods,
        other=other,
    )


def _parties(data: dict[str, Any], warnings: list[str]) -> list[Party]:
    names = {
        o.get("id"): _text(o, "name")
        for o in (_get(data, "organisations") or [])
        if isinstance(o, dict)
    }
    parties: list[Party] = []
    seen: set[tuple[str, str]] = set()
    for list_name, role in ROLE_LISTS.items():
        for n, entry in enumerate(_get(data, list_name) or []):
            org_id = _text(entry, "organisation_id")
            name = names.get(org_id) if org_id else None
            if not name or (name, role) in seen:
                continue
            seen.add((name, role))
            detail = _text(entry, "organisation_role_category")
            try:
                org_type = role_category_type(detail) or "unknown"
            except ValueError as exc:
                warnings.append(f"{list_name}[{n}].organisation_role_category: {exc}")
                org_type = "unknown"
            parties.append(
                Party(
                    name=name,
                    role=role,
                    organisation_id=org_id,
                    org_type=org_type,
                    role_detail=detail,
                )
            )
    return parties


def _metrics(data: dict[str, Any]) -> list[OutcomeMetric]:
    out = []
    for m in _get(data, "outcome_metrics") or []:
        definition = _text(m, "definition")
        if definition:
            out.append(
                OutcomeMetric(
                    id=_text(m, "id"),
                    definition=definition,
                    target_population=_text(m, "target_population"),
                    target=_text(m, "outcome_metric_target"),
                    validation_method=_text(m, "outcome_validation_method"),
                    data_source=_text(m, "data_source_for_outcome_validation"),
                )
            )
    return out


def _links(data: dict[str, Any]) -> tuple[list[Link], list[Link]]:
    documents = [
        Link(url=_text(d, "url"), title=_text(d, "title"), kind="document")
        for d in _get(data, "documents") or []
        if _text(d, "url") or _text(d, "title")
    ]
    sources = [
        Link(
            url=_text(s, "url") or _text(s, "archive_url"),
            title=_text(s, "name"),
            kind=_text(s, "type"),
            published=_text(s, "publication_date"),
        )
        for s in _get(data, "sources") or []
        if _text(s, "url") or _text(s, "archive_url")
    ]
    return documents, sources


def _notes(data: dict[str, Any], notes: list[str]) -> str | None:
    lines: list[str] = []

    def add(label: str, *path: str) -> None:
        text = _text(data, *path)
        if text:
            lines.append(f"{label}: {text}")

    add("State of development", "state_development", "state")
    add("Reason abandoned", "state_development", "reason_abandoned")
    add("Stage of development", "stage_development", "stage")
    add("Stage notes", "stage_development", "notes")
    flags = _get(data, "misc1", "type_instrument_project") or {}
    kinds = [label for key, label in INSTRUMENTS.items() if _yes(_text(flags, key))]
    other = _named_other(_text(flags, "other"))
    if other:
        kinds.append(other)
    if kinds:
        lines.append("Instrument: " + "; ".join(kinds))
    add("Part of a larger programme", "part_larger_program", "details")
    add("Project design began", "dates", "design_process_began")
    add("Expected launch", "dates", "expected_launch_date")
    add("Expected development time", "dates", "expected_development_time")
    add("Expected length (years)", "dates", "expected_length")
    add("Feasibility study", "misc6", "feasibility_study")
    add("Rationale for outcome-based finance", "misc2", "rationale_outcomes_based_financing")
    add("Key challenges to launch", "misc3", "key_challenges_launch")
    lines.extend(notes)
    add("Finance notes", "overall_project_finance", "notes")
    linked = [_text(p, "project") for p in _get(data, "projects") or []]
    if any(linked):
        lines.append("Launched as INDIGO project " + ", ".join(p for p in linked if p))
    add("Notes", "notes")
    return "\n".join(lines) or None


def pipeline_to_case(
    pipeline_id: str, data: dict[str, Any], *, url: str | None = None, fetched_at: str | None = None
) -> Mapped:
    """Map one pipeline record (`data` in the API's shape) to a case with stage "pipeline".

    Raises PipelineError when it has no id or no name.
    """
    pid = (pipeline_id or "").strip()
    if not pid:
        raise PipelineError("pipeline record without an id")
    name = _text(data, "name")
    if not name:
        raise PipelineError(f"{pid}: pipeline record without a name")
    warnings: list[str] = []
    extra_notes: list[str] = []
    places, countries = _places(data, warnings)
    sectors = _sectors(data)
    target, target_note = _number_or_note(
        _text(
            data,
            "service_and_beneficiaries",
            "targeted_number_service_users_or_beneficiaries_total",
        )
    )
    if target_note and target_note.casefold() != "tbd":
        extra_notes.append(f"Targeted number of service users: {target_note}")
    max_payment = _max_payment(data, extra_notes)
    documents, sources = _links(data)
    alt = _text(data, "alternative_names")
    cid = case_id(pid)
    case = Case(
        id=cid,
        external_ids={SCHEME: pid},
        title=name,
        alt_names=[a for a in (alt or "").split("\n") if a.strip() and a.strip() != name],
        countries=countries,
        places=places,
        sector=sectors[0] if sectors else None,
        sectors=sectors,
        stage="pipeline",
        social_challenge=_text(data, "purpose_and_classifications", "social_challenge"),
        intervention=_text(data, "purpose_and_classifications", "intervention"),
        target_population=_text(data, "service_and_beneficiaries", "target_population"),
        cohort_target=target,
        max_outcome_payment=max_payment,
        parties=_parties(data, warnings),
        provider_selection=_provider_selection(data),
        outcome_metrics=_metrics(data),
        documents=documents,
        sources=sources,
        notes=_notes(data, extra_notes),
        provenance=[Provenance(source=SOURCE, record_id=cid, url=url, fetched_at=fetched_at)],
    )
    return Mapped(case, warnings)


def _items_of(mapped: Mapped, where: str) -> Iterator[Item]:
    for warning in mapped.warnings:
        yield Note(where=where, reason=warning, kind="warning")
    yield mapped.case


# -- the CSV export ------------------------------------------------------------------------


def _set(target: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def row_to_data(row: dict[str, str]) -> dict[str, Any]:
    """One pipeline.csv row in the API's `data` shape."""
    data: dict[str, Any] = {}
    for column, path in _CSV_COLUMNS.items():
        value = (row.get(column) or "").strip()
        if value:
            _set(data, path, value)
    location = {
        key: {"value": row[column].strip()}
        for column, key in _CSV_LOCATION.items()
        if (row.get(column) or "").strip()
    }
    if location:
        data["delivery_locations"] = [location]
    return data


def read_csv(path: Path | str) -> Iterator[Item]:
    """Items of the pipeline CSV (in an export folder or zip, or the file itself).

    An unreadable file raises SourceError before the first item, so nothing is written.
    """
    path = Path(path)
    fetched = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.exists() else None
    with Export(path) as export:
        name = path.name if path.is_file() and path.suffix.lower() == ".csv" else None
        yield from export_items(
            export,
            name=name,
            fetched_at=fetched.replace(microsecond=0).isoformat() if fetched else None,
        )


def export_items(
    export: Export, *, name: str | None = None, fetched_at: str | None = None
) -> Iterator[Item]:
    """Items of the pipeline file of an open export (`pipelines.csv` in the data store's
    pipeline zip, `pipeline.csv` in older exports), streamed row by row."""
    name = name or next((n for n in CSV_NAMES if export.has(n)), None)
    if name is None:
        raise SourceError(
            f"{export.label}: no {' or '.join(CSV_NAMES)}; is this INDIGO's pipeline export?"
        )
    fetched_at = fetched_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    for row in export.rows(name, _REQUIRED_COLUMNS):
        pid = (row.cells.get("ID") or "").strip()
        rid = case_id(pid) if pid else None
        if isinstance(row, BadRow):
            yield Reject(row.where, row.reason, record_id=rid)
            continue
        try:
            mapped = pipeline_to_case(pid, row_to_data(row.cells), fetched_at=fetched_at)
        except PipelineError as exc:
            yield Reject(row.where, str(exc), record_id=rid)
            continue
        yield from _items_of(mapped, f"{row.where} ({pid})")


# -- the JSON API --------------------------------------------------------------------------


def read_api(fetcher: Fetcher, base_url: str) -> Iterator[Item]:
    """Items from the API: each public pipeline, and a `Gone` for each non-public one.

    The list must be readable (else FetchError: the run fails, the store stays as it was);
    one pipeline that cannot be fetched or mapped is rejected and its record kept.
    """
    base = base_url.rstrip("/")
    listing = fetcher.get(base + LIST_PATH, accept=JSON)
    body = listing.json()
    entries = body.get("pipelines") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise FetchError(listing.url, 'expected {"pipelines": [...]}: the API changed')
    for n, entry in enumerate(entries):
        pid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(pid, str) or not pid.strip():
            yield Reject(f"{listing.url} [{n}]", "list entry without an id")
            continue
        rid = case_id(pid)
        if not entry.get("public"):
            yield Gone(rid, "not public in INDIGO any more")
            continue
        url = f"{base}{LIST_PATH}/{quote(pid.strip())}"
        try:
            page = fetcher.get(url, accept=JSON)
            body = page.json()
            record = body.get("pipeline") if isinstance(body, dict) else None
        except HTTPStatusError as exc:
            if exc.status in (404, 410):
                yield Gone(rid, f"listed as public but {exc.status} at {url}")
            else:
                yield Reject(url, exc.reason, record_id=rid)
            continue
        except FetchError as exc:
            yield Reject(url, exc.reason, record_id=rid)
            continue
        if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
            yield Reject(url, 'expected {"pipeline": {"id", "data"}}', record_id=rid)
            continue
        try:
            mapped = pipeline_to_case(
                record.get("id") or pid, record["data"], url=url, fetched_at=page.fetched_at
            )
        except PipelineError as exc:
            yield Reject(url, str(exc), record_id=rid)
            continue
        yield from _items_of(mapped, url)


# -- the job's entry point -----------------------------------------------------------------


#: The options `items(ctx)` reads from the sources file (the job refuses others).
OPTIONS = frozenset({"path", "base_url", "per_project"})


def items(ctx: SourceContext) -> Iterator[Item]:
    """The pipeline: from the CSV at the `path` option when set; else the data store's
    pipeline zip at `base_url` (default `Settings.indigo_base_url`, skipped when unchanged);
    with the `per_project` option, from the per-record JSON API."""
    path = ctx.option("path")
    if path:
        return read_csv(path)
    base = ctx.option("base_url", ctx.settings.indigo_base_url)
    if ctx.option("per_project", False):
        return read_api(ctx.fetcher, base)
    from ingest.indigo import bulk  # bulk imports this module

    return bulk.pipeline_items(ctx.fetcher, ctx.store, base)


def allowed_hosts(settings: Settings, base_url: str | None = None) -> list[str]:
    """The one host the API path reaches: the INDIGO API's (see `indigo_api.allowed_hosts`)."""
    return indigo_api.allowed_hosts(base_url, settings)
