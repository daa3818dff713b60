"""Denmark: Den Sociale Investeringsfond (DSI), its investment pages and annual reports.

How the real site is built (dsi.dk, a WordPress site; socialeinvesteringer.dk was its
earlier name): the overview `/vores-investeringer/` links one page per investment. An
investment page has the investment's name as `<h1>`, a lead paragraph, then headed
sections `Formål` (purpose), `Udfordring` (the problem), `Målgruppe` (who), `Resultatmål`
(the outcomes, as bullets) and `Indsats` (the intervention), and a facts box `Om
investeringen` of label/value pairs (`Varighed:`, `Målgruppe:`, `Investeringssum:`,
`DSI's andel:`, `Investeringsområde:`, partners ...).

The fund's annual report to the Folketing (`Årlig redegørelse ... om Den Sociale
Investeringsfonds virksomhed`, published by the Folketing as HTML) has an appendix
`Oversigt over fondens investeringer`: a table with one row per investment and the
columns Investering, Investeringssum (with `DSI's andel`), Investeringsområde, Formål and
Partnerskab. A row fills in what the investment's own page leaves out; a row whose
investment has no page becomes a case of its own.

Danish text is stored as it is: the lead paragraph is the case's Danish summary, the whole
article its Danish full text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from corpus.model import Case, Link, Money, OutcomeMetric, PartialDate, Party, Place
from corpus.store import Store
from ingest.fetch import HTML, Fetcher, FetchError, Page
from ingest.merge import matched, name_similarity
from ingest.runner import Item, Reject
from ingest.sources.webpage import (
    StructureChanged,
    absolute_links,
    facts,
    indigo_id,
    parse_money,
    provenance,
    reject,
    require,
    section_items,
    section_text,
    sections,
    slug_of,
    slugify,
    soup_of,
    source_link,
    split_names,
    text_of,
)

SOURCE = "dsi"
#: The overview lists every investment, so records it no longer lists are removed.
COMPLETE = True
DEFAULT_BASE_URL = "https://dsi.dk"
INDEX_PATH = "/vores-investeringer/"
#: Bump when the parsers change, so kept parses of unchanged pages are redone.
PARSER_VERSION = "1"
FUND = "Den Sociale Investeringsfond"
PUBLISHER = "Den Sociale Investeringsfond"

# Investment areas and words of a title, in the order they decide INDIGO's policy sector.
_SECTORS = (
    (re.compile(r"hjemløs|uden hjem|bolig først|housing first", re.I), "Homelessness"),
    (re.compile(r"skole|uddannelse", re.I), "Education"),
    (re.compile(r"beskæftigelse|arbejdsmarked|job|ledig", re.I), "Employment and training"),
    (re.compile(r"stress|diabetes|sundhed|livsstil|trivsel|psykisk", re.I), "Health"),
    (re.compile(r"børn|unge|famili|vold|anbragt", re.I), "Child and family welfare"),
)
_MUNICIPALITY = re.compile(r"\b([A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ]?[a-zæøå]+)?) Kommune\b")


def record_id(slug: str) -> str:
    """The record (and own case) id of an investment: `dsi-<slug>`."""
    return f"{SOURCE}-{slug}"


def parse_index(page: Page, index_path: str = INDEX_PATH) -> list[str]:
    """URLs of the investment pages the overview links to, in page order."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    urls = absolute_links(root, page.final_url, path_prefix=index_path)
    # Some investments live at the site's root (/investering-i-.../); the overview shows
    # every investment as a card (`article`), so a card's link counts wherever it points.
    host = urlsplit(page.final_url).netloc
    for a in root.select("article a[href]"):
        url = urljoin(page.final_url, a["href"]).split("#")[0]
        path = urlsplit(url).path.strip("/")
        own = urlsplit(url).netloc == host and path and path != index_path.strip("/")
        if own and url not in urls:
            urls.append(url)
    if not urls:
        raise StructureChanged(f"page structure changed: no links below {index_path}")
    return urls


def _sector(*texts: str | None) -> str | None:
    blob = " ".join(t for t in texts if t)
    return next((sector for rx, sector in _SECTORS if rx.search(blob)), None)


def _org_type(name: str) -> str:
    if re.search(r"kommune|region", name, re.I):
        return "government"
    if re.search(r"fond\b|fonden\b", name, re.I):
        return "foundation"
    return "unknown"


def _partner(name: str) -> Party:
    """A partner named without a role: municipalities pay for outcomes, foundations invest."""
    kind = _org_type(name)
    role = {"government": "outcome_payer", "foundation": "investor"}.get(kind, "other")
    return Party(name=name, role=role, org_type=kind, country="DK")  # type: ignore[arg-type]


def _parties(
    municipality: str | None,
    share: Money | None,
    investors: list[str],
    providers: list[str],
    partners: list[str],
) -> list[Party]:
    parties: list[Party] = []
    if municipality:
        parties.append(
            Party(name=municipality, role="outcome_payer", org_type="government", country="DK")
        )
    parties.append(
        Party(name=FUND, role="investor", org_type="government", amount=share, country="DK")
    )
    for name in investors:
        parties.append(Party(name=name, role="investor", org_type=_org_type(name), country="DK"))  # type: ignore[arg-type]
    for name in providers:
        parties.append(
            Party(name=name, role="service_provider", org_type=_org_type(name), country="DK")  # type: ignore[arg-type]
        )
    known = {p.name.casefold() for p in parties}
    parties.extend(_partner(n) for n in partners if n.casefold() not in known and n != FUND)
    return parties


def _lead(h1: Tag) -> str | None:
    """The paragraph right after the title, before the first section heading."""
    for sib in h1.find_all_next(["p", "h2", "h3"]):
        if sib.name != "p":
            return None
        text = text_of(sib)
        if text:
            return text
    return None


def parse_investment(page: Page) -> list[Case]:
    """One investment page -> its case; StructureChanged when title or content is missing."""
    soup = soup_of(page)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = require(root.find("h1"), "the investment's title (h1)")
    title = text_of(h1)
    heads = sections(root)
    box = facts(root)
    if "formål" not in heads and "investeringssum" not in box and "om investeringen" not in heads:
        raise StructureChanged(
            "page structure changed: neither a 'Formål' section nor the 'Om investeringen' facts"
        )
    lead = _lead(h1)
    slug = slug_of(page.url)
    rid = record_id(slug)
    amount = parse_money(box.get("investeringssum"), "DKK")
    share = parse_money(box.get("dsi's andel"), "DKK")
    area = box.get("investeringsområde")
    municipality = box.get("kommune") or box.get("myndighed")
    if not municipality:
        m = _MUNICIPALITY.search(f"{title} {lead or ''}")
        municipality = m.group(0) if m else None
    target = section_text(heads.get("målgruppe")) or box.get("målgruppe")
    article = "\n\n".join(t for t in (text_of(el) for el in root.find_all(["p", "li"])) if t)
    years = re.findall(r"\b(20\d\d)\b", box.get("opstart", "") or box.get("periode", ""))
    case = Case(
        id=rid,
        external_ids=indigo_id(article),
        title=title,
        summary={"da": lead} if lead else {},
        countries=["DK"],
        places=[Place(name=municipality, country="DK")] if municipality else [],
        sector=_sector(area, title),
        sectors=[area] if area else [],
        social_challenge=section_text(heads.get("udfordring")),
        intervention=section_text(heads.get("indsats")) or section_text(heads.get("indsatsen")),
        target_population=target,
        notes=section_text(heads.get("formål")),
        dates={"service_start": PartialDate(value=years[0], precision="year")} if years else {},
        investment=amount,
        parties=_parties(
            municipality,
            share,
            split_names(box.get("medinvestorer") or box.get("investorer")),
            split_names(box.get("leverandør") or box.get("leverandører")),
            split_names(box.get("partnere") or box.get("partnerskab")),
        ),
        outcome_metrics=[
            OutcomeMetric(definition=d) for d in section_items(heads.get("resultatmål"))
        ],
        full_text={"da": article} if article else {},
        sources=[source_link(page, title, PUBLISHER)],
        provenance=[provenance(SOURCE, rid, page)],
    )
    return [case]


_REPORT_COLUMNS = {
    "investering": "title",
    "investeringssum": "amount",
    "dsi's andel": "share",
    "investeringsområde": "area",
    "formål": "purpose",
    "partnerskab": "partners",
    "partnere": "partners",
}


def _report_table(soup: Tag) -> tuple[Tag, list[str]]:
    for table in soup.find_all("table"):
        first = table.find("tr")
        if first is None:
            continue
        heads = [
            text_of(c).replace("\u2019", "'").replace("-", "").casefold().rstrip(":")
            for c in first.find_all(["th", "td"])
        ]
        cols = [_REPORT_COLUMNS.get(h, "") for h in heads]
        if "title" in cols and "amount" in cols:
            return table, cols
    raise StructureChanged(
        "page structure changed: no table with the columns 'Investering' and 'Investeringssum'"
    )


def parse_report(page: Page) -> list[Case]:
    """The annual report's table of investments -> one case per row."""
    soup = soup_of(page)
    table, cols = _report_table(soup)
    heading = soup.find("h1")
    report_title = text_of(heading) if heading else "Årlig redegørelse"
    cases: list[Case] = []
    for tr in table.find_all("tr")[1:]:
        cells = [text_of(c) for c in tr.find_all(["td", "th"])]
        row = {col: cell for col, cell in zip(cols, cells, strict=False) if col and cell}
        title = row.get("title")
        if not title or not row.get("amount"):
            continue  # a sub-heading row such as "Investeringspartnerskaber"
        amount_text = row.get("amount", "")
        share_text = row.get("share")
        if not share_text and re.search(r"DSI.s andel", amount_text):
            amount_text, _, share_text = re.split(r"(DSI.s andel:?)", amount_text, maxsplit=1)
        rid = record_id(slugify(title))
        m = _MUNICIPALITY.search(f"{title} {row.get('partners', '')}")
        cases.append(
            Case(
                id=rid,
                external_ids=indigo_id(" ".join(cells)),
                title=title,
                countries=["DK"],
                sector=_sector(row.get("area"), title),
                sectors=[row["area"]] if row.get("area") else [],
                notes=row.get("purpose"),
                investment=parse_money(amount_text, "DKK"),
                parties=_parties(
                    m.group(0) if m else None,
                    parse_money(share_text, "DKK"),
                    [],
                    [],
                    split_names(row.get("partners")),
                ),
                sources=[
                    Link(url=page.url, title=report_title, kind="annual report", publisher=FUND)
                ],
                provenance=[provenance(SOURCE, rid, page)],
            )
        )
    if not cases:
        raise StructureChanged("page structure changed: the investments table has no rows")
    return cases


def _fill(case: Case, row: Case) -> Case:
    """The page's case with what only the report's row tells (amounts, area, partners)."""
    data = case.model_dump()
    for name in ("investment", "sector", "notes"):
        if not data[name] and getattr(row, name):
            data[name] = getattr(row, name)
    data["sectors"] = list(dict.fromkeys([*case.sectors, *row.sectors]))
    names = {(p.name.casefold(), p.role) for p in case.parties}
    parties = [p.model_dump() for p in case.parties]
    for p in row.parties:
        if (p.name.casefold(), p.role) not in names:
            parties.append(p.model_dump())
        elif p.amount and p.name == FUND:
            for q in parties:
                if q["name"] == FUND and not q.get("amount"):
                    q["amount"] = p.amount.model_dump()
    data["parties"] = parties
    data["sources"] = [s.model_dump() for s in [*case.sources, *row.sources]]
    return Case.model_validate(data)


def combine(pages: list[Case], rows: list[Case], threshold: float = 0.8) -> list[Case]:
    """Investment pages completed by the report rows naming the same investment; the rows
    that match no page are cases of their own."""
    out = list(pages)
    for row in rows:
        scores = [name_similarity(row.title, case.title) for case in pages]
        best = max(range(len(pages)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= threshold:
            out[best] = _fill(out[best], row)
        else:
            out.append(row)
    return out


def _items(
    fetcher: Fetcher,
    *,
    base_url: str = DEFAULT_BASE_URL,
    index_path: str = INDEX_PATH,
    reports: Sequence[str] = (),
) -> Iterator[Item]:
    """Every DSI investment as a `Case`; pages that fail become `Reject`s.

    The overview must be readable (else FetchError: the run fails and the store stays as
    it was); an investment page or a report that fails is rejected and the records it gave
    last time are kept.
    """
    index = fetcher.get(urljoin(base_url, index_path), accept=HTML)
    try:
        urls = parse_index(index, index_path)
    except StructureChanged as exc:
        raise FetchError(index.url, str(exc)) from None
    pages: list[Case] = []
    rejects: list[Reject] = []
    for url in urls:
        rid = record_id(slug_of(url))
        try:
            page = fetcher.get(url, accept=HTML)
            pages.extend(fetcher.parsed(page, parse_investment, version=PARSER_VERSION))
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            rejects.extend(reject(fetcher, url, reason, rid))
    rows: list[Case] = []
    for url in reports:
        try:
            page = fetcher.get(url, accept=HTML)
            rows.extend(fetcher.parsed(page, parse_report, version=PARSER_VERSION))
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            rejects.extend(reject(fetcher, url, reason, f"{SOURCE}-report-{slug_of(url)}"))
    rejected_ids = {r.record_id for r in rejects}
    yield from rejects
    for case in combine(pages, rows):
        if case.id not in rejected_ids:  # a failed page keeps its stored record as it was
            yield case


def items(
    fetcher: Fetcher,
    store: Store | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    index_path: str = INDEX_PATH,
    reports: Sequence[str] = (),
) -> Iterable[Item]:
    """The source as `casebank ingest` runs it: every investment, matched against the cases
    already in `store` (INDIGO's Danish projects ...) so one case stays one case."""
    raw = _items(fetcher, base_url=base_url, index_path=index_path, reports=reports)
    return matched(raw, store, SOURCE)


def allowed_hosts(base_url: str = DEFAULT_BASE_URL, reports: Sequence[str] = ()) -> list[str]:
    """The hosts this source reaches: the site's and the reports'."""
    return sorted({urlsplit(u).hostname or "" for u in [base_url, *reports]} - {""})
