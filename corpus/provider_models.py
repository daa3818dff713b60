"""Provider and investor models of a case, settled by explainable rules.

`provider_model` says who delivers: the public body itself (`public`), an NGO
(`nonprofit`), a company (`forprofit`), several kinds (`mixed`) or `unknown`.
`investor_model` says who carries the financial risk: `public`, `philanthropic`,
`commercial`, `mixed` or `unknown`.

The order of precedence, strongest first:
1. a value fixed by a source record (a curated file says `curated`) stays;
2. a case entry in `model_overrides.yaml` (by case id or INDIGO id): `override: <reason>`;
3. rules over the case's service providers (resp. investors). Each party gets a kind from
   - an organisation entry in `model_overrides.yaml` (by INDIGO organisation id or name),
   - its organisation type (`type of X`),
   - the source's role category, e.g. INDIGO's `Nonprofit/NGO` (`role category of X`),
   - cues in its name, in English, Danish, Swedish, Finnish and other languages of the
     data (`name of X`): `kommune`, `NHS`, `Ltd`, `fonden`, `säätiö`, `ry`, `A/S` ...
   and the parties' kinds combine into one model (`mixed` when they differ).

Every value comes with a basis string that names the rule and the organisation that
decided, so the case page and the API can say where the value came from.

A project still in design (INDIGO pipeline) that names no service provider and that no
record, override or rule settles keeps `provider_model` "unknown" (the API's codelist) but
is marked `provider_not_yet_selected`, with a basis naming its stage of development and
what its record says of the selection (a request for proposals, a provider-led deal ...):
"not chosen or named yet" is a state the record shows, not a gap in the rules.

`provider_detail` keeps apart what `provider_model` groups: the municipality's own team,
a municipal company, a regional body, a state body, an NGO, a social enterprise, a company
(`corpus.model.ProviderKind`), one per service provider, with its basis in
`provider_detail_basis`; it is settled for every case, curated ones too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from corpus import yaml_keys
from corpus.errors import SourceError
from corpus.model import INVESTOR_MODELS, PROVIDER_KINDS, PROVIDER_MODELS, Case, Party

OVERRIDES_PATH = Path(__file__).with_name("model_overrides.yaml")

#: The words a basis is written in, which `web.present.basis` says in the reader's
#: language: a rule that names an organisation reads "<rule> of <name>" (an override
#: adds ": <reason>"), clauses are joined by "; ", and a mixed model begins "several
#: kinds (<values>): ".
PARTY_RULES = ("override", "type", "role category", "name")
SEVERAL_KINDS = "several kinds"
NO_KNOWN_PARTY = "no party with a known type or telling name"
GOVERNMENT_PROVIDES = "pipeline record: the domestic government is a service provider"
#: The basis of a model a curated file sets ("curated", or "curated: <the editors'
#: reason>"), and of one it leaves unknown without saying why: the editors read the
#: sources and they do not tell, so the rules must not fill it in from party types.
CURATED_BASIS = "curated"
LEFT_UNKNOWN = "curated: left unknown, the sources read do not say"


def is_curated(basis: str | None) -> bool:
    """Whether a model's basis says a curated file decided it (its value, even
    "unknown", stands)."""
    return basis == CURATED_BASIS or (basis or "").startswith(CURATED_BASIS + ":")


def model_fixed(case: Case, field: str) -> bool:
    """Whether a source record fixed the case's `field` (`provider_model` or
    `investor_model`): a known value, or a curated file's, "unknown" included. The rules
    fill in only what no source fixed."""
    return getattr(case, field) != "unknown" or is_curated(getattr(case, f"{field}_basis"))


#: Organisation kinds that the rules work with (a subset of `corpus.model.OrgType`).
KINDS = (
    "government",
    "nonprofit",
    "foundation",
    "company",
    "investment_fund",
    "individual",
    "multilateral",
)

_PROVIDER_BY_KIND = {
    "government": "public",
    "multilateral": "public",
    "nonprofit": "nonprofit",
    "foundation": "nonprofit",
    "company": "forprofit",
    "investment_fund": "forprofit",
}
_INVESTOR_BY_KIND = {
    "government": "public",
    "multilateral": "public",
    "foundation": "philanthropic",
    "nonprofit": "philanthropic",
    "company": "commercial",
    "investment_fund": "commercial",
    "individual": "commercial",
}

#: INDIGO's organisation role categories (cells have stray spaces and a truncated
#: "Commercia"), matched on their lower-cased start.
_ROLE_CATEGORIES = (
    ("nonprofit", "nonprofit"),
    ("non-profit", "nonprofit"),
    ("ngo", "nonprofit"),
    ("for-profit", "company"),
    ("commercia", "company"),
    ("government", "government"),
    ("foundation", "foundation"),
    ("corporate giving", "foundation"),
    ("investment fund", "investment_fund"),
    ("impact investor", "investment_fund"),
    ("high net worth", "individual"),
    ("multilateral", "multilateral"),
)

# Name cues. Words are matched case-insensitively on word boundaries; the groups are tried
# in the order of `_NAME_RULES`, so a public body's "Trust" (an NHS trust) or a charity's
# "Ltd" ("Sacred Heart Mission Inc.") is settled by the stronger cue first.
_PUBLIC_WORDS = (
    # English
    r"municipality|municipal|council|county|city of|state of|department|dept\.?|ministry|"
    r"government|govt|nhs|state development|state corporation|state-owned|borough|"
    r"authority|public health|police|probation|"
    r"job ?centre plus|ccg|clinical commissioning group|school district|public schools?|"
    r"health service|veterans affairs|va medical center|province|provincial|prefecture|"
    r"college|polytechnic|treasury|agency for|national agency|national park|"
    r"public(?: elementary| primary| secondary| high)? schools?|"
    # Danish, Swedish, Norwegian, Finnish, Dutch, German, French, Spanish, Portuguese
    r"\w*kommun(?:e|en|es)?|region|regionen|\w*styrelsen|\w*ministeriet|landsting|"
    r"stad|staden|länsstyrelsen|kaupunki|kaupungin|kunta|kunnan|\w*hyvinvointialue|"
    r"\w*ministeriö|"
    r"valtio|gemeente|provincie|ministerie|stadt|landkreis|bundesministerium|ministère|"
    r"département|ville de|préfecture|ayuntamiento|gobierno|ministerio|municipio|"
    r"município|câmara municipal|governo"
)
_NONPROFIT_WORDS = (
    r"charity|charitable|foundation|trust|association|society|mission|church|churches|"
    r"ymca|ywca|"
    r"cic|community interest company|npo|ngo|non-profit|nonprofit|not-for-profit|"
    r"co-?operative|cooperative|hospice|salvation army|red cross|barnardo'?s|"
    r"\w*fonden|fond|\w*foreningen|forening|selvejende|almennyttig|\w*stiftelsen?|"
    r"\w*föreningen|förening|ideell|\w*säätiön?|\w*yhdistys|(?-i:ry|r\.y\.)|liitto|stichting|"
    r"vereniging|stiftung|verein|e\.v\.|ggmbh|gag|asbl|vzw|fondation|fédération|federation|"
    r"fundación|fundacion|fundação|fundacao|associação|associacao|asociación|asociacion|"
    r"corporación|cooperativa"
)
_COMPANY_WORDS = (
    r"ltd|limited|llc|l\.l\.c\.|inc|incorporated|corp|corporation|plc|llp|co\.|company|"
    r"companies|a/s|aps|oyj?|gmbh|b\.v\.|n\.v\.|s\.a\.|sarl|s\.l\.|lda|jsc|k\.k\.|pty|"
    r"consulting|consultancy|consultants|"
    # Short suffixes only in their usual capitals, so English "as" or "ab" never match.
    r"(?-i:AS|AB|AG|SA|SAS|BV|NV|OY|OYJ)"
)
# Weak nonprofit cues: words that, in this field, name voluntary-sector bodies far more often
# than companies; tried only after the company suffixes.
_WEAK_NONPROFIT_WORDS = (
    r"community|communities|centre|center|housing|homeless|shelter|network|coalition|"
    r"partnership|academy|family services|human services|children'?s services|"
    r"youth services|services for|refugee|volunteers?|voluntary|alliance|clubhouse|"
    r"social enterprise|social cooperative"
)
_INVESTOR_PUBLIC_WORDS = (
    _PUBLIC_WORDS + r"|development bank|development finance|european investment fund|"
    r"european investment bank|world bank|inter-american|eif|efsi|public bank|sitra|"
    r"caisse des d[ée]p[ôo]ts|banque des territoires|"
    r"big lottery|national lottery|office for civil society"
)
_PHILANTHROPIC_WORDS = (
    r"foundation|charitable|charity|charities|trust|fonden|fond|fonds|stiftelse|stiftelsen|"
    r"\w*säätiö|stichting|stiftung|fondation|fundación|fundacion|fundação|fundacao|"
    r"philanthrop\w*|endowment|church|donors?"
)
_FUND_WORDS = (
    r"capital|invest\w*|fund|funds|partners|asset|assets|securities|ventures|pension|"
    r"pension funds|family office|holdings?|finance|financial|kapital"
)
_COMMERCIAL_WORDS = (
    _COMPANY_WORDS + r"|bank|banco|banque|insurance|credit union|private investors?|"
    r"retail investors?|individuals?|businesses|sparekasse|pensionskasse"
)


def _words(alternatives: str) -> re.Pattern[str]:
    # (?<!\w) / (?!\w) instead of \b so cues ending in punctuation ("Co.", "e.V.") match.
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)


_NAME_RULES_PROVIDER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("government", _words(_PUBLIC_WORDS)),
    ("nonprofit", _words(_NONPROFIT_WORDS)),
    ("company", _words(_COMPANY_WORDS)),
    ("nonprofit", _words(_WEAK_NONPROFIT_WORDS)),
)
_NAME_RULES_INVESTOR: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("government", _words(_INVESTOR_PUBLIC_WORDS)),
    ("foundation", _words(_PHILANTHROPIC_WORDS)),
    ("investment_fund", _words(_FUND_WORDS)),
    ("company", _words(_COMMERCIAL_WORDS)),
)
# "NHS ... Trust" and "Council" outrank the nonprofit "Trust"; but a name whose public cue is
# only a qualifier of a voluntary body ("Birmingham Disability Resource Centre" has none,
# "Community Council" has one) is left to the overrides file rather than a cleverer regex.


# Finer provider kinds (`corpus.model.ProviderKind`) within a public or private kind.
# Local government first: a "County Council" or "Kommune" is the municipality's own team; a
# region, landsting, wellbeing services county or NHS body is regional; the rest of the
# public sector (ministries, state agencies, federal or state departments) is the state.
_MUNICIPAL_WORDS = (
    r"municipality|municipal|council|county|city of|city|town|borough|district|"
    r"\w*kommun(?:e|en|es)?|kaupunki|kaupungin|kunta|kunnan|stad|staden|gemeente|"
    r"ville de|ayuntamiento|municipio|município|câmara municipal|landkreis|stadt|"
    r"prefecture|school district|public schools?"
)
_REGIONAL_WORDS = (
    r"region|regionen|region \w+|landsting|\w*hyvinvointialue|nhs|ccg|"
    r"clinical commissioning group|province|provincial|provincie|health board"
)
_SOCIAL_ENTERPRISE_WORDS = (
    r"social enterprise|social business|cic|community interest company|social cooperative|"
    r"coopérative|cooperativa sociale|socialøkonomisk virksomhed|socialt företag|"
    r"arbetsintegrerande|yhteiskunnallinen yritys|sociale onderneming|b corp"
)
_DETAIL_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("government", "regional_body", re.compile(rf"(?<!\w)(?:{_REGIONAL_WORDS})(?!\w)", re.I)),
    ("government", "municipal_team", re.compile(rf"(?<!\w)(?:{_MUNICIPAL_WORDS})(?!\w)", re.I)),
)
_SOCIAL_ENTERPRISE = re.compile(rf"(?<!\w)(?:{_SOCIAL_ENTERPRISE_WORDS})(?!\w)", re.I)


@dataclass(frozen=True)
class Overrides:
    """The contents of `model_overrides.yaml`: per-case models and per-organisation kinds."""

    cases: dict[str, dict[str, str]]
    organisations: dict[str, dict[str, str]]

    @classmethod
    def load(cls, path: Path = OVERRIDES_PATH) -> Overrides:
        """Read and check the overrides file; raises SourceError naming the bad entry."""
        try:
            data = yaml_keys.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise SourceError(f"cannot read {path}: {exc}") from exc
        data = data or {}
        if not isinstance(data, dict):
            raise SourceError(f"{path.name}: expected a mapping with 'organisations' and 'cases'")
        cases: dict[str, dict[str, str]] = {}
        for key, entry in (data.get("cases") or {}).items():
            where = f"{path.name}: cases.{key}"
            if not isinstance(entry, dict) or not str(entry.get("reason", "")).strip():
                raise SourceError(f"{where}: needs a mapping with a 'reason'")
            if "provider_model" not in entry and "investor_model" not in entry:
                raise SourceError(f"{where}: sets neither provider_model nor investor_model")
            if entry.get("provider_model", "unknown") not in PROVIDER_MODELS:
                raise SourceError(f"{where}: provider_model must be one of {PROVIDER_MODELS}")
            if entry.get("investor_model", "unknown") not in INVESTOR_MODELS:
                raise SourceError(f"{where}: investor_model must be one of {INVESTOR_MODELS}")
            bad = set(entry.get("provider_detail") or []) - set(PROVIDER_KINDS)
            if bad:
                raise SourceError(f"{where}: provider_detail must be among {PROVIDER_KINDS}")
            cases[str(key).strip().lower()] = entry
        orgs: dict[str, dict[str, str]] = {}
        for key, entry in (data.get("organisations") or {}).items():
            where = f"{path.name}: organisations.{key}"
            if not isinstance(entry, dict) or not str(entry.get("reason", "")).strip():
                raise SourceError(f"{where}: needs a mapping with a 'reason'")
            if entry.get("kind") not in KINDS:
                raise SourceError(f"{where}: kind must be one of {KINDS}")
            if entry.get("detail", PROVIDER_KINDS[0]) not in PROVIDER_KINDS:
                raise SourceError(f"{where}: detail must be one of {PROVIDER_KINDS}")
            if _org_key(str(key)) in orgs:
                raise SourceError(f"{where}: the same organisation is listed twice")
            orgs[_org_key(str(key))] = entry
        return cls(cases=cases, organisations=orgs)

    def for_case(self, case: Case) -> dict[str, str] | None:
        """The override entry of a case, by its id or its INDIGO (project or pipeline) id."""
        keys = [
            case.id,
            case.external_ids.get("indigo", ""),
            case.external_ids.get("indigo_pipeline", ""),
        ]
        return next((self.cases[k.lower()] for k in keys if k and k.lower() in self.cases), None)

    def for_party(self, party: Party) -> dict[str, str] | None:
        """The organisation entry of a party, by INDIGO organisation id or by name."""
        for key in (party.organisation_id, party.name):
            if key and _org_key(key) in self.organisations:
                return self.organisations[_org_key(key)]
        return None


def _org_key(text: str) -> str:
    # Sources add translations or remarks in brackets ("Den Sociale Investeringsfond (The
    # Danish Social Investment Fund)", "APOPO (main provider)"); match without them.
    text = re.sub(r"\([^)]*\)", " ", text).strip() or text
    return " ".join(text.casefold().split())


@lru_cache(maxsize=1)
def default_overrides() -> Overrides:
    """The overrides file shipped next to this module, read once."""
    return Overrides.load()


def party_kind(
    party: Party, name_rules: tuple[tuple[str, re.Pattern[str]], ...], overrides: Overrides
) -> tuple[str | None, str]:
    """`(kind, basis)` of one organisation, or `(None, "")` when nothing tells."""
    entry = overrides.for_party(party)
    if entry:
        return entry["kind"], f"override of {party.name}: {entry['reason']}"
    if party.org_type in KINDS:
        return party.org_type, f"type of {party.name}"
    detail = (party.role_detail or "").strip().casefold()
    for prefix, kind in _ROLE_CATEGORIES:
        if detail.startswith(prefix):
            return kind, f"role category of {party.name}"
    for kind, pattern in name_rules:
        if pattern.search(party.name):
            return kind, f"name of {party.name}"
    return None, ""


def provider_kind(party: Party, overrides: Overrides) -> tuple[str | None, str]:
    """`(ProviderKind, rule)` of one service provider, or `(None, "")` when nothing tells.

    An organisation entry's `detail` decides; else the party's kind (as for the provider
    model) is refined by its name: a public body by local, regional or state cues, a
    nonprofit or company by social-enterprise cues ("CIC", "social enterprise").
    """
    entry = overrides.for_party(party) or {}
    if entry.get("detail"):
        return entry["detail"], "override"
    kind, why = party_kind(party, _NAME_RULES_PROVIDER, overrides)
    rule = why.split(" of ", 1)[0] if why else ""
    if kind in ("government", "multilateral"):
        for _, detail, pattern in _DETAIL_RULES:
            if kind == "government" and pattern.search(party.name):
                return detail, rule if rule == "name" else f"{rule}, name"
        return "state_body", rule
    if kind in ("nonprofit", "foundation", "company", "investment_fund"):
        if _SOCIAL_ENTERPRISE.search(f"{party.name} {party.role_detail or ''}"):
            return "social_enterprise", rule if rule == "name" else f"{rule}, name"
        return ("ngo" if kind in ("nonprofit", "foundation") else "company"), rule
    return None, ""


def infer_provider_detail(case: Case, overrides: Overrides | None = None) -> tuple[list[str], str]:
    """`(kinds, basis)` of the case's service providers: "kind: organisation (rule)" each."""
    overrides = overrides or default_overrides()
    kinds: list[str] = []
    why: list[str] = []
    for p in case.parties_by_role("service_provider"):
        kind, rule = provider_kind(p, overrides)
        if kind:
            kinds.append(kind)
            why.append(f"{kind}: {p.name} ({rule})")
    order = {k: i for i, k in enumerate(PROVIDER_KINDS)}
    return sorted(set(kinds), key=order.__getitem__), "; ".join(dict.fromkeys(why))


def _combine(kinds: list[tuple[str | None, str]]) -> tuple[str, str]:
    known = [(k, why) for k, why in kinds if k]
    if not known:
        return "unknown", NO_KNOWN_PARTY
    values = sorted({k for k, _ in known})
    why = "; ".join(dict.fromkeys(w for _, w in known[:4]))
    if len(values) == 1:
        return values[0], why
    return "mixed", f"{SEVERAL_KINDS} ({', '.join(values)}): {why}"


def infer_provider_model(case: Case, overrides: Overrides | None = None) -> tuple[str, str]:
    """`(provider_model, basis)` from the case's service providers, by the rules only.

    A project in design whose record says the domestic government is a service provider
    counts a public provider beside any named ones.
    """
    overrides = overrides or default_overrides()
    kinds = []
    for p in case.parties_by_role("service_provider"):
        kind, why = party_kind(p, _NAME_RULES_PROVIDER, overrides)
        kinds.append((_PROVIDER_BY_KIND.get(kind or ""), why))
    selection = case.provider_selection
    if selection and selection.government_provides:
        kinds.append(("public", GOVERNMENT_PROVIDES))
    return _combine(kinds)


_METHOD_WORDS = {
    "request_for_proposals": "to be chosen by a request for proposals",
    "direct_contracting": "chosen by direct contracting by the outcome funder, investor or "
    "intermediary",
    "provider_led": "a provider-led deal",
}


def not_yet_selected_basis(case: Case) -> str | None:
    """The basis of "no provider chosen or named yet", or None when that is not the state.

    That is the state of a project still in design (stage "pipeline") that names no
    service provider and whose provider model no record, override or rule settles; the
    basis gives the record's stage of development and what it says of the selection.
    """
    if case.stage != "pipeline" or case.parties_by_role("service_provider"):
        return None
    selection = case.provider_selection
    stage = selection.development_stage if selection else None
    said = [_METHOD_WORDS[m] for m in (selection.methods if selection else [])]
    if selection and selection.other:
        # The record's free text can run to a paragraph; the page shows a basis line.
        other = selection.other if len(selection.other) <= 160 else selection.other[:157] + "..."
        said.append(f'the record says: "{other}"')
    where = f"INDIGO pipeline, stage: {stage or 'not given'}"
    tail = f"; {'; '.join(said)}" if said else ""
    return (
        f"not yet selected or named: project in design, no service provider named ({where}){tail}"
    )


def infer_investor_model(case: Case, overrides: Overrides | None = None) -> tuple[str, str]:
    """`(investor_model, basis)` from the case's investors, by the rules only."""
    overrides = overrides or default_overrides()
    kinds = []
    for p in case.parties_by_role("investor"):
        kind, why = party_kind(p, _NAME_RULES_INVESTOR, overrides)
        kinds.append((_INVESTOR_BY_KIND.get(kind or ""), why))
    return _combine(kinds)


def apply_models(case: Case, overrides: Overrides | None = None) -> Case:
    """The case with provider and investor models filled in where no source fixed them.

    A value a source record fixed (a curated file) stays; else a case override decides;
    else the rules. The `*_basis` fields say which of them decided.
    """
    overrides = overrides or default_overrides()
    entry = overrides.for_case(case) or {}
    update: dict[str, Any] = {}
    detail, detail_basis = infer_provider_detail(case, overrides)
    if not detail and entry.get("provider_detail"):
        detail, detail_basis = list(entry["provider_detail"]), f"override: {entry['reason']}"
    if detail != case.provider_detail or (detail_basis or None) != case.provider_detail_basis:
        update["provider_detail"] = detail
        update["provider_detail_basis"] = detail_basis or None
    for field, infer in (
        ("provider_model", infer_provider_model),
        ("investor_model", infer_investor_model),
    ):
        basis_field = f"{field}_basis"
        if model_fixed(case, field):
            if not getattr(case, basis_field):
                update[basis_field] = CURATED_BASIS
            continue
        if field in entry:
            update[field], update[basis_field] = entry[field], f"override: {entry['reason']}"
        else:
            update[field], update[basis_field] = infer(case, overrides)
    pending = None
    if update.get("provider_model", case.provider_model) == "unknown":
        pending = not_yet_selected_basis(case)
    if pending:
        update["provider_model_basis"] = pending
    if bool(pending) != case.provider_not_yet_selected:
        update["provider_not_yet_selected"] = bool(pending)
    return case.model_copy(update=update) if update else case
