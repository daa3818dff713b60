"""The curated case files under `corpus/cases/`: load them as `Case` records and check them.

One YAML file per case, named `<id>.yaml`; its keys are the `Case` field names. Two
conveniences keep the files readable: dates may be written as plain `YYYY`, `YYYY-MM` or
`YYYY-MM-DD` (they become `PartialDate`s), and a provider or investor model set by the
author gets the basis `"curated"` unless the file gives its own basis. A file states both
models; `unknown` there is the editors' finding (the sources read do not tell), which the
rules never fill in from the parties' types.

`read_files` reads a folder and reports every problem per file (schema, required fields,
both summaries, URL form, file name, duplicate ids); `check` adds the test that INDIGO
ids exist, given the known ids from the store or from an INDIGO CSV export.

Facts are tied to sources: every source has a short `id`; scalar facts cite ids in
`field_sources` (`investment`, `dates.service_start`, `stage`, ...; see `SOURCED_SCALARS`),
and every party, priced outcome metric, result and payment in its `source_refs`. A fact
that could not be checked against a copy of its source is marked (`unverified: true`, or
its key in `unverified_fields`); `CheckReport.unverified` lists them. Nordic cases also
need their title in their own language, English and Danish, and Danish beside the English
challenge, intervention, target group, role details and metric definitions. These are
a file's `gaps`: `check` fails on them, but the case still loads.

A minimal file (`corpus/cases/dk-example.yaml`)::

    id: dk-example
    external_ids: {indigo: INDIGO-POJ-0000}   # only when the case is in INDIGO
    title: ...
    title_i18n: {da: ..., en: ...}             # Nordic cases: own language, en, da
    summary: {en: ..., da: ...}
    countries: [DK]
    sector: Homelessness                       # INDIGO's policy-sector wording
    stage: implementation
    instrument: impact_bond
    dates: {contract_signed: 2021-03, service_start: 2021-08}
    parties:
      - {name: ..., role: service_provider, org_type: nonprofit, source_refs: [dsi-x]}
    provider_model: nonprofit
    investor_model: public
    sources:
      - {id: dsi-x, url: https://..., title: ..., publisher: ...}
    field_sources: {stage: [dsi-x], instrument: [dsi-x], dates.contract_signed: [dsi-x], ...}
    unverified_fields: [dates.service_start]   # facts not checked against their source
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from corpus.errors import SourceError
from corpus.model import Case, PartialDate
from corpus.provider_models import CURATED_BASIS, LEFT_UNKNOWN
from corpus.yaml_keys import UniqueKeys

#: The packaged curated corpus.
CASES_DIR = Path(__file__).resolve().parent / "cases"

#: INDIGO's policy-sector wording, which the curated files use so facets line up.
POLICY_SECTORS: tuple[str, ...] = (
    "Employment and training",
    "Health",
    "Education",
    "Child and family welfare",
    "Homelessness",
    "Criminal justice",
    "Agriculture and environment",
    "Poverty reduction",
)

#: Languages every curated case must have a summary in.
SUMMARY_LANGUAGES = ("en", "da")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_INDIGO_ID_RE = re.compile(r"^INDIGO-POJ-\d{4}$")
#: Fields a curated case must state; the rest are optional because facts are sparse.
_REQUIRED = (
    "id",
    "title",
    "countries",
    "sector",
    "stage",
    "summary",
    "parties",
    "provider_model",
    "investor_model",
    "sources",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: which file, which field (dotted path) and what."""

    file: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


@dataclass
class CuratedFile:
    """One file as read: its case when valid, its problems otherwise (or as well)."""

    path: Path
    case: Case | None = None
    problems: list[Problem] = field(default_factory=list)
    #: Facts without a source and missing Danish or own-language texts: `check` reports
    #: them (the corpus gate), but the case still loads, so a missing translation or a
    #: citation to add never takes a case off the site.
    gaps: list[Problem] = field(default_factory=list)
    #: The record id the file's case is stored under (INDIGO id or case id), best effort
    #: even for a broken file, so a rejected file never removes what was stored before.
    record_key: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file gave a valid case with no problems."""
        return self.case is not None and not self.problems


@dataclass
class CheckReport:
    """The result of `check`: the files read, their problems and what was checked."""

    files: list[CuratedFile]
    problems: list[Problem]
    #: Where the INDIGO ids were checked against, or None when they could not be checked.
    indigo_checked_against: str | None = None

    @property
    def cases(self) -> list[Case]:
        """The valid cases."""
        return [f.case for f in self.files if f.case is not None]

    @property
    def unverified(self) -> list[Unverified]:
        """Every fact of the valid cases marked as not checked against its source."""
        return [u for f in self.files if f.case for u in unverified_facts(f.path.name, f.case)]

    def only(self, names: set[str]) -> CheckReport:
        """The same report narrowed to the files with these names (e.g. `dk-x.yaml`).

        Raises SourceError naming a file that is not in the folder checked.
        """
        missing = names - {f.path.name for f in self.files}
        if missing:
            raise SourceError(f"not in the cases folder: {', '.join(sorted(missing))}")
        files = [f for f in self.files if f.path.name in names]
        return CheckReport(
            files=files,
            problems=[p for f in files for p in (*f.problems, *f.gaps)],
            indigo_checked_against=self.indigo_checked_against,
        )

    def summary(self) -> dict[str, Any]:
        """Counts for a human summary: files, cases, by country, by sector, INDIGO links."""
        cases = self.cases
        return {
            "files": len(self.files),
            "cases": len(cases),
            "problems": len(self.problems),
            "by_country": dict(Counter(c for case in cases for c in case.countries).most_common()),
            "by_sector": dict(Counter(case.sector or "unknown" for case in cases).most_common()),
            "with_indigo_id": sum(1 for case in cases if "indigo" in case.external_ids),
            "unverified": len(self.unverified),
            "indigo_checked_against": self.indigo_checked_against,
        }


def case_files(folder: Path | None = None) -> list[Path]:
    """The case files of a folder (default: the packaged corpus), sorted by name."""
    folder = Path(folder) if folder is not None else CASES_DIR
    if not folder.is_dir():
        raise SourceError(f"curated cases folder not found: {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


class _Loader(UniqueKeys, yaml.SafeLoader):
    """Safe YAML that keeps `2021-08-01` as text (dates become `PartialDate`s or stay text)
    and refuses a key given twice (plain YAML would keep the second silently)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _date_text(value: Any) -> Any:
    # A bare year (`2021`) is an int in YAML; dates and ids want text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class _DateError(ValueError):
    """A shorthand date that is not a date, with the dotted field it was found in."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _partial_date(value: Any, field: str) -> Any:
    value = _date_text(value)
    if isinstance(value, str):
        try:
            parsed = PartialDate.parse(value)
        except ValueError as exc:
            raise _DateError(field, str(exc)) from None
        return parsed.model_dump() if parsed else None
    return value


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand the file shorthands (plain dates, curated basis) into `Case` input."""
    data = dict(raw)
    if isinstance(data.get("dates"), dict):
        data["dates"] = {k: _partial_date(v, f"dates.{k}") for k, v in data["dates"].items()}
    for list_name in ("results", "payments"):
        items = data.get(list_name)
        if isinstance(items, list):
            data[list_name] = [
                {
                    k: _partial_date(v, f"{list_name}.{i}.{k}")
                    if k in ("period_start", "period_end")
                    else v
                    for k, v in item.items()
                }
                if isinstance(item, dict)
                else item
                for i, item in enumerate(items)
            ]
    for list_name in ("sources", "documents"):
        items = data.get(list_name)
        if isinstance(items, list):
            data[list_name] = [
                {**item, "published": _date_text(item["published"])}
                if isinstance(item, dict) and "published" in item
                else item
                for item in items
            ]
    if isinstance(data.get("external_ids"), dict):
        data["external_ids"] = {k: _date_text(v) for k, v in data["external_ids"].items()}
    for model in ("provider_model", "investor_model"):
        # A file states both models; "unknown" there is the editors' finding.
        if data.get(model) is not None and not data.get(f"{model}_basis"):
            data[f"{model}_basis"] = LEFT_UNKNOWN if data[model] == "unknown" else CURATED_BASIS
    return data


def _url_problem(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        return f"not an http(s) URL with a host: {url!r}"
    return None


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _content_problems(name: str, stem: str, raw: dict[str, Any], case: Case) -> list[Problem]:
    """Rules for curated cases beyond the schema: required fields, summaries, URLs, id."""
    out: list[Problem] = []

    def add(fld: str | None, msg: str) -> None:
        out.append(Problem(name, fld, msg))

    for key in _REQUIRED:
        if raw.get(key) in (None, "", [], {}):
            add(key, "required for a curated case")
    for lang in SUMMARY_LANGUAGES:
        if "summary" in raw and not (case.summary.get(lang) or "").strip():
            add(f"summary.{lang}", f"a summary in {lang!r} is required")
    if not _ID_RE.match(case.id):
        add("id", f"must be a lower-case slug (letters, digits, hyphens), got {case.id!r}")
    if case.id != stem:
        add("id", f"file name must be the id: expected {case.id}.yaml")
    for i, sector in enumerate([case.sector, *case.sectors]):
        if sector and sector not in POLICY_SECTORS:
            fld = "sector" if i == 0 else f"sectors.{i - 1}"
            add(fld, f"unknown policy sector {sector!r}; use one of: {', '.join(POLICY_SECTORS)}")
    if raw.get("sources") and not any(s.url for s in case.sources):
        add("sources", "at least one source needs a URL")
    links = [("sources", case.sources), ("documents", case.documents)]
    for list_name, items in links:
        for i, link in enumerate(items):
            msg = _url_problem(link.url)
            if msg:
                add(f"{list_name}.{i}.url", msg)
    for i, party in enumerate(case.parties):
        msg = _url_problem(party.website)
        if msg:
            add(f"parties.{i}.website", msg)
    indigo = case.external_ids.get("indigo")
    if indigo is not None and not _INDIGO_ID_RE.match(indigo):
        add("external_ids.indigo", f"not an INDIGO project id (INDIGO-POJ-0000): {indigo!r}")
    return out


#: Scalar facts that cite their sources in `field_sources` (besides `dates.<name>`).
SOURCED_SCALARS: tuple[str, ...] = (
    "investment",
    "max_outcome_payment",
    "outcome_payments_made",
    "cohort_target",
    "cohort_actual",
    "stage",
    "instrument",
    "provider_model",
    "investor_model",
)
#: The named dates a case may state (each cites its sources as `dates.<name>`).
DATE_NAMES: tuple[str, ...] = (
    "contract_signed",
    "service_start",
    "service_end",
    "anticipated_end",
    "completed",
)
#: The own language of a Nordic country, whose cases need titles in it, English and Danish.
NORDIC_LANGUAGES: dict[str, str] = {"DK": "da", "SE": "sv", "FI": "fi"}
#: Case text fields that a Nordic case must give in Danish too (`<field>_i18n.da`).
DANISH_TEXTS: tuple[str, ...] = ("social_challenge", "intervention", "target_population")


def _stated_scalars(raw: dict[str, Any]) -> list[str]:
    """The `field_sources` keys of the scalar facts a file states (a fact 'unknown' is none)."""
    keys = [k for k in SOURCED_SCALARS if k in raw and raw[k] not in (None, "", {}, "unknown")]
    dates = raw.get("dates")
    if isinstance(dates, dict):
        keys.extend(f"dates.{k}" for k, v in dates.items() if v not in (None, ""))
    return keys


def _sourced_items(case: Case) -> list[tuple[str, str, Any]]:
    """The items that must cite sources: (dotted path, label, item).

    Every party, result and payment; an outcome metric when it states a price, because
    the price is the fact a reader relies on (a definition alone is described, not counted).
    """
    out: list[tuple[str, str, Any]] = []
    for i, p in enumerate(case.parties):
        out.append((f"parties.{i}", f"party {p.name} ({p.role})", p))
    for i, m in enumerate(case.outcome_metrics):
        if m.price is not None and not m.price.is_empty():
            out.append((f"outcome_metrics.{i}", f"price of outcome {m.id or m.definition}", m))
    for i, r in enumerate(case.results):
        out.append((f"results.{i}", f"result {r.metric_id or r.description or i}", r))
    for i, pay in enumerate(case.payments):
        out.append((f"payments.{i}", f"payment {pay.metric_id or pay.kind or i}", pay))
    return out


def _source_problems(name: str, raw: dict[str, Any], case: Case) -> list[Problem]:
    """Facts tied to sources: every stated fact names a known source id, every source has one.

    Reported: sources without an id or with a duplicate id; scalar facts (see
    `SOURCED_SCALARS` and `dates.<name>`) without a `field_sources` entry; parties, priced
    metrics, results and payments without `source_refs`; references to ids the file's
    sources do not have; `field_sources` or `unverified_fields` keys that are no fact of
    the file (a typo would otherwise hide an unsourced fact).
    """
    out: list[Problem] = []

    def add(fld: str, msg: str) -> None:
        out.append(Problem(name, fld, msg))

    ids: set[str] = set()
    for i, link in enumerate(case.sources):
        if not link.id:
            add(f"sources.{i}.id", "a source needs an id that facts can cite")
        elif link.id in ids:
            add(f"sources.{i}.id", f"duplicate source id {link.id!r}")
        else:
            ids.add(link.id)
        if link.id and not _ID_RE.match(link.id):
            add(f"sources.{i}.id", f"must be a lower-case slug, got {link.id!r}")

    def unknown_refs(fld: str, refs: list[str]) -> None:
        for ref in refs:
            if ref not in ids:
                add(fld, f"cites unknown source id {ref!r} (known: {', '.join(sorted(ids))})")

    stated = _stated_scalars(raw)
    allowed = set(SOURCED_SCALARS) | {f"dates.{d}" for d in DATE_NAMES}
    for key in stated:
        if key.startswith("dates.") and key not in allowed:
            add(key, f"unknown date name; use one of: {', '.join(DATE_NAMES)}")
        elif not case.field_sources.get(key):
            add(f"field_sources.{key}", f"{key} is stated without a source")
    for key, refs in case.field_sources.items():
        if key not in allowed:
            add(f"field_sources.{key}", "not a sourced fact; keys: " + ", ".join(sorted(allowed)))
        elif key not in stated:
            add(f"field_sources.{key}", f"cites sources for {key}, which the file does not state")
        unknown_refs(f"field_sources.{key}", refs)
    for key in case.unverified_fields:
        if key not in stated:
            add("unverified_fields", f"{key!r} is not a fact the file states")
    for path, label, item in _sourced_items(case):
        if not item.source_refs:
            add(f"{path}.source_refs", f"{label} has no source")
        unknown_refs(f"{path}.source_refs", item.source_refs)
    for i, m in enumerate(case.outcome_metrics):
        if m.source_refs and (m.price is None or m.price.is_empty()):
            unknown_refs(f"outcome_metrics.{i}.source_refs", m.source_refs)
    return out


def _language_problems(name: str, case: Case) -> list[Problem]:
    """Nordic cases: titles in the own language, English and Danish; Danish curated texts."""
    langs = [NORDIC_LANGUAGES[c] for c in case.countries if c in NORDIC_LANGUAGES]
    if not langs:
        return []
    out: list[Problem] = []

    def add(fld: str, msg: str) -> None:
        out.append(Problem(name, fld, msg))

    for lang in dict.fromkeys([*langs, "en", "da"]):
        if not (case.title_i18n.get(lang) or "").strip():
            add(f"title_i18n.{lang}", f"a Nordic case needs its title in {lang!r}")
    for fld in DANISH_TEXTS:
        if getattr(case, fld) and not (getattr(case, f"{fld}_i18n").get("da") or "").strip():
            add(f"{fld}_i18n.da", f"{fld} needs a Danish text beside the English")
    for i, p in enumerate(case.parties):
        if p.role_detail and not (p.role_detail_i18n.get("da") or "").strip():
            add(f"parties.{i}.role_detail_i18n.da", "role_detail needs a Danish text")
    for i, m in enumerate(case.outcome_metrics):
        if not (m.definition_i18n.get("da") or "").strip():
            add(f"outcome_metrics.{i}.definition_i18n.da", "definition needs a Danish text")
        if m.target_population and not (m.target_population_i18n.get("da") or "").strip():
            add(
                f"outcome_metrics.{i}.target_population_i18n.da",
                "target_population needs a Danish text",
            )
    return out


@dataclass(frozen=True)
class Unverified:
    """A fact marked as not checked against a copy of its source: file, field and what."""

    file: str
    field: str
    label: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.label}"


def unverified_facts(name: str, case: Case) -> list[Unverified]:
    """The facts of one case marked unverified (`unverified_fields` and `unverified: true`)."""
    out = [Unverified(name, key, f"{key} not checked") for key in case.unverified_fields]
    items = [
        *((f"parties.{i}", f"party {p.name} ({p.role})", p) for i, p in enumerate(case.parties)),
        *(
            (f"outcome_metrics.{i}", f"outcome {m.id or m.definition}", m)
            for i, m in enumerate(case.outcome_metrics)
        ),
        *(
            (f"results.{i}", f"result {r.metric_id or r.description or i}", r)
            for i, r in enumerate(case.results)
        ),
        *(
            (f"payments.{i}", f"payment {p.metric_id or p.kind or i}", p)
            for i, p in enumerate(case.payments)
        ),
    ]
    out.extend(
        Unverified(name, path, f"{label} not checked") for path, label, it in items if it.unverified
    )
    return out


def read_file(path: Path) -> CuratedFile:
    """Read one case file; every problem found is listed, none is raised."""
    path = Path(path)
    name = path.name
    result = CuratedFile(path=path, record_key=path.stem)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        result.problems.append(Problem(name, None, f"not UTF-8 text (byte {exc.start})"))
        return result
    except OSError as exc:
        result.problems.append(Problem(name, None, f"cannot read file: {exc}"))
        return result
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        result.problems.append(Problem(name, None, f"invalid YAML{where}: {problem}"))
        return result
    if not isinstance(raw, dict):
        result.problems.append(
            Problem(name, None, "must be a YAML mapping of Case fields (key: value)")
        )
        return result
    ext = raw.get("external_ids")
    indigo = ext.get("indigo") if isinstance(ext, dict) else None
    result.record_key = str(indigo or raw.get("id") or path.stem)
    try:
        case = Case.model_validate(_normalise(raw))
    except _DateError as exc:
        result.problems.append(Problem(name, exc.field, str(exc)))
        return result
    except ValidationError as exc:
        for err in exc.errors():
            result.problems.append(Problem(name, _loc(err["loc"]), err["msg"]))
        return result
    result.problems.extend(_content_problems(name, path.stem, raw, case))
    result.gaps.extend(_source_problems(name, raw, case))
    result.gaps.extend(_language_problems(name, case))
    result.case = case
    return result


def read_files(folder: Path | None = None) -> list[CuratedFile]:
    """Read every case file of a folder, adding the problems between files (duplicate ids)."""
    files = [read_file(p) for p in case_files(folder)]
    first_id: dict[str, str] = {}
    first_indigo: dict[str, str] = {}
    for f in files:
        if f.case is None:
            continue
        name = f.path.name
        if f.case.id in first_id:
            f.problems.append(
                Problem(name, "id", f"duplicate id {f.case.id!r}: also in {first_id[f.case.id]}")
            )
        else:
            first_id[f.case.id] = name
        indigo = f.case.external_ids.get("indigo")
        if indigo:
            if indigo in first_indigo:
                f.problems.append(
                    Problem(
                        name,
                        "external_ids.indigo",
                        f"INDIGO id {indigo} is also used by {first_indigo[indigo]}",
                    )
                )
            else:
                first_indigo[indigo] = name
    return files


def check(
    folder: Path | None = None,
    *,
    indigo_ids: set[str] | None = None,
    indigo_checked_against: str | None = None,
) -> CheckReport:
    """Check every case file of a folder; with `indigo_ids`, also that INDIGO ids exist.

    `indigo_checked_against` names where the ids came from, for the report.
    """
    files = read_files(folder)
    if indigo_ids is not None:
        for f in files:
            indigo = f.case.external_ids.get("indigo") if f.case else None
            if indigo and _INDIGO_ID_RE.match(indigo) and indigo not in indigo_ids:
                where = f" in {indigo_checked_against}" if indigo_checked_against else ""
                f.problems.append(
                    Problem(
                        f.path.name, "external_ids.indigo", f"unknown INDIGO id {indigo}{where}"
                    )
                )
    problems = [p for f in files for p in (*f.problems, *f.gaps)]
    return CheckReport(
        files=files,
        problems=problems,
        indigo_checked_against=indigo_checked_against if indigo_ids is not None else None,
    )
