"""USA: the Nonprofit Finance Fund's pay-for-success project profiles (payforsuccess.org).

How the real site is built (the NFF "Pay for Success Learning Hub", a Drupal site): the
project directory `/projects` lists one profile per project in `views-row` blocks and
pages on with a pager (`li.pager__item--next a`). A profile `/project/<slug>` has the
project's name in `<h1>`, a description (`field--name-body`) and a "Quick Facts" block of
Drupal fields, each `<div class="field"><div class="field__label">Location</div><div
class="field__item">Boston, MA</div></div>` (several `field__item`s for lists): Location,
Issue Area, Project Stage (the Hub's three states In Development / In Progress /
Finished), Launch Date, Outcome Payor, Investors, Service Provider, Intermediary,
Evaluator, Intervention, Target Population, Upfront Capital, Maximum Outcome Payments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from corpus.model import Case, Party, Place
from corpus.store import Store
from ingest.fetch import HTML, Fetcher, FetchError, Page
from ingest.merge import matched
from ingest.runner import Item
from ingest.sources.webpage import (
    StructureChanged,
    absolute_links,
    indigo_id,
    parse_loose_date,
    parse_money,
    provenance,
    reject,
    require,
    slug_of,
    soup_of,
    source_link,
    text_of,
)

SOURCE = "nff"
COMPLETE = True
DEFAULT_BASE_URL = "https://www.payforsuccess.org"
INDEX_PATH = "/projects"
PROJECT_PATH = "/project/"
PARSER_VERSION = "1"
PUBLISHER = "Nonprofit Finance Fund"
#: The directory has a few dozen pages at most; more means a pager loop.
MAX_INDEX_PAGES = 30

_STAGES = {
    "in development": "pipeline",
    "in progress": "implementation",
    "launched": "implementation",
    "active": "implementation",
    "finished": "complete",
    "completed": "complete",
}
_SECTORS = (
    (re.compile(r"criminal|justice|recidivism|reentry", re.I), "Criminal justice"),
    (re.compile(r"homeless|housing", re.I), "Homelessness"),
    (re.compile(r"child welfare|foster|famil", re.I), "Child and family welfare"),
    (re.compile(r"early childhood|education|school|pre-?k", re.I), "Education"),
    (re.compile(r"workforce|employment|job", re.I), "Employment and training"),
    (re.compile(r"health|maternal|asthma|substance", re.I), "Health"),
    (re.compile(r"environment|water|storm", re.I), "Agriculture and environment"),
)
# Which Quick Facts field names which role.
_ROLES = {
    "outcome payor": "outcome_payer",
    "outcome payors": "outcome_payer",
    "outcome payer": "outcome_payer",
    "investors": "investor",
    "investor": "investor",
    "service provider": "service_provider",
    "service providers": "service_provider",
    "intermediary": "intermediary",
    "evaluator": "evaluator",
    "validator": "evaluator",
}


def record_id(slug: str) -> str:
    """The record (and own case) id of a profile: `nff-<slug>`."""
    return f"{SOURCE}-{slug}"


def parse_index(page: Page) -> tuple[list[str], str | None]:
    """Profile URLs on one directory page, and the next directory page's URL (or None)."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    urls = absolute_links(root, page.final_url, path_prefix=PROJECT_PATH)
    nxt = root.select_one("li.pager__item--next a[href]")
    if not urls:
        raise StructureChanged(f"page structure changed: no links to {PROJECT_PATH}<slug>")
    return urls, urljoin(page.final_url, nxt["href"]) if nxt else None


def quick_facts(root: Tag) -> dict[str, list[str]]:
    """`{folded label: [items]}` of the Drupal fields that carry a label."""
    out: dict[str, list[str]] = {}
    for field in root.select("div.field"):
        label = field.select_one(".field__label")
        if label is None:
            continue
        items = [text_of(i) for i in field.select(".field__item")]
        items = [i for i in items if i]
        if items:
            out.setdefault(text_of(label).rstrip(":").casefold(), items)
    return out


def _party(text: str, role: str) -> Party:
    """`Goldman Sachs ($9 million senior loan)` -> the name, with the amount when it has one."""
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", text)
    name, detail = (m.group(1), m.group(2)) if m else (text, None)
    amount = parse_money(detail, "USD") if detail else None
    return Party(
        name=name.strip(),
        role=role,  # type: ignore[arg-type]
        role_detail=detail,
        amount=amount,
        country="US",
    )


def parse_project(page: Page) -> list[Case]:
    """One project profile -> its case; StructureChanged without a title or Quick Facts."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    h1 = require(root.find("h1"), "the project's title (h1)")
    fields = quick_facts(root)
    if not fields:
        raise StructureChanged("page structure changed: no Quick Facts fields")
    title = text_of(h1)
    rid = record_id(slug_of(page.url))
    body = root.select_one(".field--name-body")
    description = text_of(body, "\n") if body is not None else None

    def one(*labels: str) -> str | None:
        return next((fields[k][0] for k in labels if k in fields), None)

    stage = _STAGES.get((one("project stage", "status", "stage") or "").casefold(), "unknown")
    launch = parse_loose_date(one("launch date", "project start", "start date"))
    location = one("location")
    issue = ", ".join(fields.get("issue area", []))
    parties = [
        _party(item, role) for label, role in _ROLES.items() for item in fields.get(label, [])
    ]
    case = Case(
        id=rid,
        external_ids=indigo_id(soup.get_text(" ")),
        title=title,
        summary={"en": description.split("\n")[0]} if description else {},
        countries=["US"],
        places=[
            Place(
                name=location,
                country="US",
                admin_area=(re.search(r",\s*([A-Z]{2})\b", location) or [None, None])[1],
            )
        ]
        if location
        else [],
        sector=next((s for rx, s in _SECTORS if rx.search(issue)), None),
        sectors=fields.get("issue area", []),
        stage=stage,  # type: ignore[arg-type]
        intervention=one("intervention"),
        target_population=one("target population", "population served"),
        dates={"service_start": launch} if launch else {},
        investment=parse_money(one("upfront capital", "size of investment"), "USD"),
        max_outcome_payment=parse_money(
            one("maximum outcome payments", "maximum outcome payment", "max outcome payments"),
            "USD",
        ),
        parties=parties,
        full_text={"en": description} if description else {},
        sources=[source_link(page, title, PUBLISHER)],
        provenance=[provenance(SOURCE, rid, page)],
    )
    return [case]


def _items(
    fetcher: Fetcher, *, base_url: str = DEFAULT_BASE_URL, index_path: str = INDEX_PATH
) -> Iterator[Item]:
    """Every profile in the directory as a `Case`; a profile that fails is a `Reject`.

    An unreadable directory page fails the run (the store stays as it was).
    """
    url: str | None = urljoin(base_url, index_path)
    profiles: dict[str, None] = {}
    for _ in range(MAX_INDEX_PAGES):
        if url is None:
            break
        page = fetcher.get(url, accept=HTML)
        try:
            found, url = parse_index(page)
        except StructureChanged as exc:
            raise FetchError(page.url, str(exc)) from None
        profiles.update(dict.fromkeys(found))
    for profile in profiles:
        try:
            page = fetcher.get(profile, accept=HTML)
            yield from fetcher.parsed(page, parse_project, version=PARSER_VERSION)
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            yield from reject(fetcher, profile, reason, record_id(slug_of(profile)))


def items(
    fetcher: Fetcher,
    store: Store | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    index_path: str = INDEX_PATH,
) -> Iterable[Item]:
    """The source as `casebank ingest` runs it: every profile, matched against the cases
    already in `store` (INDIGO's US projects) so one case stays one case."""
    return matched(_items(fetcher, base_url=base_url, index_path=index_path), store, SOURCE)


def allowed_hosts(base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """The hosts this source reaches."""
    return [urlsplit(base_url).hostname or ""]
