"""The INDIGO JSON API: the project list, then each public project.

`GET <base>/app/api1/project` lists `{"projects": [{"id": ..., "public": bool}, ...]}`;
`GET <base>/app/api1/project/<id>` serves `{"project": {"id": ..., "data": {...}}}` for a
public project, with the organisations it names embedded (names and addresses only);
`GET <base>/app/api1/organisation/<id>` gives each organisation's type and jurisdiction,
and `GET <base>/app/api1/fund/<id>` the name of each fund in `outcome_funds[]`, each
fetched once per run. Each project then goes through the mapper the
CSV importer uses too (`ingest.indigo.mapping`), so both paths give the same case.
It makes about two thousand requests, so it is the diagnostic path
(`casebank ingest indigo-api --per-project`); the default is the bulk download
(`ingest.indigo.bulk`).

- A project listed with `"public": false` is `Gone`: INDIGO asks every consumer to drop
  its copy of a project that turned private.
- A project that fails (timeout, 5xx after retries, invalid JSON, an unexpected shape, a
  404 although listed as public), or one of whose organisations cannot be fetched, is a
  `Reject` naming the URL and why; what the store had for it stays. An organisation that
  answers 404 is not public: the project keeps what the server embedded for it.
- A field that cannot be read is a warning (a `Note` of kind "warning") naming the
  URL and the field's path; the project is imported with that field empty.
- The list itself failing raises `SourceError`: the run fails and the store is untouched.

HTTP goes through `ingest.fetch.Fetcher` (timeouts, retries with backoff, robots.txt,
spacing between requests, a cache of raw responses with conditional requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from corpus.errors import SourceError
from corpus.settings import Settings
from ingest.fetch import JSON, Fetcher, FetchError, HTTPStatusError
from ingest.indigo.mapping import SOURCE, ProjectError, project_to_case
from ingest.runner import Gone, Item, Note, Reject

__all__ = ["SOURCE", "COMPLETE", "allowed_hosts", "list_url", "project_url", "read_api"]

#: The list names every project INDIGO has: a project missing from it is removed.
COMPLETE = True


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def list_url(base_url: str) -> str:
    """URL of the project list."""
    return f"{_base(base_url)}/app/api1/project"


def project_url(base_url: str, project_id: str) -> str:
    """URL of one project."""
    return f"{list_url(base_url)}/{quote(project_id, safe='')}"


def allowed_hosts(base_url: str | None = None, settings: Settings | None = None) -> list[str]:
    """The one host this source reaches: the API's."""
    base = base_url or (settings or Settings.from_env()).indigo_base_url
    host = urlsplit(base).hostname
    if not host:
        raise SourceError(f"INDIGO base URL {base!r} has no host")
    return [host]


def _path_text(path: tuple[str | int, ...]) -> str:
    out = "data"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _listed(fetcher: Fetcher, url: str) -> tuple[list[tuple[str, bool]], list[Reject]]:
    """`(id, public)` of each listed project, and rejects for malformed entries."""
    body = fetcher.get(url, accept=JSON).json()  # FetchError is a SourceError: the run fails
    projects = body.get("projects") if isinstance(body, dict) else None
    if not isinstance(projects, list):
        raise SourceError(f'{url}: expected {{"projects": [...]}}, got {type(body).__name__}')
    listed: list[tuple[str, bool]] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for n, entry in enumerate(projects):
        pid = entry.get("id") if isinstance(entry, dict) else None
        public = entry.get("public") if isinstance(entry, dict) else None
        if not isinstance(pid, str) or not pid.strip() or not isinstance(public, bool):
            rejects.append(
                Reject(f"{url} projects[{n}]", f"entry without id and public flag: {entry!r}")
            )
            continue
        pid = pid.strip()
        if pid in seen:
            rejects.append(Reject(f"{url} projects[{n}]", f"{pid} listed twice; first kept"))
            continue
        seen.add(pid)
        listed.append((pid, public))
    return listed, rejects


class _Organisations:
    """Organisation records from `<base>/app/api1/organisation/<id>`, each fetched once a run.

    The organisations the server embeds in a project carry only names and addresses; their
    type and jurisdiction (which the CSV export has) come from the organisation endpoint.
    """

    kind = "organisation"

    def __init__(self, fetcher: Fetcher, base_url: str) -> None:
        self.fetcher = fetcher
        self.base_url = base_url
        self._known: dict[str, dict[str, Any] | None] = {}
        self._failed: dict[str, FetchError] = {}

    def url(self, org_id: str) -> str:
        return f"{_base(self.base_url)}/app/api1/{self.kind}/{quote(org_id, safe='')}"

    def get(self, org_id: str) -> dict[str, Any] | None:
        """The organisation's `data`; None when it is not public (404). Raises FetchError."""
        if org_id in self._failed:  # asked once already this run: do not retry again
            raise self._failed[org_id]
        if org_id not in self._known:
            try:
                self._known[org_id] = self._fetch(org_id)
            except FetchError as exc:
                self._failed[org_id] = exc
                raise
        return self._known[org_id]

    def _fetch(self, org_id: str) -> dict[str, Any] | None:
        url = self.url(org_id)
        try:
            body = self.fetcher.get(url, accept=JSON).json()
        except HTTPStatusError as exc:
            if exc.status == 404:
                return None
            raise
        record = body.get(self.kind) if isinstance(body, dict) else None
        if not (isinstance(record, dict) and isinstance(record.get("data"), dict)):
            raise FetchError(url, f'expected {{"{self.kind}": {{"data": {{...}}}}}}')
        return record["data"]

    def complete(self, project: dict[str, Any]) -> dict[str, Any]:
        """The project with each embedded organisation replaced by its full record."""
        data = project.get("data")
        embedded = data.get("organisations") if isinstance(data, dict) else None
        if not isinstance(embedded, list):
            embedded = project.get("organisations")
        if not isinstance(data, dict) or not isinstance(embedded, list):
            return project
        full = []
        for entry in embedded:
            org_id = entry.get("id") if isinstance(entry, dict) else None
            details = self.get(org_id) if isinstance(org_id, str) and org_id else None
            full.append({"id": org_id, **details} if details is not None else entry)
        return {**project, "data": {**data, "organisations": full}}


class _Funds(_Organisations):
    """Fund records from `<base>/app/api1/fund/<id>` (for their names), each fetched once."""

    kind = "fund"

    def names(self, project: dict[str, Any]) -> dict[str, str]:
        """`{fund id: name}` of the funds the project's `outcome_funds[]` names."""
        data = project.get("data")
        listed = data.get("outcome_funds") if isinstance(data, dict) else None
        names: dict[str, str] = {}
        for entry in listed if isinstance(listed, list) else []:
            fund_id = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(fund_id, str) and fund_id.strip():
                record = self.get(fund_id.strip())  # None: the fund is not public
                name = (record or {}).get("name")
                name = name.get("value") if isinstance(name, dict) else name
                if isinstance(name, str) and name.strip():
                    names[fund_id.strip()] = name.strip()
        return names


def _project(
    fetcher: Fetcher, orgs: _Organisations, funds: _Funds, base_url: str, pid: str
) -> list[Item]:
    url = project_url(base_url, pid)
    try:
        page = fetcher.get(url, accept=JSON)
        body = page.json()
    except FetchError as exc:
        reason = exc.reason
        if isinstance(exc, HTTPStatusError) and exc.status == 404:
            reason += " (listed as public, but the project is not served: vanished?)"
        return [Reject(url, f"{reason}; project not updated", pid)]
    project = body.get("project") if isinstance(body, dict) else None
    if not isinstance(project, dict):
        return [Reject(url, 'expected {"project": {...}}; project not updated', pid)]
    if project.get("id") != pid:
        return [Reject(url, f"served project id {project.get('id')!r}, asked for {pid!r}", pid)]
    try:
        project = orgs.complete(project)
        fund_names = funds.names(project)
    except FetchError as exc:
        # Without its organisations' types the case would differ from the last good run.
        return [Reject(exc.url, f"{exc.reason}; project {pid} not updated", pid)]
    try:
        case, problems = project_to_case(
            project, url=url, fetched_at=page.fetched_at, funds=fund_names
        )
    except ProjectError as exc:
        return [Reject(f"{url} {_path_text(exc.path)}", f"{exc.reason}; project not updated", pid)]
    out: list[Item] = [
        Note(f"{url} {_path_text(p.path)}", p.reason, kind="warning") for p in problems
    ]
    out.append(case)
    return out


def read_api(
    fetcher: Fetcher,
    base_url: str | None = None,
    settings: Settings | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Items of the INDIGO API at `base_url` (default `Settings.indigo_base_url`).

    Raises SourceError (before yielding anything) when the project list cannot be had.
    """
    base = base_url or (settings or fetcher.settings).indigo_base_url
    listed, rejects = _listed(fetcher, list_url(base))
    if on_total:
        on_total(len(listed) + len(rejects))
    yield from rejects
    orgs = _Organisations(fetcher, base)
    funds = _Funds(fetcher, base)
    for pid, public in listed:
        if not public:
            yield Gone(pid, f"{list_url(base)} lists {pid} as not public")
            continue
        yield from _project(fetcher, orgs, funds, base, pid)
