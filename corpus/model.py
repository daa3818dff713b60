"""The Case record and its parts: the one shape that crosses every boundary in casebank.

Every source (INDIGO export or API, national pages, curated files) is turned into `Case`
records; the store merges the records of one case into a single `Case`; search and web
read that. Fields are optional because real sources are sparse; the model only fixes
their meaning and form (ISO country and currency codes, partial dates with precision).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal[
    "outcome_payer", "investor", "service_provider", "intermediary", "evaluator", "other"
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

#: Organisation types, normalised from INDIGO's organisation and role categories.
OrgType = Literal[
    "government",
    "nonprofit",
    "foundation",
    "company",
    "investment_fund",
    "multilateral",
    "individual",
    "other",
    "unknown",
]

ProviderModel = Literal["public", "nonprofit", "forprofit", "mixed", "unknown"]
#: Who delivers, finer than `ProviderModel` (which groups them): the municipality's own
#: team, a municipal company, a regional body, a state body, an NGO, a social enterprise
#: or a company. A case lists the kinds of its service providers.
ProviderKind = Literal[
    "municipal_team",
    "municipal_company",
    "regional_body",
    "state_body",
    "ngo",
    "social_enterprise",
    "company",
]
PROVIDER_KINDS: tuple[str, ...] = ProviderKind.__args__  # type: ignore[attr-defined]
InvestorModel = Literal["public", "philanthropic", "commercial", "mixed", "unknown"]
PROVIDER_MODELS: tuple[str, ...] = ProviderModel.__args__  # type: ignore[attr-defined]
INVESTOR_MODELS: tuple[str, ...] = InvestorModel.__args__  # type: ignore[attr-defined]

#: Stages: INDIGO's codelist in lower case, plus `pipeline` for projects still in design.
Stage = Literal["pipeline", "contracted", "implementation", "complete", "unknown"]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]

#: What kind of social investment a case is. INDIGO lists impact bonds; the Nordic cases
#: also include outcomes contracts without an external investor and internal funds.
Instrument = Literal["impact_bond", "outcomes_contract", "social_investment_fund", "other"]
INSTRUMENTS: tuple[str, ...] = Instrument.__args__  # type: ignore[attr-defined]

#: Fields that may carry text in other languages beside the source text, as `<field>_i18n`
#: maps from a language code to the text (`{"da": "...", "en": "..."}`).
I18nText = dict[str, str]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartialDate(_Part):
    """A date known to a year, a month or a day (`2016`, `2016-07`, `2016-07-01`)."""

    value: str
    precision: Literal["year", "month", "day"]

    @classmethod
    def parse(cls, text: str | None) -> PartialDate | None:
        """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (also with `/` or a time part); None if empty.

        Raises ValueError for text that is not such a date.
        """
        if text is None:
            return None
        text = str(text).strip().replace("/", "-")
        if not text:
            return None
        text = re.sub(r"[T ]\d{2}:\d{2}.*$", "", text)  # drop a time part, keep the date
        m = _DATE_RE.match(text)
        if not m:
            raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")
        year, month, day = m.groups()
        if month and not 1 <= int(month) <= 12:
            raise ValueError(f"month out of range in {text!r}")
        if day and not 1 <= int(day) <= 31:
            raise ValueError(f"day out of range in {text!r}")
        precision = "day" if day else "month" if month else "year"
        return cls(value=text, precision=precision)

    @property
    def year(self) -> int:
        """The calendar year."""
        return int(self.value[:4])


class Money(_Part):
    """An amount in one currency (ISO 4217), exact or as a min/max range, with USD/EUR."""

    currency: str | None = None
    amount: float | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    amount_usd: float | None = None
    amount_eur: float | None = None

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"currency must be an ISO 4217 code, got {v!r}")
        return v

    def is_empty(self) -> bool:
        """True when no amount of any kind is known."""
        return all(
            x is None
            for x in (
                self.amount,
                self.amount_min,
                self.amount_max,
                self.amount_usd,
                self.amount_eur,
            )
        )


class Place(_Part):
    """Where a service is delivered: a municipality, region or site."""

    name: str | None = None
    #: The name in other languages, for a place its source describes rather than names
    #: ("Denmark (16 municipalities)"); shown only: `name` stays its key.
    name_i18n: I18nText = Field(default_factory=dict)
    country: str | None = None
    admin_area: str | None = None
    lat: float | None = None
    lng: float | None = None


class Sourced(_Part):
    """A fact that names the case sources it rests on (`Link.id` of the case's sources).

    `unverified` marks a fact that could not be checked against a copy of its source.
    """

    source_refs: list[str] = Field(default_factory=list)
    unverified: bool = False


class FundRef(_Part):
    """An outcomes fund that a case belongs to (INDIGO's funds, e.g. the Life Chances Fund)."""

    id: str
    name: str | None = None


class Party(Sourced):
    """An organisation in a role on a case (a case lists one party per organisation and role).

    `undisclosed` marks an organisation whose identity the source keeps private; its role,
    amount and role category are still facts of the case.
    """

    name: str
    #: The name in other languages, for a party its source describes rather than names
    #: (a group: "Danish municipalities (16)"); shown only: `name` stays its key.
    name_i18n: I18nText = Field(default_factory=dict)
    undisclosed: bool = False
    role: Role
    organisation_id: str | None = None
    org_type: OrgType = "unknown"
    #: The source's own words for the role or type (e.g. INDIGO's role category).
    role_detail: str | None = None
    role_detail_i18n: I18nText = Field(default_factory=dict)
    amount: Money | None = None
    country: str | None = None
    website: str | None = None


class OutcomeMetric(Sourced):
    """An outcome that is paid for: what counts, for whom, the target and how it is checked."""

    id: str | None = None
    definition: str
    definition_i18n: I18nText = Field(default_factory=dict)
    target_population: str | None = None
    target_population_i18n: I18nText = Field(default_factory=dict)
    target: str | None = None
    target_i18n: I18nText = Field(default_factory=dict)
    validation_method: str | None = None
    data_source: str | None = None
    price: Money | None = None
    price_description: str | None = None
    price_description_i18n: I18nText = Field(default_factory=dict)


class Result(Sourced):
    """What happened: an outcome achieved for a period, or a described result."""

    metric_id: str | None = None
    level: str | None = None
    kind: str | None = None
    period_start: PartialDate | None = None
    period_end: PartialDate | None = None
    achieved: str | None = None
    engaged: float | None = None
    positive: float | None = None
    description: str | None = None
    description_i18n: I18nText = Field(default_factory=dict)
    validator: str | None = None


class Payment(Sourced):
    """An outcome payment made (or committed) for a period."""

    metric_id: str | None = None
    payer: str | None = None
    recipient: str | None = None
    period_start: PartialDate | None = None
    period_end: PartialDate | None = None
    kind: str | None = None
    amount: Money


class Link(_Part):
    """A document or source: title and URL, with who published it and when.

    `id` is a short key that facts of a curated case use to cite this source.
    """

    id: str | None = None
    url: str | None = None
    title: str | None = None
    kind: str | None = None
    publisher: str | None = None
    published: str | None = None


class Provenance(_Part):
    """Where one source record of a case came from."""

    source: str
    record_id: str
    url: str | None = None
    fetched_at: str | None = None
    content_hash: str | None = None


#: How a project still in design chooses its service providers, in INDIGO's pipeline
#: terms: a request for proposals, direct contracting by the outcome funder, investor or
#: intermediary, or a deal developed by the provider itself.
SelectionMethod = Literal["request_for_proposals", "direct_contracting", "provider_led"]


class ProviderSelection(_Part):
    """What a project in design says about its service providers (INDIGO pipeline:
    "Role of the domestic government" and "Service providers identified and selected")."""

    #: The record's stage of development ("Early stage", "Final negotiations", ...).
    development_stage: str | None = None
    #: The domestic government is (or will be) a service provider: yes, no, or not said.
    government_provides: bool | None = None
    methods: list[SelectionMethod] = Field(default_factory=list)
    #: The record's own words under "Other", when they say more than yes or no.
    other: str | None = None


class Case(_Part):
    """One social-impact-bond (or outcomes-contract) case.

    `id` is stable: for INDIGO projects it is the lower-cased INDIGO id
    (`indigo-poj-0077`), for curated and scraped cases a slug chosen by the source.
    """

    id: str
    external_ids: dict[str, str] = Field(default_factory=dict)
    title: str
    #: The title by language code; the case's own language and English where known.
    title_i18n: I18nText = Field(default_factory=dict)
    alt_names: list[str] = Field(default_factory=list)
    #: Short summaries by language code (`en`, `da`, ...), written for the curated corpus.
    summary: dict[str, str] = Field(default_factory=dict)
    countries: list[str] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    sector: str | None = None
    sectors: list[str] = Field(default_factory=list)
    stage: Stage = "unknown"
    social_challenge: str | None = None
    social_challenge_i18n: I18nText = Field(default_factory=dict)
    intervention: str | None = None
    intervention_i18n: I18nText = Field(default_factory=dict)
    target_population: str | None = None
    target_population_i18n: I18nText = Field(default_factory=dict)
    instrument: Instrument = "impact_bond"
    outcome_funds: list[FundRef] = Field(default_factory=list)
    cohort_target: float | None = None
    cohort_actual: float | None = None
    #: Named dates: contract_signed, service_start, service_end, anticipated_end, completed.
    dates: dict[str, PartialDate] = Field(default_factory=dict)
    investment: Money | None = None
    max_outcome_payment: Money | None = None
    outcome_payments_made: Money | None = None
    parties: list[Party] = Field(default_factory=list)
    outcome_metrics: list[OutcomeMetric] = Field(default_factory=list)
    results: list[Result] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)
    documents: list[Link] = Field(default_factory=list)
    sources: list[Link] = Field(default_factory=list)
    provider_model: ProviderModel = "unknown"
    #: Why the provider model is what it is ("curated", "override: ...", "type of X", "name of X").
    provider_model_basis: str | None = None
    #: The kinds of the service providers (settled with the models, see `ProviderKind`).
    provider_detail: list[ProviderKind] = Field(default_factory=list)
    #: Why: one "kind: organisation (rule)" entry per provider, e.g. "municipal_team:
    #: Aarhus Municipality (name)".
    provider_detail_basis: str | None = None
    #: What a project in design says about choosing its providers (pipeline records).
    provider_selection: ProviderSelection | None = None
    #: No provider is known because none is chosen or named yet: a project in design whose
    #: record names no service provider. `provider_model` stays "unknown" (the API's
    #: codelist) and `provider_model_basis` gives the stage; settled with the models.
    provider_not_yet_selected: bool = False
    investor_model: InvestorModel = "unknown"
    investor_model_basis: str | None = None
    #: A curated basis's reason (what follows "curated: ") in other languages.
    provider_model_basis_i18n: I18nText = Field(default_factory=dict)
    investor_model_basis_i18n: I18nText = Field(default_factory=dict)
    notes: str | None = None
    notes_i18n: I18nText = Field(default_factory=dict)
    #: Sources of scalar facts: a field name (`investment`, `cohort_target`,
    #: `dates.service_start`, ...) -> the `Link.id`s of the case's sources it rests on.
    field_sources: dict[str, list[str]] = Field(default_factory=dict)
    #: Scalar facts (same keys as `field_sources`) that could not be checked.
    unverified_fields: list[str] = Field(default_factory=list)
    #: Long texts attached by scrapers (e.g. a GO Lab case study), by language code.
    full_text: dict[str, str] = Field(default_factory=dict)
    provenance: list[Provenance] = Field(default_factory=list)

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, v: list[str]) -> list[str]:
        for code in v:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"country must be ISO 3166 alpha-2, got {code!r}")
        return v

    @property
    def start_year(self) -> int | None:
        """Year the service started, else the contract year."""
        for key in ("service_start", "contract_signed"):
            if key in self.dates:
                return self.dates[key].year
        return None

    def text(self, field: str, lang: str) -> str | None:
        """A text field in `lang` where the case has it, else the source text."""
        return getattr(self, f"{field}_i18n", {}).get(lang) or getattr(self, field)

    def parties_by_role(self, role: str) -> list[Party]:
        """Parties in one role, in the order the source gave them."""
        return [p for p in self.parties if p.role == role]

    def content_hash(self) -> str:
        """Hash of the case's content, ignoring provenance timestamps, for change detection."""
        data = self.model_dump(mode="json", exclude={"provenance"})
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def case_id_for_indigo(indigo_id: str) -> str:
    """The stable case id of an INDIGO project id (`INDIGO-POJ-0077` -> `indigo-poj-0077`)."""
    return indigo_id.strip().lower()
