"""UK: GOV.UK pages of the government's outcomes funds and the projects they fund.

How the real pages are built (GOV.UK publishing components): a publication page
`/government/publications/<fund>` has the title in `h1.gem-c-title__text`, a lead
paragraph (`p.gem-c-lead-paragraph`), its documents as attachments
(`section.gem-c-attachment` with the title link in `.gem-c-attachment__title a`; HTML
attachments live under the publication's path) and a `Details` body. Bodies are rendered
from govspeak into `<div class="govspeak">`: `h2`/`h3` headings, lists and tables with a
header row of `<th scope="col">` cells.

A fund is configured with its page (and the department that pays its share of the
outcomes). Projects are read from the tables of the fund page's body and of the HTML
attachments whose title says they list projects: one case per table row, its columns
recognised by their headings (project, commissioner, provider, investor, theme or policy
area, location, the fund's contribution, start).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from corpus.errors import InvalidInput
from corpus.model import Case, Link, Party, Place
from corpus.store import Store
from ingest.fetch import HTML, Fetcher, FetchError, Page
from ingest.merge import matched
from ingest.runner import Item
from ingest.sources.webpage import (
    StructureChanged,
    indigo_id,
    parse_loose_date,
    parse_money,
    provenance,
    reject,
    slug_of,
    slugify,
    soup_of,
    split_names,
    text_of,
)

SOURCE = "govuk"
COMPLETE = True
DEFAULT_BASE_URL = "https://www.gov.uk"
PARSER_VERSION = "1"
PUBLISHER = "GOV.UK"
#: The outcomes funds read by default: their GOV.UK pages and who pays the fund's share.
DEFAULT_FUNDS: tuple[dict[str, str], ...] = (
    {
        "name": "Life Chances Fund",
        "path": "/government/publications/life-chances-fund",
        "payer": "Department for Culture, Media and Sport",
    },
    {
        "name": "Fair Chance Fund",
        "path": "/government/publications/fair-chance-fund",
        "payer": "Ministry of Housing, Communities and Local Government",
    },
    {
        "name": "Youth Engagement Fund",
        "path": "/government/publications/youth-engagement-fund",
        "payer": "Ministry of Justice",
    },
    {
        "name": "Refugee Transitions Outcomes Fund",
        "path": "/government/publications/refugee-transitions-outcomes-fund",
        "payer": "Home Office",
    },
)

# Column headings -> field, first match wins (so "policy area" is a theme, not a place).
_COLUMNS = (
    (re.compile(r"policy area|theme|issue|focus", re.I), "theme"),
    (re.compile(r"commissioner|local authority|outcome payer|commissioning", re.I), "payer"),
    (re.compile(r"provider|delivery", re.I), "providers"),
    (re.compile(r"investor", re.I), "investors"),
    (re.compile(r"project|programme|name", re.I), "title"),
    (re.compile(r"location|region|area|place", re.I), "place"),
    (re.compile(r"contribution|award|funding|top-up|amount|£", re.I), "contribution"),
    (re.compile(r"start|launch", re.I), "start"),
    (re.compile(r"description|summary|aim|purpose", re.I), "description"),
)
_SECTORS = (
    (re.compile(r"homeless|rough sleep", re.I), "Homelessness"),
    (re.compile(r"refugee|employ|work|neet|job|training", re.I), "Employment and training"),
    (
        re.compile(r"child|famil|care|early years|edge of care|fostering", re.I),
        "Child and family welfare",
    ),
    (re.compile(r"school|education|attainment", re.I), "Education"),
    (re.compile(r"health|drug|alcohol|older|wellbeing|mental", re.I), "Health"),
    (re.compile(r"offend|justice|prison", re.I), "Criminal justice"),
)


def _columns(table: Tag) -> list[str]:
    first = table.find("tr")
    heads = [text_of(c) for c in first.find_all(["th", "td"])] if first else []
    return [next((f for rx, f in _COLUMNS if rx.search(h)), "") for h in heads]


def project_tables(root: Tag) -> list[tuple[Tag, list[str]]]:
    """The tables of a govspeak body that list projects (they have a project column)."""
    out = []
    for table in root.find_all("table"):
        cols = _columns(table)
        if "title" in cols and len([c for c in cols if c]) >= 2:
            out.append((table, cols))
    return out


def _body(page: Page) -> Tag:
    soup = soup_of(page)
    return soup.find("main") or soup.body or soup


def _org_type(name: str) -> str:
    if re.search(
        r"council|borough|county|city|authority|nhs|department|ministry|office", name, re.I
    ):
        return "government"
    return "unknown"


def parse_projects(page: Page, fund: Mapping[str, str]) -> list[Case]:
    """The project rows of the page's tables -> cases; StructureChanged if there are none."""
    root = _body(page)
    tables = project_tables(root)
    if not tables:
        raise StructureChanged("page structure changed: no table with a project column")
    heading = root.find("h1")
    page_title = text_of(heading) if heading else fund["name"]
    fund_slug = slugify(fund["name"])
    cases: list[Case] = []
    for table, cols in tables:
        for tr in table.find_all("tr")[1:]:
            cells = [text_of(c, ", ") for c in tr.find_all(["td", "th"])]
            row = {col: cell for col, cell in zip(cols, cells, strict=False) if col and cell}
            title = row.get("title")
            if not title:
                continue
            rid = f"{SOURCE}-{fund_slug}-{slugify(title)}"
            parties = [
                Party(name=n, role="outcome_payer", org_type=_org_type(n), country="GB")  # type: ignore[arg-type]
                for n in split_names(row.get("payer"))
            ]
            parties.append(
                Party(
                    name=fund["payer"],
                    role="outcome_payer",
                    org_type="government",
                    role_detail=f"{fund['name']} top-up of outcome payments",
                    amount=parse_money(row.get("contribution"), "GBP"),
                    country="GB",
                )
            )
            parties += [
                Party(name=n, role="service_provider", country="GB")
                for n in split_names(row.get("providers"))
            ]
            parties += [
                Party(name=n, role="investor", country="GB")
                for n in split_names(row.get("investors"))
            ]
            start = parse_loose_date(row.get("start"))
            theme = row.get("theme")
            cases.append(
                Case(
                    id=rid,
                    external_ids=indigo_id(" ".join(cells)),
                    title=title,
                    summary={"en": row["description"]} if row.get("description") else {},
                    countries=["GB"],
                    places=[Place(name=row["place"], country="GB")] if row.get("place") else [],
                    sector=next(
                        (s for rx, s in _SECTORS if rx.search(f"{theme or ''} {title}")), None
                    ),
                    sectors=[theme] if theme else [],
                    dates={"service_start": start} if start else {},
                    parties=parties,
                    notes=f"Funded by the {fund['name']}.",
                    sources=[
                        Link(url=page.url, title=page_title, kind="web page", publisher=PUBLISHER)
                    ],
                    provenance=[provenance(SOURCE, rid, page)],
                )
            )
    if not cases:
        raise StructureChanged("page structure changed: the project tables have no rows")
    return cases


def project_list_links(page: Page) -> list[str]:
    """HTML attachments of a publication whose title says they list projects."""
    root = _body(page)
    base = urlsplit(page.final_url)
    links = root.select(".gem-c-attachment__title a[href], section.attachment .title a[href]")
    if not links:
        links = root.select(".govspeak a[href]")
    out: dict[str, None] = {}
    for a in links:
        url = urljoin(page.final_url, a["href"]).split("#")[0]
        if urlsplit(url).netloc == base.netloc and re.search(r"project", text_of(a), re.I):
            out.setdefault(url, None)
    return list(out)


def _fund_items(fetcher: Fetcher, base_url: str, fund: Mapping[str, str]) -> Iterator[Item]:
    url = urljoin(base_url, fund["path"])
    page = fetcher.get(url, accept=HTML)  # a fund page that fails fails the run
    lists = project_list_links(page)
    has_tables = bool(project_tables(_body(page)))
    if not lists and not has_tables:
        raise FetchError(
            url, "page structure changed: no project table and no attachment listing projects"
        )
    if has_tables:
        yield from fetcher.parsed(page, lambda p: parse_projects(p, fund), version=PARSER_VERSION)
    for link in lists:
        fallback = f"{SOURCE}-{slugify(fund['name'])}-{slug_of(link)}"
        try:
            listing = fetcher.get(link, accept=HTML)
            yield from fetcher.parsed(
                listing, lambda p: parse_projects(p, fund), version=PARSER_VERSION
            )
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            yield from reject(fetcher, link, reason, fallback)


def _check(funds: Sequence[Mapping[str, str]]) -> None:
    for i, fund in enumerate(funds):
        missing = [k for k in ("name", "path", "payer") if not fund.get(k)]
        if missing:
            raise InvalidInput(f"govuk funds[{i}]: missing {', '.join(missing)}")


def items(
    fetcher: Fetcher,
    store: Store | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    funds: Sequence[Mapping[str, str]] = DEFAULT_FUNDS,
) -> Iterable[Item]:
    """Every project of every configured fund, matched against the cases in `store`."""
    _check(funds)

    def run() -> Iterator[Item]:
        for fund in funds:
            yield from _fund_items(fetcher, base_url, fund)

    return matched(run(), store, SOURCE)


def allowed_hosts(base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """The hosts this source reaches."""
    return [urlsplit(base_url).hostname or ""]
