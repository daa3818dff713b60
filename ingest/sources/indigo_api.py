"""The INDIGO JSON API: the project list, then each public project.

`GET <base>/app/api1/project` lists `{"projects": [{"id": ..., "public": bool}, ...]}`;
`GET <base>/app/api1/project/<id>` serves `{"project": {"id": ..., "data": {...}}}` for a
public project. Each project goes through the mapper the CSV importer uses too
(`ingest.indigo_mapping`), so both paths give the same case.

- A project listed with `"public": false` is `Gone`: INDIGO asks every consumer to drop
  its copy of a project that turned private.
- A project that fails (timeout, 5xx after retries, invalid JSON, an unexpected shape, a
  404 although listed as public) is a `Reject` naming the URL and why; what the store had
  for it stays.
- A field that cannot be read is a warning-level reject (reason `warning: ...`) naming the
  URL and the field's path; the project is imported with that field empty.
- The list itself failing raises `SourceError`: the run fails and the store is untouched.

HTTP goes through `ingest.fetch.Fetcher` (timeouts, retries with backoff, robots.txt,
spacing between requests, a cache of raw responses with conditional requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

from corpus.errors import SourceError
from corpus.settings import Settings
from ingest.fetch import JSON, Fetcher, FetchError, HTTPStatusError
from ingest.indigo_mapping import SOURCE, ProjectError, project_to_case
from ingest.runner import Gone, Item, Reject

__all__ = ["SOURCE", "COMPLETE", "allowed_hosts", "items", "list_url", "project_url"]

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


def _project(fetcher: Fetcher, base_url: str, pid: str) -> list[Item]:
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
        case, problems = project_to_case(project, url=url, fetched_at=page.fetched_at)
    except ProjectError as exc:
        return [Reject(f"{url} {_path_text(exc.path)}", f"{exc.reason}; project not updated", pid)]
    out: list[Item] = [
        Reject(f"{url} {_path_text(p.path)}", f"warning: {p.reason}") for p in problems
    ]
    out.append(case)
    return out


def items(
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
    for pid, public in listed:
        if not public:
            yield Gone(pid, f"{list_url(base)} lists {pid} as not public")
            continue
        yield from _project(fetcher, base, pid)
