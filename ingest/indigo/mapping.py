"""One INDIGO project, in the JSON API's shape, to a `Case`: the one mapper both importers use.

The INDIGO JSON API serves `{"project": {"id": ..., "data": {...}}}` where the leaves of
`data` are wrapped as `{"value": ...}` and the server adds an `organisations` list
(`id`, `name.value`, ...) for the organisations the project refers to. The CSV importer
re-expresses each export row in this same shape, so importing a project through either
path gives the same case (only its provenance differs).

Problems with one field (a bad date, an unknown currency word or codelist value, a number
that is not one) leave that field empty and are returned as `Problem`s with the path of
the field inside `data`; the caller turns the path into `file:line column` or a URL.
A project that cannot be a case at all (no id, no name) raises `ProjectError`.

Two facts the API does not embed come in as arguments or are kept as the source gives them:
- funds: `outcome_funds[].id` (a plain string; one id in the real data carries a trailing
  tab) with the fund names the caller read (`funds.csv`, or `/app/api1/fund/<id>`);
- undisclosed organisations: a role row naming an organisation that is not public (not
  in the export's organisations, not served by the API) is still a fact of the case, so
  it stays a party with its role, amount and role category, `undisclosed=True` and the
  name `UNDISCLOSED` (the web shows it localised).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from corpus.model import (
    Case,
    FundRef,
    Link,
    Money,
    OrgType,
    OutcomeMetric,
    Party,
    Payment,
    Place,
    Provenance,
    Result,
    case_id_for_indigo,
)
from ingest.normalise import (
    clean_text,
    organisation_type,
    parse_country,
    parse_currency,
    parse_date,
    parse_number,
    role_category_type,
)

SOURCE = "indigo"
#: The name of a party whose organisation INDIGO keeps private.
UNDISCLOSED = "Undisclosed organisation"

Path = tuple[str | int, ...]
T = TypeVar("T")

#: INDIGO's stage codelist -> Case.stage. A finished service whose outcome payments may
#: still be settled ("Service delivery complete") is shown as complete.
STAGES = {
    "contracted": "contracted",
    "implementation": "implementation",
    "service delivery complete": "complete",
    "complete": "complete",
}

#: INDIGO's policy sector codelist (folded -> canonical spelling).
SECTORS = {
    s.casefold(): s
    for s in (
        "Employment and training",
        "Child and family welfare",
        "Health",
        "Homelessness",
        "Education",
        "Criminal justice",
        "Agriculture and environment",
        "Poverty reduction",
    )
}

#: Case.dates key -> the INDIGO dates, first present wins.
DATES: dict[str, tuple[str, ...]] = {
    "contract_signed": ("outcomes_contract_signed", "contracts_between_all_parties_signed"),
    "service_start": ("start_date_of_service_provision",),
    "service_end": ("actual_end_date_of_service_provision",),
    "anticipated_end": ("anticipated_end_date_of_service_provision", "anticipated_completion_date"),
    "completed": ("actual_completion_date",),
}


class ProjectError(ValueError):
    """The project cannot become a case (no id, no name, not an object)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Problem:
    """One field that could not be used: its path inside `data` and why."""

    path: Path
    reason: str


class _Fields:
    """Reads wrapped leaves from a project's `data`, collecting problems instead of failing."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def raw(self, path: Path) -> Any:
        node: Any = self.data
        for key in path:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and key < len(node) else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return None
        if isinstance(node, dict):
            node = node.get("value")
        return node

    def parsed(self, path: Path, parse: Callable[[Any], T]) -> T | None:
        value = self.raw(path)
        if isinstance(value, dict | list):
            self.problems.append(Problem(path, f"expected a value, got {type(value).__name__}"))
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.problems.append(Problem(path, f"{exc}; field left empty"))
            return None

    def text(self, path: Path) -> str | None:
        return self.parsed(path, clean_text)

    def number(self, path: Path) -> float | None:
        return self.parsed(path, parse_number)

    def date(self, path: Path):
        return self.parsed(path, parse_date)

    def currency(self, path: Path) -> str | None:
        return self.parsed(path, parse_currency)

    def country(self, path: Path) -> str | None:
        return self.parsed(path, parse_country)

    def choice(self, path: Path, table: dict[str, str], what: str) -> str | None:
        def pick(value: Any) -> str | None:
            text = clean_text(value)
            if text is None:
                return None
            if text.casefold() not in table:
                raise ValueError(f"unknown {what}: {text!r}")
            return table[text.casefold()]

        return self.parsed(path, pick)

    def items(self, key: str) -> range:
        value = self.data.get(key)
        return range(len(value)) if isinstance(value, list) else range(0)

    def money(self, currency: Path, **amounts: Path) -> Money | None:
        """Money from a currency leaf and amount leaves; None when no amount is known."""
        values = {name: self.number(path) for name, path in amounts.items()}
        code = self.currency(currency)
        if all(v is None for v in values.values()):
            return None
        return Money(currency=code, **values)


@dataclass(frozen=True)
class _Org:
    name: str
    org_type: OrgType | None
    country: str | None
    website: str | None


def _organisations(f: _Fields, project: dict[str, Any]) -> dict[str, _Org]:
    key = "organisations"
    given = f.data.get(key)
    if not isinstance(given, list):
        given = project.get(key)  # some API versions put the list beside `data`
    # Organisations may come flat or as `{"id": ..., "data": {...}}` like their own endpoint.
    flat = [
        {"id": o.get("id"), **o["data"]}
        if isinstance(o, dict) and isinstance(o.get("data"), dict)
        else o
        for o in (given if isinstance(given, list) else [])
    ]
    f.data = {**f.data, key: flat}
    orgs: dict[str, _Org] = {}
    for i in f.items(key):
        org_id = f.text((key, i, "id"))
        name = (
            f.text((key, i, "name"))
            or f.text((key, i, "trading_name"))
            or f.text((key, i, "translated_official_name", "english"))
        )
        if not org_id or not name:
            continue
        country = None
        jurisdiction = clean_text(f.raw((key, i, "jurisdiction")))
        if jurisdiction and jurisdiction.upper() != "INTL":
            country = f.country((key, i, "jurisdiction"))
        if country is None:
            country = f.country((key, i, "country"))
        orgs[org_id] = _Org(
            name=name,
            org_type=f.parsed((key, i, "type"), organisation_type),
            country=country,
            website=f.text((key, i, "website")),
        )
    return orgs


def _add_party(
    parties: dict[tuple[str, str], Party], party: Party, key: tuple[str, str] | None = None
) -> None:
    """One party per organisation and role; amounts of repeated rows in one currency add up."""
    key = key or (party.organisation_id or party.name, party.role)
    old = parties.get(key)
    if old is None:
        parties[key] = party
        return
    amount = old.amount or party.amount
    if old.amount and party.amount and old.amount.currency == party.amount.currency:
        a, b = old.amount, party.amount

        def add(x: float | None, y: float | None) -> float | None:
            return None if x is None and y is None else (x or 0.0) + (y or 0.0)

        amount = Money(
            currency=a.currency,
            amount=add(a.amount, b.amount),
            amount_min=add(a.amount_min, b.amount_min),
            amount_max=add(a.amount_max, b.amount_max),
            amount_usd=add(a.amount_usd, b.amount_usd),
        )
    parties[key] = old.model_copy(
        update={"amount": amount, "role_detail": old.role_detail or party.role_detail}
    )


def _parties(f: _Fields, orgs: dict[str, _Org]) -> list[Party]:
    parties: dict[tuple[str, str], Party] = {}

    def add(list_key: str, i: int, role: str, amount: Money | None = None) -> None:
        org_id = f.text((list_key, i, "organisation_id"))
        org = orgs.get(org_id) if org_id else None
        category_path = (list_key, i, "organisation_role_category")
        category = f.text(category_path)
        if role == "intermediary":
            other = f.text((list_key, i, "other_role_description"))
            detail = other if other and (not category or category == "Other") else category
            category_type = None
        else:
            detail = category
            category_type = f.parsed(category_path, role_category_type)
        if org is None:
            # Not public: INDIGO hides the organisation, not the commitment. Keyed by its
            # row so two undisclosed investors stay two parties.
            _add_party(
                parties,
                Party(
                    name=UNDISCLOSED,
                    undisclosed=True,
                    role=role,
                    org_type=category_type or "unknown",
                    role_detail=detail,
                    amount=amount,
                ),
                key=(f"undisclosed:{org_id or list_key + str(i)}", role),
            )
            return
        org_type = category_type if category_type not in (None, "other") else None
        org_type = org_type or org.org_type or category_type or "unknown"
        _add_party(
            parties,
            Party(
                name=org.name,
                role=role,
                organisation_id=org_id,
                org_type=org_type,
                role_detail=detail,
                amount=amount,
                country=org.country,
                website=org.website,
            ),
        )

    for i in f.items("outcome_payment_commitments"):
        base = ("outcome_payment_commitments", i, "maximum_potential_outcome_payment")
        money = f.money(
            (*base, "currency"), amount=(*base, "amount"), amount_usd=(*base, "amount_usd")
        )
        add("outcome_payment_commitments", i, "outcome_payer", money)
    for i in f.items("investments"):
        base = ("investments", i, "investment_commitment")
        money = f.money(
            (*base, "currency"),
            amount=(*base, "amount", "exact"),
            amount_min=(*base, "amount", "min"),
            amount_max=(*base, "amount", "max"),
            amount_usd=(*base, "amount_usd", "exact"),
        )
        add("investments", i, "investor", money)
    for i in f.items("service_provisions"):
        add("service_provisions", i, "service_provider")
    for i in f.items("intermediary_services"):
        add("intermediary_services", i, "intermediary")
    for i in f.items("results"):
        for org_id in _split_ids(f.text(("results", i, "outcomes_validator_organisation_ids"))):
            if org_id in orgs:
                org = orgs[org_id]
                _add_party(
                    parties,
                    Party(
                        name=org.name,
                        role="evaluator",
                        organisation_id=org_id,
                        org_type=org.org_type or "unknown",
                        role_detail="Outcomes validator",
                        country=org.country,
                        website=org.website,
                    ),
                )
    return list(parties.values())


def _split_ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _org_names(text: str | None, orgs: dict[str, _Org]) -> str | None:
    """Names for a comma-separated list of organisation ids; other text is kept as it is."""
    ids = _split_ids(text)
    if ids and all(i in orgs for i in ids):
        return ", ".join(orgs[i].name for i in ids)
    return text


def _places_and_countries(f: _Fields) -> tuple[list[Place], list[str]]:
    places: list[Place] = []
    countries: list[str] = []
    for i in f.items("delivery_locations"):
        base = ("delivery_locations", i)
        place = Place(
            name=f.text((*base, "location_name")),
            country=f.country((*base, "location_country")),
            admin_area=f.text((*base, "adminstrative_geography_name")),
            lat=f.number((*base, "lat_lng", "lat")),
            lng=f.number((*base, "lat_lng", "lng")),
        )
        if place.country and place.country not in countries:
            countries.append(place.country)
        if any(v is not None for v in place.model_dump().values()):
            places.append(place)
    if not countries:
        jurisdiction = f.country(("jurisdiction", "jurisdiction"))
        if jurisdiction:
            countries.append(jurisdiction)
    return places, countries


def _metrics(f: _Fields) -> list[OutcomeMetric]:
    pricing: dict[str, int] = {}
    for i in f.items("outcome_pricings"):
        metric_id = f.text(("outcome_pricings", i, "outcome_metric_id"))
        if metric_id:
            pricing.setdefault(metric_id, i)
    metrics = []
    for i in f.items("outcome_metrics"):
        base = ("outcome_metrics", i)
        definition = f.text((*base, "definition"))
        if not definition:
            f.problems.append(
                Problem(
                    (*base, "definition"), "outcome metric without a definition; metric left out"
                )
            )
            continue
        metric_id = f.text((*base, "id"))
        targets = [
            f.text((*base, "outcome_metric_target")),
            f.text((*base, "other_target_for_meeting_outcome_metric_target")),
        ]
        price = price_description = None
        if metric_id in pricing:
            p = ("outcome_pricings", pricing[metric_id])
            price = f.money(
                (*p, "currency"),
                amount=(*p, "price_per_unit", "amount"),
                amount_usd=(*p, "price_per_unit", "amount_usd"),
            )
            maximum = f.text((*p, "maximum_price_if_all_targets_achieved", "amount"))
            notes = [f.text((*p, "price_description"))]
            if maximum:
                notes.append(f"Maximum price if all targets achieved: {maximum}")
            price_description = "\n".join(n for n in notes if n) or None
        metrics.append(
            OutcomeMetric(
                id=metric_id,
                definition=definition,
                target_population=f.text((*base, "target_population")),
                target="\n".join(t for t in targets if t) or None,
                validation_method=f.text((*base, "outcome_validation_method")),
                data_source=f.text((*base, "data_source_for_outcome_validation")),
                price=price,
                price_description=price_description,
            )
        )
    return metrics


def _results(f: _Fields, orgs: dict[str, _Org]) -> list[Result]:
    results = []
    for i in f.items("results"):
        base = ("results", i)
        validators = [
            orgs[o].name
            for o in _split_ids(f.text((*base, "outcomes_validator_organisation_ids")))
            if o in orgs
        ]
        result = Result(
            metric_id=f.text((*base, "outcome_metric_id")),
            level=f.text((*base, "result_level")),
            kind=f.text((*base, "result_type")),
            period_start=f.date((*base, "period", "start_date")),
            period_end=f.date((*base, "period", "end_date")),
            achieved=f.text((*base, "outcomes_achieved")),
            engaged=f.number((*base, "number_engaged_in_impact_bond")),
            positive=f.number((*base, "number_with_positive_social_outcomes")),
            description=f.text((*base, "other_description_of_result")),
            validator=", ".join(validators) or None,
        )
        if any(v is not None for v in result.model_dump().values()):
            results.append(result)
    return results


def _payments(f: _Fields, orgs: dict[str, _Org]) -> list[Payment]:
    payments = []
    for i in f.items("outcome_payments"):
        base = ("outcome_payments", i)
        money = f.money(
            (*base, "money", "currency"),
            amount=(*base, "money", "amount"),
            amount_usd=(*base, "money", "amount_usd"),
        )
        if money is None:
            continue
        payer = orgs.get(f.text((*base, "payer_organisation_id")) or "")
        recipient = orgs.get(f.text((*base, "recipient_organisation_id")) or "")
        payments.append(
            Payment(
                metric_id=f.text((*base, "outcome_metric_id")),
                payer=payer.name if payer else None,
                recipient=recipient.name if recipient else None,
                period_start=f.date((*base, "period", "start_date")),
                period_end=f.date((*base, "period", "end_date")),
                kind=f.text((*base, "type")),
                amount=money,
            )
        )
    return payments


def _links(f: _Fields, orgs: dict[str, _Org]) -> tuple[list[Link], list[Link]]:
    documents = []
    for i in f.items("documents"):
        link = Link(
            url=f.text(("documents", i, "url")),
            title=f.text(("documents", i, "title")),
            kind="document",
        )
        if link.url or link.title:
            documents.append(link)
    sources = []
    for i in f.items("sources"):
        base = ("sources", i)
        link = Link(
            url=f.text((*base, "url")) or f.text((*base, "archive_url")),
            title=f.text((*base, "name")),
            kind=f.text((*base, "type")),
            publisher=_org_names(f.text((*base, "publishing_organisation_ids")), orgs),
            published=f.text((*base, "publication_date")),
        )
        if link.url or link.title:
            sources.append(link)
    return documents, sources


def _funds(f: _Fields, names: dict[str, str]) -> list[FundRef]:
    out: list[FundRef] = []
    for i in f.items("outcome_funds"):
        fund_id = f.text(("outcome_funds", i, "id"))
        if fund_id and all(r.id != fund_id for r in out):
            out.append(FundRef(id=fund_id, name=names.get(fund_id)))
    return out


def _case(
    f: _Fields,
    project: dict[str, Any],
    indigo_id: str,
    title: str,
    url: str | None,
    fetched_at: str | None,
    funds: dict[str, str],
) -> Case:
    """Every field of the case; field problems are collected in `f.problems`."""
    orgs = _organisations(f, project)
    places, countries = _places_and_countries(f)
    dates = {}
    for key, fields in DATES.items():
        for field in fields:
            value = f.date(("dates", field))
            if value is not None and key not in dates:
                dates[key] = value
    finance = ("overall_project_finance",)
    investment = (*finance, "total_investment_commitment")
    max_payment = (*finance, "maximum_potential_outcome_payment_v2")
    paid = (*finance, "total_outcome_payments_made")
    alt = f.text(("alternative_names",))
    documents, sources = _links(f, orgs)
    return Case(
        id=case_id_for_indigo(indigo_id),
        external_ids={"indigo": indigo_id},
        title=title,
        alt_names=[alt] if alt and alt.casefold() != title.casefold() else [],
        countries=countries,
        places=places,
        sector=f.choice(("purpose_and_classifications", "policy_sector"), SECTORS, "policy sector"),
        stage=f.choice(("stage_development",), STAGES, "stage") or "unknown",
        social_challenge=f.text(("purpose_and_classifications", "social_challenge")),
        intervention=f.text(("purpose_and_classifications", "intervention")),
        target_population=f.text(("service_and_beneficiaries", "target_population")),
        cohort_target=f.number(
            ("service_and_beneficiaries", "targeted_number_service_users_or_beneficiaries_total")
        ),
        cohort_actual=f.number(
            ("service_and_beneficiaries", "actual_number_service_users_or_beneficiaries_total")
        ),
        dates=dates,
        investment=f.money(
            (*investment, "currency"),
            amount=(*investment, "amount", "exact"),
            amount_min=(*investment, "amount", "min"),
            amount_max=(*investment, "amount", "max"),
            amount_usd=(*investment, "amount_usd", "exact"),
        ),
        max_outcome_payment=f.money(
            (*max_payment, "currency"),
            amount=(*max_payment, "amount"),
            amount_usd=(*max_payment, "amount_usd"),
        ),
        outcome_payments_made=f.money(
            (*paid, "currency"), amount=(*paid, "amount"), amount_usd=(*paid, "amount_usd")
        ),
        parties=_parties(f, orgs),
        outcome_funds=_funds(f, funds),
        outcome_metrics=_metrics(f),
        results=_results(f, orgs),
        payments=_payments(f, orgs),
        documents=documents,
        sources=sources,
        notes=f.text(("notes",)),
        provenance=[Provenance(source=SOURCE, record_id=indigo_id, url=url, fetched_at=fetched_at)],
    )


def project_to_case(
    project: dict[str, Any],
    *,
    url: str | None = None,
    fetched_at: str | None = None,
    funds: dict[str, str] | None = None,
) -> tuple[Case, list[Problem]]:
    """Map one project (`{"id": ..., "data": {...}}`, the API's shape) to a Case and its problems.

    `funds` names the funds (`{fund id: name}`) that `outcome_funds[].id` refers to.

    Raises ProjectError when the project has no usable id or name, or a value the
    normalisers let through still does not fit the `Case` model.
    """
    if not isinstance(project, dict) or not isinstance(project.get("data"), dict):
        raise ProjectError((), "project is not an object with a `data` object")
    indigo_id = clean_text(project.get("id"))
    if not indigo_id or not isinstance(project.get("id"), str):
        raise ProjectError(("id",), "project has no id")
    f = _Fields(project["data"])
    title = f.text(("name",))
    if not title:
        raise ProjectError(("name",), f"project {indigo_id} has no name")
    try:
        case = _case(f, project, indigo_id, title, url, fetched_at, funds or {})
    except ValidationError as exc:
        # A value no normaliser caught (the model is stricter): reject, never crash the run.
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ProjectError(
            (), f"project {indigo_id} does not fit the case model: {where}: {first.get('msg')}"
        ) from None
    return case, f.problems
