"""Provider and investor models of a case, settled by explainable rules.

`provider_model` says who delivers: the public body itself (`public`), an NGO
(`nonprofit`), a company (`forprofit`), several kinds (`mixed`) or `unknown`.
`investor_model` says who carries the financial risk: `public`, `philanthropic`,
`commercial`, `mixed` or `unknown`.

A value fixed by a curated record stays; otherwise the rules below look at the parties'
organisation types, then at their names when the type is missing (INDIGO leaves most
types empty). The `*_basis` field says which rule decided, so the case page can show it.
"""

from __future__ import annotations

import re

from corpus.model import Case, Party

_PUBLIC_NAME = re.compile(
    r"\b(kommune|municipality|council|county|city of|state of|department|ministry|"
    r"government|nhs|borough|region|authority|kaupunki|stad|kommun|landsting|"
    r"public health|police|probation|trust\b.*nhs|department of)\b",
    re.I,
)
_NONPROFIT_NAME = re.compile(
    r"\b(charity|foundation|fonden|fond|trust|association|forening|förening|society|"
    r"ngo|non-profit|nonprofit|cic|community interest|mission|barnardo|action for|"
    r"ry\b|säätiö|stiftelse|stiftelsen|church|centre|center|partnership|network|"
    r"alliance|housing association|ymca|ywca|salvation army|red cross|shelter)\b",
    re.I,
)
_COMPANY_NAME = re.compile(
    r"\b(ltd|limited|llc|inc|plc|a/s|aps|ab|oy|oyj|gmbh|s\.a\.|corp|corporation|"
    r"company|consulting|partners llp|llp|group)\b\.?",
    re.I,
)
_PHILANTHROPIC_NAME = re.compile(r"\b(foundation|fonden|fond|trust|säätiö|stiftelse|charit)", re.I)
_COMMERCIAL_NAME = re.compile(
    r"\b(bank|capital|invest|fund|partners|asset|securities|ventures|insurance|"
    r"ltd|llc|inc|plc|a/s|ab|oy|gmbh)\b",
    re.I,
)

_PROVIDER_BY_TYPE = {
    "government": "public",
    "nonprofit": "nonprofit",
    "foundation": "nonprofit",
    "company": "forprofit",
    "investment_fund": "forprofit",
}
_INVESTOR_BY_TYPE = {
    "government": "public",
    "multilateral": "public",
    "foundation": "philanthropic",
    "nonprofit": "philanthropic",
    "company": "commercial",
    "investment_fund": "commercial",
    "individual": "commercial",
}


def _provider_kind(p: Party) -> tuple[str | None, str]:
    if p.org_type in _PROVIDER_BY_TYPE:
        return _PROVIDER_BY_TYPE[p.org_type], f"type of {p.name}"
    if _PUBLIC_NAME.search(p.name):
        return "public", f"name of {p.name}"
    if _COMPANY_NAME.search(p.name):
        return "forprofit", f"name of {p.name}"
    if _NONPROFIT_NAME.search(p.name):
        return "nonprofit", f"name of {p.name}"
    return None, ""


def _investor_kind(p: Party) -> tuple[str | None, str]:
    if p.org_type in _INVESTOR_BY_TYPE:
        return _INVESTOR_BY_TYPE[p.org_type], f"type of {p.name}"
    if _PUBLIC_NAME.search(p.name):
        return "public", f"name of {p.name}"
    if _PHILANTHROPIC_NAME.search(p.name):
        return "philanthropic", f"name of {p.name}"
    if _COMMERCIAL_NAME.search(p.name):
        return "commercial", f"name of {p.name}"
    return None, ""


def _combine(kinds: list[tuple[str | None, str]], mixed: str = "mixed") -> tuple[str, str]:
    known = [(k, why) for k, why in kinds if k]
    if not known:
        return "unknown", "no party with a known type or telling name"
    values = {k for k, _ in known}
    why = "; ".join(w for _, w in known[:4])
    if len(values) == 1:
        return values.pop(), f"rule: {why}"
    return mixed, f"rule: several kinds ({', '.join(sorted(values))}): {why}"


def infer_provider_model(case: Case) -> tuple[str, str]:
    """`(provider_model, basis)` from the case's service providers."""
    return _combine([_provider_kind(p) for p in case.parties_by_role("service_provider")])


def infer_investor_model(case: Case) -> tuple[str, str]:
    """`(investor_model, basis)` from the case's investors."""
    return _combine([_investor_kind(p) for p in case.parties_by_role("investor")])


def apply_models(case: Case) -> Case:
    """The case with provider and investor models filled in where no source fixed them."""
    update: dict[str, str] = {}
    if case.provider_model == "unknown":
        update["provider_model"], update["provider_model_basis"] = infer_provider_model(case)
    if case.investor_model == "unknown":
        update["investor_model"], update["investor_model_basis"] = infer_investor_model(case)
    return case.model_copy(update=update) if update else case
