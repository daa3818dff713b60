"""The curated case files under `corpus/cases/`: load them as `Case` records and check them.

One YAML file per case, named `<id>.yaml`; its keys are the `Case` field names. Two
conveniences keep the files readable: dates may be written as plain `YYYY`, `YYYY-MM` or
`YYYY-MM-DD` (they become `PartialDate`s), and a provider or investor model set by the
author gets the basis `"curated"` unless the file gives its own basis.

`read_files` reads a folder and reports every problem per file (schema, required fields,
both summaries, URL form, file name, duplicate ids); `check` adds the test that INDIGO
ids exist, given the known ids from the store or from an INDIGO CSV export.

A minimal file (`corpus/cases/dk-example.yaml`)::

    id: dk-example
    external_ids: {indigo: INDIGO-POJ-0000}   # only when the case is in INDIGO
    title: ...
    summary: {en: ..., da: ...}
    countries: [DK]
    sector: Homelessness                       # INDIGO's policy-sector wording
    stage: implementation
    dates: {contract_signed: 2021-03, service_start: 2021-08}
    parties:
      - {name: ..., role: service_provider, org_type: nonprofit}
    provider_model: nonprofit
    investor_model: public
    sources:
      - {url: https://..., title: ...}
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
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

#: Basis recorded for a provider or investor model the author of a file set.
CURATED_BASIS = "curated"

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
            "indigo_checked_against": self.indigo_checked_against,
        }


def case_files(folder: Path | None = None) -> list[Path]:
    """The case files of a folder (default: the packaged corpus), sorted by name."""
    folder = Path(folder) if folder is not None else CASES_DIR
    if not folder.is_dir():
        raise SourceError(f"curated cases folder not found: {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps `2021-08-01` as text: dates become `PartialDate`s or stay text."""


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
        if data.get(model) not in (None, "unknown") and not data.get(f"{model}_basis"):
            data[f"{model}_basis"] = CURATED_BASIS
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


def indigo_ids_from_csv(path: Path) -> set[str]:
    """The project ids of an INDIGO CSV export: its folder, zip or `projects.csv` itself."""
    path = Path(path)
    try:
        if path.is_dir():
            text = (path / "projects.csv").read_text(encoding="utf-8-sig")
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                member = next(
                    (n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "projects.csv"), None
                )
                if member is None:
                    raise SourceError(f"no projects.csv inside {path}")
                text = zf.read(member).decode("utf-8-sig")
        else:
            text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise SourceError(f"cannot read the INDIGO export at {path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "ID" not in reader.fieldnames:
        raise SourceError(f"{path} is not INDIGO's projects.csv (no ID column)")
    return {row["ID"].strip() for row in reader if (row.get("ID") or "").strip()}


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
    problems = [p for f in files for p in f.problems]
    return CheckReport(
        files=files,
        problems=problems,
        indigo_checked_against=indigo_checked_against if indigo_ids is not None else None,
    )
